package nftables

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/internal/netnstest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func TestFoldScript(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
	}{{
		name: "a chain declared apart from its rules keeps its declaration",
		in: `add chain bridge t a
add chain bridge t b
add rule bridge t a accept
`,
		want: `add chain bridge t a
add chain bridge t b
add chain bridge t a {
	accept
}
`,
	}, {
		name: "rules of one chain become one block, runs stay apart",
		in: `add chain bridge t a
add rule bridge t a ether type 0x0800 jump a/sub
add rule bridge t a drop
add rule bridge t b accept
add rule bridge t a accept
`,
		want: `add chain bridge t a {
	ether type 0x0800 jump a/sub
	drop
}
add chain bridge t b {
	accept
}
add chain bridge t a {
	accept
}
`,
	}, {
		name: "quoted text is never parsed",
		in: `add rule inet t c accept comment "x @nope ; } { flush ruleset"
add rule inet t c iifname "a@b" drop
`,
		want: `add chain inet t c {
	accept comment "x @nope ; } { flush ruleset"
	iifname "a@b" drop
}
`,
	}, {
		name: "payload expressions are not set references",
		in:   "add rule bridge t c @nh,16,16 0x0800 @nh,112,8 . @nh,192,8 != @s drop\n",
		want: "add rule bridge t c @nh,16,16 0x0800 @nh,112,8 . @nh,192,8 != @s drop\n",
	}, {
		name: "a rule naming a set declared earlier folds",
		in: `add set inet t s { type ipv4_addr ; }
add rule inet t c ip saddr @s drop
add rule inet t c update @s { ip saddr } accept
`,
		want: `add set inet t s { type ipv4_addr ; }
add chain inet t c {
	ip saddr @s drop
	update @s { ip saddr } accept
}
`,
	}, {
		name: "a set of another table is not declared",
		in: `add set bridge t s { type ipv4_addr ; }
add rule inet t c ip saddr @s drop
`,
		want: `add set bridge t s { type ipv4_addr ; }
add rule inet t c ip saddr @s drop
`,
	}, {
		name: "rules a block would misread stay",
		in: `add rule inet t c comment "x"
add rule inet t c index 2 accept
add rule inet t c handle 7 accept
`,
		want: `add rule inet t c comment "x"
add rule inet t c index 2 accept
add rule inet t c handle 7 accept
`,
	}, {
		name: "elements go out with their map's declaration",
		in: `add map bridge t m { type ifname : verdict ; }
add element bridge t m { "a" : jump a }
add element bridge t m { "b" : jump b }
add element bridge t n { "a" : jump a }
add map bridge t m { type ifname : verdict ; }
flush map bridge t m
add element bridge t m { "c" : jump c }
`,
		want: `add map bridge t m { type ifname : verdict ; elements = { "a" : jump a, "b" : jump b } ; }
add element bridge t n { "a" : jump a }
add map bridge t m { type ifname : verdict ; }
flush map bridge t m
add map bridge t m { type ifname : verdict ; elements = { "c" : jump c } ; }
`,
	}, {
		name: "everything else is copied",
		in: `add table bridge t
delete chain bridge t x
flush chain bridge t y
delete element bridge t m { "a" }
`,
		want: `add table bridge t
delete chain bridge t x
flush chain bridge t y
delete element bridge t m { "a" }
`,
	}} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, foldScript(c.in))
		})
	}
}

// TestFoldedAddNeedsNoChainCache: the script that adds a binding to a
// backend that has others holds none of the commands for which nft 1.0.x
// reads every chain of the namespace first.
func TestFoldedAddNeedsNoChainCache(t *testing.T) {
	ctx := context.Background()
	for _, path := range []ConntrackPath{ConntrackBridge, ConntrackBrNetfilter} {
		b, fake := newFakeBackend(t, path)
		require.NoError(t, b.Apply(ctx, fullBinding("vnet0"), l2Exotic("vnet1")))
		require.NoError(t, b.Apply(ctx, fullBinding("vnet2"), l2Exotic("vnet3")))
		script := foldScript(fake.LastTransaction.String())
		for _, line := range strings.Split(script, "\n") {
			for _, costly := range []string{"add rule ", "add element ", "delete ", "insert ", "replace "} {
				assert.False(t, strings.HasPrefix(line, costly), "%v: %q", path, line)
			}
		}
	}
}

// TestKernelFoldedEqualsKnftables: the same changes sent folded (the
// default) and as knftables writes them leave the same ruleset.
func TestKernelFoldedEqualsKnftables(t *testing.T) {
	labs := [2]*netnstest.Lab{netnstest.New(t), netnstest.New(t)}
	if labs[0] == nil {
		t.SkipNow()
	}
	var bs [2]*Backend
	for i, l := range labs {
		require.NoError(t, l.Do(func() error {
			opts := Options{Conntrack: ConntrackBrNetfilter, IPSets: fakeIPSets{}}
			if i == 1 {
				nft, err := knftables.New("", "")
				if err != nil {
					return err
				}
				opts.NFT = nft
			}
			var err error
			bs[i], err = New(opts)
			return err
		}))
	}
	changed := ipLayer("vnet0")
	changed.IP[0] = rule(ir.ProtoTCP, ir.DirIn, ir.ActionAccept, mNum(ir.FieldDstPort, 2222, 2222))
	steps := []struct {
		name string
		do   func(ctx context.Context, b *Backend) error
	}{
		{"apply three", func(ctx context.Context, b *Backend) error {
			return b.Apply(ctx, fullBinding("vnet0"), l2Exotic("vnet1"), cleanTraffic("vnet2"))
		}},
		{"replace one", func(ctx context.Context, b *Backend) error { return b.Apply(ctx, ipLayer("vnet0")) }},
		{"change a rule", func(ctx context.Context, b *Backend) error { return b.Apply(ctx, changed) }},
		{"add one", func(ctx context.Context, b *Backend) error { return b.Apply(ctx, fullBinding("vnet3")) }},
		{"add awkward names", func(ctx context.Context, b *Backend) error {
			return b.Apply(ctx, ipLayer("x;{}$@*"), l2Exotic("a,b"))
		}},
		{"remove awkward names", func(ctx context.Context, b *Backend) error { return b.Teardown(ctx, "x;{}$@*", "a,b") }},
		{"remove one", func(ctx context.Context, b *Backend) error { return b.Teardown(ctx, "vnet1") }},
		{"remove all", func(ctx context.Context, b *Backend) error {
			return b.Teardown(ctx, "vnet0", "vnet2", "vnet3")
		}},
	}
	for _, s := range steps {
		var rulesets [2]string
		for i, l := range labs {
			require.NoError(t, l.Do(func() error { return s.do(context.Background(), bs[i]) }), s.name)
			out, _, err := l.Run(context.Background(), "nft", "list", "ruleset")
			require.NoError(t, err)
			rulesets[i] = out
		}
		require.Equal(t, rulesets[1], rulesets[0], "after %s", s.name)
	}
	require.NoError(t, bs[0].Close())
}

// FuzzFoldKeepsRules: whatever the script, folding keeps every rule, in
// order, in the chain it was added to; only the way it is written changes.
// Seeds are real transactions; lines knftables never writes (block
// openers and closers, indented lines) are skipped, since they would make
// the folded text ambiguous to read back.
func FuzzFoldKeepsRules(f *testing.F) {
	ctx := context.Background()
	for _, path := range []ConntrackPath{ConntrackBridge, ConntrackBrNetfilter} {
		b, fake := newFakeBackend(f, path)
		if err := b.Apply(ctx, fullBinding("vnet0"), l2Exotic("vnet1"), cleanTraffic("x;{}$@*")); err != nil {
			f.Fatal(err)
		}
		f.Add(fake.LastTransaction.String())
		if err := b.Apply(ctx, ipLayer("vnet0")); err != nil {
			f.Fatal(err)
		}
		f.Add(fake.LastTransaction.String())
	}
	f.Add("add rule inet t c accept\nadd rule inet t c ip saddr @s drop\nadd set inet t s { type ipv4_addr ; }\nadd rule inet t c ip saddr @s drop\n")
	f.Fuzz(func(t *testing.T, script string) {
		for _, line := range strings.Split(script, "\n") {
			if strings.HasSuffix(line, "{") || strings.TrimSpace(line) == "}" || strings.HasPrefix(line, "\t") {
				t.Skip("not a line knftables writes")
			}
		}
		// Compared by hand: testify's diff of two long lists is slow.
		want, got := rulesOf(script), rulesOf(foldScript(script))
		if !slices.Equal(want, got) {
			t.Fatalf("folding changed the rules:\nscript: %q\nwant: %q\ngot:  %q", script, want, got)
		}
	})
}

// rulesOf lists "F T C: rule" for every rule a script adds, reading both
// "add rule" lines and "add chain … {" blocks.
func rulesOf(script string) []string {
	var rules []string
	block := ""
	for _, line := range strings.Split(script, "\n") {
		switch {
		case block != "" && line == "}":
			block = ""
		case block != "":
			rules = append(rules, block+": "+strings.TrimPrefix(line, "\t"))
		case strings.HasPrefix(line, "add chain ") && strings.HasSuffix(line, " {"):
			block = strings.TrimSuffix(strings.TrimPrefix(line, "add chain "), " {")
		default:
			if key, rule, ok := splitRule(line); ok {
				rules = append(rules, key+": "+rule)
			}
		}
	}
	return rules
}
