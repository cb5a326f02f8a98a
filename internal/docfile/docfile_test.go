package docfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.xml")
	require.NoError(t, os.WriteFile(good, []byte("<filter/>"), 0o644))
	data, err := Read(good)
	require.NoError(t, err)
	assert.Equal(t, "<filter/>", string(data))

	_, err = Read(filepath.Join(dir, "missing.xml"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	_, err = Read(dir)
	assert.ErrorContains(t, err, "not a regular file")

	fifo := filepath.Join(dir, "fifo.xml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	_, err = Read(fifo)
	assert.ErrorContains(t, err, "not a regular file", "a FIFO is refused without blocking")

	big := filepath.Join(dir, "big.xml")
	require.NoError(t, os.WriteFile(big, make([]byte, MaxSize+1), 0o644))
	_, err = Read(big)
	assert.ErrorContains(t, err, "larger than")
}
