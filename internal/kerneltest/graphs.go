package kerneltest

import (
	"fmt"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Short names for directions and actions.
const (
	In     = ir.DirIn
	Out    = ir.DirOut
	InOut  = ir.DirInOut
	Accept = ir.ActionAccept
	Drop   = ir.ActionDrop
	Reject = ir.ActionReject
	Return = ir.ActionReturn
)

// CleanTrafficLike builds, for a VM with mac and ip, the graph libvirt's
// clean-traffic filter compiles to (without the RARP/0x835 announce
// rules): MAC, IPv4 and ARP anti-spoofing, IPv4 accepted both ways, ARP
// accepted, every other frame dropped.
func CleanTrafficLike(port string, mac ir.MAC, ip string) *ir.Graph {
	return NewGraph(port, mac).
		Chain("mac", ir.ChainMAC, -800,
			R(ir.ProtoMAC, Out, Return, SrcMAC(mac)),
			R(ir.ProtoMAC, Out, Drop)).
		Chain("ipv4-ip", ir.ChainIPv4, -710,
			R(ir.ProtoIP, Out, Return, SrcIP("0.0.0.0"), IPProto(17)),
			R(ir.ProtoIP, Out, Return, SrcIP(ip)),
			R(ir.ProtoNone, Out, Drop)).
		Chain("ipv4", ir.ChainIPv4, -700,
			R(ir.ProtoIP, In, Accept)).
		Rule(R(ir.ProtoMAC, Out, Accept, EtherType(0x0800))).
		Chain("arp-mac", ir.ChainARP, -520,
			R(ir.ProtoARP, Out, Return, ARPSrcMAC(mac)),
			R(ir.ProtoNone, Out, Drop)).
		Chain("arp-ip", ir.ChainARP, -510,
			R(ir.ProtoARP, Out, Return, ARPSrcIP(ip)),
			R(ir.ProtoNone, Out, Drop)).
		Rule(R(ir.ProtoMAC, InOut, Accept, EtherType(0x0806))).
		Rule(R(ir.ProtoNone, InOut, Drop)).
		Graph()
}

// AllowDHCPLike builds the allow-dhcp filter's graph: the VM may send DHCP
// requests and receive replies from any server; it is placed in front of a
// final drop of all other IPv4 so only DHCP passes.
func AllowDHCPLike(port string, mac ir.MAC) *ir.Graph {
	return NewGraph(port, mac).
		Chain("ipv4", ir.ChainIPv4, -700,
			R(ir.ProtoIP, Out, Accept, SrcMAC(mac), SrcIP("0.0.0.0"), DstIP("255.255.255.255"), IPProto(17), SrcPort(68, 0), DstPort(67, 0)),
			R(ir.ProtoIP, In, Accept, IPProto(17), SrcPort(67, 0), DstPort(68, 0)),
			R(ir.ProtoNone, InOut, Drop)).
		Graph()
}

// TCPServer builds an IP-layer filter: TCP towards the VM on port is
// accepted (with statematch as given), everything else dropped.
func TCPServer(port string, mac ir.MAC, tcpPort uint16, statematch bool) *ir.Graph {
	accept := R(ir.ProtoTCP, In, Accept, DstPort(tcpPort, 0))
	accept.StateMatch = statematch
	return NewGraph(port, mac).
		Rule(accept, R(ir.ProtoAll, InOut, Drop)).
		Graph()
}

// BenchGraphs returns n clean-traffic-like graphs with an inbound SSH rule
// set, each on its own port device, MAC and address, for benchmarks.
func BenchGraphs(n int) []*ir.Graph {
	gs := make([]*ir.Graph, n)
	for i := range gs {
		port := fmt.Sprintf("vnet%d", i)
		mac := ir.MAC{0x52, 0x54, 0, byte(i >> 16), byte(i >> 8), byte(i)}
		g := CleanTrafficLike(port, mac, fmt.Sprintf("10.%d.%d.%d", byte(i>>16), byte(i>>8), byte(i)))
		g.IP = TCPServer(port, mac, 22, true).IP
		gs[i] = g
	}
	return gs
}
