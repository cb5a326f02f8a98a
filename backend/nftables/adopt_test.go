package nftables

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// fullBinding has Ethernet sub-chains, every IP-layer chain, a connlimit
// set and an imported ipset.
func fullBinding(dev string) *ir.Graph {
	g := cleanTraffic(dev)
	g.IP = ipLayer(dev).IP
	return g
}

// process is a new Backend over fake: what a new nwfilterctl run does.
func process(t *testing.T, fake *knftables.Fake, path ConntrackPath, log *bytes.Buffer) *Backend {
	t.Helper()
	opts := Options{NFT: fake, Conntrack: path, IPSets: fakeIPSets{}}
	if log != nil {
		opts.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	b, err := New(opts)
	require.NoError(t, err)
	return b
}

// TestAdoptAcrossProcesses: bindings applied and torn down by separate
// Backend values leave exactly what one Backend doing the same leaves.
func TestAdoptAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	for _, path := range []ConntrackPath{ConntrackBrNetfilter, ConntrackBridge} {
		t.Run(path.String(), func(t *testing.T) {
			one := knftables.NewFake("", "")
			ref := process(t, one, path, nil)
			shared := knftables.NewFake("", "")

			require.NoError(t, ref.Apply(ctx, fullBinding("vnet0")))
			require.NoError(t, ref.Apply(ctx, fullBinding("vnet1")))
			require.NoError(t, process(t, shared, path, nil).Apply(ctx, fullBinding("vnet0")))
			require.NoError(t, process(t, shared, path, nil).Apply(ctx, fullBinding("vnet1")))
			assert.Equal(t, one.Dump(), shared.Dump(), "the second process keeps vnet0")
			tx := shared.LastTransaction.String()
			assert.NotContains(t, tx, "vnet0")
			assert.NotContains(t, tx, "table")

			// Teardown from a third process removes all of vnet0.
			require.NoError(t, ref.Teardown(ctx, "vnet0"))
			require.NoError(t, process(t, shared, path, nil).Teardown(ctx, "vnet0"))
			assert.Equal(t, one.Dump(), shared.Dump())
			assert.NotContains(t, shared.Dump(), "vnet0")

			// Re-applying an adopted binding replaces it: same content.
			p4 := process(t, shared, path, nil)
			require.NoError(t, p4.Apply(ctx, fullBinding("vnet1")))
			assert.Equal(t, one.Dump(), shared.Dump())
			last := shared.LastTransaction
			require.NoError(t, p4.Apply(ctx, fullBinding("vnet1")))
			assert.Same(t, last, shared.LastTransaction, "once replaced, the binding is known")

			// The last teardown, from yet another process, removes the tables.
			require.NoError(t, process(t, shared, path, nil).Teardown(ctx, "vnet1"))
			assert.Empty(t, strings.TrimSpace(shared.Dump()))
		})
	}
}

// TestRenderIsFirstApply: in a fresh namespace adoption finds nothing and
// the first Apply sends exactly what Render returns.
func TestRenderIsFirstApply(t *testing.T) {
	fake := knftables.NewFake("", "")
	b := process(t, fake, ConntrackBrNetfilter, nil)
	s, err := b.Render(fullBinding("vnet0"), l2Exotic("vnet1"))
	require.NoError(t, err)
	require.NoError(t, b.Apply(context.Background(), fullBinding("vnet0"), l2Exotic("vnet1")))
	assert.Equal(t, s.Sections[0].Text, foldScript(fake.LastTransaction.String()))
}

// TestAdoptedBindingChanges: an adopted binding applied with other content
// loses its sub-chains, connlimit sets and IP-layer elements.
func TestAdoptedBindingChanges(t *testing.T) {
	ctx := context.Background()
	one, shared := knftables.NewFake("", ""), knftables.NewFake("", "")
	ref := process(t, one, ConntrackBrNetfilter, nil)
	require.NoError(t, ref.Apply(ctx, fullBinding("vnet0"), fullBinding("vnet1")))
	require.NoError(t, ref.Apply(ctx, l2Exotic("vnet0")))
	require.NoError(t, process(t, shared, ConntrackBrNetfilter, nil).Apply(ctx, fullBinding("vnet0"), fullBinding("vnet1")))
	require.NoError(t, process(t, shared, ConntrackBrNetfilter, nil).Apply(ctx, l2Exotic("vnet0")))
	// Map elements come back in another order: compare the lines as sets.
	assert.ElementsMatch(t, strings.Split(one.Dump(), "\n"), strings.Split(shared.Dump(), "\n"))
	assert.NotContains(t, shared.Dump(), "cl/vnet0")
}

func TestAdoptedIDsDoNotCollide(t *testing.T) {
	ctx := context.Background()
	fake := knftables.NewFake("", "")
	p1 := process(t, fake, ConntrackBrNetfilter, nil)
	require.NoError(t, p1.Apply(ctx, ipLayer("a"), cleanTraffic("l2only"), ipLayer("b"), ipLayer("c")))
	require.NoError(t, p1.Teardown(ctx, "b"))

	p2 := process(t, fake, ConntrackBrNetfilter, nil)
	require.NoError(t, p2.Apply(ctx, ipLayer("d"), ipLayer("e")))
	ids := map[string]uint32{}
	for dev, bd := range p2.st.bindings {
		ids[dev] = bd.id
	}
	// l2only held id 2 in p1 but wrote no mark: its id is not in the kernel.
	assert.Equal(t, map[string]uint32{"a": 1, "c": 4, "l2only": 0, "d": 2, "e": 3}, ids)

	// An adopted binding without a port id gets one when it needs it.
	require.NoError(t, p2.Apply(ctx, fullBinding("l2only")))
	assert.Equal(t, uint32(5), p2.st.bindings["l2only"].id)
	assert.Contains(t, fake.Dump(), `add element bridge gonwfilter port-ids { "l2only" : 0x00000005 }`)
}

func TestAdoptFallsBackToReplace(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		first  ConntrackPath
		tamper func(tx *knftables.Transaction)
		reason string
	}{
		{"older version", ConntrackBrNetfilter, func(tx *knftables.Transaction) {
			tx.Delete(&knftables.Set{Family: knftables.BridgeFamily, Table: DefaultTable, Name: "layout/2/br_netfilter/0x3ffffff0"})
		}, "no layout tag"},
		{"other conntrack path", ConntrackBridge, nil, "want layout/2/br_netfilter"},
		{"unknown object", ConntrackBrNetfilter, func(tx *knftables.Transaction) {
			tx.Add(&knftables.Chain{Family: knftables.InetFamily, Table: DefaultTable, Name: "someone-elses"})
		}, `unexpected chain \"someone-elses\"`},
		{"missing dispatch map", ConntrackBrNetfilter, func(tx *knftables.Transaction) {
			tx.Delete(&knftables.Map{Family: knftables.BridgeFamily, Table: DefaultTable, Name: mapPortIDs})
		}, "objects of the skeleton"},
		{"mark key and port id disagree", ConntrackBrNetfilter, func(tx *knftables.Transaction) {
			id := &knftables.Element{Family: knftables.BridgeFamily, Table: DefaultTable, Map: mapPortIDs, Key: []string{`"vnet0"`}}
			tx.Delete(id)
			id.Value = []string{"0x00000007"}
			tx.Add(id)
		}, "does not match its port id"},
		{"element without chain", ConntrackBrNetfilter, func(tx *knftables.Transaction) {
			tx.Add(&knftables.Element{Family: knftables.BridgeFamily, Table: DefaultTable, Map: mapL2To, Key: []string{`"vnet0"`}, Value: []string{"jump from/vnet0"}})
		}, "wrong target"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := knftables.NewFake("", "")
			require.NoError(t, process(t, fake, c.first, nil).Apply(ctx, fullBinding("vnet0")))
			if c.tamper != nil {
				tx := fake.NewTransaction()
				c.tamper(tx)
				require.NoError(t, fake.Run(ctx, tx))
			}
			var log bytes.Buffer
			p2 := process(t, fake, ConntrackBrNetfilter, &log)
			require.NoError(t, p2.Apply(ctx, fullBinding("vnet1")))
			assert.Contains(t, log.String(), "cannot adopt")
			assert.Contains(t, log.String(), "bindings=[vnet0]", "the dropped bindings are named")
			assert.Contains(t, log.String(), c.reason)

			fresh := knftables.NewFake("", "")
			require.NoError(t, process(t, fresh, ConntrackBrNetfilter, nil).Apply(ctx, fullBinding("vnet1")))
			assert.Equal(t, fresh.Dump(), fake.Dump(), "replaced wholesale")
		})
	}
}

func TestAdoptSets(t *testing.T) {
	ctx := context.Background()
	fake := knftables.NewFake("", "")
	p1 := process(t, fake, ConntrackBrNetfilter, nil)
	require.NoError(t, p1.SetMembers(ctx, "mine", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}))
	require.NoError(t, p1.Apply(ctx, ipLayer("vnet1"), ipLayer("vnet2"))) // imports "blocked"

	p2 := process(t, fake, ConntrackBrNetfilter, nil)
	names, err := p2.ListSets(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"blocked", "mine"}, names)
	assert.True(t, p2.st.sets["blocked"].imported)
	assert.False(t, p2.st.sets["mine"].imported)

	// The imported snapshot stays while an adopted binding may use it, and
	// goes with the last one.
	require.NoError(t, p2.Teardown(ctx, "vnet1"))
	assert.Contains(t, fake.Dump(), "ipset4/blocked")
	require.NoError(t, p2.Teardown(ctx, "vnet2"))
	assert.NotContains(t, fake.Dump(), "blocked")
	assert.Contains(t, fake.Dump(), "ipset4/mine", "a set given to SetMembers stays")

	// An imported set given to SetMembers loses its import marker.
	require.NoError(t, p2.Apply(ctx, ipLayer("vnet3")))
	require.NoError(t, p2.SetMembers(ctx, "blocked", nil))
	p3 := process(t, fake, ConntrackBrNetfilter, nil)
	require.NoError(t, p3.Teardown(ctx, "vnet3"))
	names, err = p3.ListSets(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"blocked", "mine"}, names)

	p4 := process(t, fake, ConntrackBrNetfilter, nil)
	require.NoError(t, p4.DeleteSet(ctx, "blocked"))
	require.NoError(t, p4.DeleteSet(ctx, "mine"))
	assert.Empty(t, strings.TrimSpace(fake.Dump()), "the last set takes the tables with it")
}

func TestAdoptListingFails(t *testing.T) {
	ctx := context.Background()
	fake := knftables.NewFake("", "")
	require.NoError(t, process(t, fake, ConntrackBrNetfilter, nil).Apply(ctx, fullBinding("vnet0")))
	before := fake.Dump()

	fail := true
	b, err := New(Options{NFT: fake, Conntrack: ConntrackBrNetfilter, IPSets: fakeIPSets{},
		TableNFT: func(f knftables.Family, table string) (knftables.Interface, error) {
			if fail {
				return nil, errors.New("injected")
			}
			return defaultTableNFT(fake)(f, table)
		}})
	require.NoError(t, err)
	assert.ErrorContains(t, b.Apply(ctx, fullBinding("vnet1")), "injected")
	assert.Equal(t, before, fake.Dump(), "nothing is replaced when listing fails")

	fail = false
	require.NoError(t, b.Apply(ctx, fullBinding("vnet1")))
	assert.Contains(t, fake.Dump(), "from/vnet0")
}

func TestAdoptHostileNames(t *testing.T) {
	ctx := context.Background()
	fake := knftables.NewFake("", "")
	devs := []string{"x;{}$@*", "y-1.2_3", "_5f"}
	gs := make([]*ir.Graph, len(devs))
	for i, d := range devs {
		gs[i] = fullBinding(d)
	}
	require.NoError(t, process(t, fake, ConntrackBrNetfilter, nil).Apply(ctx, gs...))
	require.NoError(t, process(t, fake, ConntrackBrNetfilter, nil).Teardown(ctx, devs...))
	assert.Empty(t, strings.TrimSpace(fake.Dump()))
}

func TestUnident(t *testing.T) {
	for _, s := range []string{"vnet0", "x;{}$@*", "_", "a/b", "é"} {
		enc, _ := nftText(textIdent, s)
		got, err := unident(enc)
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	for _, bad := range []string{"_", "_4", "_zz", "_41", "a_2F"} {
		_, err := unident(bad)
		assert.Error(t, err, bad)
	}
}
