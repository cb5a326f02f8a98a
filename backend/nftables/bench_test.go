package nftables

import (
	"fmt"
	"testing"

	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/internal/kerneltest"
)

// BenchmarkRender measures the Go side of a first Apply: building the nft
// text of n bindings (nft itself is not run).
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{1, 1000} {
		gs := kerneltest.BenchGraphs(n)
		be, err := New(Options{NFT: knftables.NewFake("", ""), Conntrack: ConntrackBrNetfilter, IPSets: fakeIPSets{}})
		if err != nil {
			b.Fatal(err)
		}
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
