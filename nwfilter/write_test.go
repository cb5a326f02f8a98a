package nwfilter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/golden"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func mustParseFile(t testing.TB, path string) *Filter {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := ParseFilter(data, path)
	require.NoError(t, err)
	return f
}

// formatDocument writes whichever document doc holds.
func formatDocument(doc Document) []byte {
	if doc.Filter != nil {
		return FormatFilter(doc.Filter)
	}
	return FormatBinding(doc.Binding)
}

// TestGoldens parses our own filters and bindings and the built-in filters,
// compares the normalized output with testdata/normalized, and checks that
// it is a fixed point.
func TestGoldens(t *testing.T) {
	inputs, err := filepath.Glob("testdata/filters/*.xml")
	require.NoError(t, err)
	bindings, err := filepath.Glob("testdata/bindings/*.xml")
	require.NoError(t, err)
	builtins, err := filepath.Glob("builtin/*.xml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(inputs), 12)
	require.Len(t, builtins, 24)
	for _, in := range append(append(inputs, bindings...), builtins...) {
		name := filepath.Base(in)
		switch {
		case strings.HasPrefix(in, "testdata/bindings/"):
			name = "binding-" + name
		case strings.HasPrefix(in, "builtin/"):
			name = "builtin-" + name
		}
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			require.NoError(t, err)
			doc, err := ParseDocument(data, in)
			require.NoError(t, err)
			out := formatDocument(doc)
			golden.Check(t, filepath.Join("testdata/normalized", name), out)
			assertFixedPoint(t, out)
		})
	}
}

// assertFixedPoint checks that out, a normalized document, parses and
// writes back unchanged.
func assertFixedPoint(t *testing.T, out []byte) {
	t.Helper()
	doc, err := ParseDocument(out, "normalized")
	require.NoError(t, err, "%s", out)
	assert.Equal(t, string(out), string(formatDocument(doc)))
}

func TestFormatFilterDetails(t *testing.T) {
	f := &Filter{Name: "x", Chain: "ipv4", Priority: 0}
	assert.Equal(t, "<filter name='x' chain='ipv4' priority='0'/>\n", string(FormatFilter(f)),
		"priority 0 is kept where the chain default is not 0")
	f = &Filter{Name: "x"}
	assert.Equal(t, "<filter name='x' chain='root'/>\n", string(FormatFilter(f)))

	lit := func(k Kind, s string) Value {
		l, err := ParseLiteral(k, s)
		require.NoError(t, err)
		return Value{Lit: l}
	}
	f = &Filter{Name: "x", Chain: "root", Entries: []Entry{{Rule: &Rule{
		Action: ir.ActionDrop, Direction: ir.DirIn, Priority: 5, StateMatch: true, Protocol: ir.ProtoTCP,
		Attrs: []Attr{
			{Name: "srcipaddr", Value: lit(KindIPv4, "1.2.3.4"), Negate: true},
			{Name: "comment", Value: lit(KindComment, `a'b"c<d>e&f`)},
		},
	}}}}
	assert.Equal(t, `<filter name='x' chain='root'>
  <rule action='drop' direction='in' priority='5'>
    <tcp comment='a&apos;b"c&lt;d>e&amp;f'/>
    <tcp match='no' srcipaddr='1.2.3.4'/>
  </rule>
</filter>
`, string(FormatFilter(f)))
	assertFixedPoint(t, FormatFilter(f))

	f.Entries[0].Rule.Attrs = f.Entries[0].Rule.Attrs[:1]
	assert.Contains(t, string(FormatFilter(f)), "  <rule action='drop' direction='in' priority='5'>\n    <tcp match='no' srcipaddr='1.2.3.4'/>\n  </rule>\n",
		"no empty positive element before a negated one")
	f.Entries[0].Rule.Attrs = nil
	assert.Contains(t, string(FormatFilter(f)), "    <tcp/>\n")
}

func TestFormatBindingEscapesText(t *testing.T) {
	b := &Binding{Owner: Owner{Name: "a<b>&c", UUID: "01234567-89ab-cdef-0123-456789abcdef"},
		PortDev: "vnet0", FilterRef: FilterRef{Filter: "f"}}
	out := FormatBinding(b)
	assert.Contains(t, string(out), "<name>a&lt;b&gt;&amp;c</name>")
	assertFixedPoint(t, out)
}
