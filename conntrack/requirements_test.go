package conntrack

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func TestRequirementsOf(t *testing.T) {
	tcpAccept := &ir.Rule{Protocol: ir.ProtoTCP, Direction: ir.DirIn, Action: ir.ActionAccept, StateMatch: true}
	inout := &ir.Rule{Protocol: ir.ProtoUDPv6, Direction: ir.DirInOut, Action: ir.ActionAccept, StateMatch: true}
	limited := &ir.Rule{Protocol: ir.ProtoTCP, Direction: ir.DirOut, Action: ir.ActionDrop, ConnlimitAbove: 4,
		Matches: []ir.Match{{Field: ir.FieldIPSet, IPSet: ir.IPSetRef{Name: "b"}}, {Field: ir.FieldIPSet, IPSet: ir.IPSetRef{Name: "a"}}}}
	again := &ir.Rule{Protocol: ir.ProtoAll, Action: ir.ActionDrop, Matches: []ir.Match{{Field: ir.FieldIPSet, IPSet: ir.IPSetRef{Name: "a"}}}}

	assert.Equal(t, Requirements{}, RequirementsOf(&ir.Graph{}), "an Ethernet-only graph needs nothing")
	assert.Equal(t, Requirements{StateMatch: true, IPv4: true}, RequirementsOf(&ir.Graph{IP: []*ir.Rule{tcpAccept}}))
	assert.Equal(t, Requirements{IPv6: true}, RequirementsOf(&ir.Graph{IP: []*ir.Rule{inout}}), "inout accepts carry no state match")
	assert.Equal(t, Requirements{Connlimit: true, IPSets: []string{"a", "b"}, IPv4: true},
		RequirementsOf(&ir.Graph{IP: []*ir.Rule{limited}}, &ir.Graph{IP: []*ir.Rule{again}}))
}

func TestMatchesState(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule ir.Rule
		want bool
	}{
		{"accept in", ir.Rule{Action: ir.ActionAccept, Direction: ir.DirIn, StateMatch: true}, true},
		{"accept out", ir.Rule{Action: ir.ActionAccept, Direction: ir.DirOut, StateMatch: true}, true},
		{"accept inout", ir.Rule{Action: ir.ActionAccept, Direction: ir.DirInOut, StateMatch: true}, false},
		{"statematch off", ir.Rule{Action: ir.ActionAccept, Direction: ir.DirIn}, false},
		{"drop", ir.Rule{Action: ir.ActionDrop, Direction: ir.DirIn, StateMatch: true}, false},
		{"explicit state on drop", ir.Rule{Action: ir.ActionDrop, StateMatch: true, State: ir.StateInvalid}, true},
		{"explicit NONE", ir.Rule{Action: ir.ActionAccept, Direction: ir.DirIn, StateMatch: true, State: ir.StateNone}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, MatchesState(&tc.rule))
		})
	}
}
