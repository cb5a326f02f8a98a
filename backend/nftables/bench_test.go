package nftables

import (
	"fmt"
	"testing"

	"sigs.k8s.io/knftables"

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

// BenchmarkRender measures the Go side of a first Apply: building the nft
// text of n bindings (nft itself is not run).
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{1, 1000} {
		gs := benchGraphs(n)
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
