package nftables

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/internal/golden"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// failingNFT fails the next Run when fail is set.
type failingNFT struct {
	*knftables.Fake
	fail bool
}

func (f *failingNFT) Run(ctx context.Context, tx *knftables.Transaction) error {
	if f.fail {
		f.fail = false
		return errors.New("injected failure")
	}
	return f.Fake.Run(ctx, tx)
}

func TestApplyUpdateTeardown(t *testing.T) {
	ctx := context.Background()
	b, fake := newFakeBackend(t, ConntrackBrNetfilter)

	require.NoError(t, b.Apply(ctx, cleanTraffic("vnet0"), ipLayer("vnet1")))
	golden.Check(t, filepath.Join("testdata", "apply-two.dump"), []byte(fake.Dump()))

	// Unchanged: nothing is sent.
	last := fake.LastTransaction
	require.NoError(t, b.Apply(ctx, cleanTraffic("vnet0"), ipLayer("vnet1")))
	assert.Same(t, last, fake.LastTransaction, "re-applying unchanged bindings must not run nft")

	// One rule changes: only that binding's changed chains are flushed and refilled.
	g := ipLayer("vnet1")
	g.IP[0] = rule(ir.ProtoTCP, ir.DirIn, ir.ActionAccept, mNum(ir.FieldDstPort, 2222, 2222))
	require.NoError(t, b.Apply(ctx, g))
	tx := fake.LastTransaction.String()
	golden.Check(t, filepath.Join("testdata", "update-one-rule.nft"), []byte(tx))
	assert.NotContains(t, tx, "vnet0")
	assert.NotContains(t, tx, "add table", "the skeleton is sent once")
	assert.NotContains(t, tx, "element", "dispatch elements stay as they are")

	// Sub-chains that go are unlinked and deleted in the same transaction.
	ct := cleanTraffic("vnet0")
	ct.Ethernet = ct.Ethernet[:1]
	ct.Ethernet[0].Entries = []ir.Entry{{Rule: rule(ir.ProtoNone, ir.DirInOut, ir.ActionAccept)}}
	require.NoError(t, b.Apply(ctx, ct))
	golden.Check(t, filepath.Join("testdata", "update-drop-subchains.nft"), []byte(foldScript(fake.LastTransaction.String())))

	require.NoError(t, b.Teardown(ctx, "vnet1"))
	golden.Check(t, filepath.Join("testdata", "teardown-one.dump"), []byte(fake.Dump()))

	require.NoError(t, b.Teardown(ctx, "vnet0", "unknown"))
	assert.Empty(t, strings.TrimSpace(fake.Dump()), "the last teardown removes the tables")
}

func TestApplyIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	nft := &failingNFT{Fake: knftables.NewFake("", "")}
	b, err := New(Options{NFT: nft, TableNFT: defaultTableNFT(nft.Fake), Conntrack: ConntrackBrNetfilter, IPSets: fakeIPSets{}})
	require.NoError(t, err)

	require.NoError(t, b.Apply(ctx, cleanTraffic("vnet0")))
	before := nft.Dump()

	nft.fail = true
	require.Error(t, b.Apply(ctx, ipLayer("vnet1")))
	assert.Equal(t, before, nft.Dump())

	// The backend did not record the failed change: it sends it again.
	require.NoError(t, b.Apply(ctx, ipLayer("vnet1")))
	assert.Contains(t, nft.Dump(), "fi/vnet1")

	// A bad graph fails before anything is sent.
	bad := ipLayer("vnet2")
	bad.IP = append(bad.IP, rule(ir.ProtoTCP, ir.DirOut, ir.ActionAccept,
		ir.Match{Field: ir.FieldSrcIPRange, From: netip.MustParseAddr("10.0.0.9"), To: netip.MustParseAddr("10.0.0.1")}))
	last := nft.LastTransaction
	err = b.Apply(ctx, cleanTraffic("vnet3"), bad)
	var re *RuleError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "vnet2", re.PortDev)
	assert.True(t, IsUnsupported(err))
	assert.Same(t, last, nft.LastTransaction)
	assert.NotContains(t, nft.Dump(), "vnet3")
}

func TestPortIDsAreReused(t *testing.T) {
	ctx := context.Background()
	b, _ := newFakeBackend(t, ConntrackBrNetfilter)
	require.NoError(t, b.Apply(ctx, ipLayer("a"), ipLayer("b"), ipLayer("c")))
	require.NoError(t, b.Teardown(ctx, "b"))
	require.NoError(t, b.Apply(ctx, ipLayer("d")))
	assert.Equal(t, uint32(2), b.st.bindings["d"].id)
}

func TestHostileNames(t *testing.T) {
	ctx := context.Background()
	for _, dev := range []string{`a"b`, `a\b`, "a b", "a\nb", "", "0123456789abcdef", "a/b", "vé"} {
		b, fake := newFakeBackend(t, ConntrackBrNetfilter)
		err := b.Apply(ctx, ipLayer(dev))
		assert.Truef(t, IsUnsafeName(err), "%q: %v", dev, err)
		assert.Nil(t, fake.LastTransaction, "%q: nothing sent", dev)
	}
	// Valid but awkward interface names are quoted and escaped, never parsed.
	b, fake := newFakeBackend(t, ConntrackBrNetfilter)
	require.NoError(t, b.Apply(ctx, ipLayer("x;{}$@*"), ipLayer("y-1.2_3")))
	tx := fake.LastTransaction.String()
	assert.Contains(t, tx, `add element bridge gonwfilter l2-from { "x;{}$@\*" : jump from/x_3b_7b_7d_24_40_2a }`)
	assert.Contains(t, tx, "add chain inet gonwfilter fi/y-1.2_5f3")
	for _, line := range strings.Split(strings.TrimSpace(tx), "\n") {
		assert.Regexp(t, `^(add|delete|flush) `, line, "every line is one command")
	}
}

func TestEscaping(t *testing.T) {
	id, _ := nftText(textIdent, "a_b/c:d")
	assert.Equal(t, "a_5fb_2fc_3ad", id)
	c, _ := nftText(textComment, "x\"y\\z\x00;}"+strings.Repeat("é", 100))
	assert.True(t, strings.HasPrefix(c, "x'y/z ;}é"))
	assert.LessOrEqual(t, len(c), maxCommentBytes)
	assert.NotContains(t, c, `"`)
}

func TestOptions(t *testing.T) {
	fake := knftables.NewFake("", "")
	_, err := New(Options{NFT: fake, Table: "bad name"})
	assert.ErrorIs(t, err, ErrInvalidOption)
	_, err = New(Options{NFT: fake, MarkMask: 0xf0f0})
	assert.ErrorIs(t, err, ErrInvalidOption)
	_, err = New(Options{NFT: fake, MarkMask: 0x70})
	assert.ErrorIs(t, err, ErrInvalidOption)
	b, err := New(Options{NFT: fake, MarkMask: 0xff00, Conntrack: ConntrackBrNetfilter})
	require.NoError(t, err)
	assert.Equal(t, uint32(0x0f00), b.lay.mark.inMask())
	assert.Equal(t, uint32(0xf000), b.lay.mark.outMask())
	assert.Equal(t, "nftables", b.Name())
}

func TestIDsRunOut(t *testing.T) {
	fake := knftables.NewFake("", "")
	b, err := New(Options{NFT: fake, MarkMask: 0x3, Conntrack: ConntrackBrNetfilter, IPSets: fakeIPSets{}})
	require.NoError(t, err)
	require.NoError(t, b.Apply(context.Background(), ipLayer("a")))
	assert.ErrorIs(t, b.Apply(context.Background(), ipLayer("b")), errNoIDs)
}

func TestHostInputSharesForwardChain(t *testing.T) {
	b, _ := newFakeBackend(t, ConntrackBrNetfilter)
	s, err := b.Render(vmPolicy("vnet0", vmMAC))
	require.NoError(t, err)
	assert.Contains(t, s.Sections[0].Text, "add map inet gonwfilter hi { type mark : verdict ; elements = { 0x00000010 : jump fi/vnet0 } ; }")
	assert.NotContains(t, s.Sections[0].Text, "hi/vnet0")
}

func TestAddressFamilyMismatch(t *testing.T) {
	b, _ := newFakeBackend(t, ConntrackBrNetfilter)
	g := &ir.Graph{Binding: ir.Binding{PortDev: "vnet0"}, IP: []*ir.Rule{
		rule(ir.ProtoTCPv6, ir.DirOut, ir.ActionAccept, mIP(ir.FieldSrcIP, "10.0.0.0/8", false)),
	}}
	_, err := b.Render(g)
	assert.True(t, IsUnsupported(err), "%v", err)
}

func TestEmptyCalls(t *testing.T) {
	ctx := context.Background()
	b, fake := newFakeBackend(t, ConntrackBrNetfilter)
	s, err := b.Render()
	require.NoError(t, err)
	assert.Equal(t, "", s.Sections[0].Text)
	require.NoError(t, b.Apply(ctx))
	require.NoError(t, b.Teardown(ctx, "nothing"))
	assert.Nil(t, fake.LastTransaction)
	assert.Error(t, b.Apply(ctx, nil))
	g := ipLayer("vnet0")
	assert.Error(t, b.Apply(ctx, g, g), "a binding given twice")
}

func TestSameGraphPointerIsFree(t *testing.T) {
	ctx := context.Background()
	b, fake := newFakeBackend(t, ConntrackBrNetfilter)
	g := ipLayer("vnet0")
	require.NoError(t, b.Apply(ctx, g))
	last := fake.LastTransaction
	require.NoError(t, b.Apply(ctx, g))
	require.NoError(t, b.Apply(ctx, ipLayer("vnet0")), "an equal graph is compared by content")
	assert.Same(t, last, fake.LastTransaction)
}

func TestReset(t *testing.T) {
	ctx := context.Background()
	b, fake := newFakeBackend(t, ConntrackBrNetfilter)
	require.NoError(t, b.Reset(ctx), "nothing installed yet")
	require.NoError(t, b.Apply(ctx, ipLayer("vnet0")))
	require.NoError(t, b.Reset(ctx))
	assert.Empty(t, fake.Dump())
	// The backend starts over: the next Apply sends the skeleton again.
	require.NoError(t, b.Apply(ctx, ipLayer("vnet0")))
	assert.Contains(t, fake.Dump(), "fi/vnet0")
}

func TestConcurrentApply(t *testing.T) {
	ctx := context.Background()
	b, fake := newFakeBackend(t, ConntrackBrNetfilter)
	done := make(chan error)
	for i := range 8 {
		go func() { done <- b.Apply(ctx, ipLayer(fmt.Sprintf("vnet%d", i)), cleanTraffic(fmt.Sprintf("ct%d", i))) }()
	}
	for range 8 {
		require.NoError(t, <-done)
	}
	dump := fake.Dump()
	for i := range 8 {
		assert.Contains(t, dump, fmt.Sprintf("fi/vnet%d", i))
	}
	assert.Len(t, b.st.bindings, 16)
}
