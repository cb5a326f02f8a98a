package nftables

import (
	"errors"
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
