package nftables

import (
	"errors"
	"fmt"
	"slices"
)

// errNoIDs is returned when every port id of the mark field is in use.
var errNoIDs = errors.New("no free port id in the mark field (raise Options.MarkMask width)")

// idAllocator hands out port ids 1..max, reusing freed ones lowest first.
type idAllocator struct {
	max  uint32
	next uint32   // highest id handed out so far
	free []uint32 // freed ids, sorted
}

func (a *idAllocator) alloc() (uint32, error) {
	if len(a.free) > 0 {
		id := a.free[0]
		a.free = a.free[1:]
		return id, nil
	}
	if a.next >= a.max {
		return 0, errNoIDs
	}
	a.next++
	return a.next, nil
}

func (a *idAllocator) release(id uint32) {
	i, _ := slices.BinarySearch(a.free, id)
	a.free = slices.Insert(a.free, i, id)
}

func (a idAllocator) clone() idAllocator {
	a.free = slices.Clone(a.free)
	return a
}

// adoptedIDs returns an allocator with the ids in used taken, so new ids
// cannot collide with those of adopted bindings.
func adoptedIDs(max uint32, used []uint32) (idAllocator, error) {
	a := idAllocator{max: max}
	used = slices.Clone(used)
	slices.Sort(used)
	for i, id := range used {
		if i > 0 && used[i-1] == id {
			return a, fmt.Errorf("port id %d used twice", id)
		}
	}
	if len(used) > 0 {
		a.next = used[len(used)-1]
	}
	for id := uint32(1); id < a.next; id++ {
		if _, found := slices.BinarySearch(used, id); !found {
			a.free = append(a.free, id)
		}
	}
	return a, nil
}
