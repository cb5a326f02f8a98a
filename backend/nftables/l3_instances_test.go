package nftables

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/internal/irtest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// TestL3RuleRendersInstance checks, for every rule variant and every
// instance ir.Placement gives it, that l3Rule renders exactly what the
// instance says: the source-MAC match, conntrack state and direction,
// connlimit and the verdict, in the inet and the bridge family.
func TestL3RuleRendersInstance(t *testing.T) {
	verdicts := map[knftables.Family]map[ir.InstanceVerdict]string{
		knftables.InetFamily:   {ir.VerdictAccept: " accept", ir.VerdictReturn: " return", ir.VerdictDrop: " drop", ir.VerdictReject: " reject"},
		knftables.BridgeFamily: {ir.VerdictAccept: " accept", ir.VerdictReturn: " return", ir.VerdictDrop: " drop", ir.VerdictReject: " drop"},
	}
	n := 0
	for _, ctdir := range []bool{false, true} {
		for _, r := range irtest.PlacementVariants() {
			for _, in := range ir.Instances(r, ctdir) {
				for fam, vs := range verdicts {
					nr, err := l3Rule(r, in, l3Rendering{family: fam, connlimitSet: "cl"})
					if !assert.NoError(t, err) {
						continue
					}
					n++
					name := fmt.Sprintf("%s %s %s statematch=%v state=%v!%v connlimit=%d matches=%d in %s ctdir=%v %s: %s",
						r.Protocol, r.Direction, r.Action, r.StateMatch, r.State, r.StateNegate, r.ConnlimitAbove, len(r.Matches), in.Chain, ctdir, fam, nr.Text)
					assert.Equal(t, in.SrcMAC, strings.Contains(nr.Text, "ether saddr"), "%s: srcmac", name)
					assert.Equal(t, in.State != 0, strings.Contains(nr.Text, "ct state "), "%s: state", name)
					if in.State != 0 {
						assert.Contains(t, nr.Text, "ct state "+rel(in.StateNegate)+ctStateText(in.State), "%s: state", name)
					}
					assert.Equal(t, in.CtDir != ir.ConnDirAny, strings.Contains(nr.Text, "ct direction "+in.CtDir.String()), "%s: ct direction", name)
					assert.Equal(t, in.Connlimit, strings.Contains(nr.Text, "update @cl"), "%s: connlimit", name)
					if v := vs[in.Verdict]; v != "" {
						assert.True(t, strings.HasSuffix(nr.Text, v), "%s: verdict %s", name, in.Verdict)
					} else {
						assert.NotRegexp(t, ` (accept|return|drop|reject)$`, nr.Text, "%s: no verdict", name)
					}
				}
			}
		}
	}
	t.Logf("%d rule variants, %d instances rendered", len(irtest.PlacementVariants()), n)
}
