package sim

import "testing"

func BenchmarkSimulateCleanTraffic(b *testing.B) {
	g := cleanTrafficGraph()
	p, err := ParsePacket("dir=out eth=arp src=10.0.0.5 dst=10.0.0.1", binding)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Simulate(g, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePacket(b *testing.B) {
	const spec = "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=22 dport=40000 state=established flags=ACK,PSH"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePacket(spec, binding); err != nil {
			b.Fatal(err)
		}
	}
}
