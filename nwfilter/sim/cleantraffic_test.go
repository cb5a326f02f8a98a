package sim

import (
	"testing"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// cleanTrafficGraph builds by hand the graph libvirt's clean-traffic filter
// gives a VM with MAC vmMAC and IP 10.0.0.5 (see nwfilter/builtin), in the
// order of reference §b.4: mac -800, ipv4-ip -710, ipv4 -700, IPv4 accept
// -650, arp-mac -520, arp-ip -510, ARP accept -500, rarp -400, 0x835 accept
// 500, drop 1000.
func cleanTrafficGraph() *ir.Graph {
	var s ruleSeq
	bcast := ir.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	mac := subChain("mac", ir.ChainMAC,
		s.rule(ir.ProtoMAC, ir.DirOut, ir.ActionReturn, macMatch(ir.FieldSrcMAC, vmMAC)),
		s.rule(ir.ProtoMAC, ir.DirOut, ir.ActionDrop),
	)
	ipv4ip := subChain("ipv4-ip", ir.ChainIPv4,
		s.rule(ir.ProtoIP, ir.DirOut, ir.ActionReturn, prefixMatch(ir.FieldSrcIP, "0.0.0.0"), numMatch(ir.FieldIPProto, 17)),
		s.rule(ir.ProtoIP, ir.DirOut, ir.ActionReturn, prefixMatch(ir.FieldSrcIP, "10.0.0.5")),
		s.rule(ir.ProtoNone, ir.DirOut, ir.ActionDrop),
	)
	ipv4 := subChain("ipv4", ir.ChainIPv4, s.rule(ir.ProtoNone, ir.DirIn, ir.ActionAccept))
	arpMAC := subChain("arp-mac", ir.ChainARP,
		s.rule(ir.ProtoARP, ir.DirOut, ir.ActionReturn, macMatch(ir.FieldARPSrcMAC, vmMAC)),
		s.rule(ir.ProtoNone, ir.DirOut, ir.ActionDrop),
	)
	arpIP := subChain("arp-ip", ir.ChainARP,
		s.rule(ir.ProtoARP, ir.DirOut, ir.ActionReturn, prefixMatch(ir.FieldARPSrcIP, "10.0.0.5")),
		s.rule(ir.ProtoNone, ir.DirOut, ir.ActionDrop),
	)
	announce := []ir.Match{numMatch(ir.FieldARPOpcode, 3), macMatch(ir.FieldARPSrcMAC, vmMAC), macMatch(ir.FieldARPDstMAC, vmMAC),
		prefixMatch(ir.FieldARPSrcIP, "0.0.0.0"), prefixMatch(ir.FieldARPDstIP, "0.0.0.0")}
	rarp := subChain("rarp", ir.ChainRARP,
		s.rule(ir.ProtoRARP, ir.DirOut, ir.ActionAccept, append([]ir.Match{macMatch(ir.FieldSrcMAC, vmMAC), macMatch(ir.FieldDstMAC, bcast)}, announce...)...),
		s.rule(ir.ProtoRARP, ir.DirIn, ir.ActionAccept, append([]ir.Match{macMatch(ir.FieldDstMAC, bcast)}, announce...)...),
		s.rule(ir.ProtoNone, ir.DirInOut, ir.ActionDrop),
	)
	return ethGraph(
		jump(mac), jump(ipv4ip), jump(ipv4),
		entry(s.rule(ir.ProtoMAC, ir.DirOut, ir.ActionAccept, numMatch(ir.FieldEtherType, 0x0800))),
		jump(arpMAC), jump(arpIP),
		entry(s.rule(ir.ProtoMAC, ir.DirInOut, ir.ActionAccept, numMatch(ir.FieldEtherType, 0x0806))),
		jump(rarp),
		entry(s.rule(ir.ProtoMAC, ir.DirOut, ir.ActionAccept, numMatch(ir.FieldEtherType, 0x0835))),
		entry(s.rule(ir.ProtoNone, ir.DirInOut, ir.ActionDrop)),
	)
}

// cleanTrafficProbes are what clean-traffic must do for the VM (MAC vmMAC,
// IP 10.0.0.5).
var cleanTrafficProbes = []probe{
	{"own IPv4", "dir=out src=10.0.0.5 dst=192.0.2.1 proto=tcp dport=443", Accept},
	{"DHCP discover", "dir=out src=0.0.0.0 dst=255.255.255.255 proto=udp sport=68 dport=67", Accept},
	{"spoofed source MAC", "dir=out smac=52:54:00:aa:bb:cc src=10.0.0.5 dst=192.0.2.1 proto=tcp", Drop},
	{"spoofed source IP", "dir=out src=10.0.0.6 dst=192.0.2.1 proto=tcp", Drop},
	{"spoofed 0.0.0.0 TCP", "dir=out src=0.0.0.0 dst=192.0.2.1 proto=tcp", Drop},
	{"own ARP", "dir=out eth=arp src=10.0.0.5 dst=10.0.0.1", Accept},
	{"ARP spoofed sender IP", "dir=out eth=arp src=10.0.0.1 dst=10.0.0.1", Drop},
	{"ARP spoofed sender MAC", "dir=out eth=arp src=10.0.0.5 dst=10.0.0.1 arpsmac=52:54:00:aa:bb:cc", Drop},
	{"incoming IPv4", "dir=in src=192.0.2.1 dst=10.0.0.5 proto=udp", Accept},
	{"incoming ARP", "dir=in eth=arp src=10.0.0.1 dst=10.0.0.5", Accept},
	{"outgoing IPv6", "dir=out src=fe80::5 dst=ff02::1 proto=icmpv6", Drop},
	{"incoming IPv6", "dir=in src=fe80::1 dst=fe80::5 proto=icmpv6", Drop},
	{"qemu announce 0x835", "dir=out eth=0x835 dmac=ff:ff:ff:ff:ff:ff", Accept},
	{"qemu RARP announce", "dir=out eth=rarp src=0.0.0.0 dst=0.0.0.0 dmac=ff:ff:ff:ff:ff:ff arpdmac=52:54:00:12:34:56", Accept},
	{"other RARP", "dir=out eth=rarp src=0.0.0.0 dst=0.0.0.0", Drop},
	{"VLAN-tagged own IPv4", "dir=out vlan=5 src=10.0.0.5 dst=192.0.2.1 proto=udp", Drop},
}

func TestCleanTrafficMirror(t *testing.T) {
	checkProbes(t, cleanTrafficGraph(), cleanTrafficProbes)
}
