package nftables

import (
	"slices"

	"sigs.k8s.io/knftables"
)

// writeDiff adds to tx what turns the objects old into new (either may be
// nil), except the map elements to add, which it returns for writeElements
// (elements of many bindings go out together). A chain whose rules changed
// is flushed and refilled; chains and elements that stayed the same are not
// touched. Everything happens in the caller's single transaction, so
// packets see either the old or the new rules of the binding.
func (l layout) writeDiff(tx *knftables.Transaction, old, new *objects, setSize uint32) (adds []elemObj) {
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

	// Sets first, so that rules can refer to them. Sets that exist are
	// declared again (a no-op in the kernel), so that the script names
	// every set its rules use (see foldScript).
	for _, s := range new.sets {
		tx.Add(&knftables.Set{Family: s.family, Table: l.table, Name: s.name, Type: s.typ,
			Flags: []knftables.SetFlag{knftables.DynamicFlag}, Size: ptr(uint64(setSize))})
	}
	// New chains, each created together with its rules (one command once
	// folded). A chain jumps only to chains after it in new.chains, so
	// going backwards creates every jump target before its first use.
	for i := len(new.chains) - 1; i >= 0; i-- {
		c := new.chains[i]
		newChains[string(c.family)+" "+c.name] = true
		if _, ok := oldChains[string(c.family)+" "+c.name]; !ok {
			tx.Add(&knftables.Chain{Family: c.family, Table: l.table, Name: c.name})
			l.addRules(tx, c)
		}
	}
	// Changed chains are flushed and refilled.
	for _, c := range new.chains {
		if prev, existed := oldChains[string(c.family)+" "+c.name]; existed && !slices.Equal(prev.rules, c.rules) {
			tx.Flush(&knftables.Chain{Family: c.family, Table: l.table, Name: c.name})
			l.addRules(tx, c)
		}
	}
	// Map elements: delete what went or changed, add what is new or changed.
	for _, e := range old.elems {
		if !slices.Contains(new.elems, e) {
			tx.Delete(&knftables.Element{Family: e.family, Table: l.table, Map: e.mapName, Key: []string{e.key}})
		}
	}
	for _, e := range new.elems {
		if !slices.Contains(old.elems, e) {
			adds = append(adds, e)
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
	return adds
}

// addRules appends c's rules to tx.
func (l layout) addRules(tx *knftables.Transaction, c chainObj) {
	for _, r := range c.rules {
		kr := &knftables.Rule{Family: c.family, Table: l.table, Chain: c.name, Rule: r.Text}
		if r.Comment != "" {
			kr.Comment = ptr(r.Comment)
		}
		tx.Add(kr)
	}
}

// writeElements adds dispatch-map elements to tx, map by map (in the order
// the maps first appear), each map declared again first (a no-op in the
// kernel) so that its elements fold into one "add map" (see foldScript):
// nft then needs no chain cache, and a large Apply sends one command per
// map rather than one per binding and map.
func (l layout) writeElements(tx *knftables.Transaction, elems []elemObj) {
	type mapKey struct {
		family knftables.Family
		name   string
	}
	var order []mapKey
	byMap := map[mapKey][]elemObj{}
	for _, e := range elems {
		k := mapKey{e.family, e.mapName}
		if _, ok := byMap[k]; !ok {
			order = append(order, k)
		}
		byMap[k] = append(byMap[k], e)
	}
	for _, k := range order {
		tx.Add(l.dispatchMap(k.family, k.name))
		for _, e := range byMap[k] {
			tx.Add(&knftables.Element{Family: e.family, Table: l.table, Map: e.mapName, Key: []string{e.key}, Value: []string{e.value}})
		}
	}
}
