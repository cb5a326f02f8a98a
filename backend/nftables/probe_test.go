package nftables

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/backend"
)

// versionExec answers "nft --version".
type versionExec struct{}

func (versionExec) Run(_ context.Context, c backend.Command) ([]byte, error) {
	return []byte("nftables v1.0.6 (Lester Gooch #5)\n"), nil
}

func (versionExec) LookPath(name string) (string, error) { return "/usr/sbin/" + name, nil }

// checkFailer fails nft --check for bridge-family ct and reject rules, like
// a kernel without nf_conntrack_bridge and nft_reject_bridge.
type checkFailer struct{ *knftables.Fake }

func (c checkFailer) Check(ctx context.Context, tx *knftables.Transaction) error {
	if s := tx.String(); containsAll(s, "bridge", "ct state") || containsAll(s, "bridge", "reject") {
		return errors.New("Error: Could not process rule: Protocol error")
	}
	return c.Fake.Check(ctx, tx)
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
func TestProbeAndAutoPath(t *testing.T) {
	nft := checkFailer{knftables.NewFake("", "")}
	b, err := New(Options{NFT: nft, Exec: versionExec{}})
	require.NoError(t, err)
	assert.Equal(t, ConntrackBrNetfilter, b.ConntrackPath(), "no bridge conntrack: br_netfilter path")

	caps, err := b.Probe(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "nftables", caps.Backend)
	require.Len(t, caps.Tools, 1)
	assert.Equal(t, backend.Tool{Name: "nft", Path: "/usr/sbin/nft", Version: "1.0.6"}, caps.Tools[0])
	assert.False(t, caps.Has(FeatureBridgeConntrack))
	assert.False(t, caps.Has(FeatureBridgeReject))
	assert.True(t, caps.Has(FeatureConnlimit))
	assert.True(t, caps.Has(FeatureInetReject))
	assert.True(t, caps.Has(FeatureConntrackPath))

	b2, err := New(Options{NFT: knftables.NewFake("", ""), Exec: versionExec{}})
	require.NoError(t, err)
	assert.Equal(t, ConntrackBridge, b2.ConntrackPath(), "bridge conntrack available: bridge path")
	assert.Equal(t, 0, len(nft.Fake.Tables), "probing commits nothing")
}
