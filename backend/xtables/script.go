package xtables

import (
	"slices"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// tool is one of the three programs the backend feeds.
type tool uint8

const (
	toolEb tool = iota
	toolIPv4
	toolIPv6
)

// tools lists the tools in the order Apply loads them (see the package
// documentation for why).
var tools = [...]tool{toolEb, toolIPv4, toolIPv6}

var (
	toolNames = [...]string{toolEb: "ebtables", toolIPv4: "iptables", toolIPv6: "ip6tables"}
	// restoreArgs: -w waits for the xtables lock (ebtables-restore has no
	// such option); --noflush keeps every chain we do not name.
	restoreArgs = [...][]string{toolEb: {"--noflush"}, toolIPv4: {"-w", "--noflush"}, toolIPv6: {"-w", "--noflush"}}
)

func (t tool) String() string  { return toolNames[t] }
func (t tool) restore() string { return toolNames[t] + "-restore" }
func (t tool) save() string    { return toolNames[t] + "-save" }

func (t tool) table() string {
	if t == toolEb {
		return "nat"
	}
	return "filter"
}

// layer is the IR layer whose rules the tool installs.
func (t tool) layer() ir.Layer {
	return [...]ir.Layer{toolEb: ir.LayerEthernet, toolIPv4: ir.LayerIPv4, toolIPv6: ir.LayerIPv6}[t]
}

// txn is one restore transaction under construction. Lines are grouped so
// the text is valid whatever order they were added in: shared chains'
// declarations and hooks, then unlinking, then the blocks that flush and
// delete what goes away, then the blocks that build chains (declarations,
// rules and new links). The tool commits all of it at once, so the order
// within the input is not visible to packets. Removal goes first because
// the tools' -F walks every rule appended earlier in the same input
// (iptables 1.8.9, batch_chain_flush): after the new generation's rules,
// swapping 1000 bindings took a minute.
//
// Blocks are written in descending order of their keys (a chain name). The
// nft-based tools collect every chain a restore input names in a sorted
// linked list (iptables 1.8.9, cache_chain_list_insert), so each command
// costs a walk past the names sorting before its chain. A block names
// chains that sort together, and in descending order those walks stay
// short; in input order they grew with the number of bindings, which made
// loading 1000 bindings quadratic.
type txn struct {
	t                      tool
	decl                   strings.Builder
	builds, unlinks, drops []*block
	lines                  int
}

// block is a run of lines that must stay together and in order, sorted
// among its kind by key.
type block struct {
	key  string
	text strings.Builder
}

func newTxn(t tool) *txn { return &txn{t: t} }

// newBlock starts a block in list.
func newBlock(list *[]*block, key string) *block {
	b := &block{key: key}
	*list = append(*list, b)
	return b
}

// declare creates a chain, or flushes it if it exists (--noflush
// semantics), writing the declaration into sec.
func (x *txn) declare(sec *strings.Builder, name string) {
	x.lines++
	sec.WriteByte(':')
	sec.WriteString(name)
	if x.t == toolEb {
		sec.WriteString(" RETURN\n") // see endWithAccept
	} else {
		sec.WriteString(" - [0:0]\n")
	}
}

// add writes "op chain args…" into section sec. Every word reaching here is
// either a fixed keyword, a number or address we formatted, or a name or
// comment that went through token.
func (x *txn) add(sec *strings.Builder, op, chain string, args ...string) {
	x.lines++
	sec.WriteString(op)
	sec.WriteByte(' ')
	sec.WriteString(chain)
	for _, a := range args {
		sec.WriteByte(' ')
		sec.WriteString(a)
	}
	sec.WriteByte('\n')
}

// link adds or removes a rule given as "CHAIN args…".
func (x *txn) link(sec *strings.Builder, op, spec string) {
	x.lines++
	sec.WriteString(op)
	sec.WriteByte(' ')
	sec.WriteString(spec)
	sec.WriteByte('\n')
}

// unlink deletes a rule given as "CHAIN args…", keyed by the chain it
// jumps to. *-restore deletes a rule by searching its chain from the start;
// written in the (descending) order of the blocks that appended them,
// deletions find their rules at the start of the search, where input order
// made deleting all links quadratic in the bindings (minutes for 1000).
func (x *txn) unlink(key, spec string) {
	x.link(&newBlock(&x.unlinks, key).text, "-D", spec)
}

// drop flushes and then deletes chains that reference no chain outside
// the list, in one block keyed by the first.
func (x *txn) drop(names ...string) {
	bl := newBlock(&x.drops, names[0])
	for _, name := range names {
		x.add(&bl.text, "-F", name)
	}
	for _, name := range names {
		x.add(&bl.text, "-X", name)
	}
}

func (x *txn) empty() bool { return x.lines == 0 }

// text returns the restore input.
func (x *txn) text() string {
	var b strings.Builder
	b.WriteString("*" + x.t.table() + "\n")
	b.WriteString(x.decl.String())
	writeBlocks(&b, x.unlinks)
	writeBlocks(&b, x.drops)
	writeBlocks(&b, x.builds)
	if x.t != toolEb {
		b.WriteString("COMMIT\n")
	}
	return b.String()
}

// writeBlocks writes blocks in descending order of their keys.
func writeBlocks(b *strings.Builder, blocks []*block) {
	slices.SortStableFunc(blocks, func(p, q *block) int { return strings.Compare(q.key, p.key) })
	for _, bl := range blocks {
		b.WriteString(bl.text.String())
	}
}

// chainNames names a binding's chains for generation gen.
func (n namer) chainNames(t tool, r *bindingRules, gen uint8) ([]string, error) {
	names := make([]string, len(r.chains))
	for i, c := range r.chains {
		switch {
		case t != toolEb:
			names[i] = n.ip(c.ip, gen, r.port)
		case c.sub == "":
			names[i] = n.ebRoot(c.side, gen, r.port)
		default:
			name, err := n.ebSub(c.side, gen, r.port, c.sub, c.subIdx)
			if err != nil {
				return nil, err
			}
			names[i] = name
		}
	}
	return names, nil
}

// links returns the rules that send a binding's traffic into its chains, as
// "CHAIN args…": PREROUTING/POSTROUTING jumps for ebtables, physdev jumps in
// the shared chains for iptables.
func (n namer) links(t tool, r *bindingRules, names []string) []string {
	var out []string
	if t == toolEb {
		for i, c := range r.chains {
			if c.sub != "" {
				continue
			}
			out = append(out, ebLink(n.ebLinkChain(c.side, r.port), c.side, r.port, names[i]))
		}
		return out
	}
	for i, c := range r.chains {
		switch c.ip {
		case chainFI:
			out = append(out, n.base(baseIn)+" -m physdev --physdev-in "+r.port+" -g "+names[i])
		case chainFO:
			out = append(out, n.base(baseOut)+" -m physdev --physdev-is-bridged --physdev-out "+r.port+" -g "+names[i])
		case chainHI:
			out = append(out, n.base(baseHostIn)+" -m physdev --physdev-in "+r.port+" -g "+names[i])
		}
	}
	return append(out, n.base(baseInPost)+" -m physdev --physdev-in "+r.port+" -j ACCEPT")
}

// install writes a binding's chains and the given new links into build
// blocks, one per root chain (an iptables chain, or an ebtables root chain
// with its sub-chains): the sub-chains first, each declared next to its
// rules (ebtables-nft also finds chains by a linear search, which this
// keeps short), then the root chain, then the links that jump to it. A link
// that jumps to no chain of the binding goes with the first block.
func (x *txn) install(r *bindingRules, names, links []string) {
	var blocks []*block
	for start := 0; start < len(r.chains); {
		end := start + 1
		for end < len(r.chains) && r.chains[end].sub != "" {
			end++
		}
		bl := newBlock(&x.builds, names[start])
		for _, i := range append(seq(start+1, end), start) {
			x.declare(&bl.text, names[i])
			for _, l := range r.chains[i].rules {
				args := l.args
				switch {
				case l.jump > 0:
					args = append(args[:len(args):len(args)], "-j", names[l.jump-1])
				case l.verdict != "":
					args = append(args[:len(args):len(args)], "-j", l.verdict)
				}
				x.add(&bl.text, "-A", names[i], args...)
			}
		}
		blocks = append(blocks, bl)
		start = end
	}
	for _, l := range links {
		bl := blocks[0]
		target := l[strings.LastIndexByte(l, ' ')+1:]
		if i := slices.IndexFunc(blocks, func(b *block) bool { return b.key == target }); i >= 0 {
			bl = blocks[i]
		}
		x.link(&bl.text, "-A", l)
	}
}

// seq returns the integers from lo up to hi, excluding hi.
func seq(lo, hi int) []int {
	out := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

// hooks are the jumps from the built-in chains into the shared iptables
// chains, at libvirt's positions (FORWARD 1–3, INPUT 1).
func (n namer) hooks() [4][2]string {
	return [4][2]string{
		baseIn:     {"FORWARD 1", "FORWARD -j " + n.base(baseIn)},
		baseOut:    {"FORWARD 2", "FORWARD -j " + n.base(baseOut)},
		baseInPost: {"FORWARD 3", "FORWARD -j " + n.base(baseInPost)},
		baseHostIn: {"INPUT 1", "INPUT -j " + n.base(baseHostIn)},
	}
}

// hookInsert is the -I form of hook h: "FORWARD 1 -j libvirt-in".
func (n namer) hookInsert(h baseChain) string {
	hk := n.hooks()[h]
	return hk[0] + " -j " + n.base(h)
}
