package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func TestEmptyGraphAccepts(t *testing.T) {
	res := simulate(t, &ir.Graph{Binding: binding}, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp dport=53")
	assert.Equal(t, Accept, res.Verdict)
	assert.Contains(t, res.String(), "no Ethernet-layer rules")
}

func TestRootChainActions(t *testing.T) {
	const frame = "dir=out eth=arp src=10.0.0.5 dst=10.0.0.1"
	tests := []struct {
		action ir.Action
		want   Verdict
		note   string
	}{
		{ir.ActionAccept, Accept, ""},
		{ir.ActionDrop, Drop, ""},
		{ir.ActionReject, Drop, "reject is rendered as DROP"},
		{ir.ActionReturn, Accept, "RETURN from the root chain"},
		{ir.ActionContinue, Drop, ""}, // goes on to the final drop
	}
	for _, tt := range tests {
		t.Run(tt.action.String(), func(t *testing.T) {
			var s ruleSeq
			g := ethGraph(
				entry(s.rule(ir.ProtoARP, ir.DirOut, tt.action)),
				entry(s.rule(ir.ProtoNone, ir.DirInOut, ir.ActionDrop)),
			)
			res := simulate(t, g, frame)
			assert.Equal(t, tt.want, res.Verdict)
			assert.Same(t, g.Ethernet[0].Entries[0].Rule, res.Trace[0].Rule)
			assert.True(t, res.Trace[0].Matched)
			if tt.note != "" {
				assert.Contains(t, res.String(), tt.note)
			}
		})
	}
}

func TestSubChainFlow(t *testing.T) {
	var s ruleSeq
	ret := subChain("arp-a", ir.ChainARP,
		s.rule(ir.ProtoARP, ir.DirOut, ir.ActionReturn, prefixMatch(ir.FieldARPSrcIP, "10.0.0.5")),
		s.rule(ir.ProtoARP, ir.DirOut, ir.ActionDrop),
	)
	cont := subChain("arp-b", ir.ChainARP,
		s.rule(ir.ProtoARP, ir.DirOut, ir.ActionContinue, numMatch(ir.FieldARPOpcode, 1)),
		s.rule(ir.ProtoARP, ir.DirOut, ir.ActionAccept, numMatch(ir.FieldARPOpcode, 2)),
	)
	last := s.rule(ir.ProtoNone, ir.DirInOut, ir.ActionDrop)
	g := ethGraph(jump(ret), jump(cont), entry(last))

	// Own sender IP: RETURN from arp-a, the request CONTINUEs in arp-b and
	// falls off its end: the sub-chain's policy ACCEPT takes it, the root
	// chain's final drop is not reached.
	res := simulate(t, g, "dir=out eth=arp src=10.0.0.5 dst=10.0.0.1 arpop=request")
	assert.Equal(t, Accept, res.Verdict)
	var outcomes []Outcome
	for _, st := range res.Trace {
		outcomes = append(outcomes, st.Outcome)
	}
	assert.Equal(t, []Outcome{OutcomeEnter, OutcomeReturn, OutcomeEnter, OutcomeContinue, OutcomeNext, OutcomeAccept}, outcomes[:6])
	assert.Equal(t, StepEnd, res.Trace[5].Kind)
	assert.Equal(t, "I-vnet0-arp-b", res.Trace[5].Chain)
	assert.Nil(t, stepFor(res, last), "the root chain's drop is never evaluated")

	// A reply is ACCEPTed in arp-b: final for the layer, the drop is not reached.
	res = simulate(t, g, "dir=out eth=arp src=10.0.0.5 dst=10.0.0.1 arpop=reply")
	assert.Equal(t, Accept, res.Verdict)
	assert.Same(t, cont.Entries[1].Rule, decider(res).Rule)

	// A spoofed sender IP is dropped inside arp-a.
	res = simulate(t, g, "dir=out eth=arp src=10.9.9.9 dst=10.0.0.1")
	assert.Equal(t, Drop, res.Verdict)
	assert.Same(t, ret.Entries[1].Rule, decider(res).Rule)
	assert.Equal(t, "arp-srcip", res.Trace[1].Mismatch)

	// Both sub-chains hold only out rules, so the O side has neither chain
	// nor jump: ARP to the VM goes straight on to the root chain's drop.
	res = simulate(t, g, "dir=in eth=arp src=10.0.0.1 dst=10.0.0.5")
	assert.Equal(t, Drop, res.Verdict)
	assert.Same(t, last, decider(res).Rule)
	for _, st := range res.Trace[:2] {
		assert.Equal(t, StepJump, st.Kind)
		assert.Equal(t, MismatchAbsent, st.Mismatch)
		assert.Equal(t, OutcomeNext, st.Outcome)
	}
	assert.Contains(t, res.String(), "libvirt-O-vnet0: not installed: jump arp-a")
	assert.Contains(t, res.String(), "creates no O-vnet0-arp-a chain")
}

// TestSubChainFallOff: a frame that reaches the end of a sub-chain is
// accepted there, even when the root chain drops it later; a sub-chain
// without rules for the frame's side is not jumped to at all.
func TestSubChainFallOff(t *testing.T) {
	var s ruleSeq
	ipv4 := subChain("ipv4", ir.ChainIPv4, s.rule(ir.ProtoIP, ir.DirOut, ir.ActionDrop, prefixMatch(ir.FieldDstIP, "192.0.2.250")))
	inOnly := subChain("ipv6", ir.ChainIPv6, s.rule(ir.ProtoIPv6, ir.DirIn, ir.ActionDrop, prefixMatch(ir.FieldSrcIP, "2001:db8::bad")))
	drop := s.rule(ir.ProtoNone, ir.DirInOut, ir.ActionDrop)
	g := ethGraph(jump(ipv4), jump(inOnly), entry(drop))

	tests := []struct {
		spec string
		want Verdict
		last string // the last trace line of the Ethernet layer
	}{
		{"dir=out src=10.0.0.5 dst=192.0.2.1 proto=udp", Accept, "  I-vnet0-ipv4: end of chain: accept"},
		{"dir=out src=10.0.0.5 dst=192.0.2.250 proto=udp", Drop, "  I-vnet0-ipv4: drop"},
		{"dir=in src=192.0.2.1 dst=10.0.0.5 proto=udp", Drop, "libvirt-O-vnet0: drop"},
		{"dir=in src=2001:db8::1 dst=2001:db8::5 proto=udp", Accept, "  O-vnet0-ipv6: end of chain: accept"},
		{"dir=out src=2001:db8::5 dst=2001:db8::1 proto=udp", Drop, "libvirt-I-vnet0: drop"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			res := simulate(t, g, tt.spec)
			assert.Equal(t, tt.want, res.Verdict, res.String())
			lines := strings.Split(res.String(), "\n")
			eth := ""
			for _, l := range lines {
				if strings.HasPrefix(strings.TrimSpace(l), "libvirt-") || strings.HasPrefix(l, "  ") {
					eth = l
				}
			}
			assert.True(t, strings.HasPrefix(eth, tt.last), "last Ethernet-layer line %q, want prefix %q", eth, tt.last)
		})
	}
}

func TestJumpGuards(t *testing.T) {
	var s ruleSeq
	chains := map[ir.ChainKind]*ir.Chain{}
	var entries []ir.Entry
	for _, k := range []ir.ChainKind{ir.ChainMAC, ir.ChainVLAN, ir.ChainSTP, ir.ChainARP, ir.ChainRARP, ir.ChainIPv4, ir.ChainIPv6} {
		chains[k] = subChain(k.String(), k, s.rule(ir.ProtoNone, ir.DirInOut, ir.ActionReturn))
		entries = append(entries, jump(chains[k]))
	}
	g := ethGraph(entries...)
	tests := []struct {
		spec    string
		entered []ir.ChainKind
	}{
		{"dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp", []ir.ChainKind{ir.ChainMAC, ir.ChainIPv4}},
		{"dir=in src=fe80::1 dst=fe80::2 proto=udp", []ir.ChainKind{ir.ChainMAC, ir.ChainIPv6}},
		{"dir=out eth=arp src=10.0.0.5 dst=10.0.0.1", []ir.ChainKind{ir.ChainMAC, ir.ChainARP}},
		{"dir=out eth=rarp src=0.0.0.0 dst=0.0.0.0", []ir.ChainKind{ir.ChainMAC, ir.ChainRARP}},
		{"dir=out vlan=7 src=10.0.0.5 dst=10.0.0.1 proto=udp", []ir.ChainKind{ir.ChainMAC, ir.ChainVLAN}},
		{"dir=in eth=stp", []ir.ChainKind{ir.ChainMAC, ir.ChainSTP}},
		{"dir=out eth=0x835", []ir.ChainKind{ir.ChainMAC}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			res := simulate(t, g, tt.spec)
			assert.Equal(t, Accept, res.Verdict)
			var entered []ir.ChainKind
			for _, st := range res.Trace {
				if st.Kind == StepJump && st.Matched {
					entered = append(entered, st.Jump.Kind)
				}
				if st.Kind == StepJump && !st.Matched {
					assert.Equal(t, "guard", st.Mismatch)
				}
			}
			assert.Equal(t, tt.entered, entered)
		})
	}
}

func TestDirectionsAndInOutSwap(t *testing.T) {
	var s ruleSeq
	fromPeer := s.rule(ir.ProtoMAC, ir.DirInOut, ir.ActionDrop, macMatch(ir.FieldSrcMAC, peerMAC))
	outOnly := s.rule(ir.ProtoMAC, ir.DirOut, ir.ActionDrop, macMatch(ir.FieldDstMAC, FarMAC))
	g := ethGraph(entry(fromPeer), entry(outOnly))

	// To the VM (O chain): the inout rule as written, source = peer.
	res := simulate(t, g, "dir=in eth=0x88b5 smac=52:54:00:aa:bb:cc")
	assert.Equal(t, Drop, res.Verdict)
	assert.False(t, res.Trace[0].Swapped)
	// The out-only rule is not in the O chain at all.
	res = simulate(t, g, "dir=in eth=0x88b5 dmac=02:00:00:00:00:01")
	assert.Equal(t, Accept, res.Verdict)
	require.Len(t, res.Trace, 3) // rule, end of chain, no IP layer
	assert.Same(t, fromPeer, res.Trace[0].Rule)

	// From the VM (I chain): the inout copy is swapped, so it matches frames
	// whose destination is the peer.
	res = simulate(t, g, "dir=out eth=0x88b5 dmac=52:54:00:aa:bb:cc")
	assert.Equal(t, Drop, res.Verdict)
	assert.True(t, res.Trace[0].Swapped)
	assert.Same(t, fromPeer, decider(res).Rule)
	res = simulate(t, g, "dir=out eth=0x88b5 smac=52:54:00:aa:bb:cc dmac=52:54:00:00:00:09")
	assert.Equal(t, Accept, res.Verdict)
	assert.Equal(t, "srcmac", res.Trace[0].Mismatch)
}

func TestInOutSwapsARPAndIPFields(t *testing.T) {
	var s ruleSeq
	arp := s.rule(ir.ProtoARP, ir.DirInOut, ir.ActionDrop,
		prefixMatch(ir.FieldARPSrcIP, "10.0.0.1"), macMatch(ir.FieldARPSrcMAC, peerMAC))
	ip := s.rule(ir.ProtoIP, ir.DirInOut, ir.ActionDrop,
		prefixMatch(ir.FieldSrcIP, "10.0.0.0/24"), numMatch(ir.FieldIPProto, 17), numMatch(ir.FieldSrcPort, 53))
	g := ethGraph(entry(arp), entry(ip))

	assert.Equal(t, Drop, simulate(t, g, "dir=in eth=arp src=10.0.0.1 dst=10.0.0.5 arpsmac=52:54:00:aa:bb:cc").Verdict)
	assert.Equal(t, Drop, simulate(t, g, "dir=out eth=arp src=10.0.0.5 dst=10.0.0.1 arpdmac=52:54:00:aa:bb:cc").Verdict)
	assert.Equal(t, Accept, simulate(t, g, "dir=out eth=arp src=10.0.0.1 dst=10.0.0.5 arpsmac=52:54:00:aa:bb:cc").Verdict)

	assert.Equal(t, Drop, simulate(t, g, "dir=in src=10.0.0.1 dst=10.0.1.5 proto=udp sport=53 dport=4000").Verdict)
	assert.Equal(t, Drop, simulate(t, g, "dir=out src=10.0.1.5 dst=10.0.0.1 proto=udp sport=4000 dport=53").Verdict)
	res := simulate(t, g, "dir=out src=10.0.0.1 dst=10.0.1.5 proto=udp sport=53 dport=4000")
	assert.Equal(t, Accept, res.Verdict)
	assert.Equal(t, "srcip", res.Trace[1].Mismatch)
}

func TestVLANFramesBypassIPRules(t *testing.T) {
	var s ruleSeq
	ipDrop := s.rule(ir.ProtoIP, ir.DirOut, ir.ActionDrop)
	ipv4 := subChain("ipv4", ir.ChainIPv4, s.rule(ir.ProtoNone, ir.DirOut, ir.ActionDrop))
	vlanOK := s.rule(ir.ProtoVLAN, ir.DirOut, ir.ActionAccept, numMatch(ir.FieldVLANID, 7), numMatch(ir.FieldVLANEncap, 0x0800))
	g := ethGraph(entry(ipDrop), jump(ipv4), entry(vlanOK))
	g.IP = []*ir.Rule{s.rule(ir.ProtoAll, ir.DirOut, ir.ActionDrop)}

	res := simulate(t, g, "dir=out vlan=7 src=10.0.0.5 dst=10.0.0.1 proto=udp")
	assert.Equal(t, Accept, res.Verdict)
	assert.Equal(t, "protocol", res.Trace[0].Mismatch)
	assert.Equal(t, "guard", res.Trace[1].Mismatch)
	assert.Same(t, vlanOK, decider(res).Rule)
	assert.Contains(t, res.String(), "VLAN-tagged frames are not passed to iptables")

	res = simulate(t, g, "dir=out vlan=8 src=10.0.0.5 dst=10.0.0.1 proto=udp")
	assert.Equal(t, "vlanid", res.Trace[2].Mismatch)

	// Untagged, the same packet is dropped by the ip rule.
	assert.Equal(t, Drop, simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp").Verdict)
}

func TestMACProtocolID(t *testing.T) {
	var s ruleSeq
	g := ethGraph(
		entry(s.rule(ir.ProtoMAC, ir.DirOut, ir.ActionAccept, numMatch(ir.FieldEtherType, 0x0835))),
		entry(s.rule(ir.ProtoMAC, ir.DirOut, ir.ActionAccept, not(numMatch(ir.FieldEtherType, 0x8100)))),
		entry(s.rule(ir.ProtoNone, ir.DirOut, ir.ActionDrop)),
	)
	assert.Equal(t, Accept, simulate(t, g, "dir=out eth=0x835").Verdict)
	assert.Equal(t, Accept, simulate(t, g, "dir=out eth=arp src=10.0.0.5 dst=10.0.0.1").Verdict)
	res := simulate(t, g, "dir=out eth=vlan vlan=3")
	assert.Equal(t, Drop, res.Verdict)
	assert.Equal(t, "ethertype", res.Trace[1].Mismatch)
}

func TestMACMask(t *testing.T) {
	var s ruleSeq
	m := macMatch(ir.FieldDstMAC, ir.MAC{0x01})
	m.MACMask, m.HasMACMask = ir.MAC{0x01}, true
	g := ethGraph(entry(s.rule(ir.ProtoMAC, ir.DirOut, ir.ActionDrop, m)))
	assert.Equal(t, Drop, simulate(t, g, "dir=out eth=0x88b5 dmac=33:33:00:00:00:01").Verdict)
	assert.Equal(t, Accept, simulate(t, g, "dir=out eth=0x88b5 dmac=52:54:00:00:00:01").Verdict)
}

func TestARPMatches(t *testing.T) {
	var s ruleSeq
	grat := ir.Match{Field: ir.FieldARPGratuitous, Bool: true}
	g := ethGraph(
		entry(s.rule(ir.ProtoARP, ir.DirOut, ir.ActionDrop, grat)),
		entry(s.rule(ir.ProtoARP, ir.DirOut, ir.ActionDrop, numMatch(ir.FieldARPHType, 6))),
		entry(s.rule(ir.ProtoARP, ir.DirOut, ir.ActionAccept, macMatch(ir.FieldARPSrcMAC, vmMAC))),
		entry(s.rule(ir.ProtoARP, ir.DirOut, ir.ActionDrop)),
	)
	assert.Equal(t, Drop, simulate(t, g, "dir=out eth=arp src=10.0.0.5 dst=10.0.0.5").Verdict, "gratuitous")
	assert.Equal(t, Accept, simulate(t, g, "dir=out eth=arp src=10.0.0.5 dst=10.0.0.1").Verdict)
	assert.Equal(t, Drop, simulate(t, g, "dir=out eth=arp src=10.0.0.5 dst=10.0.0.1 arpsmac=52:54:00:aa:bb:cc").Verdict)

	// A non-Ethernet ARP header fails hardware-address matches, negated or not.
	res := simulate(t, g, "dir=out eth=arp src=10.0.0.5 dst=10.0.0.1 arphtype=7")
	assert.Equal(t, Drop, res.Verdict)
	assert.Equal(t, "arp-srcmac", res.Trace[2].Mismatch)
	assert.Contains(t, res.Trace[2].Notes[0], "hardware type 1")
}

func TestSTP(t *testing.T) {
	var s ruleSeq
	root := macMatch(ir.FieldSTPRootAddr, peerMAC)
	stp := subChain("stp", ir.ChainSTP,
		s.rule(ir.ProtoSTP, ir.DirIn, ir.ActionDrop, numMatch(ir.FieldSTPType, 0), not(root)),
		s.rule(ir.ProtoSTP, ir.DirIn, ir.ActionDrop, rangeMatch(ir.FieldSTPRootPriority, 0, 4095)),
	)
	g := ethGraph(jump(stp))
	assert.Equal(t, Accept, simulate(t, g, "dir=in eth=stp stp-root-addr=52:54:00:aa:bb:cc stp-root-priority=32768").Verdict)
	assert.Equal(t, Drop, simulate(t, g, "dir=in eth=stp stp-root-addr=52:54:00:aa:bb:cd").Verdict)
	// A topology-change BPDU (type 0x80) has no configuration fields: the
	// first rule fails on its type, the second matches because its
	// root-priority is not tested at all.
	res := simulate(t, g, "dir=in eth=stp stp-type=0x80")
	assert.Equal(t, Drop, res.Verdict)
	assert.Contains(t, res.String(), "not a configuration BPDU")
	// A frame to the STP address that is not 802.3 enters the chain (the
	// guard is the destination only) but is no BPDU.
	res = simulate(t, g, "dir=in eth=0x88b5 dmac=01:80:c2:00:00:00")
	assert.Equal(t, Accept, res.Verdict)
	assert.Equal(t, "protocol", res.Trace[1].Mismatch)
}
