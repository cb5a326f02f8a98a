package xtables

import (
	"fmt"
	"testing"

	"github.com/gonwfilter/gonwfilter/internal/kerneltest"
)

func BenchmarkRender(b *testing.B) {
	for _, n := range []int{1, 1000} {
		gs := kerneltest.BenchGraphs(n)
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
	gs := kerneltest.BenchGraphs(1000)
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
