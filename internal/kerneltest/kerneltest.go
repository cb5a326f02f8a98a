//go:build linux

// Package kerneltest is a backend-neutral kernel test suite: a table of
// cases, each a set of graphs installed on lab VMs and probes with the
// verdicts they must get, and a runner that plays the table against any
// backend.Backend inside a netnstest lab. The xtables and nftables backends
// run the same table, so their behaviour can be compared probe by probe.
package kerneltest

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/internal/netnstest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
	"github.com/gonwfilter/gonwfilter/nwfilter/sim"
)

// Verdict is what a probe must observe.
type Verdict bool

// Verdicts.
const (
	Pass  Verdict = true
	Block Verdict = false
)

// String returns "pass" or "block".
func (v Verdict) String() string {
	if v {
		return "pass"
	}
	return "block"
}

// Env is what cases see: the lab and its two VMs. VM1 carries the graph
// under test; VM2 is an unfiltered peer (unless a case gives it a graph).
type Env struct {
	// Lab is the virtual network; its Netns is the host.
	Lab *netnstest.Lab
	// VM1 and VM2 are the two VMs on the lab's bridge.
	VM1, VM2 *netnstest.VM
	// Sim says how the backend under test renders graphs, for the
	// simulator (see SimOptions); NewEnv leaves the backends' defaults.
	Sim sim.Options

	t *testing.T
	// graphs are the graphs applied, by port device, for the simulator.
	graphs map[string]*ir.Graph
}

// Compile compiles a filter (built-in or added with Builtins.Add) for VM1
// with params ("NAME=value"), failing the test on error.
func (e *Env) Compile(b *Builtins, filter string, params ...string) *ir.Graph {
	e.t.Helper()
	g, err := b.Compile(filter, e.VM1.PortDev(), e.MAC1(), params...)
	require.NoError(e.t, err)
	return g
}

// MAC1 returns VM1's MAC as an ir.MAC.
func (e *Env) MAC1() ir.MAC { return toMAC(e.VM1.MAC()) }

// IP1 and IP2 return the VMs' IPv4 addresses as text.
func (e *Env) IP1() string { return e.VM1.IPv4().String() }

// IP2 returns VM2's IPv4 address as text.
func (e *Env) IP2() string { return e.VM2.IPv4().String() }

// Probe is one observation with its expected verdict. Run returns nil when
// the traffic got through and an error matching netnstest.ErrBlocked when it
// did not; any other error fails the test.
type Probe struct {
	// Name says what the probe sends, for subtest names and messages.
	Name string
	// Want is the verdict the probe must observe.
	Want Verdict
	// WantWithCtDir, when set, replaces Want for a backend rendering
	// libvirt's older conntrack direction match (Env.Sim.ConntrackDirection).
	WantWithCtDir *Verdict
	// Run sends the traffic and says whether it got through (see Probe).
	Run func(ctx context.Context, e *Env) error
	// Sim returns the probe's packets at the ports they cross, so the
	// simulator's verdict can be compared with the kernel's; nil skips the
	// comparison.
	Sim func(e *Env) []SimPacket
}

// want is the verdict p must observe in e.
func (p *Probe) want(e *Env) Verdict {
	if e.Sim.ConntrackDirection && p.WantWithCtDir != nil {
		return *p.WantWithCtDir
	}
	return p.Want
}

// Case is one entry of the table.
type Case struct {
	// Name names the case's subtest.
	Name string
	// Setup prepares the lab before the graphs are applied (listeners,
	// ipsets); optional.
	Setup func(ctx context.Context, t *testing.T, e *Env)
	// Graphs returns the graphs to apply.
	Graphs func(e *Env) []*ir.Graph
	// Probes are run, in order, after the graphs are applied.
	Probes []Probe
}

// NewBackend makes the backend under test. It is called in the test
// goroutine; Apply and Teardown are called inside the lab's host namespace.
type NewBackend func(t *testing.T, e *Env) backend.Backend

// RunOption changes what Run plays.
type RunOption func(*runConfig)

type runConfig struct {
	skips map[string]string
	sim   sim.Options
}

// Skip skips the named case (or "atomic-update") with a reason, for a
// backend that does not support what it tests.
func Skip(name, reason string) RunOption {
	return func(c *runConfig) { c.skips[name] = reason }
}

// SimOptions tells Run how the backends made by newBackend render graphs
// where the backends offer a choice (e.g. ConntrackDirection), so the
// simulator models the same rules and probes expect their verdicts. Without
// it, Run assumes the backends' defaults.
func SimOptions(o sim.Options) RunOption {
	return func(c *runConfig) { c.sim = o }
}

// Run plays every case of Cases against backends made by newBackend, each
// in a fresh lab, and the atomic-update streams (UpdateStreams).
func Run(t *testing.T, newBackend NewBackend, opts ...RunOption) {
	cfg := runConfig{skips: map[string]string{}}
	for _, o := range opts {
		o(&cfg)
	}
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			if why, ok := cfg.skips[c.Name]; ok {
				t.Skip(why)
			}
			e := NewEnv(t)
			e.Sim = cfg.sim
			ctx := context.Background()
			if c.Setup != nil {
				c.Setup(ctx, t, e)
			}
			be := newBackend(t, e)
			gs := c.Graphs(e)
			for _, g := range gs {
				e.graphs[g.Binding.PortDev] = g
			}
			require.NoError(t, e.Lab.Do(func() error { return be.Apply(ctx, gs...) }))
			for _, p := range c.Probes {
				Check(ctx, t, e, p)
			}
		})
	}
	t.Run("atomic-update", func(t *testing.T) {
		t.Parallel()
		if why, ok := cfg.skips["atomic-update"]; ok {
			t.Skip(why)
		}
		UpdateStreams(t, newBackend)
	})
}

// NewEnv builds a lab with two VMs, or skips the test when kernel tests
// cannot run here.
func NewEnv(t *testing.T) *Env {
	t.Helper()
	lab := netnstest.New(t, netnstest.WithProbeTimeout(700*time.Millisecond))
	if lab == nil {
		t.SkipNow()
	}
	lab.RequireBridgeNF(t)
	ctx := context.Background()
	vm1, err := lab.AddVM(ctx, netnstest.VMConfig{})
	require.NoError(t, err)
	vm2, err := lab.AddVM(ctx, netnstest.VMConfig{})
	require.NoError(t, err)
	return &Env{Lab: lab, VM1: vm1, VM2: vm2, t: t, graphs: map[string]*ir.Graph{}}
}

// Check runs one probe and asserts its verdict, and that the simulator
// (nwfilter/sim) agrees with the kernel when the probe describes its packets.
func Check(ctx context.Context, t *testing.T, e *Env, p Probe) {
	t.Helper()
	err := p.Run(ctx, e)
	if err != nil && !errors.Is(err, netnstest.ErrBlocked) {
		t.Errorf("probe %q: %v", p.Name, err)
		return
	}
	got := Verdict(err == nil)
	if want := p.want(e); got != want {
		t.Errorf("probe %q: got %s, want %s (err: %v)", p.Name, got, want, err)
	}
	if p.Sim == nil {
		return
	}
	simGot, trace, err := simVerdict(e.graphs, p.Sim(e), e.Sim)
	switch {
	case err != nil:
		t.Errorf("probe %q: %v", p.Name, err)
	case simGot != got:
		t.Errorf("probe %q: the simulator says %s, the kernel %s; simulation:\n%s", p.Name, simGot, got, trace)
	}
}

// Probe helpers.

// ListenUDP starts a UDP echo server on n and closes it when the test ends.
func ListenUDP(t *testing.T, n *netnstest.Netns, port uint16) {
	l, err := n.ListenUDP(port)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
}

// ListenTCP starts a TCP echo server on n and closes it when the test ends.
func ListenTCP(t *testing.T, n *netnstest.Netns, port uint16) {
	l, err := n.ListenTCP(port)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
}

func udpTo(from func(*Env) *netnstest.VM, to func(*Env) *netnstest.Netns, port uint16) func(context.Context, *Env) error {
	return func(ctx context.Context, e *Env) error {
		return from(e).ProbeUDP(ctx, netip.AddrPortFrom(to(e).IPv4(), port))
	}
}

func tcpTo(from func(*Env) *netnstest.Netns, to func(*Env) *netnstest.Netns, port uint16) func(context.Context, *Env) error {
	return func(ctx context.Context, e *Env) error {
		return from(e).ProbeTCP(ctx, netip.AddrPortFrom(to(e).IPv4(), port))
	}
}

// frame delivers f from VM1 to VM2 and maps "not delivered" to ErrBlocked.
func frame(build func(e *Env) netnstest.Frame) func(context.Context, *Env) error {
	return func(ctx context.Context, e *Env) error {
		ok, err := netnstest.DeliverFrame(ctx, e.VM1.Netns, e.VM2.Netns, build(e))
		if err != nil {
			return err
		}
		if !ok {
			return netnstest.ErrBlocked
		}
		return nil
	}
}

func vm1(e *Env) *netnstest.VM                 { return e.VM1 }
func vm2(e *Env) *netnstest.VM                 { return e.VM2 }
func vm1ns(e *Env) *netnstest.Netns            { return e.VM1.Netns }
func vm2ns(e *Env) *netnstest.Netns            { return e.VM2.Netns }
func toMAC(hw []byte) (m ir.MAC)               { copy(m[:], hw); return m }
func mustAddr(s string) netip.Addr             { return netip.MustParseAddr(s) }
func ap(a netip.Addr, p uint16) netip.AddrPort { return netip.AddrPortFrom(a, p) }
