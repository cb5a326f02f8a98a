package xtables

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// fakeExec records commands and answers them with respond (nil: success,
// empty output).
type fakeExec struct {
	mu      sync.Mutex
	cmds    []backend.Command
	ctxErrs []error // ctx.Err() at each run
	respond func(c backend.Command) ([]byte, error)
}

func (f *fakeExec) Run(ctx context.Context, c backend.Command) ([]byte, error) {
	f.mu.Lock()
	f.cmds = append(f.cmds, c)
	f.ctxErrs = append(f.ctxErrs, ctx.Err())
	respond := f.respond
	f.mu.Unlock()
	if respond != nil {
		return respond(c)
	}
	return nil, nil
}

func (f *fakeExec) LookPath(name string) (string, error) { return "/usr/sbin/" + name, nil }

// restores returns the stdin of every restore run so far.
func (f *fakeExec) restores() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.cmds {
		if strings.HasSuffix(c.Path, "-restore") && (len(c.Args) == 0 || c.Args[0] != "--test") {
			out = append(out, c.Path+"\n"+string(c.Stdin))
		}
	}
	return out
}

// byTool orders the restore runs of one change (which run at the same
// time) as the tools are listed: ebtables, iptables, ip6tables.
func byTool(runs []string) []string {
	rank := func(run string) int {
		for i, t := range tools {
			if strings.HasPrefix(run, t.restore()+"\n") {
				return i
			}
		}
		return len(tools)
	}
	out := slices.Clone(runs)
	slices.SortStableFunc(out, func(a, b string) int { return rank(a) - rank(b) })
	return out
}

func (f *fakeExec) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.cmds)
}

type fakeIntrospect struct{ chains []string }

func (f fakeIntrospect) ListChains(ir.Layer, string) ([]string, error) { return f.chains, nil }
func (fakeIntrospect) Version(ir.Layer) (string, error)                { return "1.8.9", nil }

type fakeSets []string

func (f fakeSets) ListIPSets() ([]string, error) {
	if f == nil {
		return nil, errors.New("no ipset support")
	}
	return f, nil
}

func newFake(opts Options) (*Backend, *fakeExec) {
	fe := &fakeExec{}
	opts.Exec = fe
	if opts.Introspect == nil {
		opts.Introspect = fakeIntrospect{}
	}
	if opts.IPSets == nil {
		opts.IPSets = fakeSets{}
	}
	b, err := New(opts)
	if err != nil {
		panic(err)
	}
	return b, fe
}
