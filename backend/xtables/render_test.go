package xtables

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/golden"
	"github.com/gonwfilter/gonwfilter/internal/kerneltest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

var (
	vmMAC  = kerneltest.MustMAC("52:54:00:12:34:56")
	vmMAC2 = kerneltest.MustMAC("52:54:00:ab:cd:ef")
)

// checkGolden checks got against testdata/NAME.golden.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name+".golden"), []byte(got))
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range renderCases() {
		for _, libvirt := range []bool{false, true} {
			name := tc.name
			if libvirt {
				name += "-libvirt"
			}
			t.Run(name, func(t *testing.T) {
				b, _ := newFake(Options{LibvirtNames: libvirt, ConntrackDirection: tc.ctdir})
				s, err := b.Render(tc.graphs...)
				require.NoError(t, err)
				checkGolden(t, name, s.String())
			})
		}
	}
}

type renderCase struct {
	name   string
	graphs []*ir.Graph
	ctdir  bool
}

func renderCases() []renderCase {
	k := kerneltest.R
	withComment := func(r *ir.Rule, c string) *ir.Rule { r.Comment = c; return r }
	withState := func(r *ir.Rule, s ir.ConnState) *ir.Rule { r.State = s; return r }
	stateless := func(r *ir.Rule) *ir.Rule { r.StateMatch = false; return r }
	connlimit := func(r *ir.Rule, n uint16) *ir.Rule { r.ConnlimitAbove = n; return r }
	return []renderCase{
		{name: "clean-traffic", graphs: []*ir.Graph{kerneltest.CleanTrafficLike("vnet0", vmMAC, "10.0.0.2")}},
		{name: "allow-dhcp", graphs: []*ir.Graph{kerneltest.AllowDHCPLike("vnet0", vmMAC)}},
		{name: "tcp-statematch", graphs: []*ir.Graph{kerneltest.TCPServer("vnet0", vmMAC, 22, true)}},
		{name: "tcp-statematch-ctdir", graphs: []*ir.Graph{kerneltest.TCPServer("vnet0", vmMAC, 22, true)}, ctdir: true},
		{name: "tcp-stateless", graphs: []*ir.Graph{kerneltest.TCPServer("vnet0", vmMAC, 22, false)}},
		{name: "two-bindings", graphs: []*ir.Graph{
			kerneltest.CleanTrafficLike("vnet0", vmMAC, "10.0.0.2"),
			kerneltest.TCPServer("vnet1", vmMAC2, 80, true),
		}},
		{name: "ip-features", graphs: []*ir.Graph{kerneltest.NewGraph("vnet0", vmMAC).Rule(
			withComment(k(ir.ProtoUDP, ir.DirOut, ir.ActionAccept,
				kerneltest.SrcMAC(vmMAC), kerneltest.DstIP("10.1.2.3"), kerneltest.DSCP(34),
				kerneltest.SrcPort(291, 400), kerneltest.DstPort(564, 1092)), `udp rule "quoted" \ back`),
			k(ir.ProtoTCPv6, ir.DirIn, ir.ActionAccept, kerneltest.SrcIP("a:b:c::/128"),
				kerneltest.SrcPort(32, 33), kerneltest.DstPort(256, 4369), kerneltest.TCPFlags(ir.TCPSyn|ir.TCPAck, ir.TCPSyn)),
			k(ir.ProtoICMP, ir.DirIn, ir.ActionAccept, kerneltest.ICMPType(8), kerneltest.ICMPCode(0)),
			k(ir.ProtoICMP, ir.DirOut, ir.ActionAccept, kerneltest.ICMPType(0)),
			k(ir.ProtoICMP, ir.DirInOut, ir.ActionAccept, kerneltest.ICMPType(3)),
			k(ir.ProtoAll, ir.DirOut, ir.ActionAccept, kerneltest.SrcMAC(vmMAC)),
			k(ir.ProtoAll, ir.DirIn, ir.ActionAccept, kerneltest.IPSet("blocklist", ir.SetSrc, ir.SetDst)),
			k(ir.ProtoTCP, ir.DirOut, ir.ActionDrop, connlimitDummy()),
			connlimit(k(ir.ProtoTCP, ir.DirOut, ir.ActionAccept, kerneltest.DstPort(80, 0)), 3),
			withState(k(ir.ProtoTCP, ir.DirOut, ir.ActionDrop, kerneltest.DstPort(25, 0)), ir.StateNew),
			withState(k(ir.ProtoUDP, ir.DirIn, ir.ActionAccept), ir.StateNone),
			stateless(k(ir.ProtoUDP, ir.DirOut, ir.ActionAccept, kerneltest.DstPort(53, 0))),
			k(ir.ProtoSCTP, ir.DirOut, ir.ActionReject, kerneltest.Not(kerneltest.SrcIPRange("10.0.0.1", "10.0.0.9"))),
			k(ir.ProtoAllv6, ir.DirInOut, ir.ActionContinue),
			k(ir.ProtoICMPv6, ir.DirOut, ir.ActionReturn, kerneltest.ICMPType(135)),
		).Graph()}},
		{name: "eth-features", graphs: []*ir.Graph{ethFeatures()}},
	}
}

// connlimitDummy is a plain destination-port match, to keep one drop rule
// without connlimit in the list.
func connlimitDummy() ir.Match { return kerneltest.DstPort(443, 0) }

func ethFeatures() *ir.Graph {
	k := kerneltest.R
	masked := kerneltest.SrcMAC(vmMAC)
	masked.MACMask, masked.HasMACMask = ir.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0}, true
	v6 := k(ir.ProtoIPv6, ir.DirInOut, ir.ActionAccept, kerneltest.SrcIP("1::2/128"), kerneltest.DstIP("a:b:c::/65"),
		kerneltest.IPProto(58), kerneltest.ICMPType(1))
	v6.Matches[3].Hi, v6.Matches[3].HasHi = 11, true
	grat := ir.Match{Field: ir.FieldARPGratuitous, Bool: true}
	return kerneltest.NewGraph("vnet0", vmMAC).
		Rule(k(ir.ProtoMAC, ir.DirOut, ir.ActionDrop, kerneltest.Not(kerneltest.SrcMAC(vmMAC)))).
		Rule(k(ir.ProtoMAC, ir.DirIn, ir.ActionAccept, masked, kerneltest.EtherType(0x1234))).
		Chain("ipv4-x", ir.ChainIPv4, -700,
			k(ir.ProtoIP, ir.DirInOut, ir.ActionReturn, kerneltest.SrcIP("10.1.2.3"), kerneltest.DstIP("10.0.0.0/8"),
				kerneltest.IPProto(17), kerneltest.SrcPort(291, 564), kerneltest.Not(kerneltest.DstPort(80, 0)), kerneltest.DSCP(12))).
		Chain("ipv6", ir.ChainIPv6, -600, v6).
		Chain("arp", ir.ChainARP, -500,
			k(ir.ProtoARP, ir.DirInOut, ir.ActionAccept, kerneltest.ARPOpcode(1), kerneltest.ARPSrcIP("10.0.0.1"),
				kerneltest.Not(kerneltest.ARPDstIP("10.0.0.2")), kerneltest.ARPSrcMAC(vmMAC), grat)).
		Chain("rarp", ir.ChainRARP, -400,
			k(ir.ProtoRARP, ir.DirOut, ir.ActionContinue, kerneltest.ARPOpcode(3))).
		Chain("vlan", ir.ChainVLAN, -750,
			k(ir.ProtoVLAN, ir.DirIn, ir.ActionReject, ir.Match{Field: ir.FieldVLANID, Lo: 291, Hi: 291})).
		Chain("stp", ir.ChainSTP, -810,
			k(ir.ProtoSTP, ir.DirOut, ir.ActionDrop, ir.Match{Field: ir.FieldSTPType, Lo: 18, Hi: 18},
				ir.Match{Field: ir.FieldSTPRootPriority, Lo: 4660, Hi: 9029, HasHi: true})).
		Chain("mac-a-very-long", ir.ChainMAC, -800,
			k(ir.ProtoMAC, ir.DirOut, ir.ActionAccept)).
		Graph()
}
