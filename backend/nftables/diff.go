package nftables

import (
	"slices"

	"sigs.k8s.io/knftables"
)

// writeDiff adds to tx what turns the objects old into new (either may be
// nil). A chain whose rules changed is flushed and refilled; chains and
// elements that stayed the same are not touched. Everything happens in the
// caller's single transaction, so packets see either the old or the new
// rules of the binding.
func (l layout) writeDiff(tx *knftables.Transaction, old, new *objects, setSize uint32) {
	if old == nil {
		old = &objects{}
	}
	if new == nil {
		new = &objects{}
	}
	oldChains := make(map[string]chainObj, len(old.chains))
	for _, c := range old.chains {
		oldChains[string(c.family)+" "+c.name] = c
	}
	newChains := make(map[string]bool, len(new.chains))

	// Sets and chains first, so that rules and elements can refer to them.
	// Sets that exist are declared again (a no-op in the kernel), so that
	// the script names every set its rules use (see foldScript).
	for _, s := range new.sets {
		tx.Add(&knftables.Set{Family: s.family, Table: l.table, Name: s.name, Type: s.typ,
			Flags: []knftables.SetFlag{knftables.DynamicFlag}, Size: ptr(uint64(setSize))})
	}
	for _, c := range new.chains {
		newChains[string(c.family)+" "+c.name] = true
		if _, ok := oldChains[string(c.family)+" "+c.name]; !ok {
			tx.Add(&knftables.Chain{Family: c.family, Table: l.table, Name: c.name})
		}
	}
	// Changed chains are flushed and refilled; new ones filled.
	for _, c := range new.chains {
		prev, existed := oldChains[string(c.family)+" "+c.name]
		if existed && slices.Equal(prev.rules, c.rules) {
			continue
		}
		if existed {
			tx.Flush(&knftables.Chain{Family: c.family, Table: l.table, Name: c.name})
		}
		for _, r := range c.rules {
			kr := &knftables.Rule{Family: c.family, Table: l.table, Chain: c.name, Rule: r.Text}
			if r.Comment != "" {
				kr.Comment = ptr(r.Comment)
			}
			tx.Add(kr)
		}
	}
	// Map elements: delete what went or changed, add what is new or changed.
	for _, e := range old.elems {
		if !slices.Contains(new.elems, e) {
			tx.Delete(&knftables.Element{Family: e.family, Table: l.table, Map: e.mapName, Key: []string{e.key}})
		}
	}
	declared := map[string]bool{}
	for _, e := range new.elems {
		if !slices.Contains(old.elems, e) {
			// Declare the map again (a no-op in the kernel) so that the
			// elements fold into one "add map" (see foldScript).
			if k := string(e.family) + " " + e.mapName; !declared[k] {
				declared[k] = true
				tx.Add(l.dispatchMap(e.family, e.mapName))
			}
			tx.Add(&knftables.Element{Family: e.family, Table: l.table, Map: e.mapName, Key: []string{e.key}, Value: []string{e.value}})
		}
	}
	// Chains that went: flush all first (they may jump to each other), then delete.
	var gone []chainObj
	for _, c := range old.chains {
		if !newChains[string(c.family)+" "+c.name] {
			gone = append(gone, c)
		}
	}
	for _, c := range gone {
		tx.Flush(&knftables.Chain{Family: c.family, Table: l.table, Name: c.name})
	}
	for _, c := range gone {
		tx.Delete(&knftables.Chain{Family: c.family, Table: l.table, Name: c.name})
	}
	for _, s := range old.sets {
		if !slices.Contains(new.sets, s) {
			tx.Delete(&knftables.Set{Family: s.family, Table: l.table, Name: s.name})
		}
	}
}
