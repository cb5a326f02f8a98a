package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"strings"

	"github.com/gonwfilter/gonwfilter/internal/docfile"
	"github.com/gonwfilter/gonwfilter/nwfilter"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// paramList is the repeatable --param NAME=VALUE flag.
type paramList []nwfilter.Param

func (l *paramList) String() string {
	var parts []string
	for _, p := range *l {
		parts = append(parts, p.Name+"="+p.Value)
	}
	return strings.Join(parts, ",")
}

func (l *paramList) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	if !nwfilter.ValidVarName(name) {
		return fmt.Errorf("parameter name %q: only letters, digits and _ are allowed", name)
	}
	if !nwfilter.ValidVarValue(value) {
		return fmt.Errorf("parameter %s value %q: only letters, digits, _ . and : are allowed", name, value)
	}
	*l = append(*l, nwfilter.Param{Name: name, Value: value})
	return nil
}

// filtersDirFlag is --filters-dir, shared by every command that needs filters.
type filtersDirFlag struct {
	dir string
}

func (f *filtersDirFlag) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "filters-dir", "", "load every `DIR`/*.xml over the built-in filters")
}

// store returns the built-in filters plus those of the directory. A bad file
// in the directory is bad input.
func (f *filtersDirFlag) store() (*nwfilter.Store, error) {
	s := nwfilter.NewStore()
	if f.dir != "" {
		if err := s.LoadDir(f.dir); err != nil {
			return nil, badInput(err)
		}
	}
	return s, nil
}

// bindingFlags are the flags that give one or more bindings.
type bindingFlags struct {
	filtersDirFlag
	files   stringList
	filter  string
	portDev string
	mac     string
	params  paramList
	many    bool
}

func (b *bindingFlags) register(fs *flag.FlagSet, many bool) {
	b.many = many
	b.filtersDirFlag.register(fs)
	fileUsage := "a <filterbinding> document `FILE`"
	if many {
		fileUsage += " (repeatable)"
	}
	fs.Var(&b.files, "binding", fileUsage+"; alternative to --filter/--portdev/--mac")
	fs.StringVar(&b.filter, "filter", "", "the binding's top-level filter `NAME`")
	fs.StringVar(&b.portDev, "portdev", "", "the VM's host-side interface `IF`, e.g. vnet0")
	fs.StringVar(&b.mac, "mac", "", "the VM's `MAC` address")
	fs.Var(&b.params, "param", "a filter variable `NAME=VALUE`; repeat a NAME for a list")
}

// load returns the store and the bindings the flags give.
func (b *bindingFlags) load() (*nwfilter.Store, []*nwfilter.Binding, error) {
	var bindings []*nwfilter.Binding
	inline := b.filter != "" || b.portDev != "" || b.mac != "" || len(b.params) > 0
	if inline {
		bd, err := b.inline()
		if err != nil {
			return nil, nil, err
		}
		bindings = append(bindings, bd)
	}
	var errs []error
	for _, file := range b.files {
		bd, err := readBinding(file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		bindings = append(bindings, bd)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, badInput(err)
	}
	switch {
	case len(bindings) == 0:
		return nil, nil, usageErrorf("no binding: give --binding FILE or --filter NAME --portdev IF --mac MAC")
	case len(bindings) > 1 && !b.many:
		return nil, nil, usageErrorf("give exactly one binding: --binding FILE or --filter/--portdev/--mac")
	}
	store, err := b.store()
	if err != nil {
		return nil, nil, err
	}
	return store, bindings, nil
}

// inline builds the binding given by --filter, --portdev, --mac and --param.
func (b *bindingFlags) inline() (*nwfilter.Binding, error) {
	var missing []string
	for _, f := range []struct{ name, value string }{{"--filter", b.filter}, {"--portdev", b.portDev}, {"--mac", b.mac}} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, usageErrorf("a binding on the command line needs %s", strings.Join(missing, ", "))
	}
	mac, err := parseMAC(b.mac)
	if err != nil {
		return nil, badInput(err)
	}
	if err := nwfilter.ValidatePortDev(b.portDev); err != nil {
		return nil, badInput(err)
	}
	return &nwfilter.Binding{
		PortDev:   b.portDev,
		MAC:       mac,
		FilterRef: nwfilter.FilterRef{Filter: b.filter, Params: b.params},
	}, nil
}

func parseMAC(s string) (ir.MAC, error) {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != len(ir.MAC{}) {
		return ir.MAC{}, fmt.Errorf("--mac %q: want an Ethernet address like 52:54:00:12:34:56", s)
	}
	return ir.MAC(hw), nil
}

// readBinding reads a <filterbinding> document.
func readBinding(file string) (*nwfilter.Binding, error) {
	data, err := docfile.Read(file)
	if err != nil {
		return nil, err
	}
	return nwfilter.ParseBinding(data, file)
}

// readDocument reads a <filter> or <filterbinding> document.
func readDocument(file string) (nwfilter.Document, error) {
	data, err := docfile.Read(file)
	if err != nil {
		return nwfilter.Document{}, badInput(err)
	}
	return nwfilter.ParseDocument(data, file)
}

// compile compiles every binding against the store. A binding that does not
// compile (a missing filter or variable, say) is a validation failure.
func compile(store *nwfilter.Store, bindings []*nwfilter.Binding) ([]*ir.Graph, error) {
	var (
		graphs []*ir.Graph
		errs   []error
	)
	for _, b := range bindings {
		g, err := nwfilter.Compile(store, b, nwfilter.CompileOptions{})
		if err != nil {
			errs = append(errs, fmt.Errorf("binding %s: %w", b.PortDev, err))
			continue
		}
		graphs = append(graphs, g)
	}
	return graphs, errors.Join(errs...)
}

// compileOne loads the one binding the flags give and compiles it. args are
// the command's positional arguments, of which there must be none.
func compileOne(bf *bindingFlags, args []string) (*ir.Graph, error) {
	graphs, err := compileAllArgs(bf, args)
	if err != nil {
		return nil, err
	}
	return graphs[0], nil
}

// compileAllArgs loads the bindings the flags give and compiles them.
func compileAllArgs(bf *bindingFlags, args []string) ([]*ir.Graph, error) {
	if len(args) > 0 {
		return nil, usageErrorf("unexpected argument %q", args[0])
	}
	store, bindings, err := bf.load()
	if err != nil {
		return nil, err
	}
	return compile(store, bindings)
}
