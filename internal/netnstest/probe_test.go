//go:build linux

package netnstest

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// peer is one probe destination: a namespace and one of its addresses.
type peer struct {
	name string
	ns   *Netns
	addr netip.Addr
}

func peers(lab *Lab, vm2 *VM) []peer {
	return []peer{
		{"vm2/v4", vm2.Netns, vm2.IPv4()},
		{"vm2/v6", vm2.Netns, vm2.IPv6()},
		{"host/v4", lab.Netns, lab.IPv4()},
		{"host/v6", lab.Netns, lab.IPv6()},
	}
}

func TestProbesWithoutFirewall(t *testing.T) {
	t.Parallel()
	lab, vm1, vm2 := twoVMs(t)
	ctx := t.Context()
	for _, ns := range []*Netns{vm2.Netns, lab.Netns} {
		_, err := ns.ListenTCP(8080)
		require.NoError(t, err)
		_, err = ns.ListenUDP(5353)
		require.NoError(t, err)
	}
	for _, p := range peers(lab, vm2) {
		t.Run(p.name, func(t *testing.T) {
			assert.NoError(t, vm1.ProbeTCP(ctx, netip.AddrPortFrom(p.addr, 8080)), "tcp")
			assert.NoError(t, vm1.ProbeUDP(ctx, netip.AddrPortFrom(p.addr, 5353)), "udp")
			assert.NoError(t, vm1.Ping(ctx, p.addr), "icmp")
			mac, err := vm1.ResolveNeighbor(ctx, p.addr)
			if assert.NoError(t, err, "neighbour") {
				assert.Equal(t, p.ns.MAC().String(), mac.String())
			}
		})
	}
	// And from the host to a VM.
	_, err := vm1.ListenTCP(22)
	require.NoError(t, err)
	assert.NoError(t, lab.ProbeTCP(ctx, netip.AddrPortFrom(vm1.IPv6(), 22)))
	assert.NoError(t, lab.Ping(ctx, vm1.IPv4()))
}

func TestProbesReportBlocked(t *testing.T) {
	t.Parallel()
	_, vm1, vm2 := twoVMs(t)
	ctx := t.Context()
	// Nobody listens: a TCP reset and an ICMP port unreachable are refusals.
	err := vm1.ProbeTCP(ctx, netip.AddrPortFrom(vm2.IPv4(), 9999))
	requireBlocked(t, err, true)
	err = vm1.ProbeUDP(ctx, netip.AddrPortFrom(vm2.IPv6(), 9999))
	requireBlocked(t, err, true)
	err = vm1.ProbeUDP(ctx, netip.AddrPortFrom(vm2.IPv4(), 9999))
	requireBlocked(t, err, true)

	// An address nobody has: no answer at all. The probes end at the
	// context's deadline (200 ms), well before the lab's probe timeout.
	ghost4 := netip.MustParseAddr("192.0.2.200")
	ghost6 := netip.MustParseAddr("2001:db8::200")
	for name, probe := range map[string]func(context.Context) error{
		"icmp4": func(ctx context.Context) error { return vm1.Ping(ctx, ghost4) },
		"icmp6": func(ctx context.Context) error { return vm1.Ping(ctx, ghost6) },
		"arp":   func(ctx context.Context) error { _, err := vm1.ResolveNeighbor(ctx, ghost4); return err },
		"ndp":   func(ctx context.Context) error { _, err := vm1.ResolveNeighbor(ctx, ghost6); return err },
		"tcp":   func(ctx context.Context) error { return vm1.ProbeTCP(ctx, netip.AddrPortFrom(ghost4, 80)) },
		"udp":   func(ctx context.Context) error { return vm1.ProbeUDP(ctx, netip.AddrPortFrom(ghost6, 80)) },
	} {
		start := time.Now()
		requireBlocked(t, probe(shortCtx(t)), false)
		assert.Less(t, time.Since(start), DefaultProbeTimeout, "%s must honour the context deadline", name)
	}

	// A cancelled context is not blocked traffic.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	err = vm1.ProbeTCP(cancelled, netip.AddrPortFrom(vm2.IPv4(), 80))
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrBlocked)
}

func requireBlocked(t *testing.T, err error, rejected bool) {
	t.Helper()
	require.ErrorIs(t, err, ErrBlocked)
	var b *BlockedError
	require.True(t, errors.As(err, &b))
	assert.Equal(t, rejected, b.Rejected, "rejected: %v", err)
}

func TestProbesConcurrent(t *testing.T) {
	t.Parallel()
	lab, vm1, vm2 := twoVMs(t)
	ctx := t.Context()
	_, err := vm2.ListenTCP(80)
	require.NoError(t, err)
	_, err = lab.ListenUDP(53)
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 20 {
		wg.Go(func() {
			for range 5 {
				switch i % 4 {
				case 0:
					errs <- vm1.ProbeTCP(ctx, netip.AddrPortFrom(vm2.IPv4(), 80))
				case 1:
					errs <- vm1.ProbeUDP(ctx, netip.AddrPortFrom(lab.IPv6(), 53))
				case 2:
					errs <- vm1.Ping(ctx, vm2.IPv6())
				case 3:
					errs <- vm2.Ping(ctx, vm1.IPv4())
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}

func TestStream(t *testing.T) {
	t.Parallel()
	_, vm1, vm2 := twoVMs(t)
	ctx := t.Context()
	ln, err := vm2.ListenTCP(80)
	require.NoError(t, err)
	tcp := StartStream(ctx, 5*time.Millisecond, func(ctx context.Context) error {
		return vm1.ProbeTCP(ctx, netip.AddrPortFrom(vm2.IPv4(), 80))
	})
	refused := StartStream(ctx, 5*time.Millisecond, func(ctx context.Context) error {
		return vm1.ProbeTCP(ctx, netip.AddrPortFrom(vm2.IPv4(), 81))
	})
	time.Sleep(200 * time.Millisecond)
	res := tcp.Stop()
	assert.Positive(t, res.Delivered, res.String())
	assert.Zero(t, res.Blocked+res.Failed, res.String())
	assert.Equal(t, res.Delivered, ln.Count())
	res = refused.Stop()
	assert.Zero(t, res.Delivered, res.String())
	assert.Positive(t, res.Blocked, res.String())
	assert.Len(t, res.Errors, min(res.Blocked, maxStreamErrors))
}
