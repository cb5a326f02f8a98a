package nftables

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/internal/irtest"
	"github.com/gonwfilter/gonwfilter/internal/netnstest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// vmPolicy is a typical stateful VM policy on port dev with MAC mac: the VM
// may open anything, the outside may reach its TCP port 22, UDP to port 9 is
// rejected, everything else is dropped; frames from another MAC are dropped.
func vmPolicy(dev string, mac ir.MAC) *ir.Graph {
	root := &ir.Chain{Name: "root", Kind: ir.ChainRoot, Entries: []ir.Entry{
		{Rule: rule(ir.ProtoMAC, ir.DirOut, ir.ActionDrop, mSrcMAC(mac, true))},
	}}
	return &ir.Graph{
		Binding:  ir.Binding{PortDev: dev, MAC: mac},
		Ethernet: []*ir.Chain{root},
		IP: []*ir.Rule{
			rule(ir.ProtoUDP, ir.DirOut, ir.ActionReject, mNum(ir.FieldDstPort, 9, 9)),
			rule(ir.ProtoTCP, ir.DirIn, ir.ActionAccept, mNum(ir.FieldDstPort, 22, 22)),
			rule(ir.ProtoAll, ir.DirOut, ir.ActionAccept),
			rule(ir.ProtoAll, ir.DirInOut, ir.ActionDrop),
		},
	}
}

var macA = ir.MAC{0x52, 0x54, 0, 0, 0, 0x0a}

func TestKernelBrNetfilterPath(t *testing.T) {
	l := newLab(t)
	b := l.backend(t, ConntrackAuto)
	require.Equal(t, ConntrackBrNetfilter, b.ConntrackPath(), "this kernel lacks nf_conntrack_bridge")
	for _, port := range []uint16{22, 23, 80} {
		listenTCP(t, l.a.Netns, port)
		listenTCP(t, l.b.Netns, port)
	}
	listenTCP(t, l.Netns, 80)
	a, bIP, host := l.a.IPv4(), l.b.IPv4(), l.IPv4()

	l.apply(t, func(ctx context.Context) error { return b.Apply(ctx, vmPolicy("va", macA)) })

	assert.NoError(t, dialTCP(t, l.b.Netns, a, 22, dialTimeout), "B may open A:22 (fo new, fi reply established)")
	assert.Error(t, dialTCP(t, l.b.Netns, a, 23, dialTimeout), "B may not open A:23")
	assert.NoError(t, dialTCP(t, l.a.Netns, bIP, 80, dialTimeout), "A may open B:80 (fi new, fo reply established)")
	assert.NoError(t, dialTCP(t, l.a.Netns, host, 80, dialTimeout), "A may open host:80 (hi)")
	assert.True(t, udpRefused(t, l.a.Netns, bIP, 9), "UDP to port 9 is rejected with ICMP port unreachable")

	// Update: the binding's MAC changes, so the L2 rule drops A's frames.
	l.apply(t, func(ctx context.Context) error {
		return b.Apply(ctx, vmPolicy("va", ir.MAC{0x52, 0x54, 0, 0, 0, 0xff}))
	})
	assert.Error(t, dialTCP(t, l.a.Netns, bIP, 80, dialTimeout), "frames from a wrong MAC are dropped")

	l.apply(t, func(ctx context.Context) error { return b.Teardown(ctx, "va") })
	assert.NoError(t, dialTCP(t, l.b.Netns, a, 23, dialTimeout), "teardown removes all filtering")
	assert.NotContains(t, l.nftList(t), "gonwfilter")
}

func TestKernelConnlimit(t *testing.T) {
	l := newLab(t)
	b := l.backend(t, ConntrackBrNetfilter)
	listenTCP(t, l.b.Netns, 80)
	cl := rule(ir.ProtoTCP, ir.DirOut, ir.ActionDrop, mNum(ir.FieldDstPort, 80, 80))
	cl.ConnlimitAbove = 2
	g := &ir.Graph{Binding: ir.Binding{PortDev: "va", MAC: macA}, IP: []*ir.Rule{cl}}
	l.apply(t, func(ctx context.Context) error { return b.Apply(ctx, g) })
	for i := range 2 {
		require.NoError(t, dialTCP(t, l.a.Netns, l.b.IPv4(), 80, dialTimeout), "connection %d is under the limit", i+1)
	}
	assert.Error(t, dialTCP(t, l.a.Netns, l.b.IPv4(), 80, dialTimeout), "the third concurrent connection from A is over the limit")
	// The count is per source address: B's own connections to A are not limited.
	listenTCP(t, l.a.Netns, 80)
	assert.NoError(t, dialTCP(t, l.b.Netns, l.a.IPv4(), 80, dialTimeout))
}

func TestKernelRenderChecks(t *testing.T) {
	l := newLab(t)
	b := l.backend(t, ConntrackBrNetfilter)
	// Everything the renderer can produce loads into a real kernel.
	l.apply(t, func(ctx context.Context) error {
		b.ipsets = fakeIPSets{irtest.VariantIPSet: {netip.MustParsePrefix("10.0.0.1/32")}}
		return b.Apply(ctx, cleanTraffic("vnet0"), ipLayer("vnet1"), l2Exotic("vnet2"), ipLayer("x;{}$@*"), everyField("vnet3"))
	})
	var caps []string
	l.apply(t, func(ctx context.Context) error {
		cp, err := b.Probe(ctx)
		for _, f := range cp.Features {
			if f.Available {
				caps = append(caps, f.Name)
			}
		}
		return err
	})
	// A new Backend adopts all of it, awkward names too, and removes it.
	b2 := l.backend(t, ConntrackBrNetfilter)
	b2.ipsets = fakeIPSets{}
	l.apply(t, func(ctx context.Context) error {
		return b2.Teardown(ctx, "vnet0", "vnet1", "vnet2", "x;{}$@*", "vnet3")
	})
	assert.Empty(t, strings.TrimSpace(l.nftList(t)))
	assert.Contains(t, caps, FeatureBrNetfilter)
	assert.Contains(t, caps, FeatureConnlimit)
	assert.Contains(t, caps, FeatureInetReject)
	assert.NotContains(t, caps, FeatureBridgeConntrack)
}

// poisonNFT appends a command the kernel refuses to the next transaction.
type poisonNFT struct {
	knftables.Interface
	poison bool
}

func (p *poisonNFT) Run(ctx context.Context, tx *knftables.Transaction) error {
	if p.poison {
		p.poison = false
		tx.Add(&knftables.Rule{Family: knftables.InetFamily, Table: DefaultTable, Chain: "no-such-chain", Rule: "drop"})
	}
	return p.Interface.Run(ctx, tx)
}

// TestKernelFailedApplyChangesNothing: a transaction the kernel refuses
// leaves the previous rules in force, and the backend can apply again.
func TestKernelFailedApplyChangesNothing(t *testing.T) {
	l := newLab(t)
	var b *Backend
	nft := &poisonNFT{}
	l.apply(t, func(ctx context.Context) error {
		var err error
		if nft.Interface, err = knftables.New("", ""); err != nil {
			return err
		}
		b, err = New(Options{NFT: nft, Conntrack: ConntrackBrNetfilter})
		if err != nil {
			return err
		}
		return b.Apply(ctx, vmPolicy("va", macA))
	})
	before := l.nftList(t)

	nft.poison = true
	err := l.Do(func() error {
		return b.Apply(context.Background(), vmPolicy("vb", ir.MAC{0x52, 0x54, 0, 0, 0, 0x0b}), vmPolicy("va", ir.MAC{1, 2, 3, 4, 5, 6}))
	})
	require.Error(t, err)
	assert.Equal(t, before, l.nftList(t), "the refused transaction changed nothing")

	l.apply(t, func(ctx context.Context) error {
		return b.Apply(ctx, vmPolicy("vb", ir.MAC{0x52, 0x54, 0, 0, 0, 0x0b}))
	})
	assert.Contains(t, l.nftList(t), "fi/vb")
}

// TestKernelBridgePathStateless runs the bridge path (IP-layer chains in the
// bridge table, dispatched from the bridge forward and input hooks) on this
// kernel, which lacks bridge conntrack, with rules that need no conntrack.
func TestKernelBridgePathStateless(t *testing.T) {
	l := newLab(t)
	b := l.backend(t, ConntrackBridge)
	for _, vm := range []*netnstest.Netns{l.a.Netns, l.b.Netns, l.Netns} {
		for _, p := range []uint16{7777, 8888} {
			ln, err := vm.ListenUDP(p)
			require.NoError(t, err)
			t.Cleanup(func() { ln.Close() })
		}
	}
	stateless := func(r *ir.Rule) *ir.Rule { r.StateMatch = false; return r }
	g := &ir.Graph{Binding: ir.Binding{PortDev: "va", MAC: macA}, IP: []*ir.Rule{
		stateless(rule(ir.ProtoUDP, ir.DirIn, ir.ActionAccept, mNum(ir.FieldDstPort, 7777, 7777))),
		stateless(rule(ir.ProtoUDP, ir.DirOut, ir.ActionReject, mNum(ir.FieldDstPort, 8888, 8888))),
		stateless(rule(ir.ProtoUDP, ir.DirOut, ir.ActionAccept, mNum(ir.FieldDstPort, 7777, 7777))),
		rule(ir.ProtoAll, ir.DirInOut, ir.ActionDrop),
	}}
	l.apply(t, func(ctx context.Context) error { return b.Apply(ctx, g) })
	ctx := context.Background()
	a, peer, host := l.a.IPv4(), l.b.IPv4(), l.IPv4()
	assert.NoError(t, l.b.ProbeUDP(ctx, netip.AddrPortFrom(a, 7777)), "fo accepts, fi lets the reply out")
	assert.ErrorIs(t, l.b.ProbeUDP(ctx, netip.AddrPortFrom(a, 8888)), netnstest.ErrBlocked, "fo drops")
	assert.NoError(t, l.a.ProbeUDP(ctx, netip.AddrPortFrom(host, 7777)), "hi (bridge input hook) accepts")
	assert.ErrorIs(t, l.a.ProbeUDP(ctx, netip.AddrPortFrom(peer, 8888)), netnstest.ErrBlocked, "reject is a drop in the bridge family")
	assert.False(t, udpRefused(t, l.a.Netns, peer, 8888), "no ICMP error comes back")
	assert.NotContains(t, l.nftList(t), "table inet", "the bridge path uses the bridge table only")
}

// recordExec keeps the script of the last "nft -f -" it ran.
type recordExec struct {
	backend.Execer
	last string
}

func (r *recordExec) Run(ctx context.Context, cmd backend.Command) ([]byte, error) {
	if cmd.Path == "nft" && slices.Equal(cmd.Args, []string{"-f", "-"}) {
		r.last = string(cmd.Stdin)
	}
	return r.Execer.Run(ctx, cmd)
}

// TestKernelAdoptAcrossProcesses: each step is a new Backend, as each
// nwfilterctl run is; a later one keeps, replaces and removes the bindings
// of an earlier one.
func TestKernelAdoptAcrossProcesses(t *testing.T) {
	l := newLab(t)
	for _, port := range []uint16{22, 23} {
		listenTCP(t, l.a.Netns, port)
		listenTCP(t, l.b.Netns, port)
	}
	a, bIP := l.a.IPv4(), l.b.IPv4()
	macB := ir.MAC{0x52, 0x54, 0, 0, 0, 0x0b}

	var p1 *Backend
	rec := &recordExec{Execer: backend.OSExec{}}
	l.apply(t, func(ctx context.Context) error {
		var err error
		if p1, err = New(Options{Exec: rec, Transport: TransportProgram}); err != nil {
			return err
		}
		return p1.Apply(ctx, vmPolicy("va", macA))
	})
	require.Error(t, dialTCP(t, l.b.Netns, a, 23, dialTimeout), "va is filtered")
	s, err := p1.Render(vmPolicy("va", macA))
	require.NoError(t, err)
	assert.Equal(t, s.Sections[0].Text, rec.last, "the first Apply in a fresh namespace sends what Render returns")

	p2 := l.backend(t, ConntrackAuto)
	l.apply(t, func(ctx context.Context) error { return p2.Apply(ctx, vmPolicy("vb", macB)) })
	assert.Error(t, dialTCP(t, l.b.Netns, a, 23, dialTimeout), "va is still filtered after another process applied vb")
	assert.NoError(t, dialTCP(t, l.b.Netns, a, 22, dialTimeout))
	assert.Error(t, dialTCP(t, l.a.Netns, bIP, 23, dialTimeout), "vb is filtered")
	assert.NoError(t, dialTCP(t, l.a.Netns, bIP, 22, dialTimeout))

	// Re-applying an adopted binding replaces it in one transaction.
	p3 := l.backend(t, ConntrackAuto)
	l.apply(t, func(ctx context.Context) error { return p3.Apply(ctx, vmPolicy("va", macA), vmPolicy("vb", macB)) })
	assert.Error(t, dialTCP(t, l.b.Netns, a, 23, dialTimeout))
	assert.NoError(t, dialTCP(t, l.b.Netns, a, 22, dialTimeout))

	p4 := l.backend(t, ConntrackAuto)
	l.apply(t, func(ctx context.Context) error { return p4.Teardown(ctx, "va", "vb") })
	assert.Empty(t, strings.TrimSpace(l.nftList(t)), "the last teardown from a new process leaves nothing")
	assert.NoError(t, dialTCP(t, l.b.Netns, a, 23, dialTimeout))
}
