package xtables

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/kerneltest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func TestHostileNamesNeverReachAScript(t *testing.T) {
	ports := []string{"", "vnet0\n-F", "vnet\"0", "vnet 0", "vnet0\x00", "-j", "!x", "vnet+", "a/b", "vnet0:x",
		"averyveryverylongname", ".", "..", "vnet0\r", "v\tx", "vnét"}
	for _, port := range ports {
		t.Run("port "+strings.ReplaceAll(port, "\n", `\n`), func(t *testing.T) {
			b, fe := newFake(Options{SkipProbe: true})
			g := kerneltest.TCPServer(port, vmMAC, 22, true)
			_, err := b.Render(g)
			var te *TokenError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, "port device", te.What)
			require.ErrorAs(t, b.Apply(context.Background(), g), &te)
			require.ErrorAs(t, b.Teardown(context.Background(), port), &te)
			assert.Zero(t, fe.count(), "nothing may run")
		})
	}
}

func TestHostileCommentsAreRefusedOrEscaped(t *testing.T) {
	for _, tc := range []struct {
		comment, want string
		bad           bool
	}{
		{comment: "line\n-A FORWARD -j ACCEPT", bad: true},
		{comment: "nul\x00", bad: true},
		{comment: "cr\r", bad: true},
		{comment: "del\x7f", bad: true},
		{comment: "bad utf8 \xff", bad: true},
		{comment: `quote " and \ backslash`, want: `"quote \" and \\ backslash"`},
		{comment: `$(rm -rf /) ; 'x' #`, want: `"$(rm -rf /) ; 'x' #"`},
		{comment: strings.Repeat("é", 200), want: `"` + strings.Repeat("é", 127) + `"`},
	} {
		got, err := token(tokComment, tc.comment)
		if tc.bad {
			var te *TokenError
			require.ErrorAs(t, err, &te, "%q", tc.comment)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
		assert.NotContains(t, got, "\n")
	}
}

func TestHostileSetAndChainNames(t *testing.T) {
	for _, name := range []string{"set\nx", "my set", "-x", "a\"b", strings.Repeat("s", 32)} {
		r := kerneltest.R(ir.ProtoAll, ir.DirIn, ir.ActionDrop, kerneltest.IPSet(name))
		_, err := newFakeRender(kerneltest.NewGraph("vnet0", vmMAC).Rule(r).Graph())
		var te *TokenError
		require.ErrorAs(t, err, &te, "%q", name)
	}
	for _, name := range []string{"ipv4\nx", "ipv4 x", "ipv4\"", "-ipv4"} {
		g := kerneltest.NewGraph("vnet0", vmMAC).Chain(name, ir.ChainIPv4, -700, kerneltest.R(ir.ProtoIP, ir.DirIn, ir.ActionAccept)).Graph()
		_, err := newFakeRender(g)
		var te *TokenError
		require.ErrorAs(t, err, &te, "%q", name)
	}
}

func TestChainNamesFitTheKernelLimit(t *testing.T) {
	port := "abcdefghijklmno" // 15 bytes, the longest interface name
	g := kerneltest.NewGraph(port, vmMAC).
		Chain("ipv4-abcdefghijk", ir.ChainIPv4, -700, kerneltest.R(ir.ProtoIP, ir.DirInOut, ir.ActionAccept)).
		Rule(kerneltest.R(ir.ProtoTCP, ir.DirIn, ir.ActionAccept)).Graph()
	s, err := newFakeRender(g)
	require.NoError(t, err)
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, ":") {
			name := strings.Fields(line[1:])[0]
			assert.LessOrEqual(t, len(name), maxChainName, name)
		}
	}
	assert.Contains(t, s, ":gnwf-I-abcdefghijklmno:1 RETURN", "falls back to the chain index")

	b, _ := newFake(Options{LibvirtNames: true})
	_, err = b.Render(g)
	require.ErrorContains(t, err, "longer than 28")
}

func newFakeRender(g *ir.Graph) (string, error) {
	b, _ := newFake(Options{SkipProbe: true})
	s, err := b.Render(g)
	return s.String(), err
}
