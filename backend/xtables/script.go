package xtables

import (
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
// declarations, then per-binding chains (each binding's declarations
// followed by its rules) and new links, then unlinking, flushing and
// deleting of what goes away.
type txn struct {
	t                               tool
	decl, rules, unlink, flush, del strings.Builder
	lines                           int
}

func newTxn(t tool) *txn { return &txn{t: t} }

// declare creates a chain, or flushes it if it exists (--noflush
// semantics), writing the declaration into sec.
func (x *txn) declare(sec *strings.Builder, name string) {
	x.lines++
	sec.WriteByte(':')
	sec.WriteString(name)
	if x.t == toolEb {
		sec.WriteString(" ACCEPT\n")
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

// drop flushes and deletes a chain.
func (x *txn) drop(name string) {
	x.add(&x.flush, "-F", name)
	x.add(&x.del, "-X", name)
}

func (x *txn) empty() bool { return x.lines == 0 }

// text returns the restore input.
func (x *txn) text() string {
	var b strings.Builder
	b.Grow(x.decl.Len() + x.rules.Len() + x.unlink.Len() + x.flush.Len() + x.del.Len() + 32)
	b.WriteString("*" + x.t.table() + "\n")
	b.WriteString(x.decl.String())
	b.WriteString(x.rules.String())
	b.WriteString(x.unlink.String())
	b.WriteString(x.flush.String())
	b.WriteString(x.del.String())
	if x.t != toolEb {
		b.WriteString("COMMIT\n")
	}
	return b.String()
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
			if c.side == sideFrom {
				out = append(out, "PREROUTING -i "+r.port+" -j "+names[i])
			} else {
				out = append(out, "POSTROUTING -o "+r.port+" -j "+names[i])
			}
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

// install declares a binding's chains and writes their rules, next to
// each other: ebtables-nft finds chains by a linear search, which this order
// keeps short.
func (x *txn) install(r *bindingRules, names []string) {
	for _, name := range names {
		x.declare(&x.rules, name)
	}
	for i, c := range r.chains {
		for _, l := range c.rules {
			args := l.args
			switch {
			case l.jump > 0:
				args = append(args[:len(args):len(args)], "-j", names[l.jump-1])
			case l.verdict != "":
				args = append(args[:len(args):len(args)], "-j", l.verdict)
			}
			x.add(&x.rules, "-A", names[i], args...)
		}
	}
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
