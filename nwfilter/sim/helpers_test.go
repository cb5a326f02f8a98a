package sim

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Test fixtures: the VM's MAC and address, a peer.
var (
	vmMAC   = ir.MAC{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	peerMAC = ir.MAC{0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc}
	binding = ir.Binding{PortDev: "vnet0", MAC: vmMAC, Filter: "test"}
)

// ruleSeq numbers the rules built by a test so trace lines are telling.
type ruleSeq struct{ n int }

func (s *ruleSeq) rule(p ir.Protocol, d ir.Direction, a ir.Action, ms ...ir.Match) *ir.Rule {
	r := &ir.Rule{Protocol: p, Direction: d, Action: a, StateMatch: true, Matches: ms,
		Origin: ir.Origin{Filter: "t", Index: s.n}}
	s.n++
	return r
}

func macMatch(f ir.Field, m ir.MAC) ir.Match { return ir.Match{Field: f, MAC: m} }

func prefixMatch(f ir.Field, s string) ir.Match {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		p = netip.PrefixFrom(netip.MustParseAddr(s), netip.MustParseAddr(s).BitLen())
	}
	return ir.Match{Field: f, Prefix: p}
}

func numMatch(f ir.Field, lo uint32) ir.Match { return ir.Match{Field: f, Lo: lo, Hi: lo} }

func rangeMatch(f ir.Field, lo, hi uint32) ir.Match {
	return ir.Match{Field: f, Lo: lo, Hi: hi, HasHi: true}
}

func not(m ir.Match) ir.Match { m.Negate = true; return m }

func ruleEntries(rs ...*ir.Rule) []ir.Entry {
	es := make([]ir.Entry, len(rs))
	for i, r := range rs {
		es[i] = ir.Entry{Rule: r}
	}
	return es
}

func subChain(name string, kind ir.ChainKind, rs ...*ir.Rule) *ir.Chain {
	return &ir.Chain{Name: name, Kind: kind, Entries: ruleEntries(rs...)}
}

// ethGraph builds a graph whose root chain holds the given entries; every
// chain jumped to is listed after the root.
func ethGraph(entries ...ir.Entry) *ir.Graph {
	root := &ir.Chain{Name: "root", Kind: ir.ChainRoot, Entries: entries}
	g := &ir.Graph{Binding: binding, Ethernet: []*ir.Chain{root}}
	for _, e := range entries {
		if e.Jump != nil {
			g.Ethernet = append(g.Ethernet, e.Jump)
		}
	}
	return g
}

func ipGraph(rs ...*ir.Rule) *ir.Graph { return &ir.Graph{Binding: binding, IP: rs} }

func jump(c *ir.Chain) ir.Entry { return ir.Entry{Jump: c} }
func entry(r *ir.Rule) ir.Entry { return ir.Entry{Rule: r} }

// simulate parses spec for the test binding and runs it through g.
func simulate(t *testing.T, g *ir.Graph, spec string) Result {
	t.Helper()
	return simulateWith(t, g, spec, Options{})
}

// simulateWith is simulate with opts.
func simulateWith(t *testing.T, g *ir.Graph, spec string, opts Options) Result {
	t.Helper()
	p, err := ParsePacket(spec, binding)
	require.NoError(t, err, spec)
	res, err := SimulateWith(g, p, opts)
	require.NoError(t, err, spec)
	return res
}

// decider returns the last rule step of a trace that matched.
func decider(r Result) *Step {
	for i := len(r.Trace) - 1; i >= 0; i-- {
		if s := &r.Trace[i]; s.Kind == StepRule && s.Matched {
			return s
		}
	}
	return nil
}

// stepFor returns the step that evaluated rule r.
func stepFor(res Result, r *ir.Rule) *Step {
	for i := range res.Trace {
		if res.Trace[i].Rule == r {
			return &res.Trace[i]
		}
	}
	return nil
}

// probe is a packet and the verdict a graph must give it.
type probe struct {
	name, spec string
	want       Verdict
}

// checkProbes runs every probe through g as a subtest.
func checkProbes(t *testing.T, g *ir.Graph, probes []probe) {
	t.Helper()
	for _, pr := range probes {
		t.Run(pr.name, func(t *testing.T) {
			res := simulate(t, g, pr.spec)
			assert.Equal(t, pr.want, res.Verdict, res.String())
		})
	}
}
