package nftables

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// describe prints instances compactly: "fi:swap:est:reply fo::new,est:orig".
func describe(ins []instance) string {
	var parts []string
	for _, in := range ins {
		swap := ""
		if in.dirIn {
			swap = "swap"
		}
		st := ctStateText(in.state)
		if in.stateNegate {
			st = "!" + st
		}
		parts = append(parts, fmt.Sprintf("%s:%s:%s:%s", l3ChainMaps[in.chain], swap, st, in.ctdir))
	}
	return strings.Join(parts, " ")
}

// TestInstances pins libvirt's per-chain instance rules (reference §b.3).
func TestInstances(t *testing.T) {
	tcp := func(d ir.Direction, a ir.Action, ms ...ir.Match) *ir.Rule { return rule(ir.ProtoTCP, d, a, ms...) }
	icmpType := func(d ir.Direction) *ir.Rule {
		return rule(ir.ProtoICMP, d, ir.ActionAccept, mNum(ir.FieldICMPType, 8, 8))
	}
	explicit := func(d ir.Direction, a ir.Action, s ir.ConnState) *ir.Rule {
		r := tcp(d, a)
		r.State = s
		return r
	}
	noStatematch := tcp(ir.DirOut, ir.ActionAccept)
	noStatematch.StateMatch = false
	connlimit := func(d ir.Direction, a ir.Action) *ir.Rule {
		r := tcp(d, a)
		r.ConnlimitAbove = 2
		return r
	}
	negState := explicit(ir.DirOut, ir.ActionAccept, ir.StateNew)
	negState.StateNegate = true

	for _, tc := range []struct {
		name  string
		r     *ir.Rule
		ctdir bool
		want  string
	}{
		{"out accept", tcp(ir.DirOut, ir.ActionAccept), false, "fi::new,established: fo:swap:established: hi::new,established:"},
		{"in accept", tcp(ir.DirIn, ir.ActionAccept), false, "fi:swap:established: fo::new,established: hi:swap:established:"},
		{"out accept ctdir", tcp(ir.DirOut, ir.ActionAccept), true, "fi::new,established:original fo:swap:established:reply hi::new,established:original"},
		{"in accept ctdir", tcp(ir.DirIn, ir.ActionAccept), true, "fi:swap:established:reply fo::new,established:original hi:swap:established:reply"},
		{"inout accept: no state", tcp(ir.DirInOut, ir.ActionAccept), true, "fi:swap:: fo::: hi:swap::"},
		{"drop: no state", tcp(ir.DirOut, ir.ActionDrop), true, "fi::: fo:swap:: hi:::"},
		{"statematch=false", noStatematch, true, "fi::: fo:swap:: hi:::"},
		{"icmp type out", icmpType(ir.DirOut), true, "fi::new,established: hi::new,established:"},
		{"icmp type in", icmpType(ir.DirIn), true, "fo::new,established:"},
		{"icmp type inout", icmpType(ir.DirInOut), true, ""},
		{"explicit state out", explicit(ir.DirOut, ir.ActionAccept, ir.StateNew), true, "fi::new: hi::new:"},
		{"explicit state in", explicit(ir.DirIn, ir.ActionDrop, ir.StateNew|ir.StateEstablished), true, "fo::new,established:"},
		{"explicit state inout", explicit(ir.DirInOut, ir.ActionAccept, ir.StateRelated), true, "fi:swap:related: fo::related: hi:swap:related:"},
		{"explicit NONE", explicit(ir.DirOut, ir.ActionAccept, ir.StateNone), true, "fi::: hi:::"},
		{"explicit negated", negState, true, "fi::!new: hi::!new:"},
		{"srcmac only, out", tcp(ir.DirOut, ir.ActionAccept, mSrcMAC(vmMAC, false)), false, "fi::new,established: hi::new,established:"},
		{"srcmac and port, out", tcp(ir.DirOut, ir.ActionDrop, mSrcMAC(vmMAC, false), mNum(ir.FieldDstPort, 1, 1)), false, "fi::: fo:swap:: hi:::"},
		{"connlimit out accept", connlimit(ir.DirOut, ir.ActionAccept), true, "fi::: hi:::"},
		{"connlimit in", connlimit(ir.DirIn, ir.ActionDrop), true, "fo:::"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, describe(l3Instances(tc.r, tc.ctdir)))
		})
	}
}
