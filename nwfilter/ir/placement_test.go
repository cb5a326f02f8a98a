package ir

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestPlacement checks the instances of one rule in FI, FO and HI against
// libvirt's ebiptables driver (reference §b.3). The table gives them with
// ConntrackDirection; without it, the instances are the same minus the conntrack direction.
func TestPlacement(t *testing.T) {
	const (
		newEst = StateNew | StateEstablished
		est    = StateEstablished
	)
	dport22 := Match{Field: FieldDstPort, Lo: 22, Hi: 22}
	icmpType := Match{Field: FieldICMPType, Lo: 8, Hi: 8}
	srcMAC := Match{Field: FieldSrcMAC, MAC: MAC{0x52, 0x54, 0, 0, 0, 1}}
	ipset := Match{Field: FieldIPSet, IPSet: IPSetRef{Name: "peers", Dirs: []SetDir{SetSrc}}}
	absent := Instance{}

	type want [3]Instance // FI, FO, HI; the zero Instance means no instance
	tests := []struct {
		name string
		rule Rule
		want want
	}{
		{"accept out", Rule{Protocol: ProtoTCP, Direction: DirOut, Action: ActionAccept, StateMatch: true, Matches: []Match{dport22}}, want{
			{Chain: IPChainFI, State: newEst, CtDir: ConnDirOriginal, Verdict: VerdictReturn},
			{Chain: IPChainFO, Swapped: true, State: est, CtDir: ConnDirReply, Verdict: VerdictAccept},
			{Chain: IPChainHI, State: newEst, CtDir: ConnDirOriginal, Verdict: VerdictReturn},
		}},
		{"accept in", Rule{Protocol: ProtoTCP, Direction: DirIn, Action: ActionAccept, StateMatch: true, Matches: []Match{dport22}}, want{
			{Chain: IPChainFI, Swapped: true, State: est, CtDir: ConnDirReply, Verdict: VerdictReturn},
			{Chain: IPChainFO, State: newEst, CtDir: ConnDirOriginal, Verdict: VerdictAccept},
			{Chain: IPChainHI, Swapped: true, State: est, CtDir: ConnDirReply, Verdict: VerdictReturn},
		}},
		{"accept inout: no state", Rule{Protocol: ProtoTCP, Direction: DirInOut, Action: ActionAccept, StateMatch: true}, want{
			{Chain: IPChainFI, Swapped: true, Verdict: VerdictReturn},
			{Chain: IPChainFO, Verdict: VerdictAccept},
			{Chain: IPChainHI, Swapped: true, Verdict: VerdictReturn},
		}},
		{"accept out statematch=false", Rule{Protocol: ProtoUDP, Direction: DirOut, Action: ActionAccept}, want{
			{Chain: IPChainFI, Verdict: VerdictReturn},
			{Chain: IPChainFO, Swapped: true, Verdict: VerdictAccept},
			{Chain: IPChainHI, Verdict: VerdictReturn},
		}},
		{"statematch=false ignores state=", Rule{Protocol: ProtoUDP, Direction: DirIn, Action: ActionAccept, State: StateNew}, want{
			{Chain: IPChainFI, Swapped: true, Verdict: VerdictReturn},
			{Chain: IPChainFO, Verdict: VerdictAccept},
			{Chain: IPChainHI, Swapped: true, Verdict: VerdictReturn},
		}},
		{"drop out: no state", Rule{Protocol: ProtoAll, Direction: DirOut, Action: ActionDrop, StateMatch: true}, want{
			{Chain: IPChainFI, Verdict: VerdictDrop},
			{Chain: IPChainFO, Swapped: true, Verdict: VerdictDrop},
			{Chain: IPChainHI, Verdict: VerdictDrop},
		}},
		{"reject, return, continue targets", Rule{Protocol: ProtoAll, Direction: DirIn, Action: ActionContinue, StateMatch: true}, want{
			{Chain: IPChainFI, Swapped: true},
			{Chain: IPChainFO},
			{Chain: IPChainHI, Swapped: true},
		}},
		{"explicit state out", Rule{Protocol: ProtoTCP, Direction: DirOut, Action: ActionAccept, StateMatch: true, State: StateNew | StateRelated}, want{
			{Chain: IPChainFI, State: StateNew | StateRelated, Verdict: VerdictReturn},
			absent,
			{Chain: IPChainHI, State: StateNew | StateRelated, Verdict: VerdictReturn},
		}},
		{"explicit state in, negated", Rule{Protocol: ProtoTCP, Direction: DirIn, Action: ActionAccept, StateMatch: true, State: StateInvalid, StateNegate: true}, want{
			absent,
			{Chain: IPChainFO, State: StateInvalid, StateNegate: true, Verdict: VerdictAccept},
			absent,
		}},
		{"explicit state inout, drop keeps state", Rule{Protocol: ProtoTCP, Direction: DirInOut, Action: ActionDrop, StateMatch: true, State: StateInvalid}, want{
			{Chain: IPChainFI, Swapped: true, State: StateInvalid, Verdict: VerdictDrop},
			{Chain: IPChainFO, State: StateInvalid, Verdict: VerdictDrop},
			{Chain: IPChainHI, Swapped: true, State: StateInvalid, Verdict: VerdictDrop},
		}},
		{"explicit NONE: placement only", Rule{Protocol: ProtoTCP, Direction: DirOut, Action: ActionAccept, StateMatch: true, State: StateNone}, want{
			{Chain: IPChainFI, Verdict: VerdictReturn},
			absent,
			{Chain: IPChainHI, Verdict: VerdictReturn},
		}},
		{"icmp type out", Rule{Protocol: ProtoICMP, Direction: DirOut, Action: ActionAccept, StateMatch: true, Matches: []Match{icmpType}}, want{
			{Chain: IPChainFI, State: newEst, Verdict: VerdictReturn},
			absent,
			{Chain: IPChainHI, State: newEst, Verdict: VerdictReturn},
		}},
		{"icmp type in", Rule{Protocol: ProtoICMP, Direction: DirIn, Action: ActionAccept, StateMatch: true, Matches: []Match{icmpType}}, want{
			absent,
			{Chain: IPChainFO, State: newEst, Verdict: VerdictAccept},
			absent,
		}},
		{"icmpv6 type inout: nowhere", Rule{Protocol: ProtoICMPv6, Direction: DirInOut, Action: ActionAccept, StateMatch: true, Matches: []Match{icmpType}}, want{
			absent, absent, absent,
		}},
		{"icmp without type keeps ctdir", Rule{Protocol: ProtoICMP, Direction: DirIn, Action: ActionAccept, StateMatch: true}, want{
			{Chain: IPChainFI, Swapped: true, State: est, CtDir: ConnDirReply, Verdict: VerdictReturn},
			{Chain: IPChainFO, State: newEst, CtDir: ConnDirOriginal, Verdict: VerdictAccept},
			{Chain: IPChainHI, Swapped: true, State: est, CtDir: ConnDirReply, Verdict: VerdictReturn},
		}},
		{"srcmacaddr only", Rule{Protocol: ProtoAll, Direction: DirOut, Action: ActionDrop, StateMatch: true, Matches: []Match{srcMAC}}, want{
			{Chain: IPChainFI, SrcMAC: true, Verdict: VerdictDrop},
			absent,
			{Chain: IPChainHI, SrcMAC: true, Verdict: VerdictDrop},
		}},
		{"srcmacaddr with a port", Rule{Protocol: ProtoTCP, Direction: DirIn, Action: ActionDrop, StateMatch: true, Matches: []Match{srcMAC, dport22}}, want{
			{Chain: IPChainFI, Swapped: true, Verdict: VerdictDrop},
			{Chain: IPChainFO, SrcMAC: true, Verdict: VerdictDrop},
			{Chain: IPChainHI, Swapped: true, Verdict: VerdictDrop},
		}},
		{"srcmacaddr with an ipset: the set does not count", Rule{Protocol: ProtoUDP, Direction: DirIn, Action: ActionDrop, StateMatch: true, Matches: []Match{srcMAC, ipset}}, want{
			absent,
			{Chain: IPChainFO, SrcMAC: true, Verdict: VerdictDrop},
			absent,
		}},
		{"connlimit accept out", Rule{Protocol: ProtoTCP, Direction: DirOut, Action: ActionAccept, StateMatch: true, ConnlimitAbove: 3}, want{
			{Chain: IPChainFI, Connlimit: true, Verdict: VerdictReturn},
			absent,
			{Chain: IPChainHI, Connlimit: true, Verdict: VerdictReturn},
		}},
		{"connlimit drop with state=", Rule{Protocol: ProtoTCP, Direction: DirOut, Action: ActionDrop, StateMatch: true, State: StateNew, ConnlimitAbove: 3}, want{
			{Chain: IPChainFI, Connlimit: true, State: StateNew, Verdict: VerdictDrop},
			absent,
			{Chain: IPChainHI, Connlimit: true, State: StateNew, Verdict: VerdictDrop},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, ctdir := range []bool{true, false} {
				var wantAll []Instance
				for c := IPChainFI; c <= IPChainHI; c++ {
					got, reason := Placement(&tt.rule, c, ctdir)
					if tt.want[c] == absent {
						assert.NotEmpty(t, reason, "%s: want no instance", c)
						continue
					}
					want := tt.want[c]
					if !ctdir {
						want.CtDir = ConnDirAny
					}
					assert.Empty(t, reason, "%s", c)
					assert.Equal(t, want, got, "%s, ctdir %t", c, ctdir)
					wantAll = append(wantAll, want)
				}
				assert.Equal(t, wantAll, nonNil(Instances(&tt.rule, ctdir)), "Instances, ctdir %t", ctdir)
			}
		})
	}
}

// nonNil makes an empty result comparable with a nil slice.
func nonNil(ins []Instance) []Instance {
	if len(ins) == 0 {
		return nil
	}
	return ins
}

func TestPlacementVerdicts(t *testing.T) {
	for a, want := range map[Action][3]InstanceVerdict{
		ActionAccept: {VerdictReturn, VerdictAccept, VerdictReturn}, ActionDrop: {VerdictDrop, VerdictDrop, VerdictDrop},
		ActionReject: {VerdictReject, VerdictReject, VerdictReject}, ActionReturn: {VerdictReturn, VerdictReturn, VerdictReturn},
		ActionContinue: {VerdictNone, VerdictNone, VerdictNone},
	} {
		r := Rule{Protocol: ProtoAll, Direction: DirInOut, Action: a}
		for c := IPChainFI; c <= IPChainHI; c++ {
			got, _ := Placement(&r, c, false)
			assert.Equal(t, want[c], got.Verdict, "%s in %s", a, c)
		}
	}
}

// TestPlacementReasons checks that every chain without an instance says why.
func TestPlacementReasons(t *testing.T) {
	icmp := Rule{Protocol: ProtoICMP, Direction: DirInOut, Action: ActionAccept, StateMatch: true,
		Matches: []Match{{Field: FieldICMPType, Lo: 8, Hi: 8}}}
	_, reason := Placement(&icmp, IPChainHI, false)
	assert.Equal(t, "an icmp rule with a type and direction inout has no instance in HI", reason)

	limit := Rule{Protocol: ProtoTCP, Direction: DirIn, Action: ActionDrop, ConnlimitAbove: 1}
	_, reason = Placement(&limit, IPChainFI, false)
	assert.Equal(t, "connlimit-above is only installed in unswapped instances; none in FI", reason)
}

func TestPlacementNames(t *testing.T) {
	assert.Equal(t, "FI FO HI ipchain(3)", fmt.Sprint(IPChainFI, IPChainFO, IPChainHI, IPChain(3)))
	assert.Equal(t, "any original reply", fmt.Sprint(ConnDirAny, ConnDirOriginal, ConnDirReply))
	assert.Equal(t, "none accept return drop reject", fmt.Sprint(VerdictNone, VerdictAccept, VerdictReturn, VerdictDrop, VerdictReject))
}
