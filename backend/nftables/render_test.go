package nftables

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/internal/golden"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func newFakeBackend(t testing.TB, path ConntrackPath) (*Backend, *knftables.Fake) {
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
				golden.Check(t, filepath.Join("testdata", path.String()+"-"+name+".nft"), []byte(s.Sections[0].Text))
			})
		}
	}
	t.Run("ctdir", func(t *testing.T) {
		b, err := New(Options{NFT: knftables.NewFake("", ""), Conntrack: ConntrackBrNetfilter, ConntrackDirection: true, IPSets: fakeIPSets{}})
		require.NoError(t, err)
		s, err := b.Render(ipLayer("vnet1"))
		require.NoError(t, err)
		golden.Check(t, filepath.Join("testdata", "br_netfilter-ip-layer-ctdir.nft"), []byte(s.Sections[0].Text))
	})
}
