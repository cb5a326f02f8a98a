package gonwfilter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/nwfilter"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
	"github.com/gonwfilter/gonwfilter/nwfilter/sim"
)

// Config configures New.
type Config struct {
	// Store holds the filters. Nil means a new store with libvirt's built-in
	// filters. Once an Engine uses a store, change its filters through
	// Engine.DefineFilter and Engine.UndefineFilter, so that installed
	// bindings follow.
	Store *nwfilter.Store
	// Backend installs the rules. Required.
	Backend backend.Backend
	// Logger receives a record for every change. Nil discards them.
	Logger *slog.Logger
	// CompileOptions are passed to nwfilter.Compile for every binding. Its
	// LearnedIP would apply to every port alike: leave it empty and give each
	// binding its addresses as IP parameters.
	CompileOptions nwfilter.CompileOptions
}

// Engine keeps a set of bindings installed through a backend and in step
// with the filters of a store. It is safe for concurrent use: changes are
// serialised, and reads (Bindings, Explain, Render) do not wait for the
// backend.
type Engine struct {
	store   *nwfilter.Store
	backend backend.Backend
	log     *slog.Logger
	opts    nwfilter.CompileOptions

	// change serialises changes. It is held across backend calls, and it is
	// the only lock taken around store changes and backend calls.
	change sync.Mutex

	// mu guards bindings. It is never held across a backend call.
	mu       sync.RWMutex
	bindings map[string]*installed
}

// installed is a binding as the backend has it.
type installed struct {
	binding nwfilter.Binding
	graph   *ir.Graph
	// filters are the names of the filters the binding's tree used when it
	// was compiled, sorted.
	filters []string
}

// New returns an Engine without bindings.
func New(cfg Config) (*Engine, error) {
	if cfg.Backend == nil {
		return nil, errors.New("gonwfilter: Config.Backend is required")
	}
	e := &Engine{
		store:    cfg.Store,
		backend:  cfg.Backend,
		log:      cfg.Logger,
		opts:     cfg.CompileOptions,
		bindings: make(map[string]*installed),
	}
	if e.store == nil {
		e.store = nwfilter.NewStore()
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e, nil
}

// Store returns the engine's filter store, for lookups.
func (e *Engine) Store() *nwfilter.Store { return e.store }

// AddBinding compiles the bindings and installs them in one backend Apply
// call. A binding replaces the one installed on the same port device. When
// any binding does not compile, or the backend fails, nothing changes.
func (e *Engine) AddBinding(ctx context.Context, bs ...*nwfilter.Binding) error {
	e.change.Lock()
	defer e.change.Unlock()

	var (
		next []*installed
		errs []error
		seen = map[string]bool{}
	)
	for _, b := range bs {
		if b == nil {
			errs = append(errs, errors.New("add binding: nil binding"))
			continue
		}
		if seen[b.PortDev] {
			errs = append(errs, fmt.Errorf("add binding %q: port device given twice", b.PortDev))
			continue
		}
		seen[b.PortDev] = true
		if err := e.checkBackend(b); err != nil {
			errs = append(errs, err)
			continue
		}
		inst, err := e.compile(*b)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		next = append(next, inst)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := e.backend.Apply(ctx, graphsOf(next)...); err != nil {
		return fmt.Errorf("add binding: %w", err)
	}
	e.record(next)
	for _, inst := range next {
		e.log.InfoContext(ctx, "binding installed", "portdev", inst.binding.PortDev,
			"filter", inst.binding.FilterRef.Filter, "backend", e.backend.Name())
	}
	return nil
}

// checkBackend refuses a binding that asks for another backend than the
// engine's: rules of one backend cannot be moved to another in place.
func (e *Engine) checkBackend(b *nwfilter.Binding) error {
	want := b.Backend
	if want == "iptables" { // libvirt's name for the xtables backend
		want = "xtables"
	}
	if want != "" && want != e.backend.Name() {
		return fmt.Errorf("add binding %q: it asks for backend %q, the engine uses %q", b.PortDev, b.Backend, e.backend.Name())
	}
	return nil
}

// compile compiles b against the store. b is copied, so the caller may reuse it.
func (e *Engine) compile(b nwfilter.Binding) (*installed, error) {
	b.FilterRef.Params = slices.Clone(b.FilterRef.Params)
	g, err := nwfilter.Compile(e.store, &b, e.opts)
	if err != nil {
		return nil, fmt.Errorf("binding %q: %w", b.PortDev, err)
	}
	return &installed{binding: b, graph: g, filters: e.store.Reachable(b.FilterRef.Filter)}, nil
}

// record records installed bindings.
func (e *Engine) record(insts []*installed) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, inst := range insts {
		e.bindings[inst.binding.PortDev] = inst
	}
}

// RemoveBinding removes everything installed for portDev. It fails with an
// error matching ErrBindingNotFound when the engine has no binding there.
func (e *Engine) RemoveBinding(ctx context.Context, portDev string) error {
	e.change.Lock()
	defer e.change.Unlock()
	e.mu.RLock()
	_, ok := e.bindings[portDev]
	e.mu.RUnlock()
	if !ok {
		return fmt.Errorf("remove binding: %w %q", ErrBindingNotFound, portDev)
	}
	if err := e.backend.Teardown(ctx, portDev); err != nil {
		return fmt.Errorf("remove binding %q: %w", portDev, err)
	}
	e.mu.Lock()
	delete(e.bindings, portDev)
	e.mu.Unlock()
	e.log.InfoContext(ctx, "binding removed", "portdev", portDev, "backend", e.backend.Name())
	return nil
}

// Bindings returns the installed bindings, sorted by port device.
func (e *Engine) Bindings() []nwfilter.Binding {
	insts := e.snapshot()
	out := make([]nwfilter.Binding, len(insts))
	for i, inst := range insts {
		out[i] = inst.binding
		out[i].FilterRef.Params = slices.Clone(inst.binding.FilterRef.Params)
	}
	return out
}

// snapshot returns the installed bindings sorted by port device.
func (e *Engine) snapshot() []*installed {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]*installed, 0, len(e.bindings))
	for _, inst := range e.bindings {
		out = append(out, inst)
	}
	slices.SortFunc(out, func(a, b *installed) int { return cmp.Compare(a.binding.PortDev, b.binding.PortDev) })
	return out
}

// using returns the installed bindings whose filter tree uses the named
// filter, sorted by port device.
func (e *Engine) using(filter string) []*installed {
	var out []*installed
	for _, inst := range e.snapshot() {
		if _, ok := slices.BinarySearch(inst.filters, filter); ok {
			out = append(out, inst)
		}
	}
	return out
}

func graphsOf(insts []*installed) []*ir.Graph {
	gs := make([]*ir.Graph, len(insts))
	for i, inst := range insts {
		gs[i] = inst.graph
	}
	return gs
}

// DefineFilter adds or replaces a filter and brings every installed binding
// whose tree uses it up to date, in one backend Apply call. When any of those
// bindings does not compile with the new filter, or the backend fails, the
// define is refused and the store, the bindings and the host stay as they
// were.
func (e *Engine) DefineFilter(ctx context.Context, f *nwfilter.Filter) error {
	e.change.Lock()
	defer e.change.Unlock()
	if f == nil {
		return errors.New("define filter: nil filter")
	}
	prev, _ := e.store.Lookup(f.Name)
	if err := e.store.Define(f); err != nil {
		return err
	}
	var (
		next []*installed
		errs []error
	)
	for _, old := range e.using(f.Name) {
		inst, err := e.compile(old.binding)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if inst.graph.Fingerprint() != old.graph.Fingerprint() {
			next = append(next, inst)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return e.restoreFilter(prev, fmt.Errorf("define filter %q: %w", f.Name, err))
	}
	if len(next) > 0 {
		if err := e.backend.Apply(ctx, graphsOf(next)...); err != nil {
			return e.restoreFilter(prev, fmt.Errorf("define filter %q: %w", f.Name, err))
		}
	}
	e.record(next)
	e.log.InfoContext(ctx, "filter defined", "filter", f.Name, "bindings_updated", len(next))
	return nil
}

// restoreFilter puts prev back in the store and returns cause. prev, the
// filter a define replaced, exists: only a filter that was defined can have
// bindings that use it, and only then can a define fail after storing.
func (e *Engine) restoreFilter(prev *nwfilter.Filter, cause error) error {
	if err := e.store.Define(prev); err != nil {
		return errors.Join(cause, fmt.Errorf("restore filter %q: %w", prev.Name, err))
	}
	return cause
}

// UndefineFilter removes a filter from the store. It is refused, with a
// *FilterInUseError, while an installed binding's tree uses the filter.
func (e *Engine) UndefineFilter(ctx context.Context, name string) error {
	e.change.Lock()
	defer e.change.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if users := e.using(name); len(users) > 0 {
		inUse := &FilterInUseError{Filter: name}
		for _, inst := range users {
			inUse.PortDevs = append(inUse.PortDevs, inst.binding.PortDev)
		}
		return fmt.Errorf("undefine filter: %w", inUse)
	}
	if err := e.store.Undefine(name); err != nil {
		return fmt.Errorf("undefine filter: %w", err)
	}
	e.log.InfoContext(ctx, "filter undefined", "filter", name)
	return nil
}

// Reconcile recompiles every installed binding and applies them all in one
// backend Apply call, for example after the process restarted and re-added
// its bindings, or after the store was changed behind the engine's back. A
// binding that no longer compiles keeps its previous rules and is reported in
// the returned error.
func (e *Engine) Reconcile(ctx context.Context) error {
	e.change.Lock()
	defer e.change.Unlock()
	var (
		next []*installed
		errs []error
	)
	for _, old := range e.snapshot() {
		inst, err := e.compile(old.binding)
		if err != nil {
			errs = append(errs, err)
			inst = old
		}
		next = append(next, inst)
	}
	if len(next) > 0 {
		if err := e.backend.Apply(ctx, graphsOf(next)...); err != nil {
			return errors.Join(append(errs, fmt.Errorf("reconcile: %w", err))...)
		}
	}
	e.record(next)
	e.log.InfoContext(ctx, "bindings reconciled", "bindings", len(next), "failed", len(errs))
	return errors.Join(errs...)
}

// Render returns the script the backend would load to install every binding
// from scratch. It has no side effects.
func (e *Engine) Render() (backend.Script, error) {
	return e.backend.Render(graphsOf(e.snapshot())...)
}

// Explain evaluates a packet against the rules installed on portDev and says
// which rules it met and what became of it. packet is a sim.ParsePacket spec
// such as "dir=out proto=tcp src=10.0.0.2 dst=10.0.0.9 dport=22 state=new".
func (e *Engine) Explain(portDev, packet string) (sim.Result, error) {
	e.mu.RLock()
	inst := e.bindings[portDev]
	e.mu.RUnlock()
	if inst == nil {
		return sim.Result{}, fmt.Errorf("explain: %w %q", ErrBindingNotFound, portDev)
	}
	p, err := sim.ParsePacket(packet, inst.graph.Binding)
	if err != nil {
		return sim.Result{}, fmt.Errorf("explain: %w", err)
	}
	res, err := sim.Simulate(inst.graph, p)
	if err != nil {
		return sim.Result{}, fmt.Errorf("explain: %w", err)
	}
	return res, nil
}
