package nwfilter

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/golden"
)

func TestBuiltinsParse(t *testing.T) {
	filters, err := parsedBuiltins()
	require.NoError(t, err)
	require.Len(t, filters, 24)
	for _, f := range filters {
		t.Run(f.Name, func(t *testing.T) {
			assert.NoError(t, CheckRefs(NewStore(), f.Name), "every reference of a built-in resolves, without cycles")
		})
	}
}

func TestBuiltinNames(t *testing.T) {
	names := BuiltinNames()
	assert.Len(t, names, 24)
	assert.IsIncreasing(t, names)
	assert.Contains(t, names, "clean-traffic")
	assert.Equal(t, names, NewStore().List())
}

// TestBuiltinsNormalized keeps the normalized XML of every built-in filter as
// a golden file, so changes to the parser or writer that alter a built-in show
// up in review.
func TestBuiltinsNormalized(t *testing.T) {
	filters, err := parsedBuiltins()
	require.NoError(t, err)
	dir := filepath.Join("testdata", "builtin-normalized")
	for _, f := range filters {
		t.Run(f.Name, func(t *testing.T) {
			got := FormatFilter(f)
			path := filepath.Join(dir, f.Name+".xml")
			golden.Check(t, path, got)

			again, err := ParseFilter(got, path)
			require.NoError(t, err, "the normalized form parses")
			assert.Equal(t, string(got), string(FormatFilter(again)), "normalizing is idempotent")
		})
	}
}
