package xtables

import (
	"fmt"
	"hash/fnv"
)

// dispatchBuckets is how many ebtables dispatch chains each direction has
// under the default names (see Speed in the package doc).
const dispatchBuckets = 32

// ebBuiltin is the built-in nat chain each side's frames pass through.
var ebBuiltin = [...]string{sideFrom: "PREROUTING", sideTo: "POSTROUTING"}

// dispatchNames are the dispatch chains' middle parts: gnwf-pre, gnwf-post.
var dispatchNames = [...]string{sideFrom: "pre", sideTo: "post"}

// dispatching reports whether ebtables links go through dispatch chains;
// libvirt's names keep libvirt's layout (links in the built-in chains).
func (n namer) dispatching() bool { return !n.libvirt }

// dispatchTop is the chain a built-in chain jumps to for one side.
func (n namer) dispatchTop(s side) string {
	return n.prefix() + "-D-" + dispatchNames[s]
}

// dispatchBucket is the dispatch chain that holds port's link for one side.
func (n namer) dispatchBucket(s side, bucket int) string {
	return fmt.Sprintf("%s-%02d", n.dispatchTop(s), bucket)
}

// bucketOf spreads port devices over the dispatch chains; it must not
// change between versions, since a later process finds links by it.
func bucketOf(port string) int {
	h := fnv.New32a()
	h.Write([]byte(port))
	return int(h.Sum32() % dispatchBuckets)
}

// ebLinkChain is the chain that holds the link to port's root chain.
func (n namer) ebLinkChain(s side, port string) string {
	if !n.dispatching() {
		return ebBuiltin[s]
	}
	return n.dispatchBucket(s, bucketOf(port))
}

// ebLink is the rule in from that sends port's frames of one side to name.
func ebLink(from string, s side, port, name string) string {
	if s == sideFrom {
		return from + " -i " + port + " -j " + name
	}
	return from + " -o " + port + " -j " + name
}

// dispatchChains lists every dispatch chain, each side's top chain first.
func (n namer) dispatchChains() []string {
	var out []string
	for _, s := range []side{sideFrom, sideTo} {
		out = append(out, n.dispatchTop(s))
		for i := range dispatchBuckets {
			out = append(out, n.dispatchBucket(s, i))
		}
	}
	return out
}

// dispatchRules lists the rules that wire the dispatch chains: the jumps
// from the built-in chains (hooks) and from the top chains to the buckets.
func (n namer) dispatchRules() (hooks, jumps []string) {
	for _, s := range []side{sideFrom, sideTo} {
		top := n.dispatchTop(s)
		hooks = append(hooks, ebBuiltin[s]+" -j "+top)
		for i := range dispatchBuckets {
			jumps = append(jumps, top+" -j "+n.dispatchBucket(s, i))
		}
	}
	return hooks, jumps
}

// addDispatch creates the dispatch chains unless they are there.
func (b *Backend) addDispatch(x *txn, s *staged) {
	if s.haveDispatch {
		return
	}
	for _, name := range b.names.dispatchChains() {
		x.declare(&x.decl, name)
	}
	hooks, jumps := b.names.dispatchRules()
	for _, r := range append(jumps, hooks...) {
		x.link(&x.decl, "-A", r)
	}
	s.haveDispatch = true
}

// removeDispatch deletes the dispatch chains if they are there. They are
// unhooked and flushed among the unlinks, before any binding's chain is
// deleted: ebtables-nft folds a rule deletion into a later flush of the
// same chain, so a root chain deleted before its bucket is flushed would
// still be referenced. The key "" sorts this block after the other unlinks
// (see writeBlocks), so their deletions from the buckets come first.
func (b *Backend) removeDispatch(x *txn, s *staged) {
	if !s.haveDispatch {
		return
	}
	chains := b.names.dispatchChains()
	hooks, _ := b.names.dispatchRules()
	unhook := newBlock(&x.unlinks, "")
	for _, h := range hooks {
		x.link(&unhook.text, "-D", h)
	}
	for _, name := range chains {
		x.add(&unhook.text, "-F", name)
	}
	del := newBlock(&x.drops, chains[0])
	for _, name := range chains {
		x.add(&del.text, "-X", name)
	}
	s.haveDispatch = false
}

// adoptDispatch reports whether a previous process left the complete
// dispatch layout.
func (b *Backend) adoptDispatch(saved savedTable, rules map[string]bool) bool {
	if !b.names.dispatching() {
		return false
	}
	declared := map[string]bool{}
	for _, c := range saved.chains {
		declared[c] = true
	}
	for _, name := range b.names.dispatchChains() {
		if !declared[name] {
			return false
		}
	}
	hooks, jumps := b.names.dispatchRules()
	for _, r := range append(hooks, jumps...) {
		if !rules[linkKey(r)] {
			return false
		}
	}
	return true
}
