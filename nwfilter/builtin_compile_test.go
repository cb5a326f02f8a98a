package nwfilter

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/golden"
)

// builtinFilters returns the embedded built-in filters (see builtin.go).
func builtinFilters(t testing.TB) mapResolver {
	t.Helper()
	res := mapResolver{}
	res.add(mustBuiltins()...)
	require.Len(t, res, 24)
	return res
}

// TestCompileEveryBuiltinFilter compiles each built-in filter for a realistic
// binding and compares the graph with testdata/graph/builtin-<name>.txt.
func TestCompileEveryBuiltinFilter(t *testing.T) {
	res := builtinFilters(t)
	for name := range res {
		t.Run(name, func(t *testing.T) {
			dhcpServer := "DHCPSERVER=10.0.0.1"
			if name == "allow-dhcpv6-server" {
				dhcpServer = "DHCPSERVER=fd00::1" // the IPv6 filter uses the same variable
			}
			b := binding(t, name,
				"IP=10.0.0.2", "IPV6=fd00::2", dhcpServer, "GATEWAY_MAC=52:54:00:00:00:01")
			g, err := Compile(res, b, CompileOptions{})
			require.NoError(t, err)
			golden.Check(t, filepath.Join("testdata", "graph", "builtin-"+name+".txt"), []byte(g.Dump()))
		})
	}
}
