package nwfilter

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// abcVars is libvirt's iterator test data: A has a duplicate at the end and
// (A,B) repeats (3.3.3.3,80).
var abcVars = []string{
	"A=1.1.1.1", "A=2.2.2.2", "A=3.3.3.3", "A=3.3.3.3",
	"B=80", "B=90", "B=80", "B=80",
	"C=1080", "C=1090", "C=1100", "C=1110",
}

func TestIterators(t *testing.T) {
	acc, out, tcp := ir.ActionAccept, ir.DirOut, ir.ProtoTCP
	for _, tc := range []struct {
		name   string
		rule   Entry
		params []string
		want   []string
	}{{
		// (3.3.3.3, 80) at position 3 repeats position 2 and is skipped.
		name:   "parallel walk skips duplicate tuples",
		rule:   rule(t, acc, out, 500, tcp, "srcipaddr=$A", "srcportstart=$B"),
		params: abcVars,
		want: []string{
			"out accept prio=500 tcp srcip=1.1.1.1/32 srcport=80",
			"out accept prio=500 tcp srcip=2.2.2.2/32 srcport=90",
			"out accept prio=500 tcp srcip=3.3.3.3/32 srcport=80",
		},
	}, {
		name:   "parallel walk of three distinct tuples",
		rule:   rule(t, acc, out, 500, tcp, "srcipaddr=$A", "srcportstart=$B", "dstportstart=$C"),
		params: abcVars,
		want: []string{
			"out accept prio=500 tcp srcip=1.1.1.1/32 srcport=80 dstport=1080",
			"out accept prio=500 tcp srcip=2.2.2.2/32 srcport=90 dstport=1090",
			"out accept prio=500 tcp srcip=3.3.3.3/32 srcport=80 dstport=1100",
			"out accept prio=500 tcp srcip=3.3.3.3/32 srcport=80 dstport=1110",
		},
	}, {
		// Each iterator walks its distinct values (A: 3, B: 2); @1, seen
		// first, varies fastest.
		name:   "product of two iterators",
		rule:   rule(t, acc, out, 500, tcp, "srcipaddr=$A[@1]", "srcportstart=$B[@2]"),
		params: abcVars,
		want: []string{
			"out accept prio=500 tcp srcip=1.1.1.1/32 srcport=80",
			"out accept prio=500 tcp srcip=2.2.2.2/32 srcport=80",
			"out accept prio=500 tcp srcip=3.3.3.3/32 srcport=80",
			"out accept prio=500 tcp srcip=1.1.1.1/32 srcport=90",
			"out accept prio=500 tcp srcip=2.2.2.2/32 srcport=90",
			"out accept prio=500 tcp srcip=3.3.3.3/32 srcport=90",
		},
	}, {
		// $A[@2] comes first in attribute order, so @2 varies faster than
		// @1; @0 ($C) always varies fastest even though it is seen last.
		name:   "odometer order is by sighting, @0 first",
		rule:   rule(t, acc, out, 500, tcp, "srcipaddr=$A[@2]", "srcportstart=$B[@1]", "dstportstart=$C"),
		params: []string{"A=1.1.1.1", "A=2.2.2.2", "B=1", "B=2", "C=7", "C=8"},
		want: []string{
			"out accept prio=500 tcp srcip=1.1.1.1/32 srcport=1 dstport=7",
			"out accept prio=500 tcp srcip=1.1.1.1/32 srcport=1 dstport=8",
			"out accept prio=500 tcp srcip=2.2.2.2/32 srcport=1 dstport=7",
			"out accept prio=500 tcp srcip=2.2.2.2/32 srcport=1 dstport=8",
			"out accept prio=500 tcp srcip=1.1.1.1/32 srcport=2 dstport=7",
			"out accept prio=500 tcp srcip=1.1.1.1/32 srcport=2 dstport=8",
			"out accept prio=500 tcp srcip=2.2.2.2/32 srcport=2 dstport=7",
			"out accept prio=500 tcp srcip=2.2.2.2/32 srcport=2 dstport=8",
		},
	}, {
		name:   "same variable on two iterators",
		rule:   rule(t, acc, out, 500, tcp, "srcportstart=$P", "dstportstart=$P[@1]"),
		params: []string{"P=1", "P=2"},
		want: []string{
			"out accept prio=500 tcp srcport=1 dstport=1",
			"out accept prio=500 tcp srcport=2 dstport=1",
			"out accept prio=500 tcp srcport=1 dstport=2",
			"out accept prio=500 tcp srcport=2 dstport=2",
		},
	}, {
		name:   "fixed element",
		rule:   rule(t, acc, out, 500, tcp, "srcipaddr=$A[1]", "dstportstart=$C"),
		params: []string{"A=1.1.1.1", "A=2.2.2.2", "C=7", "C=8"},
		want: []string{
			"out accept prio=500 tcp srcip=2.2.2.2/32 dstport=7",
			"out accept prio=500 tcp srcip=2.2.2.2/32 dstport=8",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			res := mapResolver{}.add(filter("f", "", tc.rule))
			g, err := Compile(res, binding(t, "f", tc.params...), CompileOptions{})
			require.NoError(t, err)
			assert.Equal(t, tc.want, ruleLines(g))
		})
	}
}

func TestIteratorsFixedElementBeyondListIsMissing(t *testing.T) {
	res := mapResolver{}.add(filter("f", "", rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoTCP, "srcipaddr=$A[2]")))
	_, err := Compile(res, binding(t, "f", "A=1.1.1.1", "A=2.2.2.2"), CompileOptions{})
	var mv *MissingVarsError
	require.ErrorAs(t, err, &mv)
	assert.Equal(t, []string{"A[2]"}, mv.Names)
}

func TestIteratorsCardinalityMismatch(t *testing.T) {
	f := filter("f", "", rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoTCP, "srcipaddr=$A", "srcportstart=$B"))
	f.Entries[0].Rule.Pos = Pos{File: "f.xml", Line: 3, Col: 3}
	_, err := Compile(mapResolver{}.add(f), binding(t, "f", "A=1.1.1.1", "A=2.2.2.2", "B=80"), CompileOptions{})
	var ce *CardinalityError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, []string{"A", "B"}, ce.Vars)
	assert.Equal(t, []int{2, 1}, ce.Lens)
	assert.Equal(t, "f", ce.Filter)
	assert.Contains(t, err.Error(), "f.xml:3:3")
	assert.Contains(t, err.Error(), "$A has 2, $B has 1")
}

func TestIteratorsOriginInstanceNumbersCombinations(t *testing.T) {
	res := mapResolver{}.add(filter("f", "",
		rule(t, ir.ActionDrop, ir.DirOut, 500, ir.ProtoTCP, "dstportstart=22"),
		rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoTCP, "srcportstart=$P")))
	g, err := Compile(res, binding(t, "f", "P=1", "P=2"), CompileOptions{})
	require.NoError(t, err)
	require.Len(t, g.IP, 3)
	assert.Equal(t, ir.Origin{Filter: "f", Index: 0, Instance: 0}, g.IP[0].Origin)
	assert.Equal(t, ir.Origin{Filter: "f", Index: 1, Instance: 0}, g.IP[1].Origin)
	assert.Equal(t, ir.Origin{Filter: "f", Index: 1, Instance: 1}, g.IP[2].Origin)
}

func TestExpansionLimitFailsFastOnHugeProduct(t *testing.T) {
	var params []string
	for _, v := range []string{"A", "B", "C"} {
		for i := 0; i < 1000; i++ {
			params = append(params, v+"="+strconv.Itoa(i))
		}
	}
	res := mapResolver{}.add(filter("f", "", rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoTCP,
		"srcportstart=$A[@1]", "dstportstart=$B[@2]", "dscp=$C[@3]")))
	start := time.Now()
	_, err := Compile(res, binding(t, "f", params...), CompileOptions{})
	elapsed := time.Since(start)
	var le *ExpansionLimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, uint64(1_000_000_000), le.Count)
	assert.Equal(t, DefaultMaxInstances, le.Limit)
	assert.Less(t, elapsed, 100*time.Millisecond)
}

func TestExpansionLimitCustomBound(t *testing.T) {
	res := mapResolver{}.add(filter("f", "", rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoTCP, "srcportstart=$P")))
	b := binding(t, "f", "P=1", "P=2", "P=3")
	_, err := Compile(res, b, CompileOptions{MaxInstances: 2})
	var le *ExpansionLimitError
	require.ErrorAs(t, err, &le)
	_, err = Compile(res, b, CompileOptions{MaxInstances: 3})
	require.NoError(t, err)
}

func TestExpansionLimitBoundsSharedSubtrees(t *testing.T) {
	// A diamond tower: each level references the next twice, 2^40 paths.
	res := mapResolver{}
	for i := 0; i < 40; i++ {
		next := "level" + strconv.Itoa(i+1)
		res.add(filter("level"+strconv.Itoa(i), "", ref(next), ref(next)))
	}
	res.add(filter("level40", "", rule(t, ir.ActionDrop, ir.DirOut, 500, ir.ProtoNone)))
	require.NoError(t, CheckRefs(res, "level0"))
	_, err := Compile(res, binding(t, "level0"), CompileOptions{})
	var le *ExpansionLimitError
	require.True(t, errors.As(err, &le), "got %v", err)
}
