package xtables

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gonwfilter/gonwfilter/internal/irtest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// TestIPInstanceFollowsPlacement checks, for every rule variant and chain,
// that ipInstance emits a line exactly where ir.Placement places an
// instance, and that the line carries what the instance says: the swap,
// the source-MAC match, conntrack state and direction, connlimit and the
// target.
func TestIPInstanceFollowsPlacement(t *testing.T) {
	targets := map[ir.InstanceVerdict]string{ir.VerdictAccept: "ACCEPT", ir.VerdictReturn: "RETURN",
		ir.VerdictDrop: "DROP", ir.VerdictReject: "REJECT", ir.VerdictNone: ""}
	n := 0
	for _, ctdir := range []bool{false, true} {
		for _, r := range irtest.PlacementVariants() {
			for c := chainFI; c <= chainHI; c++ {
				in, absent := ir.Placement(r, placementChains[c], ctdir)
				l, ok, err := ipInstance(r, c, ctdir)
				if !assert.NoError(t, err) || !assert.Equal(t, absent == "", ok, "%s in %s: %s", r, placementChains[c], absent) || !ok {
					continue
				}
				n++
				text := strings.Join(l.args, " ")
				name := r.String() + " in " + in.Chain.String() + ": " + text
				assert.Equal(t, in.SrcMAC, strings.Contains(text, "--mac-source"), "%s: srcmac", name)
				if in.State != 0 {
					assert.Contains(t, text, "--ctstate "+in.State.String(), "%s: state", name)
					assert.Equal(t, in.StateNegate, strings.Contains(text, "! --ctstate"), "%s: state negation", name)
				} else {
					assert.NotContains(t, text, "--ctstate", "%s: state", name)
				}
				assert.Equal(t, in.CtDir != ir.ConnDirAny, strings.Contains(text, "--ctdir "+strings.ToUpper(in.CtDir.String())), "%s: ctdir", name)
				assert.Equal(t, in.Connlimit, strings.Contains(text, "--connlimit-above"), "%s: connlimit", name)
				if in.Swapped && strings.Contains(text, "--match-set") {
					assert.Contains(t, text, "--match-set "+irtest.VariantIPSet+" dst", "%s: swapped set direction", name)
				}
				assert.Equal(t, targets[in.Verdict], l.verdict, "%s: target", name)
			}
		}
	}
	t.Logf("%d rule variants, %d instances rendered (with and without ctdir)", len(irtest.PlacementVariants()), n)
}
