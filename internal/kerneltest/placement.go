//go:build linux

package kerneltest

import (
	"context"
	"testing"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Cases for libvirt's IP-layer placement (ir.Placement) where a backend
// once placed instances differently from libvirt and the simulator.

// icmpTypeInOutCase: an ICMP rule with a type and direction inout has no
// instance in any chain (libvirt skips it in FI and FO, and in HI for in and
// inout rules), so the final drop decides the VM's ping to the host too.
func icmpTypeInOutCase() Case {
	return Case{
		Name: "icmp-type-inout",
		Graphs: func(e *Env) []*ir.Graph {
			return []*ir.Graph{NewGraph(e.VM1.PortDev(), e.MAC1()).Rule(
				R(ir.ProtoICMP, InOut, Accept, ICMPType(8)),
				R(ir.ProtoAll, InOut, Drop)).Graph()}
		},
		Probes: []Probe{
			{Name: "the VM's ping to the host", Want: Block, Run: vm1PingsHost, Sim: simFlow(end1, hostEnd, pingFlow())},
			{Name: "the VM's ping to a peer", Want: Block, Run: func(ctx context.Context, e *Env) error {
				return e.VM1.Ping(ctx, e.VM2.IPv4())
			}, Sim: simFlow(end1, end2, pingFlow())},
		},
	}
}

// srcMACIPSetCase: srcmacaddr is not matched in swapped instances, and a
// swapped instance whose only other match is an ipset is left out (libvirt
// decides before it adds the set match). The drop rule below, direction in,
// therefore has no FI instance that would drop the VM's own traffic to a set
// member.
func srcMACIPSetCase() Case {
	return Case{
		Name: "srcmacaddr-with-ipset",
		Setup: func(ctx context.Context, t *testing.T, e *Env) {
			ListenUDP(t, e.VM2.Netns, portUDP)
			createPeerSet(ctx, t, e)
		},
		Graphs: func(e *Env) []*ir.Graph {
			return []*ir.Graph{NewGraph(e.VM1.PortDev(), e.MAC1()).Rule(
				R(ir.ProtoUDP, In, Drop, SrcMAC(e.MAC1()), IPSet(IPSetName, ir.SetSrc))).Graph()}
		},
		Probes: []Probe{
			{Name: "the VM's UDP to a set member", Want: Pass, Run: udpTo(vm1, vm2ns, portUDP), Sim: simPeerSetFlow(end1, end2)},
		},
	}
}

// connlimitStateCase: connlimit-above replaces only the default state match
// of accept rules; a drop rule keeps its explicit state=. Here the drop
// (always under the limit, negated) applies to established packets only, so
// a peer's first datagram to the VM and the VM's reply pass.
func connlimitStateCase() Case {
	return Case{
		Name:  "connlimit-explicit-state",
		Setup: func(_ context.Context, t *testing.T, e *Env) { ListenUDP(t, e.VM1.Netns, portUDP) },
		Graphs: func(e *Env) []*ir.Graph {
			established := R(ir.ProtoUDP, In, Drop, DstPort(portUDP, 0))
			established.State = ir.StateEstablished
			established.ConnlimitAbove, established.ConnlimitNegate = 5, true
			return []*ir.Graph{NewGraph(e.VM1.PortDev(), e.MAC1()).Rule(established).Graph()}
		},
		Probes: []Probe{
			{Name: "a new UDP flow to the VM and its reply", Want: Pass, Run: udpTo(vm2, vm1ns, portUDP),
				Sim: simFlow(end2, end1, udpFlow(portUDP))},
		},
	}
}
