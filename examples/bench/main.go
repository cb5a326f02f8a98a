//go:build linux

// Command bench measures how fast a backend installs, updates and removes
// many bindings of libvirt's clean-traffic filter (plus a few L3 rules). It works inside a throwaway network
// namespace it creates (and deletes when done), never in the namespace it
// was started in, so it needs root but leaves the host's firewall alone.
//
//	go run ./examples/bench -backend xtables -n 1,100,1000
//
// For every N it reports: the wall time of one Apply of N bindings, the
// processes that ran, the time per binding, the time to add one more binding
// and to remove one while N are installed, and the time of re-applying all N
// unchanged.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/internal/kerneltest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// backends maps a backend's name to a constructor; each backend's file
// registers itself in init.
var backends = map[string]func(backend.Execer) (backend.Backend, error){}

func main() {
	name := flag.String("backend", "xtables", "backend to measure: "+strings.Join(backendNames(), ", "))
	sizes := flag.String("n", "1,100,1000", "comma-separated numbers of bindings")
	flag.Parse()
	newBackend, ok := backends[*name]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench: unknown backend %q (have %s)\n", *name, strings.Join(backendNames(), ", "))
		os.Exit(2)
	}
	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: bad -n value %q\n", s)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	fmt.Printf("backend %s (cpu: CPU time of the processes run)\n%6s %12s %10s %6s %12s %12s %10s %6s %12s %10s %6s %12s %6s\n", *name,
		"N", "apply", "cpu", "procs", "per-binding", "add-one", "cpu", "procs", "remove-one", "cpu", "procs", "reapply", "procs")
	for _, n := range ns {
		var r result
		err := inThrowawayNetns(func() error {
			var err error
			r, err = measure(context.Background(), newBackend, n)
			return err
		})
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: N=%d: %v\n", n, err)
			os.Exit(1)
		}
		ms := func(d time.Duration) time.Duration { return d.Round(time.Microsecond) }
		fmt.Printf("%6d %12v %10v %6d %12v %12v %10v %6d %12v %10v %6d %12v %6d\n", n,
			ms(r.apply.d), ms(r.apply.cpu), r.apply.procs, ms(r.apply.d/time.Duration(n)),
			ms(r.add.d), ms(r.add.cpu), r.add.procs, ms(r.remove.d), ms(r.remove.cpu), r.remove.procs,
			ms(r.reapply.d), r.reapply.procs)
	}
}

func backendNames() []string {
	var out []string
	for n := range backends {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

type step struct {
	d     time.Duration
	procs int
	// cpu is the CPU time (user+system) of the processes the step ran,
	// which, unlike d, does not depend on how busy the machine is.
	cpu time.Duration
}

type result struct{ apply, add, remove, reapply step }

// measure runs the scenario for n bindings in the current namespace.
func measure(ctx context.Context, newBackend func(backend.Execer) (backend.Backend, error), n int) (result, error) {
	ex := &countingExec{Execer: backend.OSExec{}}
	be, err := newBackend(ex)
	if err != nil {
		return result{}, err
	}
	graphs, err := bindings(n)
	if err != nil {
		return result{}, err
	}
	timed := func(f func() error) (step, error) {
		before, cpu := ex.count(), childCPU()
		start := time.Now()
		err := f()
		return step{d: time.Since(start), procs: ex.count() - before, cpu: childCPU() - cpu}, err
	}
	var r result
	if r.apply, err = timed(func() error { return be.Apply(ctx, graphs[:n]...) }); err != nil {
		return r, fmt.Errorf("apply: %w", err)
	}
	if r.add, err = timed(func() error { return be.Apply(ctx, graphs[n]) }); err != nil {
		return r, fmt.Errorf("add one: %w", err)
	}
	if r.remove, err = timed(func() error { return be.Teardown(ctx, graphs[n].Binding.PortDev) }); err != nil {
		return r, fmt.Errorf("remove one: %w", err)
	}
	if r.reapply, err = timed(func() error { return be.Apply(ctx, graphs[:n]...) }); err != nil {
		return r, fmt.Errorf("re-apply: %w", err)
	}
	return r, nil
}

// benchFilter is libvirt's clean-traffic (MAC, IPv4 and ARP anti-spoofing)
// plus an L3 rule set: inbound SSH accepted, all other IPv4 dropped.
const benchFilter = `<filter name='bench-vm' chain='root'>
  <filterref filter='clean-traffic'/>
  <rule action='accept' direction='in' priority='500'><tcp dstportstart='22'/></rule>
  <rule action='drop' direction='inout' priority='1000'><all/></rule>
</filter>`

// bindings compiles n+1 bindings of benchFilter, each with its own port
// device, MAC and address.
func bindings(n int) ([]*ir.Graph, error) {
	filters, err := kerneltest.LoadBuiltins()
	if err != nil {
		return nil, err
	}
	if err := filters.Add(benchFilter); err != nil {
		return nil, err
	}
	gs := make([]*ir.Graph, n+1)
	for i := range gs {
		mac := ir.MAC{0x52, 0x54, 0x00, byte(i >> 16), byte(i >> 8), byte(i)}
		ip := fmt.Sprintf("10.%d.%d.%d", byte(i>>16), byte(i>>8), byte(i))
		if gs[i], err = filters.Compile("bench-vm", fmt.Sprintf("vnet%d", i), mac, "IP="+ip); err != nil {
			return nil, err
		}
	}
	return gs, nil
}
