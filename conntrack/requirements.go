package conntrack

import (
	"slices"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Requirements lists the kernel features a set of graphs depends on.
type Requirements struct {
	// StateMatch is set when an IP-layer rule matches connection state.
	StateMatch bool
	// Connlimit is set when a rule limits connections (connlimit-above).
	Connlimit bool
	// IPSets are the names of the sets rules reference, sorted.
	IPSets []string
	// IPv4 and IPv6 are set when the graphs have IP-layer rules of that
	// family; bridged traffic only reaches them with bridge-nf-call-iptables
	// (ip6tables) enabled.
	IPv4, IPv6 bool
}

// RequirementsOf returns what gs need from the kernel.
func RequirementsOf(gs ...*ir.Graph) Requirements {
	var req Requirements
	for _, g := range gs {
		for _, r := range g.IP {
			req.addRule(r)
		}
	}
	slices.Sort(req.IPSets)
	req.IPSets = slices.Compact(req.IPSets)
	return req
}

func (req *Requirements) addRule(r *ir.Rule) {
	switch r.Protocol.Layer() {
	case ir.LayerIPv4:
		req.IPv4 = true
	case ir.LayerIPv6:
		req.IPv6 = true
	}
	if MatchesState(r) {
		req.StateMatch = true
	}
	if r.ConnlimitAbove != 0 {
		req.Connlimit = true
	}
	for _, m := range r.Matches {
		if m.Field == ir.FieldIPSet {
			req.IPSets = append(req.IPSets, m.IPSet.Name)
		}
	}
}

// MatchesState reports whether an IP-layer rule carries a connection-state
// match in libvirt's rendering: an explicit state= list other than NONE, or
// an in/out accept rule with statematch on and no connlimit.
func MatchesState(r *ir.Rule) bool {
	if !r.StateMatch {
		return false
	}
	if r.State != 0 {
		return r.State&ir.StateNone == 0
	}
	return r.Action == ir.ActionAccept && r.Direction != ir.DirInOut
}
