package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// TestPlacement checks the instances of one rule in FI, FO and HI against
// libvirt's ebiptables driver (reference §b.3). The table gives them with
// ConntrackDirection; without it, the instances are the same minus ctdir.
func TestPlacement(t *testing.T) {
	const (
		newEst = ir.StateNew | ir.StateEstablished
		est    = ir.StateEstablished
	)
	dport22 := numMatch(ir.FieldDstPort, 22)
	icmpType := numMatch(ir.FieldICMPType, 8)
	srcMAC := macMatch(ir.FieldSrcMAC, vmMAC)
	absent := Install{}

	type want [3]Install // FI, FO, HI; the zero Install means no instance
	tests := []struct {
		name string
		rule ir.Rule
		want want
	}{
		{"accept out", ir.Rule{Protocol: ir.ProtoTCP, Direction: ir.DirOut, Action: ir.ActionAccept, StateMatch: true, Matches: []ir.Match{dport22}}, want{
			{Chain: ChainFI, State: newEst, HasCtDir: true, CtDir: CtOriginal, Target: "RETURN"},
			{Chain: ChainFO, Swapped: true, State: est, HasCtDir: true, CtDir: CtReply, Target: "ACCEPT"},
			{Chain: ChainHI, State: newEst, HasCtDir: true, CtDir: CtOriginal, Target: "RETURN"},
		}},
		{"accept in", ir.Rule{Protocol: ir.ProtoTCP, Direction: ir.DirIn, Action: ir.ActionAccept, StateMatch: true, Matches: []ir.Match{dport22}}, want{
			{Chain: ChainFI, Swapped: true, State: est, HasCtDir: true, CtDir: CtReply, Target: "RETURN"},
			{Chain: ChainFO, State: newEst, HasCtDir: true, CtDir: CtOriginal, Target: "ACCEPT"},
			{Chain: ChainHI, Swapped: true, State: est, HasCtDir: true, CtDir: CtReply, Target: "RETURN"},
		}},
		{"accept inout: no state", ir.Rule{Protocol: ir.ProtoTCP, Direction: ir.DirInOut, Action: ir.ActionAccept, StateMatch: true}, want{
			{Chain: ChainFI, Swapped: true, Target: "RETURN"},
			{Chain: ChainFO, Target: "ACCEPT"},
			{Chain: ChainHI, Swapped: true, Target: "RETURN"},
		}},
		{"accept out statematch=false", ir.Rule{Protocol: ir.ProtoUDP, Direction: ir.DirOut, Action: ir.ActionAccept}, want{
			{Chain: ChainFI, Target: "RETURN"},
			{Chain: ChainFO, Swapped: true, Target: "ACCEPT"},
			{Chain: ChainHI, Target: "RETURN"},
		}},
		{"statematch=false ignores state=", ir.Rule{Protocol: ir.ProtoUDP, Direction: ir.DirIn, Action: ir.ActionAccept, State: ir.StateNew}, want{
			{Chain: ChainFI, Swapped: true, Target: "RETURN"},
			{Chain: ChainFO, Target: "ACCEPT"},
			{Chain: ChainHI, Swapped: true, Target: "RETURN"},
		}},
		{"drop out: no state", ir.Rule{Protocol: ir.ProtoAll, Direction: ir.DirOut, Action: ir.ActionDrop, StateMatch: true}, want{
			{Chain: ChainFI, Target: "DROP"},
			{Chain: ChainFO, Swapped: true, Target: "DROP"},
			{Chain: ChainHI, Target: "DROP"},
		}},
		{"reject, return, continue targets", ir.Rule{Protocol: ir.ProtoAll, Direction: ir.DirIn, Action: ir.ActionContinue, StateMatch: true}, want{
			{Chain: ChainFI, Swapped: true},
			{Chain: ChainFO},
			{Chain: ChainHI, Swapped: true},
		}},
		{"explicit state out", ir.Rule{Protocol: ir.ProtoTCP, Direction: ir.DirOut, Action: ir.ActionAccept, StateMatch: true, State: ir.StateNew | ir.StateRelated}, want{
			{Chain: ChainFI, State: ir.StateNew | ir.StateRelated, Target: "RETURN"},
			absent,
			{Chain: ChainHI, State: ir.StateNew | ir.StateRelated, Target: "RETURN"},
		}},
		{"explicit state in, negated", ir.Rule{Protocol: ir.ProtoTCP, Direction: ir.DirIn, Action: ir.ActionAccept, StateMatch: true, State: ir.StateInvalid, StateNegate: true}, want{
			absent,
			{Chain: ChainFO, State: ir.StateInvalid, StateNegate: true, Target: "ACCEPT"},
			absent,
		}},
		{"explicit state inout, drop keeps state", ir.Rule{Protocol: ir.ProtoTCP, Direction: ir.DirInOut, Action: ir.ActionDrop, StateMatch: true, State: ir.StateInvalid}, want{
			{Chain: ChainFI, Swapped: true, State: ir.StateInvalid, Target: "DROP"},
			{Chain: ChainFO, State: ir.StateInvalid, Target: "DROP"},
			{Chain: ChainHI, Swapped: true, State: ir.StateInvalid, Target: "DROP"},
		}},
		{"explicit NONE: placement only", ir.Rule{Protocol: ir.ProtoTCP, Direction: ir.DirOut, Action: ir.ActionAccept, StateMatch: true, State: ir.StateNone}, want{
			{Chain: ChainFI, Target: "RETURN"},
			absent,
			{Chain: ChainHI, Target: "RETURN"},
		}},
		{"icmp type out", ir.Rule{Protocol: ir.ProtoICMP, Direction: ir.DirOut, Action: ir.ActionAccept, StateMatch: true, Matches: []ir.Match{icmpType}}, want{
			{Chain: ChainFI, State: newEst, Target: "RETURN"},
			absent,
			{Chain: ChainHI, State: newEst, Target: "RETURN"},
		}},
		{"icmp type in", ir.Rule{Protocol: ir.ProtoICMP, Direction: ir.DirIn, Action: ir.ActionAccept, StateMatch: true, Matches: []ir.Match{icmpType}}, want{
			absent,
			{Chain: ChainFO, State: newEst, Target: "ACCEPT"},
			absent,
		}},
		{"icmpv6 type inout: nowhere", ir.Rule{Protocol: ir.ProtoICMPv6, Direction: ir.DirInOut, Action: ir.ActionAccept, StateMatch: true, Matches: []ir.Match{icmpType}}, want{
			absent, absent, absent,
		}},
		{"icmp without type keeps ctdir", ir.Rule{Protocol: ir.ProtoICMP, Direction: ir.DirIn, Action: ir.ActionAccept, StateMatch: true}, want{
			{Chain: ChainFI, Swapped: true, State: est, HasCtDir: true, CtDir: CtReply, Target: "RETURN"},
			{Chain: ChainFO, State: newEst, HasCtDir: true, CtDir: CtOriginal, Target: "ACCEPT"},
			{Chain: ChainHI, Swapped: true, State: est, HasCtDir: true, CtDir: CtReply, Target: "RETURN"},
		}},
		{"srcmacaddr only", ir.Rule{Protocol: ir.ProtoAll, Direction: ir.DirOut, Action: ir.ActionDrop, StateMatch: true, Matches: []ir.Match{srcMAC}}, want{
			{Chain: ChainFI, SrcMAC: true, Target: "DROP"},
			absent,
			{Chain: ChainHI, SrcMAC: true, Target: "DROP"},
		}},
		{"srcmacaddr with a port", ir.Rule{Protocol: ir.ProtoTCP, Direction: ir.DirIn, Action: ir.ActionDrop, StateMatch: true, Matches: []ir.Match{srcMAC, dport22}}, want{
			{Chain: ChainFI, Swapped: true, Target: "DROP"},
			{Chain: ChainFO, SrcMAC: true, Target: "DROP"},
			{Chain: ChainHI, Swapped: true, Target: "DROP"},
		}},
		{"connlimit accept out", ir.Rule{Protocol: ir.ProtoTCP, Direction: ir.DirOut, Action: ir.ActionAccept, StateMatch: true, ConnlimitAbove: 3}, want{
			{Chain: ChainFI, Connlimit: true, Target: "RETURN"},
			absent,
			{Chain: ChainHI, Connlimit: true, Target: "RETURN"},
		}},
		{"connlimit drop with state=", ir.Rule{Protocol: ir.ProtoTCP, Direction: ir.DirOut, Action: ir.ActionDrop, StateMatch: true, State: ir.StateNew, ConnlimitAbove: 3}, want{
			{Chain: ChainFI, Connlimit: true, State: ir.StateNew, Target: "DROP"},
			absent,
			{Chain: ChainHI, Connlimit: true, State: ir.StateNew, Target: "DROP"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, ctdir := range []bool{true, false} {
				for i, c := range []IPChain{ChainFI, ChainFO, ChainHI} {
					got, reason := Placement(&tt.rule, c, Options{ConntrackDirection: ctdir})
					if tt.want[i] == absent {
						assert.NotEmpty(t, reason, "%s: want no instance", c)
						continue
					}
					want := tt.want[i]
					if !ctdir {
						want.HasCtDir, want.CtDir = false, CtOriginal
					}
					assert.Empty(t, reason, "%s", c)
					assert.Equal(t, want, got, "%s, ctdir %t", c, ctdir)
				}
			}
		})
	}
}

func TestPlacementTargets(t *testing.T) {
	for a, want := range map[ir.Action][3]string{
		ir.ActionAccept: {"RETURN", "ACCEPT", "RETURN"}, ir.ActionDrop: {"DROP", "DROP", "DROP"},
		ir.ActionReject: {"REJECT", "REJECT", "REJECT"}, ir.ActionReturn: {"RETURN", "RETURN", "RETURN"},
		ir.ActionContinue: {"", "", ""},
	} {
		r := ir.Rule{Protocol: ir.ProtoAll, Direction: ir.DirInOut, Action: a}
		for i, c := range []IPChain{ChainFI, ChainFO, ChainHI} {
			got, _ := Placement(&r, c, Options{})
			assert.Equal(t, want[i], got.Target, "%s in %s", a, c)
		}
	}
}

func TestInstallString(t *testing.T) {
	in := Install{Swapped: true, State: ir.StateEstablished, HasCtDir: true, CtDir: CtReply, Target: "RETURN"}
	assert.Equal(t, "swapped, state ESTABLISHED, ctdir reply, -j RETURN", in.String())
	assert.Equal(t, "state !INVALID, connlimit, no target", Install{State: ir.StateInvalid, StateNegate: true, Connlimit: true}.String())
}
