//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/internal/kerneltest"
	"github.com/gonwfilter/gonwfilter/internal/netnstest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// TestThroughput measures the per-packet cost of each backend: a bounded
// TCP blast from an unfiltered peer VM to a VM bound to the bench filter
// (clean-traffic plus inbound SSH), with N other bindings installed, and the
// same blast with no filter at all. Opt in with GONWFILTER_BENCH_THROUGHPUT=1;
// GONWFILTER_BENCH_N lists the N (default 0,1000,5000).
//
//	GONWFILTER_BENCH_THROUGHPUT=1 go test -count=1 ./examples/bench -run Throughput -v
//
// Every configuration gets its own lab, set up first; then the blasts
// round-robin over the labs, so that drift in the machine's load hits all
// configurations alike. It reports medians of wall MB/s and of MB per
// CPU-second of the test process (sender, receiver and the softirq work
// they trigger are charged to it), which a busy machine distorts less.
func TestThroughput(t *testing.T) {
	if os.Getenv("GONWFILTER_BENCH_THROUGHPUT") == "" {
		t.Skip("set GONWFILTER_BENCH_THROUGHPUT=1 to measure")
	}
	ns := []int{0, 1000, 5000}
	if s := os.Getenv("GONWFILTER_BENCH_N"); s != "" {
		ns = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			require.NoError(t, err)
			ns = append(ns, n)
		}
	}
	type config struct {
		name    string
		backend string
		n       int
		a, b    *netnstest.VM
		wall    []float64
		cpu     []float64
	}
	configs := []*config{{name: "no filter", backend: "none"}}
	// nftables-library differs from nftables only in how rules are loaded.
	for _, name := range []string{"nftables", "xtables"} {
		for _, n := range ns {
			configs = append(configs, &config{name: fmt.Sprintf("%s, %d other bindings", name, n), backend: name, n: n})
		}
	}
	for _, c := range configs {
		c.a, c.b = throughputLab(t, c.backend, c.n)
	}
	for range 9 {
		for _, c := range configs {
			w, cpu := blast(t, c.b, c.a, 22, 200*time.Millisecond)
			c.wall, c.cpu = append(c.wall, w), append(c.cpu, cpu)
		}
	}
	median := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
	base := median(configs[0].wall)
	for _, c := range configs {
		w := median(c.wall)
		t.Logf("%-32s %6.0f MB/s (%.2fx of no filter) %6.0f MB per CPU-second", c.name, w, w/base, median(c.cpu))
	}
}

// throughputLab builds a lab whose VM "a" (and n others) is bound to the
// bench filter with backend name ("none": no backend); VM "b" is its peer.
func throughputLab(t *testing.T, name string, n int) (a, b *netnstest.VM) {
	lab := netnstest.New(t)
	if lab == nil {
		t.SkipNow()
	}
	ctx := context.Background()
	a, err := lab.AddVM(ctx, netnstest.VMConfig{Name: "a", PortDev: "va"})
	require.NoError(t, err)
	b, err = lab.AddVM(ctx, netnstest.VMConfig{Name: "b", PortDev: "vb"})
	require.NoError(t, err)
	if name == "none" {
		return a, b
	}
	filters, err := kerneltest.LoadBuiltins()
	require.NoError(t, err)
	require.NoError(t, filters.Add(benchFilter))
	var mac ir.MAC
	copy(mac[:], a.MAC())
	ga, err := filters.Compile("bench-vm", a.PortDev(), mac, "IP="+a.IPv4().String())
	require.NoError(t, err)
	others, err := bindings(n)
	require.NoError(t, err)
	gs := append(others[:n], ga)
	require.NoError(t, lab.Do(func() error {
		be, err := backends[name](backend.OSExec{})
		if err != nil {
			return err
		}
		if c, ok := be.(io.Closer); ok {
			defer c.Close()
		}
		return be.Apply(ctx, gs...)
	}))
	return a, b
}

// blast sends TCP data from "from" to "to":port for d and returns MB per
// wall second and MB per CPU second of this process.
func blast(t *testing.T, from, to *netnstest.VM, port uint16, d time.Duration) (float64, float64) {
	var ln net.Listener
	require.NoError(t, to.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", netip.AddrPortFrom(to.IPv4(), port).String())
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
	require.NoError(t, from.Do(func() error {
		var err error
		c, err = net.DialTimeout("tcp", netip.AddrPortFrom(to.IPv4(), port).String(), 5*time.Second)
		return err
	}))
	buf := make([]byte, 64<<10)
	cpu0, start := selfCPU(), time.Now()
	for time.Since(start) < d {
		if _, err := c.Write(buf); err != nil {
			break
		}
	}
	c.Close()
	mb := float64(<-got) / 1e6
	return mb / time.Since(start).Seconds(), mb / (selfCPU() - cpu0).Seconds()
}

// selfCPU returns the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
