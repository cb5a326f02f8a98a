package xtables

import (
	"slices"
	"strings"

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
	haveDispatch       bool
}

func (st *toolState) commit(s *staged) {
	for port, ps := range s.next {
		if ps == nil {
			delete(st.ports, port)
		} else {
			st.ports[port] = ps
		}
	}
	st.haveBase, st.haveHook, st.haveDispatch = s.haveBase, s.haveHook, s.haveDispatch
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
	s := &staged{next: map[string]*portState{}, prev: map[string]*portState{}, haveBase: st.haveBase, haveHook: st.haveHook, haveDispatch: st.haveDispatch}
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
			unlink(x, old.links, old.chains)
			b.drop(x, old.chains)
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
		var oldLinks, oldChains []string
		if old != nil {
			oldLinks, oldChains = old.links, old.chains
		}
		var newLinks []string
		for _, l := range links {
			if !slices.Contains(oldLinks, l) {
				newLinks = append(newLinks, l)
			}
		}
		if x.t == toolEb && b.names.dispatching() {
			b.addDispatch(x, s) // before the links into it: x.decl is written first
		}
		x.install(c.want, names, newLinks)
		unlink(x, slices.DeleteFunc(slices.Clone(oldLinks), func(l string) bool { return slices.Contains(links, l) }), oldChains)
		b.drop(x, slices.DeleteFunc(slices.Clone(oldChains), func(name string) bool { return slices.Contains(names, name) }))
		s.prev[c.port] = old
		s.next[c.port] = &portState{gen: gen, fp: c.want.fp, graph: c.graph, chains: names, links: links}
	}
	if remaining == 0 {
		if x.t != toolEb {
			b.removeBase(x, s)
		} else {
			b.removeDispatch(x, s)
		}
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
			x.link(&x.decl, "-I", b.names.hookInsert(bc))
			s.haveHook[bc] = true
		}
	}
}

// removeBase removes the shared iptables chains and their hooks.
func (b *Backend) removeBase(x *txn, s *staged) {
	hooks := b.names.hooks()
	for _, bc := range baseChains {
		if s.haveHook[bc] {
			x.unlink(b.names.base(bc), hooks[bc][1])
			s.haveHook[bc] = false
		}
	}
	for _, bc := range baseChains {
		if s.haveBase[bc] {
			b.drop(x, []string{b.names.base(bc)})
			s.haveBase[bc] = false
		}
	}
}

// unlink deletes a binding's links, each keyed by the chain of chains it
// jumps to (the first chain for a link that jumps to none), as install
// keyed the blocks that appended them.
func unlink(x *txn, links, chains []string) {
	for _, l := range links {
		key := ""
		if target := l[strings.LastIndexByte(l, ' ')+1:]; slices.Contains(chains, target) {
			key = target
		} else if len(chains) > 0 {
			key = chains[0]
		}
		x.unlink(key, l)
	}
}

// drop flushes and deletes chains: in one block per root chain (an
// ebtables root chain with the chains after it, up to the next root; each
// iptables chain alone), so the blocks can be written in any order.
func (b *Backend) drop(x *txn, chains []string) {
	for start := 0; start < len(chains); {
		end := start + 1
		for end < len(chains) && !b.isRoot(x.t, chains[end]) {
			end++
		}
		x.drop(chains[start:end]...)
		start = end
	}
}

// isRoot reports whether a chain of ours is reached only through a link,
// not from another chain of the binding.
func (b *Backend) isRoot(t tool, name string) bool {
	if t != toolEb {
		return true
	}
	_, _, _, ok := b.parseEbRoot(name)
	return ok
}
