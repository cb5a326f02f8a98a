package nwfilter

import (
	"cmp"
	"slices"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// orderRules sorts the flattened rules as libvirt's ebiptables driver does
// (virNWFilterRuleInstSort, then the adjustment in ebiptablesApplyNewRules):
// rules of root-chain filters first, then by the priority written on the rule;
// the sort is stable, so equal rules keep their depth-first document order.
// After sorting, a rule of a non-root chain whose priority is below its
// chain's priority is raised to it. The raise does not re-sort: within a
// sub-chain, rules stay in written-priority order.
func orderRules(insts []*ruleInst) {
	slices.SortStableFunc(insts, func(a, b *ruleInst) int {
		ar, br := a.chain.kind == ir.ChainRoot, b.chain.kind == ir.ChainRoot
		if ar != br {
			if ar {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.rule.Priority, b.rule.Priority)
	})
	for _, inst := range insts {
		inst.priority = inst.rule.Priority
		if inst.chain.kind != ir.ChainRoot && inst.chain.priority > inst.priority {
			inst.priority = inst.chain.priority
		}
	}
}

// assemble distributes the ordered rule instances into the graph.
//
// IP-layer rules go to g.IP in sorted order, whatever their filter's chain.
//
// Ethernet-layer rules of root-chain filters go to the root chain, those of
// other filters to the sub-chain of their chain name; a sub-chain exists only
// if it has Ethernet-layer rules, and filters using the same chain name share
// it. A sub-chain's priority is that of the filter holding its last rule in
// sorted order (libvirt records the chain priority of every rule in a hash
// keyed by chain name, so the last one wins). Sub-chains are ordered by
// priority, then by name (libvirt leaves equal priorities in hash order).
//
// The jumps interleave with the root chain's rules as in libvirt: walking the
// sorted Ethernet rules, every sub-chain whose priority is ≤ the current
// rule's effective priority and that has no jump yet gets one, appended to the
// root chain before that rule; jumps still missing after the walk are
// appended at the end.
//
// libvirt keeps separate root chains per direction (and thus may give a chain
// used by several filters different priorities per direction); the graph has
// one root chain whose jumps apply to both directions.
func assemble(g *ir.Graph, insts []*ruleInst, expanded [][]*ir.Rule) {
	byName := map[string]*ir.Chain{}
	var subs []*ir.Chain
	haveEthernet := false
	for _, inst := range insts {
		if inst.rule.Protocol.Layer() != ir.LayerEthernet {
			continue
		}
		haveEthernet = true
		if inst.chain.kind == ir.ChainRoot {
			continue
		}
		c := byName[inst.chain.name]
		if c == nil {
			c = &ir.Chain{Name: inst.chain.name, Kind: inst.chain.kind}
			byName[c.Name] = c
			subs = append(subs, c)
		}
		c.Priority = inst.chain.priority
	}
	slices.SortFunc(subs, func(a, b *ir.Chain) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(a.Name, b.Name))
	})
	root := &ir.Chain{Name: "root", Kind: ir.ChainRoot}
	next := 0
	for i, inst := range insts {
		if inst.rule.Protocol.Layer() != ir.LayerEthernet {
			g.IP = append(g.IP, expanded[i]...)
			continue
		}
		for next < len(subs) && subs[next].Priority <= inst.priority {
			root.Entries = append(root.Entries, ir.Entry{Jump: subs[next]})
			next++
		}
		target := root
		if inst.chain.kind != ir.ChainRoot {
			target = byName[inst.chain.name]
		}
		for _, r := range expanded[i] {
			target.Entries = append(target.Entries, ir.Entry{Rule: r})
		}
	}
	for ; next < len(subs); next++ {
		root.Entries = append(root.Entries, ir.Entry{Jump: subs[next]})
	}
	if haveEthernet {
		g.Ethernet = append([]*ir.Chain{root}, subs...)
	}
}
