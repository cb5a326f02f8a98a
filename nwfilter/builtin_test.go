package nwfilter

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
			golden := filepath.Join(dir, f.Name+".xml")
			if *update {
				require.NoError(t, os.MkdirAll(dir, 0o755))
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to create the golden files")
			assert.Equal(t, string(want), string(got))

			again, err := ParseFilter(got, golden)
			require.NoError(t, err, "the normalized form parses")
			assert.Equal(t, string(got), string(FormatFilter(again)), "normalizing is idempotent")
		})
	}
}
