package nwfilter

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCompile feeds a filter document (which may reference itself and the
// built-in filters) and a parameter list to Compile: whatever the input,
// Compile must return a graph or an error, never panic or run away, and
// compiling twice must give the same graph.
func FuzzCompile(f *testing.F) {
	for _, data := range seedFiles(f, filepath.Join("builtin", "*.xml")) {
		f.Add(data, "IP=10.0.0.2,IPV6=fd00::2")
	}
	f.Add([]byte(`<filter name='fuzz'><filterref filter='fuzz'/></filter>`), "")
	f.Add([]byte(`<filter name='fuzz' chain='ipv4-x' priority='-900'>
<rule action='accept' direction='out' priority='-950'><tcp srcipaddr='$A[@1]' srcportstart='$B[@2]' dstportstart='$B' dstportend='$C[1]'/></rule>
<filterref filter='clean-traffic'><parameter name='IP' value='10.0.0.9'/></filterref>
</filter>`), "A=1.2.3.4,A=5.6.7.8,B=80,B=90,C=1,C=100")
	base := builtinFilters(f)
	f.Fuzz(func(t *testing.T, doc []byte, params string) {
		fl, err := ParseFilter(doc, "fuzz.xml")
		if err != nil {
			return
		}
		res := mapResolver{}
		for k, v := range base {
			res[k] = v
		}
		res.add(fl)
		b := binding(t, fl.Name)
		for _, p := range strings.Split(params, ",") {
			if n, v, ok := strings.Cut(p, "="); ok {
				b.FilterRef.Params = append(b.FilterRef.Params, Param{Name: n, Value: v})
			}
		}
		opts := CompileOptions{MaxInstances: 1000}
		g, err := Compile(res, b, opts)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("error without a message")
			}
			return
		}
		again, err := Compile(res, b, opts)
		if err != nil || again.Dump() != g.Dump() {
			t.Fatalf("second compilation differs: %v", err)
		}
	})
}
