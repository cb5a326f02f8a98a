package nwfilter

import (
	"fmt"
	"testing"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func BenchmarkCompileCleanTraffic(b *testing.B) {
	res := cleanTraffic(b)
	bind := binding(b, "clean-traffic", "IP=10.0.0.2")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(res, bind, CompileOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileCleanTraffic1000Bindings compiles clean-traffic for 1000
// ports, each with its own device, MAC and IP; one op is all 1000.
func BenchmarkCompileCleanTraffic1000Bindings(b *testing.B) {
	res := cleanTraffic(b)
	binds := make([]*Binding, 1000)
	for i := range binds {
		binds[i] = &Binding{
			PortDev: fmt.Sprintf("vnet%d", i),
			MAC:     ir.MAC{0x52, 0x54, 0x00, 0x00, byte(i >> 8), byte(i)},
			FilterRef: FilterRef{Filter: "clean-traffic", Params: []Param{
				{Name: "IP", Value: fmt.Sprintf("10.0.%d.%d", i>>8, i&0xff)},
			}},
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, bind := range binds {
			if _, err := Compile(res, bind, CompileOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
