package ir_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gonwfilter/gonwfilter/internal/irtest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// libvirtInstances is a second, independent model of libvirt's placement,
// written in the shape of its C source rather than rule by rule:
// iptablesCreateRuleInstance (default state path) and
// iptablesCreateRuleInstanceStateCtrl (explicit state= path) decide per
// chain whether to create an instance, its directionIn, maySkipICMP and
// state; _iptablesCreateRuleInstance then drops instances (ICMP type,
// skipped srcmacaddr with nothing else, connlimit in directionIn) and picks
// the target, state and ctdir.
func libvirtInstances(r *ir.Rule, ctdir bool) []ir.Instance {
	has := func(f ir.Field) bool {
		for _, m := range r.Matches {
			if m.Field == f {
				return true
			}
		}
		return false
	}
	directionIn := r.Direction == ir.DirIn || r.Direction == ir.DirInOut
	inout := r.Direction == ir.DirInOut
	hasICMPType := (r.Protocol == ir.ProtoICMP || r.Protocol == ir.ProtoICMPv6) && has(ir.FieldICMPType)

	type spec struct {
		chain         ir.IPChain
		dirIn, create bool
		maySkipICMP   bool
		state         ir.ConnState
		acceptTarget  ir.InstanceVerdict
	}
	var specs []spec
	defMatch := !(r.StateMatch && r.State != 0)
	if defMatch {
		needState := r.StateMatch && !inout
		st := func(in bool) ir.ConnState {
			switch {
			case !needState:
				return 0
			case in:
				return ir.StateEstablished
			}
			return ir.StateNew | ir.StateEstablished
		}
		specs = []spec{
			{ir.IPChainFI, directionIn, true, directionIn || inout, st(directionIn), ir.VerdictReturn},
			{ir.IPChainFO, !directionIn, true, !directionIn || inout, st(!directionIn), ir.VerdictAccept},
			{ir.IPChainHI, directionIn, true, directionIn, st(directionIn), ir.VerdictReturn},
		}
	} else {
		st := r.State
		if st&ir.StateNone != 0 {
			st = 0
		}
		specs = []spec{
			{ir.IPChainFI, directionIn, !(directionIn && !inout), directionIn || inout, st, ir.VerdictReturn},
			{ir.IPChainFO, !directionIn, directionIn, !directionIn || inout, st, ir.VerdictAccept},
			{ir.IPChainHI, directionIn, !(directionIn && !inout), directionIn, st, ir.VerdictReturn},
		}
	}

	// Matches rendered before libvirt's "was srcmacaddr the only one" check.
	srcMACSkippedAlone := func() bool {
		for _, m := range r.Matches {
			switch m.Field {
			case ir.FieldSrcMAC, ir.FieldIPSet:
			default:
				return false
			}
		}
		return has(ir.FieldSrcMAC)
	}
	var out []ir.Instance
	for _, s := range specs {
		if !s.create || (hasICMPType && s.maySkipICMP) {
			continue
		}
		if s.dirIn && srcMACSkippedAlone() {
			continue
		}
		skipMatch := false
		if r.ConnlimitAbove != 0 {
			if s.dirIn {
				continue // skipRule
			}
			skipMatch = true
		}
		in := ir.Instance{Chain: s.chain, Swapped: s.dirIn, SrcMAC: !s.dirIn && has(ir.FieldSrcMAC),
			Connlimit: r.ConnlimitAbove != 0, Verdict: s.acceptTarget}
		if r.Action != ir.ActionAccept {
			in.Verdict = map[ir.Action]ir.InstanceVerdict{ir.ActionDrop: ir.VerdictDrop, ir.ActionReject: ir.VerdictReject,
				ir.ActionReturn: ir.VerdictReturn, ir.ActionContinue: ir.VerdictNone}[r.Action]
			skipMatch = defMatch
		}
		if s.state != 0 && !skipMatch {
			in.State = s.state
			in.StateNegate = !defMatch && r.StateNegate
			if ctdir && defMatch && !hasICMPType {
				in.CtDir = ir.ConnDirOriginal
				if s.dirIn {
					in.CtDir = ir.ConnDirReply
				}
			}
		}
		out = append(out, in)
	}
	return out
}

// TestPlacementMatchesLibvirtModel checks Placement against the C-shaped
// model over every rule variant, with and without ctdir.
func TestPlacementMatchesLibvirtModel(t *testing.T) {
	n := 0
	for _, ctdir := range []bool{false, true} {
		for _, r := range irtest.PlacementVariants() {
			want, got := libvirtInstances(r, ctdir), ir.Instances(r, ctdir)
			n += len(got)
			if len(want) == 0 && len(got) == 0 {
				continue
			}
			assert.Equal(t, want, got, "%s", describeVariant(r, ctdir))
		}
	}
	t.Logf("%d rule variants, %d instances compared (with and without ctdir)", len(irtest.PlacementVariants()), n)
}

func describeVariant(r *ir.Rule, ctdir bool) string {
	var fields []ir.Field
	for _, m := range r.Matches {
		fields = append(fields, m.Field)
	}
	return fmt.Sprintf("%s %s %s statematch=%v state=%v negate=%v connlimit=%d matches=%v ctdir=%v",
		r.Protocol, r.Direction, r.Action, r.StateMatch, r.State, r.StateNegate, r.ConnlimitAbove, fields, ctdir)
}
