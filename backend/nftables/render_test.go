package nftables

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), got)
}

func newFakeBackend(t *testing.T, path ConntrackPath) (*Backend, *knftables.Fake) {
	t.Helper()
	fake := knftables.NewFake("", "")
	b, err := New(Options{NFT: fake, Conntrack: path, IPSets: fakeIPSets{}})
	require.NoError(t, err)
	return b, fake
}

func TestRenderGolden(t *testing.T) {
	graphs := map[string]*ir.Graph{
		"clean-traffic": cleanTraffic("vnet0"),
		"ip-layer":      ipLayer("vnet1"),
		"l2-exotic":     l2Exotic("vnet2"),
	}
	for _, path := range []ConntrackPath{ConntrackBrNetfilter, ConntrackBridge} {
		for name, g := range graphs {
			t.Run(path.String()+"/"+name, func(t *testing.T) {
				b, _ := newFakeBackend(t, path)
				s, err := b.Render(g)
				require.NoError(t, err)
				require.Len(t, s.Sections, 1)
				assert.Equal(t, "nft", s.Sections[0].Tool)
				golden(t, path.String()+"-"+name+".nft", s.Sections[0].Text)
			})
		}
	}
	t.Run("ctdir", func(t *testing.T) {
		b, err := New(Options{NFT: knftables.NewFake("", ""), Conntrack: ConntrackBrNetfilter, ConntrackDirection: true, IPSets: fakeIPSets{}})
		require.NoError(t, err)
		s, err := b.Render(ipLayer("vnet1"))
		require.NoError(t, err)
		golden(t, "br_netfilter-ip-layer-ctdir.nft", s.Sections[0].Text)
	})
}
