package conntrack

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSysctl(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "net/bridge"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "net/bridge/bridge-nf-call-iptables"), []byte("1\n"), 0o644))
	s := Sysctl{Root: root}

	v, err := s.Get(BridgeNFCallIPTables)
	require.NoError(t, err)
	assert.Equal(t, "1", v)

	on, err := s.Enabled(BridgeNFCallIPTables)
	require.NoError(t, err)
	assert.True(t, on)

	on, err = s.Enabled(BridgeNFCallIP6Tables)
	require.NoError(t, err, "a missing sysctl reads as disabled")
	assert.False(t, on)

	require.NoError(t, s.Set(BridgeNFCallIPTables, "0"))
	on, err = s.Enabled(BridgeNFCallIPTables)
	require.NoError(t, err)
	assert.False(t, on)

	for _, bad := range []string{"", "net/../../etc/passwd", "net.bridge x", "a\x00b"} {
		_, err := s.Get(bad)
		assert.Error(t, err, "name %q", bad)
	}
}
