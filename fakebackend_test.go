package gonwfilter_test

import (
	"context"
	"slices"
	"sync"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// fakeBackend records what an Engine asks a backend to do, and can be told to
// fail. It keeps the installed graphs like a real backend would.
type fakeBackend struct {
	mu        sync.Mutex
	applies   [][]string // port devices of each Apply call
	teardowns [][]string // port devices of each Teardown call
	installed map[string]*ir.Graph
	failApply error
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{installed: map[string]*ir.Graph{}}
}

func (f *fakeBackend) Name() string { return "fake" }

func (f *fakeBackend) Probe(context.Context) (backend.Capabilities, error) {
	return backend.Capabilities{Backend: "fake"}, nil
}

func (f *fakeBackend) Render(gs ...*ir.Graph) (backend.Script, error) {
	var s backend.Script
	for _, g := range gs {
		s.Sections = append(s.Sections, backend.Section{Tool: "fake " + g.Binding.PortDev, Text: g.Dump()})
	}
	return s, nil
}

func (f *fakeBackend) Apply(_ context.Context, gs ...*ir.Graph) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var devs []string
	for _, g := range gs {
		devs = append(devs, g.Binding.PortDev)
	}
	f.applies = append(f.applies, devs)
	if f.failApply != nil {
		return f.failApply
	}
	for _, g := range gs {
		f.installed[g.Binding.PortDev] = g
	}
	return nil
}

func (f *fakeBackend) Teardown(_ context.Context, portDevs ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.teardowns = append(f.teardowns, slices.Clone(portDevs))
	for _, d := range portDevs {
		delete(f.installed, d)
	}
	return nil
}

// appliedCalls returns the port devices of every Apply call so far.
func (f *fakeBackend) appliedCalls() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.applies)
}

// graph returns what is installed on portDev.
func (f *fakeBackend) graph(portDev string) *ir.Graph {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.installed[portDev]
}
