package xtables

import (
	"slices"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// change asks for one binding's rules in one tool; want nil or empty
// removes the binding from that tool.
type change struct {
	port  string
	want  *bindingRules
	graph *ir.Graph
}

// staged is a tool's state after a planned transaction, committed once the
// transaction is loaded.
type staged struct {
	next, prev         map[string]*portState // nil value: nothing installed
	haveBase, haveHook [4]bool
}

func (st *toolState) commit(s *staged) {
	for port, ps := range s.next {
		if ps == nil {
			delete(st.ports, port)
		} else {
			st.ports[port] = ps
		}
	}
	st.haveBase, st.haveHook = s.haveBase, s.haveHook
}

// plan writes into x the transaction that takes st to the requested
// changes, and returns the resulting states.
//
// A changed binding is built under the generation its current chains do not
// use, its links are switched (new links appended, old ones deleted), and
// its old chains are flushed and deleted — all in x, so the tool switches
// from the old ruleset to the new one in one commit. Unchanged bindings
// (equal fingerprints) add nothing. The shared iptables chains and their
// hooks are created with the first binding and removed with the last.
func (b *Backend) plan(x *txn, st *toolState, changes []change) (*staged, error) {
	s := &staged{next: map[string]*portState{}, prev: map[string]*portState{}, haveBase: st.haveBase, haveHook: st.haveHook}
	remaining := len(st.ports)
	for _, c := range changes {
		_, had := st.ports[c.port]
		switch {
		case had && c.want.empty():
			remaining--
		case !had && !c.want.empty():
			remaining++
		}
	}
	if x.t != toolEb && remaining > 0 {
		b.addBase(x, s)
	}
	for _, c := range changes {
		old := st.ports[c.port]
		if c.want.empty() {
			if old == nil {
				continue
			}
			for _, l := range old.links {
				x.link(&x.unlink, "-D", l)
			}
			for _, name := range old.chains {
				x.drop(name)
			}
			s.prev[c.port], s.next[c.port] = old, nil
			continue
		}
		if old != nil && old.fp == c.want.fp {
			continue
		}
		var gen uint8
		if old != nil {
			gen = 1 - old.gen
		}
		names, err := b.names.chainNames(x.t, c.want, gen)
		if err != nil {
			return nil, err
		}
		links := b.names.links(x.t, c.want, names)
		x.install(c.want, names)
		var oldLinks, oldChains []string
		if old != nil {
			oldLinks, oldChains = old.links, old.chains
		}
		for _, l := range links {
			if !slices.Contains(oldLinks, l) {
				x.link(&x.rules, "-A", l)
			}
		}
		for _, l := range oldLinks {
			if !slices.Contains(links, l) {
				x.link(&x.unlink, "-D", l)
			}
		}
		for _, name := range oldChains {
			if !slices.Contains(names, name) {
				x.drop(name)
			}
		}
		s.prev[c.port] = old
		s.next[c.port] = &portState{gen: gen, fp: c.want.fp, graph: c.graph, chains: names, links: links}
	}
	if x.t != toolEb && remaining == 0 {
		b.removeBase(x, s)
	}
	return s, nil
}

// addBase creates whichever shared iptables chains and hooks are missing.
func (b *Backend) addBase(x *txn, s *staged) {
	for _, bc := range baseChains {
		if !s.haveBase[bc] {
			x.declare(&x.decl, b.names.base(bc))
			s.haveBase[bc] = true
		}
	}
	for _, bc := range baseChains {
		if !s.haveHook[bc] {
			x.link(&x.rules, "-I", b.names.hookInsert(bc))
			s.haveHook[bc] = true
		}
	}
}

// removeBase removes the shared iptables chains and their hooks.
func (b *Backend) removeBase(x *txn, s *staged) {
	hooks := b.names.hooks()
	for _, bc := range baseChains {
		if s.haveHook[bc] {
			x.link(&x.unlink, "-D", hooks[bc][1])
			s.haveHook[bc] = false
		}
	}
	for _, bc := range baseChains {
		if s.haveBase[bc] {
			x.drop(b.names.base(bc))
			s.haveBase[bc] = false
		}
	}
}
