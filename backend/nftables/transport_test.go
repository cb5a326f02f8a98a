package nftables

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/internal/netnstest"
)

func TestTransportOption(t *testing.T) {
	assert.Equal(t, "library", TransportLibrary.String())
	assert.Equal(t, "transport(9)", Transport(9).String())
	_, err := New(Options{Transport: 9, Conntrack: ConntrackBrNetfilter})
	assert.ErrorIs(t, err, ErrInvalidOption)
}

// TestKernelLibraryStaysInItsNamespace: the libnftables socket belongs to
// the namespace of the first change; later calls from elsewhere change that
// namespace, not the caller's.
func TestKernelLibraryStaysInItsNamespace(t *testing.T) {
	home, away := netnstest.New(t), netnstest.New(t)
	if home == nil {
		t.SkipNow()
	}
	ctx := context.Background()
	var b *Backend
	require.NoError(t, home.Do(func() error {
		var err error
		if b, err = New(Options{Transport: TransportLibrary, Conntrack: ConntrackBrNetfilter, IPSets: fakeIPSets{}}); err != nil {
			return err
		}
		return b.Apply(ctx, ipLayer("vnet0"))
	}))
	require.NoError(t, away.Do(func() error { return b.Apply(ctx, ipLayer("vnet1")) }))

	list := func(l *netnstest.Lab) string {
		out, _, err := l.Run(ctx, "nft", "list", "ruleset")
		require.NoError(t, err)
		return out
	}
	assert.Contains(t, list(home), "fi/vnet1")
	assert.Empty(t, list(away))

	require.NoError(t, b.Close())
	require.NoError(t, b.Close(), "closing twice is harmless")
	assert.ErrorIs(t, home.Do(func() error { return b.Teardown(ctx, "vnet0") }), backend.ErrClosed)
	assert.Contains(t, list(home), "fi/vnet0", "a closed Backend changes nothing")
}
