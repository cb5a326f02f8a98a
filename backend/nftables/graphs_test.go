package nftables

import (
	"net/netip"

	"github.com/gonwfilter/gonwfilter/internal/irtest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Test graphs built by hand with ir types.

var vmMAC = ir.MAC{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

func rule(p ir.Protocol, d ir.Direction, a ir.Action, ms ...ir.Match) *ir.Rule {
	return &ir.Rule{Protocol: p, Direction: d, Action: a, StateMatch: true, Matches: ms, Priority: 500}
}

func mSrcMAC(m ir.MAC, neg bool) ir.Match {
	return ir.Match{Field: ir.FieldSrcMAC, MAC: m, Negate: neg}
}

func mIP(f ir.Field, s string, neg bool) ir.Match {
	return ir.Match{Field: f, Prefix: netip.MustParsePrefix(s), Negate: neg}
}

func mNum(f ir.Field, lo, hi uint32) ir.Match {
	return ir.Match{Field: f, Lo: lo, Hi: hi, HasHi: hi != lo}
}

// cleanTraffic approximates libvirt's clean-traffic for one VM: MAC, IP and
// ARP anti-spoofing plus an allow-list of ethertypes.
func cleanTraffic(dev string) *ir.Graph {
	ipv4 := &ir.Chain{Name: "ipv4-ip", Kind: ir.ChainIPv4, Priority: -700, Entries: []ir.Entry{
		{Rule: rule(ir.ProtoIP, ir.DirOut, ir.ActionReturn, mIP(ir.FieldSrcIP, "0.0.0.0/32", false), mNum(ir.FieldIPProto, 17, 17))},
		{Rule: rule(ir.ProtoIP, ir.DirOut, ir.ActionDrop, mIP(ir.FieldSrcIP, "10.1.0.5/32", true))},
	}}
	arpMAC := &ir.Chain{Name: "arp-mac", Kind: ir.ChainARP, Priority: -520, Entries: []ir.Entry{
		{Rule: rule(ir.ProtoARP, ir.DirOut, ir.ActionReturn, ir.Match{Field: ir.FieldARPSrcMAC, MAC: vmMAC})},
		{Rule: rule(ir.ProtoARP, ir.DirOut, ir.ActionDrop)},
	}}
	arpIP := &ir.Chain{Name: "arp-ip", Kind: ir.ChainARP, Priority: -510, Entries: []ir.Entry{
		{Rule: rule(ir.ProtoARP, ir.DirOut, ir.ActionReturn, mIP(ir.FieldARPSrcIP, "10.1.0.5/32", false))},
		{Rule: rule(ir.ProtoARP, ir.DirOut, ir.ActionDrop)},
	}}
	root := &ir.Chain{Name: "root", Kind: ir.ChainRoot, Entries: []ir.Entry{
		{Rule: rule(ir.ProtoMAC, ir.DirOut, ir.ActionDrop, mSrcMAC(vmMAC, true))},
		{Jump: ipv4},
		{Rule: rule(ir.ProtoMAC, ir.DirOut, ir.ActionAccept, mNum(ir.FieldEtherType, 0x0800, 0x0800))},
		{Jump: arpMAC},
		{Jump: arpIP},
		{Rule: rule(ir.ProtoMAC, ir.DirInOut, ir.ActionAccept, mNum(ir.FieldEtherType, 0x0806, 0x0806))},
		{Rule: rule(ir.ProtoNone, ir.DirInOut, ir.ActionDrop)},
	}}
	return &ir.Graph{
		Binding:  ir.Binding{PortDev: dev, MAC: vmMAC, Filter: "clean-traffic"},
		Ethernet: []*ir.Chain{root, ipv4, arpMAC, arpIP},
	}
}

// ipLayer exercises the IP-layer semantics: directions, state, ICMP, srcmac,
// connlimit, ipset, reject and comments.
func ipLayer(dev string) *ir.Graph {
	withState := rule(ir.ProtoTCP, ir.DirOut, ir.ActionAccept, mNum(ir.FieldDstPort, 80, 80))
	withState.State = ir.StateNew | ir.StateEstablished
	connlimit := rule(ir.ProtoTCP, ir.DirOut, ir.ActionDrop, mNum(ir.FieldDstPort, 25, 25))
	connlimit.ConnlimitAbove = 3
	commented := rule(ir.ProtoUDP, ir.DirIn, ir.ActionAccept, mNum(ir.FieldDstPort, 53, 53))
	commented.Comment = "dns \"quoted\" ; } { \n flush ruleset"
	noState := rule(ir.ProtoAll, ir.DirInOut, ir.ActionAccept, mIP(ir.FieldSrcIP, "192.168.0.0/16", false))
	noState.StateMatch = false
	return &ir.Graph{
		Binding: ir.Binding{PortDev: dev, MAC: vmMAC, Filter: "ip-layer"},
		IP: []*ir.Rule{
			rule(ir.ProtoTCP, ir.DirIn, ir.ActionAccept, mNum(ir.FieldDstPort, 22, 22)),
			rule(ir.ProtoTCP, ir.DirOut, ir.ActionAccept, mSrcMAC(vmMAC, false), mNum(ir.FieldDstPort, 1024, 65535),
				ir.Match{Field: ir.FieldTCPFlags, TCPFlags: ir.TCPFlags{Mask: ir.TCPSyn | ir.TCPAck, Set: ir.TCPSyn}}),
			rule(ir.ProtoICMP, ir.DirOut, ir.ActionAccept, mNum(ir.FieldICMPType, 8, 8), mNum(ir.FieldICMPCode, 0, 0)),
			rule(ir.ProtoICMP, ir.DirIn, ir.ActionAccept),
			withState,
			connlimit,
			commented,
			noState,
			rule(ir.ProtoUDP, ir.DirOut, ir.ActionReject, ir.Match{Field: ir.FieldIPSet, IPSet: ir.IPSetRef{Name: "blocked", Dirs: []ir.SetDir{ir.SetDst}}}),
			rule(ir.ProtoTCPv6, ir.DirInOut, ir.ActionDrop, mIP(ir.FieldSrcIP, "fd00::/64", true), mNum(ir.FieldSrcPort, 1, 1023)),
			rule(ir.ProtoICMPv6, ir.DirIn, ir.ActionAccept, mNum(ir.FieldICMPType, 128, 128)),
			rule(ir.ProtoAll, ir.DirInOut, ir.ActionDrop),
		},
	}
}

// l2Exotic exercises stp, vlan, rarp, ipv6 and gratuitous ARP rendering.
func l2Exotic(dev string) *ir.Graph {
	stp := &ir.Chain{Name: "stp-x", Kind: ir.ChainSTP, Entries: []ir.Entry{
		{Rule: rule(ir.ProtoSTP, ir.DirIn, ir.ActionDrop, mNum(ir.FieldSTPType, 0, 0), mNum(ir.FieldSTPRootPriority, 1, 5),
			ir.Match{Field: ir.FieldSTPRootAddr, MAC: ir.MAC{0x52, 0x54, 0, 0, 0, 1}, MACMask: ir.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0}, HasMACMask: true})},
	}}
	root := &ir.Chain{Name: "root", Kind: ir.ChainRoot, Entries: []ir.Entry{
		{Jump: stp},
		{Rule: rule(ir.ProtoVLAN, ir.DirOut, ir.ActionAccept, mNum(ir.FieldVLANID, 12, 12), mNum(ir.FieldVLANEncap, 0x0800, 0x0800))},
		{Rule: rule(ir.ProtoRARP, ir.DirInOut, ir.ActionAccept, mNum(ir.FieldARPOpcode, 3, 3), ir.Match{Field: ir.FieldARPSrcMAC, MAC: vmMAC})},
		{Rule: rule(ir.ProtoARP, ir.DirOut, ir.ActionAccept, ir.Match{Field: ir.FieldARPGratuitous, Bool: true})},
		{Rule: rule(ir.ProtoARP, ir.DirOut, ir.ActionDrop, mNum(ir.FieldARPOpcode, 2, 2), ir.Match{Field: ir.FieldARPGratuitous, Bool: false})},
		{Rule: rule(ir.ProtoIPv6, ir.DirIn, ir.ActionAccept, mNum(ir.FieldIPProto, 58, 58), mNum(ir.FieldICMPType, 133, 136), mNum(ir.FieldICMPCode, 0, 0))},
		{Rule: rule(ir.ProtoIP, ir.DirInOut, ir.ActionReject, mIP(ir.FieldDstIP, "10.0.0.0/8", false), mNum(ir.FieldIPProto, 6, 6), mNum(ir.FieldDstPort, 80, 80), mNum(ir.FieldDSCP, 10, 10))},
	}}
	return &ir.Graph{
		Binding:  ir.Binding{PortDev: dev, MAC: vmMAC, Filter: "l2-exotic"},
		Ethernet: []*ir.Chain{root, stp},
	}
}

// everyField has a rule for every match field in plain and negated form, on
// both layers, so kernel tests can check that nft accepts all of them.
func everyField(dev string) *ir.Graph {
	neg := func(m ir.Match) ir.Match { m.Negate = true; return m }
	mask := ir.MAC{0xff, 0xff, 0xff, 0, 0, 0}
	macM := ir.Match{Field: ir.FieldSrcMAC, MAC: vmMAC, MACMask: mask, HasMACMask: true}
	l2 := []ir.Entry{}
	add := func(p ir.Protocol, ms ...ir.Match) {
		for _, m := range ms {
			for _, mm := range []ir.Match{m, neg(m)} {
				l2 = append(l2, ir.Entry{Rule: rule(p, ir.DirInOut, ir.ActionContinue, mm)})
			}
		}
	}
	add(ir.ProtoMAC, macM, mSrcMAC(vmMAC, false), ir.Match{Field: ir.FieldDstMAC, MAC: vmMAC}, mNum(ir.FieldEtherType, 0x0800, 0x0800))
	add(ir.ProtoVLAN, mNum(ir.FieldVLANID, 7, 7), mNum(ir.FieldVLANEncap, 0x86dd, 0x86dd))
	for f := range stpFields {
		m := mNum(f, 1, 9)
		if stpFields[f].bits == 48 {
			m = ir.Match{Field: f, MAC: vmMAC, MACMask: mask, HasMACMask: true}
		}
		add(ir.ProtoSTP, m)
	}
	for _, p := range []ir.Protocol{ir.ProtoARP, ir.ProtoRARP} {
		add(p, mNum(ir.FieldARPHType, 1, 1), mNum(ir.FieldARPPType, 0x800, 0x800), mNum(ir.FieldARPOpcode, 2, 2),
			ir.Match{Field: ir.FieldARPSrcMAC, MAC: vmMAC}, ir.Match{Field: ir.FieldARPDstMAC, MAC: vmMAC},
			mIP(ir.FieldARPSrcIP, "10.0.0.0/8", false), mIP(ir.FieldARPDstIP, "10.0.0.1/32", false),
			ir.Match{Field: ir.FieldARPGratuitous, Bool: true})
	}
	add(ir.ProtoIP, mIP(ir.FieldSrcIP, "10.0.0.0/8", false), mIP(ir.FieldDstIP, "10.0.0.1/32", false),
		mNum(ir.FieldIPProto, 6, 6), mNum(ir.FieldSrcPort, 1, 1024), mNum(ir.FieldDstPort, 80, 80), mNum(ir.FieldDSCP, 46, 46))
	add(ir.ProtoIPv6, mIP(ir.FieldSrcIP, "fd00::/8", false), mIP(ir.FieldDstIP, "fd00::1/128", false),
		mNum(ir.FieldIPProto, 58, 58), mNum(ir.FieldICMPType, 1, 4), mNum(ir.FieldICMPCode, 0, 3))

	var ip []*ir.Rule
	addIP := func(p ir.Protocol, ms ...ir.Match) {
		for _, m := range ms {
			for _, mm := range []ir.Match{m, neg(m)} {
				ip = append(ip, rule(p, ir.DirOut, ir.ActionAccept, mm))
			}
		}
	}
	rng := func(f ir.Field, a, b string) ir.Match {
		return ir.Match{Field: f, From: netip.MustParseAddr(a), To: netip.MustParseAddr(b)}
	}
	set := func(d ir.SetDir) ir.Match {
		return ir.Match{Field: ir.FieldIPSet, IPSet: ir.IPSetRef{Name: "blocked", Dirs: []ir.SetDir{d}}}
	}
	flags := ir.Match{Field: ir.FieldTCPFlags, TCPFlags: ir.TCPFlags{Mask: ir.TCPAll, Set: ir.TCPSyn | ir.TCPFin}}
	none := ir.Match{Field: ir.FieldTCPFlags, TCPFlags: ir.TCPFlags{Mask: ir.TCPSyn | ir.TCPRst, Set: 0}}
	addIP(ir.ProtoTCP, mSrcMAC(vmMAC, false), mIP(ir.FieldSrcIP, "10.0.0.0/8", false), mIP(ir.FieldDstIP, "10.0.0.1/32", false),
		rng(ir.FieldSrcIPRange, "10.0.0.1", "10.0.0.9"), rng(ir.FieldDstIPRange, "10.0.0.1", "10.0.0.1"),
		mNum(ir.FieldDSCP, 10, 10), flags, none, mNum(ir.FieldSrcPort, 1, 1023), mNum(ir.FieldDstPort, 22, 22),
		mNum(ir.FieldTCPOption, 8, 8), set(ir.SetSrc), set(ir.SetDst))
	addIP(ir.ProtoTCPv6, mIP(ir.FieldSrcIP, "fd00::/64", false), rng(ir.FieldDstIPRange, "fd00::1", "fd00::9"),
		mNum(ir.FieldDSCP, 10, 10), set(ir.SetSrc))
	for _, p := range []ir.Protocol{ir.ProtoUDP, ir.ProtoUDPLite, ir.ProtoESP, ir.ProtoAH, ir.ProtoSCTP, ir.ProtoIGMP, ir.ProtoAll,
		ir.ProtoUDPv6, ir.ProtoUDPLitev6, ir.ProtoESPv6, ir.ProtoAHv6, ir.ProtoSCTPv6, ir.ProtoAllv6} {
		ip = append(ip, rule(p, ir.DirInOut, ir.ActionReject))
	}
	for _, p := range []ir.Protocol{ir.ProtoICMP, ir.ProtoICMPv6} {
		code := mNum(ir.FieldICMPCode, 0, 0)
		ip = append(ip,
			rule(p, ir.DirOut, ir.ActionAccept, mNum(ir.FieldICMPType, 8, 8)),
			rule(p, ir.DirOut, ir.ActionAccept, mNum(ir.FieldICMPType, 8, 8), code),
			rule(p, ir.DirOut, ir.ActionAccept, neg(mNum(ir.FieldICMPType, 8, 8))),
			rule(p, ir.DirOut, ir.ActionAccept, neg(mNum(ir.FieldICMPType, 8, 8)), code))
	}
	for i, r := range irtest.PlacementVariants() {
		if i%17 == 0 { // a spread-out sample keeps the kernel test fast
			ip = append(ip, r)
		}
	}
	return &ir.Graph{
		Binding:  ir.Binding{PortDev: dev, MAC: vmMAC, Filter: "every-field"},
		Ethernet: []*ir.Chain{{Name: "root", Kind: ir.ChainRoot, Entries: l2}},
		IP:       ip,
	}
}
