// Package docfile reads XML documents from disk without trusting them: only
// regular files (so a FIFO or device cannot hang the reader) and only up to
// MaxSize bytes.
package docfile

import (
	"fmt"
	"io"
	"os"
)

// MaxSize is the largest document Read accepts. libvirt's filter and binding
// documents are a few kilobytes.
const MaxSize = 4 << 20

// Read returns the contents of the regular file at path.
func Read(path string) ([]byte, error) {
	// Check before opening: opening a FIFO for reading blocks.
	if info, err := os.Stat(path); err != nil {
		return nil, err
	} else if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxSize)
	}
	return data, nil
}
