package nwfilter

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/golden"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// rootSummary lists the root chain's entries as "jump NAME" or "rule PRIO".
func rootSummary(g *ir.Graph) []string {
	var out []string
	for _, e := range g.Ethernet[0].Entries {
		if e.Jump != nil {
			out = append(out, "jump "+e.Jump.Name)
		} else {
			out = append(out, "rule "+strconv.Itoa(e.Rule.Priority)+" "+e.Rule.Origin.Filter)
		}
	}
	return out
}

func chainNames(g *ir.Graph) []string {
	var out []string
	for _, c := range g.Ethernet {
		out = append(out, c.Name)
	}
	return out
}

func TestCleanTrafficInterleavesJumpsByPriority(t *testing.T) {
	g, err := Compile(cleanTraffic(t), binding(t, "clean-traffic", "IP=10.0.0.2"), CompileOptions{})
	require.NoError(t, err)
	// The IPv4 accept at -650 comes after the ipv4-ip (-710) and ipv4 (-700)
	// jumps and before the ARP chains at -520/-510 and the ARP accept at -500.
	assert.Equal(t, []string{
		"jump mac",
		"jump ipv4-ip",
		"jump ipv4",
		"rule -650 clean-traffic",
		"jump arp-mac",
		"jump arp-ip",
		"rule -500 clean-traffic",
		"jump rarp",
		"rule 500 qemu-announce-self",
		"rule 1000 no-other-l2-traffic",
	}, rootSummary(g))
	assert.Equal(t, []string{"root", "mac", "ipv4-ip", "ipv4", "arp-mac", "arp-ip", "rarp"}, chainNames(g))
	assert.Empty(t, g.IP)
	golden.Check(t, filepath.Join("testdata", "graph", "clean-traffic"+".txt"), []byte(g.Dump()))
}

func TestCompileIsDeterministic(t *testing.T) {
	res := cleanTraffic(t)
	b := binding(t, "clean-traffic", "IP=10.0.0.2", "IP=10.0.0.3")
	g1, err := Compile(res, b, CompileOptions{})
	require.NoError(t, err)
	g2, err := Compile(res, b, CompileOptions{})
	require.NoError(t, err)
	assert.Equal(t, g1.Dump(), g2.Dump())
	assert.Equal(t, g1.Fingerprint(), g2.Fingerprint())
	assert.Equal(t, g1, g2)

	other, err := Compile(res, binding(t, "clean-traffic", "IP=10.0.0.9"), CompileOptions{})
	require.NoError(t, err)
	assert.NotEqual(t, g1.Fingerprint(), other.Fingerprint())
}

func TestOrderRootRulesBeforeSubChainRulesInIPLayer(t *testing.T) {
	acc := ir.ActionAccept
	res := mapResolver{}.add(
		filter("top", "",
			ref("sub"),
			rule(t, acc, ir.DirOut, 900, ir.ProtoTCP, "dstportstart=900"),
			rule(t, acc, ir.DirOut, -100, ir.ProtoTCP, "dstportstart=100"),
		),
		filter("sub", "ipv4",
			rule(t, acc, ir.DirOut, -900, ir.ProtoUDP, "dstportstart=53"),
		),
	)
	g, err := Compile(res, binding(t, "top"), CompileOptions{})
	require.NoError(t, err)
	// Root-chain rules first (sorted by priority), then the sub-chain's,
	// whose priority -900 is raised to the ipv4 chain's -700; no Ethernet
	// chain exists because no rule is an Ethernet-layer rule.
	assert.Equal(t, []string{
		"out accept prio=-100 tcp dstport=100",
		"out accept prio=900 tcp dstport=900",
		"out accept prio=-700 udp dstport=53",
	}, ruleLines(g))
	assert.Empty(t, g.Ethernet)
}

func TestOrderRaisedRulesKeepWrittenPriorityOrder(t *testing.T) {
	drop := ir.ActionDrop
	res := mapResolver{}.add(
		filter("top", "", ref("arp1")),
		withPrio(filter("arp1", "arp",
			rule(t, drop, ir.DirOut, -450, ir.ProtoARP, "opcode=1"),
			rule(t, drop, ir.DirOut, -600, ir.ProtoARP, "opcode=2"),
			rule(t, drop, ir.DirOut, -550, ir.ProtoARP, "opcode=3"),
		), -500),
	)
	g, err := Compile(res, binding(t, "top"), CompileOptions{})
	require.NoError(t, err)
	// Sorted by written priority (-600, -550, -450), then the first two are
	// raised to the chain's -500 without re-sorting.
	assert.Equal(t, []string{
		"out drop prio=-500 arp arp-opcode=2",
		"out drop prio=-500 arp arp-opcode=3",
		"out drop prio=-450 arp arp-opcode=1",
	}, ruleLines(g))
	assert.Equal(t, []string{"jump arp"}, rootSummary(g))
}

func TestOrderSharedChainNameTakesLastFiltersPriority(t *testing.T) {
	drop := ir.ActionDrop
	res := mapResolver{}.add(
		filter("top", "",
			ref("a"), ref("b"),
			rule(t, drop, ir.DirOut, -300, ir.ProtoMAC, "protocolid=0x1234"),
		),
		withPrio(filter("a", "ipv4-x", rule(t, drop, ir.DirOut, 100, ir.ProtoIP, "protocol=6")), -700),
		withPrio(filter("b", "ipv4-x", rule(t, drop, ir.DirOut, 200, ir.ProtoIP, "protocol=17")), -200),
	)
	g, err := Compile(res, binding(t, "top"), CompileOptions{})
	require.NoError(t, err)
	// Both filters share sub-chain ipv4-x; its last rule in sorted order
	// comes from b, so the chain gets b's priority -200 (after the -300 rule).
	require.Len(t, g.Ethernet, 2)
	assert.Equal(t, -200, g.Ethernet[1].Priority)
	assert.Len(t, g.Ethernet[1].Entries, 2)
	assert.Equal(t, []string{"rule -300 top", "jump ipv4-x"}, rootSummary(g))
}

func TestOrderEqualChainPrioritiesByName(t *testing.T) {
	drop := ir.ActionDrop
	res := mapResolver{}.add(
		filter("top", "",
			ref("z"), ref("y"),
			rule(t, drop, ir.DirOut, -500, ir.ProtoNone),
		),
		withPrio(filter("z", "arp-z", rule(t, drop, ir.DirOut, 500, ir.ProtoARP)), -500),
		withPrio(filter("y", "arp-y", rule(t, drop, ir.DirOut, 500, ir.ProtoARP)), -500),
	)
	g, err := Compile(res, binding(t, "top"), CompileOptions{})
	require.NoError(t, err)
	// A jump goes before the first root rule whose priority is >= the
	// chain's, so chains at -500 precede the root rule at -500; equal chain
	// priorities are ordered by name.
	assert.Equal(t, []string{"jump arp-y", "jump arp-z", "rule -500 top"}, rootSummary(g))
	assert.Equal(t, []string{"root", "arp-y", "arp-z"}, chainNames(g))
}

func TestOrderChainOnlyWithEthernetRules(t *testing.T) {
	res := mapResolver{}.add(
		filter("top", "", ref("v4"), rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoTCP)),
		filter("v4", "ipv4", rule(t, ir.ActionAccept, ir.DirIn, 500, ir.ProtoUDP)),
	)
	g, err := Compile(res, binding(t, "top"), CompileOptions{})
	require.NoError(t, err)
	assert.Empty(t, g.Ethernet)
	assert.Len(t, g.IP, 2)
}

func TestOrderProtocolNoneIsEthernet(t *testing.T) {
	res := mapResolver{}.add(filter("top", "", rule(t, ir.ActionDrop, ir.DirInOut, 500, ir.ProtoNone)))
	g, err := Compile(res, binding(t, "top"), CompileOptions{})
	require.NoError(t, err)
	require.Len(t, g.Ethernet, 1)
	assert.Equal(t, []string{"rule 500 top"}, rootSummary(g))
	assert.Empty(t, g.IP)
}
