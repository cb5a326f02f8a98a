package xtables

import (
	"fmt"
	"testing"

	"github.com/gonwfilter/gonwfilter/internal/kerneltest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func benchGraphs(n int) []*ir.Graph {
	gs := make([]*ir.Graph, n)
	for i := range gs {
		port := fmt.Sprintf("vnet%d", i)
		mac := ir.MAC{0x52, 0x54, 0, byte(i >> 16), byte(i >> 8), byte(i)}
		g := kerneltest.CleanTrafficLike(port, mac, fmt.Sprintf("10.%d.%d.%d", byte(i>>16), byte(i>>8), byte(i)))
		g.IP = kerneltest.TCPServer(port, mac, 22, true).IP
		gs[i] = g
	}
	return gs
}

func BenchmarkRender(b *testing.B) {
	for _, n := range []int{1, 1000} {
		gs := benchGraphs(n)
		be, _ := newFake(Options{SkipProbe: true})
		b.Run(fmt.Sprintf("bindings=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := be.Render(gs...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReapplyUnchanged measures the hot path of an Apply that finds
// nothing to do (render and fingerprint only, no process).
func BenchmarkReapplyUnchanged(b *testing.B) {
	gs := benchGraphs(1000)
	be, _ := newFake(Options{SkipProbe: true})
	ctx := b.Context()
	if err := be.Apply(ctx, gs...); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := be.Apply(ctx, gs...); err != nil {
			b.Fatal(err)
		}
	}
}
