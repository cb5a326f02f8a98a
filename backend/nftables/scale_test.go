package nftables

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/netnstest"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// benchGraph is a realistic binding: clean-traffic's anti-spoofing plus a
// stateful IP-layer policy.
func benchGraph(dev string, n int) *ir.Graph {
	g := cleanTraffic(dev)
	v := vmPolicy(dev, vmMAC)
	g.IP = v.IP
	ip := fmt.Sprintf("10.%d.%d.%d/32", n>>16&255, n>>8&255, n&255)
	g.Ethernet[1].Entries[1].Rule = rule(ir.ProtoIP, ir.DirOut, ir.ActionDrop, mIP(ir.FieldSrcIP, ip, true))
	return g
}

// TestKernelScale measures apply times (GONWFILTER_SCALE=1).
func TestKernelScale(t *testing.T) {
	if os.Getenv("GONWFILTER_SCALE") == "" {
		t.Skip("set GONWFILTER_SCALE=1 to measure")
	}
	l := newLab(t)
	for _, n := range []int{1, 100, 1000, 5000} {
		b := l.backend(t, ConntrackBrNetfilter)
		gs := make([]*ir.Graph, n)
		for i := range gs {
			gs[i] = benchGraph(fmt.Sprintf("p%d", i), i)
		}
		var full, add, del, adopt cost
		var err error
		render := measure(func() { _, err = b.Render(gs...) })
		require.NoError(t, err)
		l.apply(t, func(ctx context.Context) error {
			var err error
			full = measure(func() { err = b.Apply(ctx, gs...) })
			if err != nil {
				return err
			}
			add = measure(func() { err = b.Apply(ctx, benchGraph("extra", n+1)) })
			if err != nil {
				return err
			}
			del = measure(func() { err = b.Teardown(ctx, "extra") })
			return err
		})
		// A new Backend lists the tables once, on its first operation.
		b2 := l.backend(t, ConntrackBrNetfilter)
		l.apply(t, func(ctx context.Context) error {
			var err error
			adopt = measure(func() { _, err = b2.ListSets(ctx) })
			if err == nil && len(b2.st.bindings) != n {
				err = fmt.Errorf("adopted %d bindings, want %d", len(b2.st.bindings), n)
			}
			return err
		})
		// A bare nft -f of one binding's script into an empty namespace.
		s, err := b.Render(benchGraph("extra", n+1))
		require.NoError(t, err)
		bare := timeBareNft(t, l, s.Sections[0].Text)
		t.Logf("N=%d: render all %v; apply all %v; add one %v; remove one %v; adopt (new Backend) %v; bare nft -f of one binding %v (%d lines)",
			n, render, full, add, del, adopt, bare, strings.Count(s.Sections[0].Text, "\n"))
		l.apply(t, func(ctx context.Context) error {
			names := make([]string, n)
			for i := range names {
				names[i] = fmt.Sprintf("p%d", i)
			}
			return b.Teardown(ctx, names...)
		})
	}
}

// cost is wall time, the CPU time of this process and that of its child
// processes (nft). On a loaded machine wall time can be several times the
// CPU time.
type cost struct{ wall, self, child time.Duration }

func (c cost) String() string {
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
	return fmt.Sprintf("%v wall (cpu: go %v, nft %v)", r(c.wall), r(c.self), r(c.child))
}

func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func measure(fn func()) cost {
	s0, c0, t0 := cpuTime(syscall.RUSAGE_SELF), cpuTime(syscall.RUSAGE_CHILDREN), time.Now()
	fn()
	return cost{time.Since(t0), cpuTime(syscall.RUSAGE_SELF) - s0, cpuTime(syscall.RUSAGE_CHILDREN) - c0}
}

// timeBareNft loads script with nft -f into a fresh VM namespace of the lab
// (which holds no rules).
func timeBareNft(t *testing.T, l *lab, script string) cost {
	vm, err := l.AddVM(context.Background(), netnstest.VMConfig{})
	require.NoError(t, err)
	var c cost
	require.NoError(t, vm.Do(func() error {
		cmd := exec.Command("nft", "-f", "-")
		cmd.Stdin = strings.NewReader(script)
		var out []byte
		c = measure(func() { out, err = cmd.CombinedOutput() })
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}))
	return c
}
