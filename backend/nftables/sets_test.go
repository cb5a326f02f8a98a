package nftables

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSets(t *testing.T) {
	ctx := context.Background()
	b, fake := newFakeBackend(t, ConntrackBrNetfilter)
	pfx := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, x := range s {
			out = append(out, netip.MustParsePrefix(x))
		}
		return out
	}
	require.NoError(t, b.SetMembers(ctx, "blocked", pfx("192.0.2.0/24", "198.51.100.7/32")))
	require.NoError(t, b.Apply(ctx, ipLayer("vnet1")))
	dump := fake.Dump()
	assert.Contains(t, dump, "add element inet gonwfilter ipset4/blocked { 192.0.2.0/24 }")
	assert.NotContains(t, dump, "2001:db8::1", "SetMembers wins over the kernel ipset")

	// Replacing members is one transaction: flush and refill.
	require.NoError(t, b.SetMembers(ctx, "blocked", pfx("203.0.113.1/32")))
	tx := fake.LastTransaction.String()
	assert.Contains(t, tx, "flush set inet gonwfilter ipset4/blocked")
	assert.Contains(t, tx, "add element inet gonwfilter ipset4/blocked { 203.0.113.1 }")
	assert.NotContains(t, fake.Dump(), "192.0.2.0/24")

	assert.ErrorIs(t, b.DeleteSet(ctx, "blocked"), ErrSetInUse)
	assert.Error(t, b.SetMembers(ctx, "mixed", pfx("192.0.2.1/32", "2001:db8::/32")))
	assert.True(t, IsUnsafeName(b.SetMembers(ctx, "", nil)))
	require.NoError(t, b.SetMembers(ctx, "other set:1", nil))
	names, err := b.ListSets(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"blocked", "other set:1"}, names)
	assert.Contains(t, fake.Dump(), "ipset4/other_20set_3a1")

	require.NoError(t, b.Teardown(ctx, "vnet1"))
	require.NoError(t, b.DeleteSet(ctx, "blocked"))
	require.NoError(t, b.DeleteSet(ctx, "other set:1"))
	assert.Empty(t, fake.Dump())
}

func TestIPSetImport(t *testing.T) {
	ctx := context.Background()
	b, fake := newFakeBackend(t, ConntrackBrNetfilter)
	require.NoError(t, b.Apply(ctx, ipLayer("vnet1")))
	dump := fake.Dump()
	assert.Contains(t, dump, "add element inet gonwfilter ipset4/blocked { 198.51.100.0/24 }")
	assert.Contains(t, dump, "add element inet gonwfilter ipset6/blocked { 2001:db8::1 }")
	// Imported sets go with the last binding using them.
	require.NoError(t, b.Teardown(ctx, "vnet1"))
	names, _ := b.ListSets(ctx)
	assert.Empty(t, names)

	b2, _ := newFakeBackend(t, ConntrackBrNetfilter)
	g := ipLayer("vnet1")
	g.IP[8].Matches[0].IPSet.Name = "nosuchset"
	assert.ErrorIs(t, b2.Apply(ctx, g), ErrIPSetMissing)
}

func TestImportedSetGoesWithItsLastRule(t *testing.T) {
	ctx := context.Background()
	b, fake := newFakeBackend(t, ConntrackBrNetfilter)
	require.NoError(t, b.Apply(ctx, ipLayer("vnet1"), cleanTraffic("vnet0")))
	g := ipLayer("vnet1")
	g.IP = g.IP[:8] // without the ipset rule
	require.NoError(t, b.Apply(ctx, g))
	assert.NotContains(t, fake.Dump(), "ipset4/blocked")
	names, _ := b.ListSets(ctx)
	assert.Empty(t, names)
}
