package nftables

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// rate is a transfer's speed: MB per wall second, and MB per CPU second of
// this process (sender, receiver and the softirq work they trigger, which
// the kernel charges to them): the second is what a busy machine distorts
// least.
type rate struct{ wall, cpu float64 }

// blast sends TCP data from VM A to VM B for d.
func blast(t *testing.T, l *lab, port int, d time.Duration) rate {
	var ln net.Listener
	require.NoError(t, l.b.Do(func() error {
		var err error
		ln, err = net.Listen("tcp4", fmt.Sprintf(":%d", port))
		return err
	}))
	defer ln.Close()
	got := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- 0
			return
		}
		n, _ := io.Copy(io.Discard, c)
		c.Close()
		got <- n
	}()
	var c net.Conn
	require.NoError(t, l.a.Do(func() error {
		var err error
		c, err = net.DialTimeout("tcp4", netip.AddrPortFrom(l.b.IPv4(), uint16(port)).String(), 5*time.Second)
		return err
	}))
	buf := make([]byte, 64<<10)
	cpu0 := cpuTime(syscall.RUSAGE_SELF)
	start := time.Now()
	for time.Since(start) < d {
		if _, err := c.Write(buf); err != nil {
			break
		}
	}
	c.Close()
	n := <-got
	mb := float64(n) / 1e6
	return rate{mb / time.Since(start).Seconds(), mb / (cpuTime(syscall.RUSAGE_SELF) - cpu0).Seconds()}
}

// medianBlast is the median of several blasts to B's port 22 (the one the
// test policy opens), to damp a busy machine's noise.
func medianBlast(t *testing.T, l *lab) string {
	var w, c []float64
	for range 7 {
		r := blast(t, l, 22, 300*time.Millisecond)
		w, c = append(w, r.wall), append(c, r.cpu)
	}
	sort.Float64s(w)
	sort.Float64s(c)
	return fmt.Sprintf("%.0f MB/s wall, %.0f MB per CPU-second", w[len(w)/2], c[len(c)/2])
}

// TestKernelThroughput compares bridged TCP throughput with no filter, with
// the two VMs' bindings alone, and with N other bindings installed
// (GONWFILTER_SCALE=1).
func TestKernelThroughput(t *testing.T) {
	if os.Getenv("GONWFILTER_SCALE") == "" {
		t.Skip("set GONWFILTER_SCALE=1 to measure")
	}
	l := newLab(t)
	policy := func(dev string) *ir.Graph {
		g := benchGraph(dev, 0)
		g.Ethernet = nil // the VMs' MACs differ from vmMAC; keep the IP layer
		return g
	}
	t.Logf("no filter: %s", medianBlast(t, l))
	b := l.backend(t, ConntrackBrNetfilter)
	for _, n := range []int{0, 1000, 5000} {
		gs := []*ir.Graph{policy("va"), policy("vb")}
		for i := range n {
			gs = append(gs, benchGraph(fmt.Sprintf("p%d", i), i))
		}
		l.apply(t, func(ctx context.Context) error { return b.Apply(ctx, gs...) })
		t.Logf("2 VM bindings + %d others: %s", n, medianBlast(t, l))
	}
}
