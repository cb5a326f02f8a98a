package nftables

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
	"github.com/gonwfilter/gonwfilter/nwfilter/sim"
)

// ruleVariants enumerates IP-layer rules over everything that decides
// libvirt's instance placement: protocol (ICMP with and without a type),
// direction, action, statematch, explicit state (also NONE and negated),
// connlimit, and srcmacaddr alone or with another match.
func ruleVariants() []*ir.Rule {
	var out []*ir.Rule
	protos := []struct {
		p  ir.Protocol
		ms []ir.Match
	}{
		{ir.ProtoTCP, []ir.Match{mNum(ir.FieldDstPort, 22, 22)}},
		{ir.ProtoUDP, nil},
		{ir.ProtoICMP, []ir.Match{mNum(ir.FieldICMPType, 8, 8)}},
		{ir.ProtoICMP, nil},
		{ir.ProtoICMPv6, []ir.Match{mNum(ir.FieldICMPType, 128, 128)}},
		{ir.ProtoAllv6, nil},
	}
	states := []struct {
		st  ir.ConnState
		neg bool
	}{{0, false}, {ir.StateNew, false}, {ir.StateEstablished | ir.StateRelated, true}, {ir.StateNone, false}}
	for _, p := range protos {
		net := "10.0.0.0/8"
		if p.p.Layer() == ir.LayerIPv6 {
			net = "fd00::/8"
		}
		macs := [][]ir.Match{nil, {mSrcMAC(vmMAC, false)}, {mSrcMAC(vmMAC, true), mIP(ir.FieldSrcIP, net, false)}}
		for _, d := range []ir.Direction{ir.DirIn, ir.DirOut, ir.DirInOut} {
			for _, a := range []ir.Action{ir.ActionAccept, ir.ActionDrop, ir.ActionReject, ir.ActionReturn, ir.ActionContinue} {
				for _, sm := range []bool{true, false} {
					for _, st := range states {
						for _, cl := range []uint16{0, 5} {
							for _, mac := range macs {
								ms := append(append([]ir.Match{}, mac...), p.ms...)
								r := rule(p.p, d, a, ms...)
								r.StateMatch, r.State, r.StateNegate, r.ConnlimitAbove = sm, st.st, st.neg, cl
								out = append(out, r)
							}
						}
					}
				}
			}
		}
	}
	return out
}

// TestInstancesMatchSimulator checks, for every rule variant and chain, that
// the nft backend installs an instance exactly when the simulator's
// Placement says libvirt does, with the same swap, source-MAC match, state,
// ct direction, connlimit and verdict.
func TestInstancesMatchSimulator(t *testing.T) {
	chains := map[l3Chain]sim.IPChain{chainFI: sim.ChainFI, chainFO: sim.ChainFO, chainHI: sim.ChainHI}
	verdicts := map[string]string{"ACCEPT": "accept", "RETURN": "return", "DROP": "drop", "REJECT": "reject", "": ""}
	n := 0
	for _, ctdir := range []bool{false, true} {
		for _, r := range ruleVariants() {
			got := map[l3Chain]instance{}
			for _, in := range l3Instances(r, ctdir) {
				got[in.chain] = in
			}
			for c, sc := range chains {
				want, reason := sim.Placement(r, sc, sim.Options{ConntrackDirection: ctdir})
				in, ok := got[c]
				name := fmt.Sprintf("%s %s %s statematch=%v state=%v!%v connlimit=%d matches=%d in %s ctdir=%v",
					r.Protocol, r.Direction, r.Action, r.StateMatch, r.State, r.StateNegate, r.ConnlimitAbove, len(r.Matches), sc, ctdir)
				if !assert.Equal(t, reason == "", ok, "%s: instance present (sim: %s)", name, reason) || !ok {
					continue
				}
				n++
				assert.Equal(t, want.Swapped, in.dirIn, "%s: swapped", name)
				assert.Equal(t, want.State, in.state, "%s: state", name)
				assert.Equal(t, want.StateNegate, in.stateNegate, "%s: state negation", name)
				wantDir := ""
				if want.HasCtDir {
					wantDir = want.CtDir.String()
				}
				assert.Equal(t, wantDir, in.ctdir, "%s: ct direction", name)
				assert.Equal(t, want.Connlimit, in.connlimit, "%s: connlimit", name)
				assert.Equal(t, verdicts[want.Target], l3Verdict(r.Action, c, knftables.InetFamily), "%s: verdict", name)
				if hasField(r.Matches, ir.FieldSrcMAC) {
					nr, err := l3Rule(r, in, l3Rendering{family: knftables.InetFamily, connlimitSet: "cl"})
					assert.NoError(t, err)
					assert.Equal(t, want.SrcMAC, strings.Contains(nr.Text, "ether saddr"), "%s: srcmac match: %s", name, nr.Text)
				}
			}
		}
	}
	t.Logf("%d rule variants, %d instances compared (with and without ct direction)", len(ruleVariants()), n)
}
