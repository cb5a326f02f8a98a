// Package golden compares test output with golden files and rewrites them
// when the test binary runs with -update.
//
// It is imported only by tests. Importing it defines the -update flag, so a
// test package that uses it must not define its own.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Check compares got with the golden file at path and reports whether they
// match; a mismatch fails t (without stopping it) and shows a line diff.
// Under -update it first writes got to path, creating its directory.
// A missing golden file stops t, telling how to create it.
func Check(t testing.TB, path string, got []byte) bool {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing; run go test -run '%s' -update to create it", t.Name())
	return assert.Equal(t, string(want), string(got), "golden file %s differs; run go test -update to accept the new output", path)
}
