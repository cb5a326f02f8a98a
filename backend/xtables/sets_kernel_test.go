//go:build linux

package xtables

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/kerneltest"
	"github.com/gonwfilter/gonwfilter/internal/netnstest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// TestKernelSets manages ipsets in a lab's host namespace while a binding's
// rules use them, and checks the verdicts with real traffic.
func TestKernelSets(t *testing.T) {
	netnstest.Require(t, "ebtables-restore", "iptables-restore", "ip6tables-restore", "ipset")
	e := kerneltest.NewEnv(t)
	ctx := context.Background()
	b, err := New(Options{})
	require.NoError(t, err)
	do := func(f func() error) error { return e.Lab.Do(f) }
	ipset := func(args ...string) string {
		out, stderr, err := e.Lab.Run(ctx, "ipset", args...)
		require.NoError(t, err, stderr)
		return out
	}
	const port = 7777
	kerneltest.ListenUDP(t, e.VM1.Netns, port)
	vm2v4 := netip.PrefixFrom(e.VM2.IPv4(), 32)
	vm2v6 := netip.PrefixFrom(e.VM2.IPv6(), 128)
	other := []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")} // not the lab's network
	const v4, v6 = "gnwf-kt-allow", "gnwf-kt-allow6"
	fromVM2 := func(ctx context.Context, e *kerneltest.Env) error {
		return e.VM2.ProbeUDP(ctx, netip.AddrPortFrom(e.VM1.IPv4(), port))
	}
	fromVM2v6 := func(ctx context.Context, e *kerneltest.Env) error {
		return e.VM2.ProbeUDP(ctx, netip.AddrPortFrom(e.VM1.IPv6(), port))
	}

	require.NoError(t, do(func() error { return b.SetMembers(ctx, v4, []netip.Prefix{vm2v4}) }))
	require.NoError(t, do(func() error { return b.SetMembers(ctx, v6, []netip.Prefix{vm2v6}) }))
	assert.Contains(t, ipset("list", "-t", v4), "Type: hash:net")
	assert.Contains(t, ipset("list", "-t", v6), "family inet6")
	assert.Contains(t, ipset("list", v6), vm2v6.Addr().String())

	// VM1 takes traffic only from addresses in the sets.
	g := kerneltest.NewGraph(e.VM1.PortDev(), e.MAC1()).Rule(
		kerneltest.R(ir.ProtoICMPv6, ir.DirInOut, ir.ActionAccept),
		kerneltest.R(ir.ProtoAll, ir.DirIn, ir.ActionAccept, kerneltest.IPSet(v4, ir.SetSrc)),
		kerneltest.R(ir.ProtoAllv6, ir.DirIn, ir.ActionAccept, kerneltest.IPSet(v6, ir.SetSrc)),
		kerneltest.R(ir.ProtoAll, ir.DirIn, ir.ActionDrop),
		kerneltest.R(ir.ProtoAllv6, ir.DirIn, ir.ActionDrop),
	).Graph()
	require.NoError(t, do(func() error { return b.Apply(ctx, g) }))
	check := func(t *testing.T, name string, want kerneltest.Verdict, run func(context.Context, *kerneltest.Env) error) {
		t.Helper()
		kerneltest.Check(ctx, t, e, kerneltest.Probe{Name: name, Want: want, Run: run})
	}
	check(t, "IPv4 from a member", kerneltest.Pass, fromVM2)
	check(t, "IPv6 from a member", kerneltest.Pass, fromVM2v6)

	t.Run("replacing members changes the verdict", func(t *testing.T) {
		require.NoError(t, do(func() error { return b.SetMembers(ctx, v4, other) }))
		check(t, "IPv4 after VM2 left the set", kerneltest.Block, fromVM2)
		require.NoError(t, do(func() error {
			return b.SetMembers(ctx, v6, []netip.Prefix{netip.MustParsePrefix("2001:db8:ffff::/48")})
		}))
		check(t, "IPv6 after VM2 left the set", kerneltest.Block, fromVM2v6)
		require.NoError(t, do(func() error {
			return b.SetMembers(ctx, v4, append(other, netip.PrefixFrom(e.VM2.IPv4(), 24)))
		}))
		check(t, "IPv4 after VM2's network joined", kerneltest.Pass, fromVM2)
		require.NoError(t, do(func() error { return b.SetMembers(ctx, v6, []netip.Prefix{vm2v6}) }))
		check(t, "IPv6 after VM2 joined again", kerneltest.Pass, fromVM2v6)
		assert.NotContains(t, ipset("list", "-n"), tempSetPrefix, "no temporary set is left")
	})

	t.Run("replacement is atomic for the rules", func(t *testing.T) {
		// Two member lists that both hold VM2 and not VM3, swapped in turn
		// while both send: VM2 must never be blocked, VM3 never let through.
		vm3, err := e.Lab.AddVM(ctx, netnstest.VMConfig{})
		require.NoError(t, err)
		lists := [2][]netip.Prefix{manyPrefixes(10, 1000), manyPrefixes(11, 1000)}
		for i := range lists {
			lists[i] = append(lists[i], vm2v4)
		}
		// The previous subtest left VM2's whole network (with VM3) in the set.
		require.NoError(t, do(func() error { return b.SetMembers(ctx, v4, lists[1]) }))
		member := netnstest.StartStream(ctx, 2*time.Millisecond, func(ctx context.Context) error {
			return e.VM2.ProbeUDP(ctx, netip.AddrPortFrom(e.VM1.IPv4(), port))
		})
		stranger := netnstest.StartStream(ctx, 2*time.Millisecond, func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			return vm3.ProbeUDP(ctx, netip.AddrPortFrom(e.VM1.IPv4(), port))
		})
		// Replace for a second at least, so that both streams run many probes.
		start := time.Now()
		updates := 0
		for ; updates < 40 || time.Since(start) < time.Second; updates++ {
			require.NoError(t, do(func() error { return b.SetMembers(ctx, v4, lists[updates%2]) }))
		}
		took := time.Since(start)
		rm, rs := member.Stop(), stranger.Stop()
		t.Logf("%d replacements of 1001 members in %v (%v each); member stream %d/%d delivered, stranger stream %d/%d blocked",
			updates, took, took/time.Duration(updates), rm.Delivered, rm.Total(), rs.Blocked, rs.Total())
		assert.Positive(t, rm.Delivered)
		assert.Zero(t, rm.Blocked+rm.Failed, "a member was blocked during the replacements: %v", rm.Errors)
		assert.Zero(t, rs.Delivered, "a stranger got through during the replacements")
		assert.Zero(t, rs.Failed, "%v", rs.Errors)
	})

	t.Run("refusals change nothing", func(t *testing.T) {
		before := ipset("save")
		err := do(func() error { return b.SetMembers(ctx, "gnwf-kt-mixed", []netip.Prefix{vm2v4, vm2v6}) })
		var me *IPSetMemberError
		require.ErrorAs(t, err, &me)
		assert.Equal(t, 1, me.Index)
		err = do(func() error { return b.SetMembers(ctx, v4, []netip.Prefix{vm2v6}) })
		var fe *IPSetFamilyError
		require.ErrorAs(t, err, &fe)
		ipset("create", "gnwf-kt-user", "hash:ip")
		err = do(func() error { return b.SetMembers(ctx, "gnwf-kt-user", other) })
		require.ErrorIs(t, err, ErrIPSetNotOwned)
		err = do(func() error { return b.DeleteSet(ctx, "gnwf-kt-user") })
		require.ErrorIs(t, err, ErrIPSetNotOwned)
		ipset("destroy", "gnwf-kt-user")
		assert.Equal(t, before, ipset("save"))
	})

	t.Run("a failed fill leaves the live set and no temporary", func(t *testing.T) {
		before := ipset("save")
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		b2, err := New(Options{})
		require.NoError(t, err)
		// Cancelled before the first add: SetMembers stops before touching
		// the kernel; then a cancellation midway, after the temporary exists.
		require.ErrorIs(t, do(func() error { return b2.SetMembers(cctx, v4, other) }), context.Canceled)
		midway := &cancelAfterAdds{n: 1}
		b2.opts.ipsets = func() (ipsetConn, error) {
			c, err := openNetlinkIPSets()
			midway.ipsetConn = c
			return midway, err
		}
		err = do(func() error { return b2.SetMembers(midway.ctx(ctx), v4, manyPrefixes(12, 3*addBatch)) })
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, before, ipset("save"))
		check(t, "still a member", kerneltest.Pass, fromVM2)
	})

	t.Run("delete is refused while rules use the set", func(t *testing.T) {
		err := do(func() error { return b.DeleteSet(ctx, v4) })
		var ue *IPSetInUseError
		require.ErrorAs(t, err, &ue)
		assert.Equal(t, []string{e.VM1.PortDev()}, ue.PortDevs)

		// A backend that did not install the rules meets the kernel's refusal.
		b2, err := New(Options{})
		require.NoError(t, err)
		err = do(func() error { return b2.DeleteSet(ctx, v4) })
		require.ErrorAs(t, err, &ue)
		assert.Empty(t, ue.PortDevs)
		require.Error(t, ue.Err)
		t.Logf("kernel refusal: %v", err)

		names, err := listSets(b2, e)
		require.NoError(t, err)
		assert.Equal(t, []string{v4, v6}, names, "a new backend recognises the sets")
	})

	t.Run("delete after teardown", func(t *testing.T) {
		require.NoError(t, do(func() error { return b.Teardown(ctx, e.VM1.PortDev()) }))
		for _, s := range []string{v4, v6} {
			require.NoError(t, do(func() error { return b.DeleteSet(ctx, s) }))
		}
		require.NoError(t, do(func() error { return b.DeleteSet(ctx, v4) }), "deleting a missing set is not an error")
		names, err := listSets(b, e)
		require.NoError(t, err)
		assert.Empty(t, names)
		assert.Empty(t, strings.TrimSpace(ipset("list", "-n")))
	})
}

// TestKernelSetsLarge times filling a large set.
func TestKernelSetsLarge(t *testing.T) {
	netnstest.Require(t, "ipset")
	lab := netnstest.New(t)
	if lab == nil {
		t.SkipNow()
	}
	ctx := context.Background()
	b, err := New(Options{})
	require.NoError(t, err)
	members := manyPrefixes(10, 20000)
	start := time.Now()
	require.NoError(t, lab.Do(func() error { return b.SetMembers(ctx, "gnwf-kt-large", members) }))
	took := time.Since(start)
	out, stderr, err := lab.Run(ctx, "ipset", "list", "-t", "gnwf-kt-large")
	require.NoError(t, err, stderr)
	assert.Contains(t, out, "Number of entries: 20000")
	t.Logf("filled a set with %d members in %v (%v per member)", len(members), took, took/time.Duration(len(members)))

	start = time.Now()
	require.NoError(t, lab.Do(func() error { return b.SetMembers(ctx, "gnwf-kt-large", members[:1]) }))
	t.Logf("replaced %d members with one in %v", len(members), time.Since(start))
}

func listSets(b *Backend, e *kerneltest.Env) (names []string, err error) {
	err = e.Lab.Do(func() error {
		names, err = b.ListSets(context.Background())
		return err
	})
	return names, err
}

// manyPrefixes returns n distinct /32 prefixes in first.0.0.0/8.
func manyPrefixes(first byte, n int) []netip.Prefix {
	out := make([]netip.Prefix, n)
	for i := range out {
		out[i] = netip.PrefixFrom(netip.AddrFrom4([4]byte{first, byte(i >> 16), byte(i >> 8), byte(i)}), 32)
	}
	return out
}

// cancelAfterAdds is an ipsetConn that cancels its context after n add
// requests.
type cancelAfterAdds struct {
	ipsetConn
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfterAdds) ctx(parent context.Context) context.Context {
	ctx, cancel := context.WithCancel(parent)
	c.cancel = cancel
	return ctx
}

func (c *cancelAfterAdds) add(name string, members []netip.Prefix) error {
	if c.n--; c.n == 0 {
		c.cancel()
	}
	return c.ipsetConn.add(name, members)
}
