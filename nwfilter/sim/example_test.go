package sim_test

import (
	"fmt"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
	"github.com/gonwfilter/gonwfilter/nwfilter/sim"
)

// The graph of a filter that lets peers open SSH connections to the VM and
// drops everything else at the IP layer:
//
//	<rule action='accept' direction='in'><tcp dstportstart='22'/></rule>
//	<rule action='drop' direction='inout' priority='1000'><all/></rule>
func Example() {
	b := ir.Binding{PortDev: "vnet0", MAC: ir.MAC{0x52, 0x54, 0, 0x12, 0x34, 0x56}, Filter: "ssh-only"}
	g := &ir.Graph{Binding: b, IP: []*ir.Rule{
		{Protocol: ir.ProtoTCP, Direction: ir.DirIn, Action: ir.ActionAccept, Priority: 500, StateMatch: true,
			Matches: []ir.Match{{Field: ir.FieldDstPort, Lo: 22, Hi: 22}},
			Origin:  ir.Origin{Filter: "ssh-only", Index: 0}},
		{Protocol: ir.ProtoAll, Direction: ir.DirInOut, Action: ir.ActionDrop, Priority: 1000, StateMatch: true,
			Origin: ir.Origin{Filter: "ssh-only", Index: 1}},
	}}
	for _, spec := range []string{
		// The VM answers on an accepted inbound connection ...
		"dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=22 dport=40000 state=established",
		// ... but may not open one from port 22.
		"dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=22 dport=40000",
	} {
		p, err := sim.ParsePacket(spec, b)
		if err != nil {
			fmt.Println(err)
			return
		}
		res, err := sim.Simulate(g, p)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Print(res)
	}
	// Output:
	// verdict: accept
	// libvirt-I-vnet0: end of chain: accept # no Ethernet-layer rules: the frame passes
	// FI-vnet0: return {swapped, state ESTABLISHED, -j RETURN}: in accept prio=500 tcp dstport=22 # from ssh-only rule 0.0; RETURN: back in FORWARD, libvirt-in-post accepts packets from this port
	// verdict: drop
	// libvirt-I-vnet0: end of chain: accept # no Ethernet-layer rules: the frame passes
	// FI-vnet0: no match (state) {swapped, state ESTABLISHED, -j RETURN}: in accept prio=500 tcp dstport=22 # from ssh-only rule 0.0
	// FI-vnet0: drop {swapped, -j DROP}: inout drop prio=1000 all # from ssh-only rule 1.0
}
