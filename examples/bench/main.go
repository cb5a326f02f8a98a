//go:build linux

// Command bench measures how fast the backends install, update and remove
// many bindings of libvirt's clean-traffic filter (plus a few L3 rules),
// side by side in one run so that the machine's load hits them alike. It
// works inside throwaway network namespaces it creates (and deletes when
// done), never in the namespace it was started in, so it needs root but
// leaves the host's firewall alone.
//
//	go run ./examples/bench -backend xtables,nftables -n 1,100,1000
//
// For every N and backend it reports: the wall time of one Apply of N
// bindings, the processes that ran and their CPU time, the time per binding,
// the time to add one more binding and to remove one while N are installed,
// the time of re-applying all N unchanged, and the bare time: the tools fed
// one binding's rendered script directly into an empty namespace. Adding,
// removing and the bare run are repeated (-reps) and their medians reported,
// since single runs of a few milliseconds are at the mercy of the machine's
// load. Then the ratios: each backend against the first, and each backend's
// add-one against its bare time.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
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
	names := flag.String("backend", "nftables,xtables", "comma-separated backends to measure side by side: "+strings.Join(backendNames(), ", "))
	sizes := flag.String("n", "1,100,1000", "comma-separated numbers of bindings")
	reps := flag.Int("reps", 7, "repetitions of add-one, remove-one and bare (medians are reported)")
	flag.Parse()
	if *reps < 1 {
		fmt.Fprintf(os.Stderr, "bench: bad -reps value %d\n", *reps)
		os.Exit(2)
	}
	var measured []string
	for _, name := range strings.Split(*names, ",") {
		name = strings.TrimSpace(name)
		if _, ok := backends[name]; !ok {
			fmt.Fprintf(os.Stderr, "bench: unknown backend %q (have %s)\n", name, strings.Join(backendNames(), ", "))
			os.Exit(2)
		}
		measured = append(measured, name)
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
	fmt.Printf("cpu: CPU time of the processes run (nftables-library works inside this process: not counted); "+
		"bare: the tools fed one binding's rendered script into an empty namespace\n"+
		"add-one, remove-one and bare are medians of %d runs\n", *reps)
	for _, n := range ns {
		fmt.Printf("\nN=%d\n%-9s %12s %10s %6s %12s %12s %10s %6s %12s %10s %6s %12s %6s %10s\n", n,
			"backend", "apply", "cpu", "procs", "per-binding", "add-one", "cpu", "procs", "remove-one", "cpu", "procs", "reapply", "procs", "bare")
		results := map[string]result{}
		for _, name := range measured {
			r, err := measureInThrowawayNetns(backends[name], n, *reps)
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench: %s N=%d: %v\n", name, n, err)
				os.Exit(1)
			}
			results[name] = r
			ms := func(d time.Duration) time.Duration { return d.Round(time.Microsecond) }
			fmt.Printf("%-9s %12v %10v %6d %12v %12v %10v %6d %12v %10v %6d %12v %6d %10v\n", name,
				ms(r.apply.d), ms(r.apply.cpu), r.apply.procs, ms(r.apply.d/time.Duration(n)),
				ms(r.add.d), ms(r.add.cpu), r.add.procs, ms(r.remove.d), ms(r.remove.cpu), r.remove.procs,
				ms(r.reapply.d), r.reapply.procs, ms(r.bare.d))
			for _, st := range []struct {
				name string
				s    step
			}{{"apply", r.apply}, {"add-one", r.add}, {"remove-one", r.remove}} {
				if line := st.s.toolLine(); line != "" {
					fmt.Printf("%9s %-10s %s\n", "", st.name, line)
				}
			}
		}
		printRatios(measured, results)
	}
}

// printRatios prints, for one N, each step's time relative to the first
// backend's (measured in the same run, so machine load hits both alike), and
// each backend's add-one time relative to its bare time.
func printRatios(names []string, results map[string]result) {
	ratio := func(a, b time.Duration) string {
		if b <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2fx", float64(a)/float64(b))
	}
	base := results[names[0]]
	for _, name := range names[1:] {
		r := results[name]
		fmt.Printf("ratio %s/%s: apply %s, add-one %s, remove-one %s (wall)\n", name, names[0],
			ratio(r.apply.d, base.apply.d), ratio(r.add.d, base.add.d), ratio(r.remove.d, base.remove.d))
	}
	for _, name := range names {
		r := results[name]
		fmt.Printf("ratio %s add-one/bare: %s (wall)\n", name, ratio(r.add.d, r.bare.d))
	}
}

// measureInThrowawayNetns measures n bindings in one new namespace, and the
// bare tool runs of one binding in a new namespace each.
func measureInThrowawayNetns(newBackend func(backend.Execer) (backend.Backend, error), n, reps int) (result, error) {
	ctx := context.Background()
	var r result
	err := inThrowawayNetns(func() error {
		var err error
		r, err = measure(ctx, newBackend, n, reps)
		return err
	})
	if err != nil {
		return r, err
	}
	bare := make([]step, reps)
	for i := range bare {
		err = inThrowawayNetns(func() error {
			var err error
			bare[i], err = measureBare(ctx, newBackend)
			return err
		})
		if err != nil {
			return r, err
		}
	}
	r.bare = median(bare)
	return r, nil
}

// median returns the step of median wall time.
func median(steps []step) step {
	s := slices.Clone(steps)
	slices.SortFunc(s, func(a, b step) int { return cmp.Compare(a.d, b.d) })
	return s[len(s)/2]
}

// toolLine lists a step's programs with their wall time, slowest first.
// (CPU time is only known for the step as a whole: tools may run at the
// same time.)
func (s step) toolLine() string {
	names := slices.Collect(maps.Keys(s.tools))
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(s.tools[b].d, s.tools[a].d) })
	var parts []string
	for _, n := range names {
		if t := s.tools[n]; t.runs > 0 {
			parts = append(parts, fmt.Sprintf("%s %v", n, t.d.Round(10*time.Microsecond)))
		}
	}
	return strings.Join(parts, ", ")
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
	// tools is the time of the step's processes per program.
	tools map[string]toolTime
}

type result struct{ apply, add, remove, reapply, bare step }

// measure runs the scenario for n bindings in the current namespace: apply
// n, then reps times add one more and remove it again, then re-apply the n.
func measure(ctx context.Context, newBackend func(backend.Execer) (backend.Backend, error), n, reps int) (result, error) {
	ex := &countingExec{Execer: backend.OSExec{}}
	be, err := newBackend(ex)
	if err != nil {
		return result{}, err
	}
	graphs, err := bindings(n + reps - 1)
	if err != nil {
		return result{}, err
	}
	timed := func(f func() error) (step, error) {
		before, cpu, tools := ex.count(), childCPU(), ex.perTool()
		start := time.Now()
		err := f()
		s := step{d: time.Since(start), procs: ex.count() - before, cpu: childCPU() - cpu, tools: ex.perTool()}
		for name, t := range tools {
			d := s.tools[name]
			d.runs, d.d = d.runs-t.runs, d.d-t.d
			s.tools[name] = d
		}
		return s, err
	}
	var r result
	if r.apply, err = timed(func() error { return be.Apply(ctx, graphs[:n]...) }); err != nil {
		return r, fmt.Errorf("apply: %w", err)
	}
	adds, removes := make([]step, reps), make([]step, reps)
	for i, g := range graphs[n:] {
		if adds[i], err = timed(func() error { return be.Apply(ctx, g) }); err != nil {
			return r, fmt.Errorf("add one: %w", err)
		}
		if removes[i], err = timed(func() error { return be.Teardown(ctx, g.Binding.PortDev) }); err != nil {
			return r, fmt.Errorf("remove one: %w", err)
		}
	}
	r.add, r.remove = median(adds), median(removes)
	if r.reapply, err = timed(func() error { return be.Apply(ctx, graphs[:n]...) }); err != nil {
		return r, fmt.Errorf("re-apply: %w", err)
	}
	// Remove everything before the namespace goes: the kernel frees a
	// deleted namespace's rules in the background, which would slow down
	// whatever is measured next.
	devs := make([]string, n)
	for i, g := range graphs[:n] {
		devs[i] = g.Binding.PortDev
	}
	if err := be.Teardown(ctx, devs...); err != nil {
		return r, fmt.Errorf("teardown: %w", err)
	}
	if c, ok := be.(io.Closer); ok {
		if err := c.Close(); err != nil {
			return r, err
		}
	}
	time.Sleep(settle(n))
	return r, nil
}

// settle is how long to let the kernel finish freeing n bindings' rules
// (it does so in the background, after the change that removed them)
// before the next measurement starts.
func settle(n int) time.Duration {
	return 200*time.Millisecond + time.Duration(n)*time.Millisecond
}

// bareArgs are the arguments a script section's tool is run with when fed
// the section directly.
var bareArgs = map[string][]string{
	"nft":               {"-f", "-"},
	"ebtables-restore":  {"--noflush"},
	"iptables-restore":  {"--noflush", "-w"},
	"ip6tables-restore": {"--noflush", "-w"},
}

// measureBare times the tools fed one binding's rendered script directly,
// with no library code, into an empty namespace: the floor that adding one
// binding is compared with.
func measureBare(ctx context.Context, newBackend func(backend.Execer) (backend.Backend, error)) (step, error) {
	be, err := newBackend(backend.OSExec{})
	if err != nil {
		return step{}, err
	}
	graphs, err := bindings(0)
	if err != nil {
		return step{}, err
	}
	script, err := be.Render(graphs[0])
	if err != nil {
		return step{}, err
	}
	start := time.Now()
	for _, sec := range script.Sections {
		args, ok := bareArgs[sec.Tool]
		if !ok {
			return step{}, fmt.Errorf("no bare run for tool %q", sec.Tool)
		}
		if _, err := (backend.OSExec{}).Run(ctx, backend.Command{Path: sec.Tool, Args: args, Stdin: []byte(sec.Text)}); err != nil {
			return step{}, err
		}
	}
	return step{d: time.Since(start)}, nil
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
