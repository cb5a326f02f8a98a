package golden

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckMatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	require.NoError(t, os.WriteFile(path, []byte("a\nb\n"), 0o644))
	assert.True(t, Check(t, path, []byte("a\nb\n")))
}

func TestCheckMismatchFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	require.NoError(t, os.WriteFile(path, []byte("a\nb\n"), 0o644))
	ft := &fakeT{TB: t}
	assert.False(t, Check(ft, path, []byte("a\nc\n")))
	assert.True(t, ft.failed)
}

func TestCheckUpdateCreatesDirectories(t *testing.T) {
	old := *update
	*update = true
	t.Cleanup(func() { *update = old })
	path := filepath.Join(t.TempDir(), "new", "dir", "x.golden")
	assert.True(t, Check(t, path, []byte("fresh\n")))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "fresh\n", string(data))
}

// fakeT records a failure instead of failing the real test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Helper()               {}
