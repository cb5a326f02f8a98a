//go:build linux

package kerneltest

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
	"github.com/gonwfilter/gonwfilter/nwfilter/sim"
)

// SimPacket is one packet of a probe as it meets a port, for the simulator.
type SimPacket struct {
	// Port is the port device the packet passes; packets at ports without a
	// graph are not simulated (they are not filtered).
	Port string
	// Packet is the packet as the port sees it.
	Packet sim.Packet
}

// endpoint is one side of a probe: a VM (with its port) or the host.
type endpoint struct {
	port string
	mac  ir.MAC
	addr netip.Addr
}

func vmEnd(v interface {
	PortDev() string
}, mac []byte, addr netip.Addr) endpoint {
	return endpoint{port: v.PortDev(), mac: toMAC(mac), addr: addr}
}

func (e *Env) end1() endpoint { return vmEnd(e.VM1, e.VM1.MAC(), e.VM1.IPv4()) }
func (e *Env) end2() endpoint { return vmEnd(e.VM2, e.VM2.MAC(), e.VM2.IPv4()) }
func (e *Env) host() endpoint {
	return endpoint{mac: toMAC(e.Lab.MAC()), addr: e.Lab.IPv4()}
}

// flow describes a request and its reply between two endpoints.
type flow struct {
	proto            uint8
	sport, dport     uint16
	reqType, repType uint8 // ICMP types
	noReply          bool
	connCount        uint32
	sets             map[string][]netip.Prefix
}

// exchange returns the packets of a request from a to b and of b's reply, at
// every filtered port they cross (a's port on the way out, b's on the way in).
func exchange(a, b endpoint, f flow) []SimPacket {
	etherType := uint16(0x0800)
	if a.addr.Is6() {
		etherType = 0x86dd
	}
	pkt := func(dir ir.Direction, src, dst endpoint, sport, dport uint16, icmp uint8, state ir.ConnState, ct sim.CtDir) sim.Packet {
		p := sim.Packet{Dir: dir, SrcMAC: src.mac, DstMAC: dst.mac, EtherType: etherType,
			Src: src.addr, Dst: dst.addr, Proto: f.proto, SrcPort: sport, DstPort: dport,
			ICMPType: icmp, State: state, CtDir: ct, SetMembers: f.sets}
		if f.proto == 6 && state == ir.StateNew {
			p.TCPFlags = ir.TCPSyn
		} else if f.proto == 6 {
			p.TCPFlags = ir.TCPSyn | ir.TCPAck
		}
		if f.connCount > 0 && state == ir.StateNew {
			p.ConnCount, p.HasConnCount = f.connCount, true
		}
		return p
	}
	var out []SimPacket
	add := func(port string, p sim.Packet) {
		if port != "" {
			out = append(out, SimPacket{Port: port, Packet: p})
		}
	}
	req := pkt(ir.DirOut, a, b, f.sport, f.dport, f.reqType, ir.StateNew, sim.CtOriginal)
	req.ToHost = b.port == ""
	add(a.port, req)
	add(b.port, pkt(ir.DirIn, a, b, f.sport, f.dport, f.reqType, ir.StateNew, sim.CtOriginal))
	if f.noReply {
		return out
	}
	rep := pkt(ir.DirOut, b, a, f.dport, f.sport, f.repType, ir.StateEstablished, sim.CtReply)
	rep.ToHost = a.port == ""
	add(b.port, rep)
	add(a.port, pkt(ir.DirIn, b, a, f.dport, f.sport, f.repType, ir.StateEstablished, sim.CtReply))
	return out
}

const ephemeralPort = 40000

func udpFlow(dport uint16) flow { return flow{proto: 17, sport: ephemeralPort, dport: dport} }
func tcpFlow(dport uint16) flow { return flow{proto: 6, sport: ephemeralPort, dport: dport} }
func pingFlow() flow            { return flow{proto: 1, reqType: 8, repType: 0} }
func ping6Flow() flow           { return flow{proto: 58, reqType: 128, repType: 129} }

// simVerdict simulates every packet against the graph of its port, as
// installed with opts; the probe passes when all are accepted.
func simVerdict(graphs map[string]*ir.Graph, pkts []SimPacket, opts sim.Options) (Verdict, string, error) {
	var trace strings.Builder
	for _, sp := range pkts {
		g := graphs[sp.Port]
		if g == nil {
			continue
		}
		r, err := sim.SimulateWith(g, sp.Packet, opts)
		if err != nil {
			return Block, "", fmt.Errorf("simulating %s packet at %s: %w", sp.Packet.Dir, sp.Port, err)
		}
		fmt.Fprintf(&trace, "packet %s at %s (%v -> %v):\n%s", sp.Packet.Dir, sp.Port, sp.Packet.Src, sp.Packet.Dst, r)
		if r.Verdict != sim.Accept {
			return Block, trace.String(), nil
		}
	}
	return Pass, trace.String(), nil
}
