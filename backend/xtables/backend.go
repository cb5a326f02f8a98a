package xtables

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Options configure a Backend. The zero value is usable.
type Options struct {
	// Exec runs the tools; nil means backend.OSExec{}.
	Exec backend.Execer
	// LibvirtNames selects libvirt's exact chain names (libvirt-I-vnet0,
	// FI-vnet0, libvirt-in, …) instead of the gnwf- prefixed ones. Do not run
	// it next to libvirt's own nwfilter driver: both would own the chains.
	LibvirtNames bool
	// ConntrackDirection adds libvirt's older "-m conntrack --ctdir" match
	// to state-matched accept rules; current libvirt omits it.
	ConntrackDirection bool
	// Introspect lists chains and versions; nil means go-iptables.
	Introspect Introspector
	// IPSets lists the kernel's ipsets; nil means netlink.
	IPSets IPSetLister
	// SkipProbe turns off the capability probe Apply runs on first use (and
	// so the FeatureError checks). Probe can still be called.
	SkipProbe bool
	// Logger receives warnings (e.g. bridge-nf-call-iptables is 0); nil
	// means slog.Default().
	Logger *slog.Logger

	// readFile reads sysctls; nil means os.ReadFile (tests replace it).
	readFile func(string) ([]byte, error)
	// ipsets opens the ipset interface for the Sets methods; nil means
	// netlink (tests replace it).
	ipsets func() (ipsetConn, error)
}

// Backend installs graphs with ebtables, iptables and ip6tables. It is safe
// for concurrent use; calls are serialised.
type Backend struct {
	opts  Options
	names namer
	log   *slog.Logger

	mu      sync.Mutex
	started bool
	// closed says Close was called.
	closed bool
	caps   *backend.Capabilities
	state  [len(tools)]*toolState
}

var _ backend.Backend = (*Backend)(nil)

// toolState is what one tool has installed, as far as this Backend knows.
type toolState struct {
	// ports maps port devices to their installed chains.
	ports map[string]*portState
	// haveBase and haveHook record the shared iptables chains and the jumps
	// into them from FORWARD/INPUT.
	haveBase, haveHook [4]bool
	// haveDispatch records the ebtables dispatch chains (default names).
	haveDispatch bool
}

// portState is one binding's chains in one tool.
type portState struct {
	gen uint8
	fp  [32]byte
	// graph is what was installed, kept to restore it if a later tool of
	// the same Apply fails; nil for adopted chains.
	graph  *ir.Graph
	chains []string
	links  []string
}

// New returns a Backend. It runs nothing; the first Apply or Teardown reads
// what a previous process left (see Adopt).
func New(opts Options) (*Backend, error) {
	if opts.Exec == nil {
		opts.Exec = backend.OSExec{}
	}
	if opts.Introspect == nil {
		opts.Introspect = goIPTables{}
	}
	if opts.IPSets == nil {
		opts.IPSets = netlinkIPSets{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ipsets == nil {
		opts.ipsets = openNetlinkIPSets
	}
	b := &Backend{opts: opts, names: namer{libvirt: opts.LibvirtNames}, log: opts.Logger}
	for i := range b.state {
		b.state[i] = &toolState{ports: map[string]*portState{}}
	}
	return b, nil
}

// Name implements backend.Backend.
func (b *Backend) Name() string { return "xtables" }

// Installed returns the port devices that have chains installed, sorted,
// including ones adopted from a previous process.
func (b *Backend) Installed() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	seen := map[string]bool{}
	for _, st := range b.state {
		for p := range st.ports {
			seen[p] = true
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// rendered is a graph's rules for every tool.
type rendered struct {
	graph *ir.Graph
	tools [len(tools)]*bindingRules
}

func (b *Backend) render(g *ir.Graph) (*rendered, error) {
	if g == nil {
		return nil, errors.New("nil graph")
	}
	if _, err := token(tokPortDev, g.Binding.PortDev); err != nil {
		return nil, err
	}
	out := &rendered{graph: g}
	var err error
	if out.tools[toolEb], err = renderEbtables(g); err != nil {
		return nil, err
	}
	if out.tools[toolIPv4], err = renderIPTables(g, ir.LayerIPv4, b.opts.ConntrackDirection); err != nil {
		return nil, err
	}
	if out.tools[toolIPv6], err = renderIPTables(g, ir.LayerIPv6, b.opts.ConntrackDirection); err != nil {
		return nil, err
	}
	return out, nil
}

func (b *Backend) renderAll(gs []*ir.Graph) ([]*rendered, error) {
	seen := make(map[string]bool, len(gs))
	out := make([]*rendered, 0, len(gs))
	for _, g := range gs {
		r, err := b.render(g)
		if err != nil {
			return nil, err
		}
		if seen[g.Binding.PortDev] {
			return nil, fmt.Errorf("port device %q given twice", g.Binding.PortDev)
		}
		seen[g.Binding.PortDev] = true
		out = append(out, r)
	}
	return out, nil
}

// Render implements backend.Backend: the input of each tool that installs
// gs from scratch (generation 0, shared chains included), under the tool's
// name. Tools with nothing to load are left out.
func (b *Backend) Render(gs ...*ir.Graph) (backend.Script, error) {
	rs, err := b.renderAll(gs)
	if err != nil {
		return backend.Script{}, err
	}
	var script backend.Script
	for _, t := range tools {
		x := newTxn(t)
		st := &toolState{ports: map[string]*portState{}}
		var changes []change
		for _, r := range rs {
			changes = append(changes, change{port: r.graph.Binding.PortDev, want: r.tools[t], graph: r.graph})
		}
		if _, err := b.plan(x, st, changes); err != nil {
			return backend.Script{}, err
		}
		if !x.empty() {
			script.Sections = append(script.Sections, backend.Section{Tool: t.restore(), Text: x.text()})
		}
	}
	return script, nil
}

// Apply implements backend.Backend. Each tool is loaded with at most one
// restore run; unchanged bindings cost nothing. If a tool fails, the tools
// already loaded are put back as they were, and the failed one changed
// nothing (its restore is one transaction).
func (b *Backend) Apply(ctx context.Context, gs ...*ir.Graph) error {
	rs, err := b.renderAll(gs)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.start(ctx); err != nil {
		return err
	}
	if err := b.check(rs); err != nil {
		return err
	}
	var changes [len(tools)][]change
	for _, r := range rs {
		for _, t := range tools {
			changes[t] = append(changes[t], change{port: r.graph.Binding.PortDev, want: r.tools[t], graph: r.graph})
		}
	}
	return b.run(ctx, changes)
}

// Teardown implements backend.Backend: it removes every chain and link of
// the named bindings; the shared chains go with the last binding. Unknown
// port devices are ignored.
func (b *Backend) Teardown(ctx context.Context, portDevs ...string) error {
	for _, p := range portDevs {
		if _, err := token(tokPortDev, p); err != nil {
			return err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.start(ctx); err != nil {
		return err
	}
	var changes [len(tools)][]change
	for _, p := range portDevs {
		for _, t := range tools {
			changes[t] = append(changes[t], change{port: p})
		}
	}
	return b.run(ctx, changes)
}

// revertTimeout bounds putting tools back after a failed Apply.
const revertTimeout = 30 * time.Second

// loadedTool records a tool loaded by run and the states it replaced.
type loadedTool struct {
	t    tool
	prev map[string]*portState // nil value: the port had nothing installed
}

// run loads the tools that have changes, all at the same time: each has
// its own tables and state, and no order between them is safer than
// another. If any fails, the ones that were loaded are put back and the
// errors returned.
func (b *Backend) run(ctx context.Context, changes [len(tools)][]change) error {
	if b.closed {
		return fmt.Errorf("xtables: %w", backend.ErrClosed)
	}
	var loads []*toolLoad
	for _, t := range tools {
		l, err := b.stage(t, changes[t])
		if err != nil {
			return err
		}
		loads = append(loads, l)
	}
	var fns []func()
	for _, l := range loads {
		if !l.x.empty() {
			fns = append(fns, func() { l.send(ctx, b) })
		}
	}
	errs := []error{together(fns...)}
	var loaded []loadedTool
	for _, l := range loads {
		switch {
		case l.x.empty():
			b.state[l.t].commit(l.s)
		case l.sent && l.err == nil:
			b.state[l.t].commit(l.s)
			loaded = append(loaded, loadedTool{l.t, l.s.prev})
		default:
			errs = append(errs, l.err) // nil when together could not run it
		}
	}
	err := errors.Join(errs...)
	if err == nil {
		return nil
	}
	// Put the loaded tools back even if ctx was cancelled (which may be why
	// another failed), but not forever.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revertTimeout)
	b.revert(rctx, loaded)
	cancel()
	return err
}

// toolLoad is one tool's planned transaction and what sending it gave.
type toolLoad struct {
	t    tool
	x    *txn
	s    *staged
	sent bool
	err  error
}

// stage plans one tool's transaction against its recorded state.
func (b *Backend) stage(t tool, changes []change) (*toolLoad, error) {
	x := newTxn(t)
	s, err := b.plan(x, b.state[t], changes)
	if err != nil {
		return nil, err
	}
	return &toolLoad{t: t, x: x, s: s}, nil
}

// send runs the transaction's restore, if it has anything to send.
func (l *toolLoad) send(ctx context.Context, b *Backend) {
	l.sent = true
	if !l.x.empty() {
		l.err = b.restore(ctx, l.t, l.x)
	}
}

// load plans and runs one tool's transaction and commits its state.
func (b *Backend) load(ctx context.Context, t tool, changes []change) (map[string]*portState, error) {
	l, err := b.stage(t, changes)
	if err != nil {
		return nil, err
	}
	if l.send(ctx, b); l.err != nil {
		return nil, l.err
	}
	b.state[t].commit(l.s)
	return l.s.prev, nil
}

// Close implements io.Closer, like the nftables backend: the xtables
// backend holds nothing between calls, so it only makes later changes fail
// with backend.ErrClosed. The installed rules stay.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

// revert puts tools back to the states recorded before they were loaded.
func (b *Backend) revert(ctx context.Context, loaded []loadedTool) {
	for i := len(loaded) - 1; i >= 0; i-- {
		t := loaded[i].t
		var changes []change
		for port, ps := range loaded[i].prev {
			c := change{port: port}
			if ps != nil {
				if ps.graph == nil {
					b.log.Warn("xtables: cannot restore adopted chains after a failed apply", "tool", t.String(), "port", port)
					continue
				}
				r, err := b.render(ps.graph)
				if err != nil {
					b.log.Error("xtables: re-rendering previous rules failed", "port", port, "err", err)
					continue
				}
				c.want, c.graph = r.tools[t], ps.graph
			}
			changes = append(changes, c)
		}
		slices.SortFunc(changes, func(a, b change) int { return strings.Compare(a.port, b.port) })
		if _, err := b.load(ctx, t, changes); err != nil {
			b.log.Error("xtables: reverting a tool after a failed apply failed", "tool", t.String(), "err", err)
		}
	}
}

// restore runs one restore transaction.
func (b *Backend) restore(ctx context.Context, t tool, x *txn) error {
	_, err := b.opts.Exec.Run(ctx, backend.Command{Path: t.restore(), Args: restoreArgs[t], Stdin: []byte(x.text())})
	if err != nil {
		return fmt.Errorf("xtables: loading %s rules: %w", t, err)
	}
	return nil
}
