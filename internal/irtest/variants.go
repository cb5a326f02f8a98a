// Package irtest provides rule graphs' building blocks for the tests of
// packages that consume nwfilter/ir.
package irtest

import (
	"net/netip"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// VMMAC is the MAC address the variants' srcmacaddr matches.
var VMMAC = ir.MAC{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

// VariantIPSet is the ipset some of the variants match.
const VariantIPSet = "peers"

// PlacementVariants enumerates IP-layer rules over everything that decides
// libvirt's instance placement (ir.Placement): protocol (ICMP with and
// without a type), direction, action, statematch, explicit state (also NONE
// and negated), connlimit, and srcmacaddr alone, with an address or with an
// ipset.
func PlacementVariants() []*ir.Rule {
	num := func(f ir.Field, v uint32) ir.Match { return ir.Match{Field: f, Lo: v, Hi: v} }
	protos := []struct {
		p  ir.Protocol
		ms []ir.Match
	}{
		{ir.ProtoTCP, []ir.Match{num(ir.FieldDstPort, 22)}},
		{ir.ProtoUDP, nil},
		{ir.ProtoICMP, []ir.Match{num(ir.FieldICMPType, 8)}},
		{ir.ProtoICMP, nil},
		{ir.ProtoICMPv6, []ir.Match{num(ir.FieldICMPType, 128)}},
		{ir.ProtoAllv6, nil},
	}
	states := []struct {
		st  ir.ConnState
		neg bool
	}{{0, false}, {ir.StateNew, false}, {ir.StateEstablished | ir.StateRelated, true}, {ir.StateNone, false}}
	srcMAC := ir.Match{Field: ir.FieldSrcMAC, MAC: VMMAC}
	negSrcMAC := srcMAC
	negSrcMAC.Negate = true
	ipset := ir.Match{Field: ir.FieldIPSet, IPSet: ir.IPSetRef{Name: VariantIPSet, Dirs: []ir.SetDir{ir.SetSrc}}}

	var out []*ir.Rule
	for _, p := range protos {
		net := netip.MustParsePrefix("10.0.0.0/8")
		if p.p.Layer() == ir.LayerIPv6 {
			net = netip.MustParsePrefix("fd00::/8")
		}
		macs := [][]ir.Match{nil, {srcMAC}, {negSrcMAC, {Field: ir.FieldSrcIP, Prefix: net}}, {srcMAC, ipset}}
		for _, d := range []ir.Direction{ir.DirIn, ir.DirOut, ir.DirInOut} {
			for _, a := range []ir.Action{ir.ActionAccept, ir.ActionDrop, ir.ActionReject, ir.ActionReturn, ir.ActionContinue} {
				for _, sm := range []bool{true, false} {
					for _, st := range states {
						for _, cl := range []uint16{0, 5} {
							for _, mac := range macs {
								out = append(out, &ir.Rule{
									Protocol: p.p, Direction: d, Action: a, Priority: 500,
									StateMatch: sm, State: st.st, StateNegate: st.neg, ConnlimitAbove: cl,
									Matches: append(append([]ir.Match{}, mac...), p.ms...),
								})
							}
						}
					}
				}
			}
		}
	}
	return out
}
