package sim

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// sshInGraph mirrors <rule action='accept' direction='in'><tcp
// dstportstart='22'/></rule> plus a final drop of everything.
func sshInGraph(statematch bool) *ir.Graph {
	var s ruleSeq
	ssh := s.rule(ir.ProtoTCP, ir.DirIn, ir.ActionAccept, numMatch(ir.FieldDstPort, 22))
	ssh.StateMatch = statematch
	return ipGraph(ssh, s.rule(ir.ProtoAll, ir.DirInOut, ir.ActionDrop))
}

func TestStatematchDirectionality(t *testing.T) {
	g := sshInGraph(true)
	type expect struct {
		verdict  Verdict
		mismatch string // of the ssh rule's step
	}
	tests := []struct {
		name, spec string
		want       expect
		withCtDir  *expect // with ConntrackDirection, when it differs
	}{
		{"peer opens ssh to the VM", "dir=in src=10.0.0.1 dst=10.0.0.5 proto=tcp sport=40000 dport=22", expect{Accept, ""}, nil},
		{"VM replies on it", "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=22 dport=40000 state=established", expect{Accept, ""}, nil},
		{"VM opens ssh elsewhere", "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=40000 dport=22", expect{Drop, "dstport"}, nil},
		{"VM opens from port 22", "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=22 dport=40000", expect{Drop, "state"}, nil},
		{"established but original direction", "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=22 dport=40000 state=established ctdir=original",
			expect{Accept, ""}, &expect{Drop, "ctdir"}},
		{"invalid packet", "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=22 dport=40000 state=invalid", expect{Drop, "state"}, nil},
		{"udp to 22", "dir=in src=10.0.0.1 dst=10.0.0.5 proto=udp dport=22", expect{Drop, "protocol"}, nil},
	}
	for _, tt := range tests {
		for _, ctdir := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/ctdir=%t", tt.name, ctdir), func(t *testing.T) {
				want := tt.want
				if ctdir && tt.withCtDir != nil {
					want = *tt.withCtDir
				}
				res := simulateWith(t, g, tt.spec, Options{ConntrackDirection: ctdir})
				assert.Equal(t, want.verdict, res.Verdict, res.String())
				ssh := stepFor(res, g.IP[0])
				require.NotNil(t, ssh)
				assert.Equal(t, want.mismatch, ssh.Mismatch)
			})
		}
	}

	// Without statematch the VM may send from port 22 at will.
	res := simulate(t, sshInGraph(false), "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=22 dport=40000")
	assert.Equal(t, Accept, res.Verdict)
}

// TestConntrackDirection: a rule letting the VM open TCP connections to port
// 22 also passes the VM's replies on a connection a peer opened from its port
// 22, unless the rule carries libvirt's older ctdir match.
func TestConntrackDirection(t *testing.T) {
	var s ruleSeq
	sshOut := s.rule(ir.ProtoTCP, ir.DirOut, ir.ActionAccept, numMatch(ir.FieldDstPort, 22))
	g := ipGraph(sshOut, s.rule(ir.ProtoAll, ir.DirInOut, ir.ActionDrop))
	const reply = "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=40000 dport=22 state=established ctdir=reply"

	res := simulate(t, g, reply)
	assert.Equal(t, Accept, res.Verdict, res.String())
	assert.Same(t, sshOut, decider(res).Rule)
	assert.Contains(t, res.String(), "{state NEW,ESTABLISHED, -j RETURN}")

	res = simulateWith(t, g, reply, Options{ConntrackDirection: true})
	assert.Equal(t, Drop, res.Verdict, res.String())
	assert.Equal(t, MismatchCtDir, stepFor(res, sshOut).Mismatch)
	assert.Contains(t, res.String(), "{state NEW,ESTABLISHED, ctdir original, -j RETURN}")

	// The VM opening the connection passes either way.
	const open = "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=40000 dport=22"
	for _, ctdir := range []bool{false, true} {
		assert.Equal(t, Accept, simulateWith(t, g, open, Options{ConntrackDirection: ctdir}).Verdict, "ctdir %t", ctdir)
	}
}

func TestIPChainsAndTargets(t *testing.T) {
	var s ruleSeq
	rej := s.rule(ir.ProtoUDP, ir.DirOut, ir.ActionReject, numMatch(ir.FieldDstPort, 53))
	ret := s.rule(ir.ProtoUDP, ir.DirIn, ir.ActionReturn, numMatch(ir.FieldDstPort, 67))
	cont := s.rule(ir.ProtoUDP, ir.DirInOut, ir.ActionContinue)
	acc := s.rule(ir.ProtoUDP, ir.DirOut, ir.ActionAccept, numMatch(ir.FieldDstPort, 123))
	drop := s.rule(ir.ProtoAll, ir.DirInOut, ir.ActionDrop)
	g := ipGraph(rej, ret, cont, acc, drop)

	res := simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp dport=53")
	assert.Equal(t, Reject, res.Verdict)
	assert.Equal(t, "FI-vnet0", decider(res).Chain)

	res = simulate(t, g, "dir=out tohost=1 src=10.0.0.5 dst=10.0.0.1 proto=udp dport=53")
	assert.Equal(t, Reject, res.Verdict)
	assert.Equal(t, "HI-vnet0", decider(res).Chain)

	res = simulate(t, g, "dir=in src=10.0.0.1 dst=10.0.0.5 proto=udp dport=67")
	assert.Equal(t, Accept, res.Verdict)
	assert.Equal(t, "FO-vnet0", decider(res).Chain)
	assert.Equal(t, OutcomeReturn, decider(res).Outcome)
	assert.Contains(t, res.String(), "back in FORWARD")

	// continue matches, has no target, and evaluation goes on.
	res = simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp dport=123")
	assert.Equal(t, Accept, res.Verdict)
	assert.Same(t, acc, decider(res).Rule)
	assert.Equal(t, OutcomeReturn, decider(res).Outcome) // accept in FI is RETURN
	var contStep *Step
	for i := range res.Trace {
		if res.Trace[i].Rule == cont {
			contStep = &res.Trace[i]
		}
	}
	require.NotNil(t, contStep)
	assert.Equal(t, OutcomeContinue, contStep.Outcome)
	assert.Contains(t, contStep.Notes, "continue has no iptables target: evaluation goes on")

	res = simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp dport=124")
	assert.Equal(t, Drop, res.Verdict)
}

func TestIPFamiliesAndDefaultAccept(t *testing.T) {
	var s ruleSeq
	g := ipGraph(s.rule(ir.ProtoAllv6, ir.DirInOut, ir.ActionDrop))
	res := simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp")
	assert.Equal(t, Accept, res.Verdict)
	last := res.Trace[len(res.Trace)-1]
	assert.Equal(t, StepEnd, last.Kind)
	assert.Equal(t, ir.LayerIPv4, last.Layer)
	assert.Equal(t, Drop, simulate(t, g, "dir=out src=fe80::1 dst=fe80::2 proto=udp").Verdict)
	// ARP frames never reach the IP layer.
	assert.Equal(t, Accept, simulate(t, g, "dir=out eth=arp src=10.0.0.5 dst=10.0.0.1").Verdict)
}

func TestEthernetDropStopsBeforeIPLayer(t *testing.T) {
	var s ruleSeq
	g := ethGraph(entry(s.rule(ir.ProtoIP, ir.DirOut, ir.ActionDrop, prefixMatch(ir.FieldDstIP, "10.0.0.1"))))
	g.IP = []*ir.Rule{s.rule(ir.ProtoAll, ir.DirOut, ir.ActionAccept)}
	res := simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp")
	assert.Equal(t, Drop, res.Verdict)
	for _, st := range res.Trace {
		assert.Equal(t, ir.LayerEthernet, st.Layer)
	}
}

func TestICMPTypeSkipping(t *testing.T) {
	var s ruleSeq
	ping := s.rule(ir.ProtoICMP, ir.DirIn, ir.ActionAccept, numMatch(ir.FieldICMPType, 8))
	g := ipGraph(ping, s.rule(ir.ProtoAll, ir.DirInOut, ir.ActionDrop))

	assert.Equal(t, Accept, simulate(t, g, "dir=in src=10.0.0.1 dst=10.0.0.5 proto=icmp type=8").Verdict)
	assert.Equal(t, Drop, simulate(t, g, "dir=in src=10.0.0.1 dst=10.0.0.5 proto=icmp type=13").Verdict)
	// The echo reply has no FI instance to match: libvirt leaves ICMP rules
	// with a type out of the reverse chain.
	res := simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=icmp type=0 state=established")
	assert.Equal(t, Drop, res.Verdict)
	assert.Equal(t, "absent", stepFor(res, g.IP[0]).Mismatch)
	assert.Contains(t, res.String(), "not installed")

	code := s.rule(ir.ProtoICMPv6, ir.DirOut, ir.ActionDrop, numMatch(ir.FieldICMPType, 1), numMatch(ir.FieldICMPCode, 4))
	g = ipGraph(code)
	assert.Equal(t, Drop, simulate(t, g, "dir=out src=fe80::5 dst=fe80::1 proto=icmpv6 type=1 code=4").Verdict)
	assert.Equal(t, Accept, simulate(t, g, "dir=out src=fe80::5 dst=fe80::1 proto=icmpv6 type=1 code=3").Verdict)
}

func TestSrcMACOnlyInUnswappedInstances(t *testing.T) {
	var s ruleSeq
	own := s.rule(ir.ProtoTCP, ir.DirOut, ir.ActionAccept, macMatch(ir.FieldSrcMAC, vmMAC))
	g := ipGraph(own, s.rule(ir.ProtoAll, ir.DirInOut, ir.ActionDrop))

	assert.Equal(t, Accept, simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp dport=80").Verdict)
	res := simulate(t, g, "dir=out smac=52:54:00:aa:bb:cc src=10.0.0.5 dst=10.0.0.1 proto=tcp dport=80")
	assert.Equal(t, Drop, res.Verdict)
	assert.Equal(t, "srcmac", stepFor(res, g.IP[0]).Mismatch)
	// The reply has no FO instance: the rule's only match was srcmacaddr.
	res = simulate(t, g, "dir=in src=10.0.0.1 dst=10.0.0.5 proto=tcp sport=80 state=established")
	assert.Equal(t, Drop, res.Verdict)
	assert.Equal(t, "absent", stepFor(res, g.IP[0]).Mismatch)

	// With another match the swapped instance exists, without the MAC test.
	withPort := s.rule(ir.ProtoTCP, ir.DirOut, ir.ActionAccept, macMatch(ir.FieldSrcMAC, vmMAC), numMatch(ir.FieldDstPort, 80))
	g = ipGraph(withPort, s.rule(ir.ProtoAll, ir.DirInOut, ir.ActionDrop))
	res = simulate(t, g, "dir=in src=10.0.0.1 dst=10.0.0.5 proto=tcp sport=80 state=established")
	assert.Equal(t, Accept, res.Verdict)
	assert.Contains(t, stepFor(res, g.IP[0]).Notes, "srcmacaddr is not matched in a swapped instance")
}

func TestExplicitState(t *testing.T) {
	var s ruleSeq
	r := s.rule(ir.ProtoUDP, ir.DirOut, ir.ActionAccept)
	r.State = ir.StateNew
	g := ipGraph(r, s.rule(ir.ProtoAll, ir.DirInOut, ir.ActionDrop))
	assert.Equal(t, Accept, simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp").Verdict)
	assert.Equal(t, Drop, simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp state=established").Verdict)
	// No FO instance for an out rule with state=.
	res := simulate(t, g, "dir=in src=10.0.0.1 dst=10.0.0.5 proto=udp")
	assert.Equal(t, Drop, res.Verdict)
	assert.Equal(t, "absent", stepFor(res, g.IP[0]).Mismatch)
}

func TestConnlimit(t *testing.T) {
	var s ruleSeq
	r := s.rule(ir.ProtoTCP, ir.DirOut, ir.ActionDrop)
	r.ConnlimitAbove = 2
	g := ipGraph(r)
	res := simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp")
	assert.Equal(t, Accept, res.Verdict)
	assert.Equal(t, "connlimit", stepFor(res, g.IP[0]).Mismatch)
	assert.Contains(t, res.String(), "depends on live connection counts; assumed at most 2")
	res = simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp conncount=3")
	assert.Equal(t, Drop, res.Verdict)
	assert.Contains(t, res.String(), "the packet says 3")
	assert.Equal(t, Accept, simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp conncount=2").Verdict)

	res = simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp")
	assert.Equal(t, MismatchProtocol, stepFor(res, r).Mismatch)
	assert.Contains(t, res.String(), "depends on live connection counts")

	r.ConnlimitNegate = true
	assert.Equal(t, Drop, simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp").Verdict)
}

func TestIPSet(t *testing.T) {
	var s ruleSeq
	set := ir.Match{Field: ir.FieldIPSet, IPSet: ir.IPSetRef{Name: "blocked", Dirs: []ir.SetDir{ir.SetDst}}}
	g := ipGraph(s.rule(ir.ProtoAll, ir.DirOut, ir.ActionDrop, set))

	res := simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp")
	assert.Equal(t, Accept, res.Verdict)
	assert.Contains(t, res.String(), `ipset "blocked": destination 10.0.0.1 is not a member (set contents not given: assumed empty)`)
	assert.Equal(t, Drop, simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp ipset=blocked").Verdict)

	p, err := ParsePacket("dir=out src=10.0.0.5 dst=192.0.2.7 proto=udp", binding)
	require.NoError(t, err)
	p.SetMembers = map[string][]netip.Prefix{"blocked": {netip.MustParsePrefix("192.0.2.0/24")}}
	res, err = Simulate(g, p)
	require.NoError(t, err)
	assert.Equal(t, Drop, res.Verdict)

	// In the swapped FO instance of the same out rule, dst becomes src.
	res = simulate(t, ipGraph(s.rule(ir.ProtoAll, ir.DirOut, ir.ActionDrop, set)), "dir=in src=10.0.0.1 dst=10.0.0.5 proto=udp ipset=blocked")
	assert.Contains(t, res.String(), `ipset "blocked": source 10.0.0.1 is a member`)
}

func TestIPMatches(t *testing.T) {
	var s ruleSeq
	rng := ir.Match{Field: ir.FieldDstIPRange, From: netip.MustParseAddr("10.0.0.10"), To: netip.MustParseAddr("10.0.0.20")}
	flags := ir.Match{Field: ir.FieldTCPFlags, TCPFlags: ir.TCPFlags{Mask: ir.TCPSyn | ir.TCPAck, Set: ir.TCPSyn}}
	g := ipGraph(
		s.rule(ir.ProtoTCP, ir.DirOut, ir.ActionDrop, rng, flags, numMatch(ir.FieldDSCP, 46)),
		s.rule(ir.ProtoTCP, ir.DirOut, ir.ActionReject, numMatch(ir.FieldTCPOption, 8), not(rangeMatch(ir.FieldSrcPort, 1024, 65535))),
	)
	const base = "dir=out src=10.0.0.5 proto=tcp "
	assert.Equal(t, Drop, simulate(t, g, base+"dst=10.0.0.15 dscp=46").Verdict)
	assert.Equal(t, Accept, simulate(t, g, base+"dst=10.0.0.15 dscp=46 flags=SYN,ACK").Verdict)
	assert.Equal(t, Accept, simulate(t, g, base+"dst=10.0.0.21 dscp=46").Verdict)
	assert.Equal(t, Accept, simulate(t, g, base+"dst=10.0.0.15 dscp=0").Verdict)
	assert.Equal(t, Reject, simulate(t, g, base+"dst=10.0.0.1 sport=80 tcpopt=2,8").Verdict)
	assert.Equal(t, Accept, simulate(t, g, base+"dst=10.0.0.1 sport=8080 tcpopt=2,8").Verdict)
}

func TestSimulateRejectsBadInput(t *testing.T) {
	var s ruleSeq
	good := Packet{Dir: ir.DirOut, State: ir.StateNew, EtherType: EtherARP}
	_, err := Simulate(nil, good)
	assert.ErrorIs(t, err, ErrInvalidGraph)

	for _, p := range []Packet{
		{Dir: ir.DirInOut, State: ir.StateNew},
		{Dir: ir.DirIn, ToHost: true, State: ir.StateNew},
		{Dir: ir.DirOut},
		{Dir: ir.DirOut, State: ir.StateNew | ir.StateEstablished},
	} {
		_, err := Simulate(&ir.Graph{}, p)
		assert.ErrorIs(t, err, ErrInvalidPacket)
	}

	sub := subChain("arp", ir.ChainARP, s.rule(ir.ProtoARP, ir.DirOut, ir.ActionDrop))
	sub.Entries = append(sub.Entries, jump(sub))
	for _, g := range []*ir.Graph{
		ethGraph(ir.Entry{}),
		ethGraph(jump(sub)),
		ethGraph(entry(s.rule(ir.ProtoTCP, ir.DirOut, ir.ActionDrop))),
		ethGraph(jump(&ir.Chain{Name: "root"})),
		ethGraph(jump(&ir.Chain{Name: "unlisted", Kind: ir.ChainMAC, Entries: []ir.Entry{{}}})),
		{Ethernet: []*ir.Chain{nil}},
		ipGraph(s.rule(ir.ProtoARP, ir.DirOut, ir.ActionDrop)),
		ipGraph(nil),
	} {
		_, err := Simulate(g, good)
		assert.ErrorIs(t, err, ErrInvalidGraph)
	}
}
