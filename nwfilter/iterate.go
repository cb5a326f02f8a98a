package nwfilter

import (
	"math"
	"slices"
	"strings"
)

// iterPlan says how one rule walks the values of its variables, following
// libvirt's virNWFilterVarCombIter:
//
//   - accesses are grouped by iterator id ($NAME is $NAME[@0]); the variables
//     of one iterator are walked in parallel and must hold lists of the same
//     length;
//   - each fixed element access $NAME[N] is an iterator of its own with one
//     value;
//   - iterators are combined as an odometer: iterator @0 always varies
//     fastest, then the others in the order their first access appears in
//     the rule's attributes (not by id: $A[@2] written before $B[@1] makes @2
//     the faster one);
//   - within one iterator, a position whose value tuple equals that of an
//     earlier position is skipped.
type iterPlan struct {
	iters []iterator
	// slots has one entry per attribute of the rule.
	slots []slot
}

// iterator is one group of variables walked in parallel.
type iterator struct {
	// id is the iterator id, or -1 for a fixed element access.
	id int
	// fixed is the element index of a fixed element access.
	fixed int
	names []string
	// picks are the list positions the iterator visits, in order.
	picks []int
}

// slot says where an attribute's value comes from.
type slot struct {
	// iter indexes iterPlan.iters, or is -1 for a literal value.
	iter int
	name string
}

// planIterations groups the variable accesses of r into iterators. vars must
// define every variable r uses (missing ones are reported before this runs).
// A cardinality mismatch is returned with only Iterator, Vars and Lens set.
func planIterations(r *Rule, vars varTable) (*iterPlan, *CardinalityError) {
	p := &iterPlan{iters: []iterator{{id: 0}}, slots: make([]slot, len(r.Attrs))}
	for i, a := range r.Attrs {
		ref := a.Value.Var
		if ref == nil {
			p.slots[i] = slot{iter: -1}
			continue
		}
		idx := p.iteratorFor(ref)
		it := &p.iters[idx]
		if !slices.Contains(it.names, ref.Name) {
			if len(it.names) > 0 && len(vars[ref.Name]) != len(vars[it.names[0]]) {
				names := append(append([]string(nil), it.names...), ref.Name)
				lens := make([]int, len(names))
				for j, n := range names {
					lens[j] = len(vars[n])
				}
				return nil, &CardinalityError{Iterator: it.id, Vars: names, Lens: lens}
			}
			it.names = append(it.names, ref.Name)
		}
		p.slots[i] = slot{iter: idx, name: ref.Name}
	}
	for i := range p.iters {
		p.iters[i].picks = p.iters[i].distinctPositions(vars)
	}
	return p, nil
}

// iteratorFor returns the index of the iterator an access belongs to,
// creating it on first use.
func (p *iterPlan) iteratorFor(ref *VarRef) int {
	for i, it := range p.iters {
		if ref.HasIndex {
			if it.id < 0 && it.fixed == ref.Index && it.names[0] == ref.Name {
				return i
			}
		} else if it.id == ref.Iterator {
			return i
		}
	}
	if ref.HasIndex {
		p.iters = append(p.iters, iterator{id: -1, fixed: ref.Index})
	} else {
		p.iters = append(p.iters, iterator{id: ref.Iterator})
	}
	return len(p.iters) - 1
}

// distinctPositions lists the positions an iterator visits: every position
// of its lists whose value tuple has not been seen at an earlier position.
func (it *iterator) distinctPositions(vars varTable) []int {
	if it.id < 0 {
		return []int{it.fixed}
	}
	if len(it.names) == 0 {
		return []int{0}
	}
	n := len(vars[it.names[0]])
	seen := make(map[string]struct{}, n)
	picks := make([]int, 0, n)
	parts := make([]string, len(it.names))
	for pos := 0; pos < n; pos++ {
		for j, name := range it.names {
			parts[j] = vars[name][pos]
		}
		key := parts[0]
		if len(parts) > 1 {
			key = strings.Join(parts, "\x00")
		}
		if _, dup := seen[key]; dup {
			continue
		}
		seen[key] = struct{}{}
		picks = append(picks, pos)
	}
	return picks
}

// count returns how many combinations the plan yields, saturating at
// math.MaxUint64.
func (p *iterPlan) count() uint64 {
	total := uint64(1)
	for _, it := range p.iters {
		total = satMul(total, uint64(len(it.picks)))
	}
	return total
}

// each calls fn for every combination in odometer order; cur[i] indexes
// iters[i].picks. It stops at the first error.
func (p *iterPlan) each(fn func(cur []int) error) error {
	cur := make([]int, len(p.iters))
	for {
		if err := fn(cur); err != nil {
			return err
		}
		i := 0
		for ; i < len(cur); i++ {
			cur[i]++
			if cur[i] < len(p.iters[i].picks) {
				break
			}
			cur[i] = 0
		}
		if i == len(cur) {
			return nil
		}
	}
}

// position returns the list position slot s takes in combination cur.
func (p *iterPlan) position(s slot, cur []int) int {
	return p.iters[s.iter].picks[cur[s.iter]]
}

func satMul(a, b uint64) uint64 {
	if a != 0 && b > math.MaxUint64/a {
		return math.MaxUint64
	}
	return a * b
}

func satAdd(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}
