package nwfilter

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func TestCycleDetected(t *testing.T) {
	res := mapResolver{}.add(
		filter("a", "", ref("b")),
		filter("b", "", ref("c"), rule(t, ir.ActionDrop, ir.DirOut, 500, ir.ProtoNone)),
		filter("c", "", ref("b")),
	)
	for _, check := range []func() error{
		func() error { return CheckRefs(res, "a") },
		func() error { _, err := Compile(res, binding(t, "a"), CompileOptions{}); return err },
	} {
		var ce *CycleError
		err := check()
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, []string{"b", "c", "b"}, ce.Path)
		assert.EqualError(t, err, "filter reference cycle: b -> c -> b")
	}
}

func TestSelfReferenceIsACycle(t *testing.T) {
	res := mapResolver{}.add(filter("a", "", ref("a")))
	var ce *CycleError
	require.ErrorAs(t, CheckRefs(res, "a"), &ce)
	assert.Equal(t, []string{"a", "a"}, ce.Path)
}

func TestSharedSubtreeIsNotACycle(t *testing.T) {
	res := mapResolver{}.add(
		filter("a", "", ref("b"), ref("c")),
		filter("b", "", ref("d")),
		filter("c", "", ref("d")),
		filter("d", "", rule(t, ir.ActionDrop, ir.DirOut, 500, ir.ProtoNone)),
	)
	require.NoError(t, CheckRefs(res, "a"))
	g, err := Compile(res, binding(t, "a"), CompileOptions{})
	require.NoError(t, err)
	assert.Len(t, g.Ethernet[0].Entries, 2)
}

func TestMissingFilterNamesReferrer(t *testing.T) {
	res := mapResolver{}.add(
		filter("a", "", ref("b")),
		filter("b", "", ref("ghost")),
	)
	err := CheckRefs(res, "a")
	require.ErrorIs(t, err, ErrFilterNotFound)
	assert.Contains(t, err.Error(), `filter "ghost", referenced by filter "b"`)

	_, err = Compile(res, binding(t, "a"), CompileOptions{})
	require.ErrorIs(t, err, ErrFilterNotFound)

	_, err = Compile(res, binding(t, "nothere"), CompileOptions{})
	require.ErrorIs(t, err, ErrFilterNotFound)
	assert.Contains(t, err.Error(), `filter "nothere"`)
}

func TestNilFilterFromResolverIsNotFound(t *testing.T) {
	res := mapResolver{"a": nil}
	require.ErrorIs(t, CheckRefs(res, "a"), ErrFilterNotFound)
}

func TestBadChainNameRejected(t *testing.T) {
	res := mapResolver{}.add(&Filter{Name: "a", Chain: "bogus"})
	err := CheckRefs(res, "a")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `filter "a"`)
}
