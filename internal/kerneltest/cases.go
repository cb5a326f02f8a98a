//go:build linux

package kerneltest

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/netnstest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
	"github.com/gonwfilter/gonwfilter/nwfilter/sim"
)

// Ports the cases listen on.
const (
	portUDP     = 7777
	portService = 5353
	portSSH     = 22
	portClosed  = 9999
)

// Cases returns the kernel test table.
func Cases() []Case {
	return []Case{
		cleanTrafficCase(),
		allowDHCPCase(),
		allowDHCPv6Case(),
		statematchCase(true),
		statematchCase(false),
		statematchOutboundCase(),
		connlimitCase(),
		ipsetCase(),
		inoutCase(),
		priorityCase("priority-accept-before-subchain", true),
		priorityCase("priority-subchain-before-accept", false),
		subchainReturnCase(),
		subchainFallOffCase(),
		ctdirCase(),
		ipv6Case(),
		rejectContinueCase(),
		icmpTypeInOutCase(),
		srcMACIPSetCase(),
		connlimitStateCase(),
	}
}

var spoofedMAC = net.HardwareAddr{0x52, 0x54, 0, 0xde, 0xad, 1}

// kt-dhcp-only: libvirt's allow-dhcp plus a drop of all other IPv4 in the
// same (ipv4) chain, since falling off a sub-chain accepts the frame.
const dhcpOnlyXML = `<filter name='kt-dhcp-only' chain='root'>
  <filterref filter='allow-dhcp'/>
  <filterref filter='kt-ipv4-drop'/>
</filter>`

const ipv4DropXML = `<filter name='kt-ipv4-drop' chain='ipv4'>
  <rule action='drop' direction='inout' priority='1000'/>
</filter>`

// kt-clean-dhcpv6: clean-traffic plus libvirt's allow-dhcpv6, whose ipv6
// chain has no final drop.
const cleanDHCPv6XML = `<filter name='kt-clean-dhcpv6' chain='root'>
  <filterref filter='clean-traffic'/>
  <filterref filter='allow-dhcpv6'/>
</filter>`

// builtins loads the built-in filters plus the suite's own.
func builtins(e *Env) *Builtins {
	e.t.Helper()
	b, err := LoadBuiltins()
	require.NoError(e.t, err)
	require.NoError(e.t, b.Add(dhcpOnlyXML))
	require.NoError(e.t, b.Add(ipv4DropXML))
	require.NoError(e.t, b.Add(cleanDHCPv6XML))
	return b
}

func end1(e *Env) endpoint    { return e.end1() }
func end2(e *Env) endpoint    { return e.end2() }
func hostEnd(e *Env) endpoint { return e.host() }

// simFlow describes a request from a to b and its reply.
func simFlow(a, b func(*Env) endpoint, f flow) func(*Env) []SimPacket {
	return func(e *Env) []SimPacket { return exchange(a(e), b(e), f) }
}

// simUDPFrame describes a UDP frame from VM1 to VM2's UDP port, with an
// optional spoofed source MAC or address.
func simUDPFrame(mac net.HardwareAddr, src string, sport uint16) func(*Env) []SimPacket {
	return func(e *Env) []SimPacket {
		a := e.end1()
		if mac != nil {
			a.mac = toMAC(mac)
		}
		if src != "" {
			a.addr = mustAddr(src)
		}
		f := flow{proto: 17, sport: sport, dport: portUDP, noReply: true}
		return exchange(a, e.end2(), f)
	}
}

// simARP describes an ARP request from VM1 for VM2's address, with an
// optional spoofed sender address.
func simARP(sender string) func(*Env) []SimPacket {
	return func(e *Env) []SimPacket {
		src := e.VM1.IPv4()
		if sender != "" {
			src = mustAddr(sender)
		}
		p := sim.Packet{Dir: ir.DirOut, SrcMAC: e.MAC1(), DstMAC: toMAC(broadcastMAC), EtherType: 0x0806,
			Src: src, Dst: e.VM2.IPv4(), State: ir.StateNew,
			ARP: sim.ARPHeader{HType: 1, PType: 0x0800, Opcode: 1, SenderMAC: e.MAC1()}}
		return []SimPacket{{Port: e.VM1.PortDev(), Packet: p}}
	}
}

// ping6 pings to's IPv6 address from from.
func ping6(from, to func(*Env) *netnstest.VM) func(context.Context, *Env) error {
	return func(ctx context.Context, e *Env) error { return from(e).Ping(ctx, to(e).IPv6()) }
}

// simPing6 describes an IPv6 ping from one VM to another and its reply.
func simPing6(from, to func(*Env) *netnstest.VM) func(*Env) []SimPacket {
	return func(e *Env) []SimPacket {
		a, b := from(e), to(e)
		return exchange(vmEnd(a, a.MAC(), a.IPv6()), vmEnd(b, b.MAC(), b.IPv6()), ping6Flow())
	}
}

// listenUDPOnBothVMs is a Case.Setup: both VMs listen on portUDP.
func listenUDPOnBothVMs(_ context.Context, t *testing.T, e *Env) {
	ListenUDP(t, e.VM1.Netns, portUDP)
	ListenUDP(t, e.VM2.Netns, portUDP)
}

func udpFrame(e *Env, srcMAC net.HardwareAddr, src string, sport uint16, dstPort uint16) netnstest.Frame {
	return netnstest.UDPFrame{SrcMAC: srcMAC, DstMAC: e.VM2.MAC(), Src: ap(mustAddr(src), sport), Dst: ap(e.VM2.IPv4(), dstPort)}
}

func cleanTrafficCase() Case {
	return Case{
		Name:  "clean-traffic",
		Setup: listenUDPOnBothVMs,
		Graphs: func(e *Env) []*ir.Graph {
			return []*ir.Graph{e.Compile(builtins(e), "clean-traffic", "IP="+e.IP1())}
		},
		Probes: []Probe{
			{Name: "own UDP to peer", Want: Pass, Run: udpTo(vm1, vm2ns, portUDP), Sim: simFlow(end1, end2, udpFlow(portUDP))},
			{Name: "peer UDP to VM", Want: Pass, Run: udpTo(vm2, vm1ns, portUDP), Sim: simFlow(end2, end1, udpFlow(portUDP))},
			{Name: "own frame", Want: Pass, Run: frame(func(e *Env) netnstest.Frame {
				return udpFrame(e, e.VM1.MAC(), e.IP1(), 4000, portUDP)
			}), Sim: simUDPFrame(nil, "", 4000)},
			{Name: "spoofed source IP", Want: Block, Run: frame(func(e *Env) netnstest.Frame {
				return udpFrame(e, e.VM1.MAC(), "192.0.2.99", 4000, portUDP)
			}), Sim: simUDPFrame(nil, "192.0.2.99", 4000)},
			{Name: "spoofed source MAC", Want: Block, Run: frame(func(e *Env) netnstest.Frame {
				return udpFrame(e, spoofedMAC, e.IP1(), 4000, portUDP)
			}), Sim: simUDPFrame(spoofedMAC, "", 4000)},
			{Name: "own ARP", Want: Pass, Run: frame(func(e *Env) netnstest.Frame {
				return netnstest.ARPFrame{Op: netnstest.ARPRequest, SenderMAC: e.VM1.MAC(), SenderIP: e.VM1.IPv4(), TargetIP: e.VM2.IPv4()}
			}), Sim: simARP("")},
			{Name: "ARP with spoofed sender IP", Want: Block, Run: frame(func(e *Env) netnstest.Frame {
				return netnstest.ARPFrame{Op: netnstest.ARPRequest, SenderMAC: e.VM1.MAC(), SenderIP: mustAddr("192.0.2.99"), TargetIP: e.VM2.IPv4()}
			}), Sim: simARP("192.0.2.99")},
			{Name: "IPv6 dropped at L2", Want: Block, Run: ping6(vm1, vm2), Sim: simPing6(vm1, vm2)},
		},
	}
}

// allowDHCPv6Case: libvirt's allow-dhcpv6 next to clean-traffic opens all
// IPv6, both ways: its ipv6 chain accepts DHCPv6 and lets every other IPv6
// frame fall off its end, which accepts it before clean-traffic's final drop
// (clean-traffic alone drops IPv6, see the clean-traffic case).
func allowDHCPv6Case() Case {
	return Case{
		Name: "allow-dhcpv6-falls-off",
		Graphs: func(e *Env) []*ir.Graph {
			return []*ir.Graph{e.Compile(builtins(e), "kt-clean-dhcpv6", "IP="+e.IP1())}
		},
		Probes: []Probe{
			{Name: "IPv6 ping from the VM", Want: Pass, Run: ping6(vm1, vm2), Sim: simPing6(vm1, vm2)},
			{Name: "IPv6 ping to the VM", Want: Pass, Run: ping6(vm2, vm1), Sim: simPing6(vm2, vm1)},
		},
	}
}

func allowDHCPCase() Case {
	return Case{
		Name:  "allow-dhcp",
		Setup: func(_ context.Context, t *testing.T, e *Env) { ListenUDP(t, e.VM2.Netns, portUDP) },
		Graphs: func(e *Env) []*ir.Graph {
			return []*ir.Graph{e.Compile(builtins(e), "kt-dhcp-only")}
		},
		Probes: []Probe{
			{Name: "DHCP discover", Want: Pass, Run: frame(func(e *Env) netnstest.Frame {
				return netnstest.UDPFrame{SrcMAC: e.VM1.MAC(), DstMAC: broadcastMAC,
					Src: ap(mustAddr("0.0.0.0"), 68), Dst: ap(mustAddr("255.255.255.255"), 67)}
			}), Sim: func(e *Env) []SimPacket {
				a := endpoint{port: e.VM1.PortDev(), mac: e.MAC1(), addr: mustAddr("0.0.0.0")}
				b := endpoint{mac: toMAC(broadcastMAC), addr: mustAddr("255.255.255.255")}
				f := flow{proto: 17, sport: 68, dport: 67, noReply: true}
				return exchange(a, b, f)
			}},
			{Name: "other IPv4", Want: Block, Run: udpTo(vm1, vm2ns, portUDP), Sim: simFlow(end1, end2, udpFlow(portUDP))},
		},
	}
}

// statematchCase: a UDP and a TCP service on VM1. With statematch the VM
// can answer but not send "replies" nobody asked for; without it, a packet
// from the service port passes whatever the connection state.
func statematchCase(statematch bool) Case {
	name := "statematch-on"
	unsolicited := Block
	if !statematch {
		name, unsolicited = "statematch-off", Pass
	}
	return Case{
		Name: name,
		Setup: func(_ context.Context, t *testing.T, e *Env) {
			ListenUDP(t, e.VM1.Netns, portService)
			ListenTCP(t, e.VM1.Netns, portSSH)
			ListenTCP(t, e.VM2.Netns, portSSH)
			ListenUDP(t, e.VM2.Netns, portUDP)
		},
		Graphs: func(e *Env) []*ir.Graph {
			udp := R(ir.ProtoUDP, In, Accept, DstPort(portService, 0))
			tcp := R(ir.ProtoTCP, In, Accept, DstPort(portSSH, 0))
			udp.StateMatch, tcp.StateMatch = statematch, statematch
			return []*ir.Graph{NewGraph(e.VM1.PortDev(), e.MAC1()).Rule(udp, tcp, R(ir.ProtoAll, InOut, Drop)).Graph()}
		},
		Probes: []Probe{
			{Name: "inbound UDP and its reply", Want: Pass, Run: udpTo(vm2, vm1ns, portService), Sim: simFlow(end2, end1, udpFlow(portService))},
			{Name: "inbound TCP", Want: Pass, Run: tcpTo(vm2ns, vm1ns, portSSH), Sim: simFlow(end2, end1, tcpFlow(portSSH))},
			{Name: "VM initiates TCP", Want: Block, Run: tcpTo(vm1ns, vm2ns, portSSH), Sim: simFlow(end1, end2, tcpFlow(portSSH))},
			{Name: "unsolicited packet from the service port", Want: unsolicited, Run: frame(func(e *Env) netnstest.Frame {
				return udpFrame(e, e.VM1.MAC(), e.IP1(), portService, portUDP)
			}), Sim: simUDPFrame(nil, "", portService)},
		},
	}
}

// statematchOutboundCase: the VM may open TCP and UDP connections to its
// peer's services. With statematch the replies come back (ESTABLISHED in
// FO), while the peer cannot open a connection to the VM.
func statematchOutboundCase() Case {
	return Case{
		Name: "statematch-outbound",
		Setup: func(ctx context.Context, t *testing.T, e *Env) {
			ListenTCP(t, e.VM2.Netns, portSSH)
			ListenTCP(t, e.VM1.Netns, portSSH)
			listenUDPOnBothVMs(ctx, t, e)
		},
		Graphs: func(e *Env) []*ir.Graph {
			tcp := R(ir.ProtoTCP, Out, Accept, DstPort(portSSH, 0))
			udp := R(ir.ProtoUDP, Out, Accept, DstPort(portUDP, 0))
			return []*ir.Graph{NewGraph(e.VM1.PortDev(), e.MAC1()).Rule(tcp, udp, R(ir.ProtoAll, InOut, Drop)).Graph()}
		},
		Probes: []Probe{
			{Name: "VM opens TCP and gets the reply", Want: Pass, Run: tcpTo(vm1ns, vm2ns, portSSH), Sim: simFlow(end1, end2, tcpFlow(portSSH))},
			{Name: "VM's UDP request and its reply", Want: Pass, Run: udpTo(vm1, vm2ns, portUDP), Sim: simFlow(end1, end2, udpFlow(portUDP))},
			{Name: "peer opens TCP to the VM", Want: Block, Run: tcpTo(vm2ns, vm1ns, portSSH), Sim: simFlow(end2, end1, tcpFlow(portSSH))},
			{Name: "peer's UDP to the VM", Want: Block, Run: udpTo(vm2, vm1ns, portUDP), Sim: simFlow(end2, end1, udpFlow(portUDP))},
		},
	}
}

func connlimitCase() Case {
	return Case{
		Name:  "connlimit-above",
		Setup: func(_ context.Context, t *testing.T, e *Env) { ListenTCP(t, e.VM1.Netns, portSSH) },
		Graphs: func(e *Env) []*ir.Graph {
			limit := R(ir.ProtoTCP, In, Drop, DstPort(portSSH, 0))
			limit.ConnlimitAbove = 1
			return []*ir.Graph{NewGraph(e.VM1.PortDev(), e.MAC1()).
				Rule(limit, R(ir.ProtoTCP, In, Accept, DstPort(portSSH, 0)), R(ir.ProtoAll, InOut, Drop)).Graph()}
		},
		Probes: []Probe{
			{Name: "second connection while one is open", Want: Block, Run: func(ctx context.Context, e *Env) error {
				var held net.Conn
				err := e.VM2.Do(func() (err error) {
					held, err = (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", ap(e.VM1.IPv4(), portSSH).String())
					return err
				})
				if err != nil {
					return fmt.Errorf("the first connection must pass: %w", err)
				}
				defer held.Close()
				return e.VM2.ProbeTCP(ctx, ap(e.VM1.IPv4(), portSSH))
			}, Sim: func(e *Env) []SimPacket {
				f := tcpFlow(portSSH)
				f.connCount = 2
				return exchange(e.end2(), e.end1(), f)
			}},
		},
	}
}

// IPSetName is the ipset the ipset cases create in the lab's host namespace.
const IPSetName = "gnwf-kt-peers"

// createPeerSet creates IPSetName holding VM2's address.
func createPeerSet(ctx context.Context, t *testing.T, e *Env) {
	for _, args := range [][]string{{"create", IPSetName, "hash:ip"}, {"add", IPSetName, e.IP2()}} {
		_, stderr, err := e.Lab.Run(ctx, "ipset", args...)
		require.NoError(t, err, stderr)
	}
}

// simPeerSetFlow describes a UDP request from a to b and its reply, with VM2
// a member of IPSetName.
func simPeerSetFlow(a, b func(*Env) endpoint) func(*Env) []SimPacket {
	return func(e *Env) []SimPacket {
		f := udpFlow(portUDP)
		f.sets = map[string][]netip.Prefix{IPSetName: {netip.PrefixFrom(e.VM2.IPv4(), 32)}}
		return exchange(a(e), b(e), f)
	}
}

// vm1PingsHost pings the host from VM1.
func vm1PingsHost(ctx context.Context, e *Env) error { return e.VM1.Ping(ctx, e.Lab.IPv4()) }

func ipsetCase() Case {
	return Case{
		Name: "ipset",
		Setup: func(ctx context.Context, t *testing.T, e *Env) {
			listenUDPOnBothVMs(ctx, t, e)
			createPeerSet(ctx, t, e)
		},
		Graphs: func(e *Env) []*ir.Graph {
			return []*ir.Graph{NewGraph(e.VM1.PortDev(), e.MAC1()).
				Rule(R(ir.ProtoUDP, In, Drop, IPSet(IPSetName, ir.SetSrc)), R(ir.ProtoUDP, In, Accept)).Graph()}
		},
		Probes: []Probe{
			{Name: "UDP from a set member", Want: Block, Run: udpTo(vm2, vm1ns, portUDP), Sim: simPeerSetFlow(end2, end1)},
			{Name: "ping to the host (not UDP)", Want: Pass, Run: vm1PingsHost, Sim: simFlow(end1, hostEnd, pingFlow())},
		},
	}
}

func inoutCase() Case {
	return Case{
		Name: "inout",
		Setup: func(_ context.Context, t *testing.T, e *Env) {
			ListenUDP(t, e.VM1.Netns, portUDP)
			ListenUDP(t, e.VM2.Netns, portUDP)
			ListenUDP(t, e.VM1.Netns, portService)
		},
		Graphs: func(e *Env) []*ir.Graph {
			return []*ir.Graph{NewGraph(e.VM1.PortDev(), e.MAC1()).
				Rule(R(ir.ProtoUDP, InOut, Accept, DstPort(portUDP, 0)), R(ir.ProtoAll, InOut, Drop)).Graph()}
		},
		Probes: []Probe{
			{Name: "to the VM's port and back", Want: Pass, Run: udpTo(vm2, vm1ns, portUDP), Sim: simFlow(end2, end1, udpFlow(portUDP))},
			{Name: "from the VM to a peer's port", Want: Block, Run: udpTo(vm1, vm2ns, portUDP), Sim: simFlow(end1, end2, udpFlow(portUDP))},
			{Name: "to another port", Want: Block, Run: udpTo(vm2, vm1ns, portService), Sim: simFlow(end2, end1, udpFlow(portService))},
		},
	}
}

// priorityCase orders a root accept of IPv4 and a sub-chain dropping it.
func priorityCase(name string, acceptFirst bool) Case {
	want := Block
	if acceptFirst {
		want = Pass
	}
	return Case{
		Name:  name,
		Setup: func(_ context.Context, t *testing.T, e *Env) { ListenUDP(t, e.VM2.Netns, portUDP) },
		Graphs: func(e *Env) []*ir.Graph {
			b := NewGraph(e.VM1.PortDev(), e.MAC1())
			accept := R(ir.ProtoMAC, Out, Accept, EtherType(0x0800))
			if acceptFirst {
				b.Rule(accept)
			}
			b.Chain("ipv4", ir.ChainIPv4, -700, R(ir.ProtoIP, Out, Drop))
			if !acceptFirst {
				b.Rule(accept)
			}
			return []*ir.Graph{b.Graph()}
		},
		Probes: []Probe{{Name: "VM UDP to peer", Want: want, Run: udpTo(vm1, vm2ns, portUDP), Sim: simFlow(end1, end2, udpFlow(portUDP))}},
	}
}

func subchainReturnCase() Case {
	return Case{
		Name:  "subchain-return",
		Setup: func(_ context.Context, t *testing.T, e *Env) { ListenUDP(t, e.VM2.Netns, portUDP) },
		Graphs: func(e *Env) []*ir.Graph {
			return []*ir.Graph{NewGraph(e.VM1.PortDev(), e.MAC1()).
				Chain("ipv4-peer", ir.ChainIPv4, -700,
					R(ir.ProtoIP, Out, Return, DstIP(e.IP2())),
					R(ir.ProtoIP, Out, Drop)).
				Rule(R(ir.ProtoMAC, Out, Accept, EtherType(0x0800))).Graph()}
		},
		Probes: []Probe{
			{Name: "to the allowed peer", Want: Pass, Run: udpTo(vm1, vm2ns, portUDP), Sim: simFlow(end1, end2, udpFlow(portUDP))},
			{Name: "to the host", Want: Block, Run: vm1PingsHost, Sim: simFlow(end1, hostEnd, pingFlow())},
		},
	}
}

// UpdateGraphs returns two different graphs for VM1 that both let VM2 reach
// VM1's UDP port 7777 and both keep port 9999 closed; they differ at L2 and
// L3, so flipping between them changes every tool.
func UpdateGraphs(e *Env) (a, b *ir.Graph) {
	build := func(extra bool) *ir.Graph {
		g := CleanTrafficLike(e.VM1.PortDev(), e.MAC1(), e.IP1())
		rules := []*ir.Rule{R(ir.ProtoUDP, In, Accept, DstPort(portUDP, 0))}
		if extra {
			root := g.Ethernet[0]
			root.Entries = append([]ir.Entry{{Rule: R(ir.ProtoMAC, In, Accept, EtherType(0x88b5))}}, root.Entries...)
			rules = append(rules, R(ir.ProtoTCP, In, Accept, DstPort(portSSH, 0)))
		}
		g.IP = append(rules, R(ir.ProtoAll, InOut, Drop))
		return g
	}
	return build(false), build(true)
}

// UpdateStreams flips VM1 between the two UpdateGraphs 50 times while two
// probe streams run: one that both graphs allow must never fail, one that
// neither allows must never pass.
func UpdateStreams(t *testing.T, newBackend NewBackend) {
	e := NewEnv(t)
	ctx := context.Background()
	ListenUDP(t, e.VM1.Netns, portUDP)
	ListenUDP(t, e.VM1.Netns, portClosed)
	be := newBackend(t, e)
	a, b := UpdateGraphs(e)
	require.NoError(t, e.Lab.Do(func() error { return be.Apply(ctx, a) }))
	Check(ctx, t, e, Probe{Name: "allowed before the updates", Want: Pass, Run: udpTo(vm2, vm1ns, portUDP)})

	allowed := netnstest.StartStream(ctx, 2*time.Millisecond, func(ctx context.Context) error {
		return e.VM2.ProbeUDP(ctx, ap(e.VM1.IPv4(), portUDP))
	})
	closed := netnstest.StartStream(ctx, 2*time.Millisecond, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		return e.VM2.ProbeUDP(ctx, ap(e.VM1.IPv4(), portClosed))
	})
	for i := range 50 {
		g := a
		if i%2 == 0 {
			g = b
		}
		require.NoError(t, e.Lab.Do(func() error { return be.Apply(ctx, g) }))
	}
	ra, rc := allowed.Stop(), closed.Stop()
	t.Logf("during 50 updates: allowed stream %d/%d delivered, closed stream %d/%d blocked", ra.Delivered, ra.Total(), rc.Blocked, rc.Total())
	assert.Positive(t, ra.Delivered)
	assert.Zero(t, ra.Blocked+ra.Failed, "a probe both graphs allow failed during the updates: %v", ra.Errors)
	assert.Zero(t, rc.Delivered, "a probe neither graph allows got through")
	assert.Zero(t, rc.Failed, "%v", rc.Errors)
}

// subchainFallOffCase: a frame that reaches the end of a sub-chain without a
// verdict is accepted there (libvirt creates sub-chains with ebtables' default
// policy ACCEPT); the root chain's later drop does not see it. A sub-chain
// holding rules of one direction only does not exist for the other: frames
// of that direction go on in the root chain.
func subchainFallOffCase() Case {
	return Case{
		Name:  "subchain-fall-off",
		Setup: listenUDPOnBothVMs,
		Graphs: func(e *Env) []*ir.Graph {
			return []*ir.Graph{NewGraph(e.VM1.PortDev(), e.MAC1()).
				Chain("mac", ir.ChainMAC, -800, R(ir.ProtoMAC, In, Drop, SrcMAC(toMAC(spoofedMAC)))).
				Chain("ipv4", ir.ChainIPv4, -700, R(ir.ProtoIP, Out, Drop, DstIP("192.0.2.250"))).
				Rule(R(ir.ProtoMAC, InOut, Accept, EtherType(0x0806))).
				Rule(R(ir.ProtoNone, InOut, Drop)).Graph()}
		},
		Probes: []Probe{
			{Name: "IPv4 from the VM past the ipv4 chain's last rule", Want: Pass, Run: udpTo(vm1, vm2ns, portUDP),
				Sim: simFlow(end1, end2, udpFlow(portUDP))},
			{Name: "IPv4 to the VM past the mac chain's last rule", Want: Pass, Run: udpTo(vm2, vm1ns, portUDP),
				Sim: simFlow(end2, end1, udpFlow(portUDP))},
			{Name: "IPv6 from the VM: no mac chain on its side", Want: Block, Run: ping6(vm1, vm2), Sim: simPing6(vm1, vm2)},
		},
	}
}

// ctdirCase: a rule letting the VM send UDP to unprivileged ports also lets
// its replies out on connections a peer opened, unless the backend renders
// libvirt's older conntrack direction match, which limits it to connections
// the VM opened. The peer's request is let in by a rule with an explicit
// state=NEW, which has no instance for the reply.
func ctdirCase() Case {
	block := Block
	return Case{
		Name:  "ctdir",
		Setup: func(_ context.Context, t *testing.T, e *Env) { ListenUDP(t, e.VM1.Netns, portUDP) },
		Graphs: func(e *Env) []*ir.Graph {
			request := R(ir.ProtoUDP, In, Accept, DstPort(portUDP, 0))
			request.State = ir.StateNew
			return []*ir.Graph{NewGraph(e.VM1.PortDev(), e.MAC1()).Rule(
				request,
				R(ir.ProtoUDP, Out, Accept, DstPort(1024, 65535)),
				R(ir.ProtoAll, InOut, Drop)).Graph()}
		},
		Probes: []Probe{
			{Name: "the VM's reply on a connection the peer opened", Want: Pass, WantWithCtDir: &block,
				Run: udpTo(vm2, vm1ns, portUDP), Sim: simFlow(end2, end1, udpFlow(portUDP))},
		},
	}
}

// ipv6Case exercises the IPv6 layer (ip6tables): neighbour discovery is let
// through both ways, UDP towards the VM's port is accepted, the rest dropped.
func ipv6Case() Case {
	udp6To := func(from func(*Env) *netnstest.VM, to func(*Env) *netnstest.Netns, port uint16) func(context.Context, *Env) error {
		return func(ctx context.Context, e *Env) error {
			return from(e).ProbeUDP(ctx, netip.AddrPortFrom(to(e).IPv6(), port))
		}
	}
	v6 := func(end func(*Env) endpoint, n func(*Env) *netnstest.Netns) func(*Env) endpoint {
		return func(e *Env) endpoint { x := end(e); x.addr = n(e).IPv6(); return x }
	}
	return Case{
		Name:  "ipv6",
		Setup: listenUDPOnBothVMs,
		Graphs: func(e *Env) []*ir.Graph {
			return []*ir.Graph{NewGraph(e.VM1.PortDev(), e.MAC1()).Rule(
				R(ir.ProtoICMPv6, InOut, Accept),
				R(ir.ProtoUDPv6, In, Accept, DstPort(portUDP, 0)),
				R(ir.ProtoAllv6, InOut, Drop)).Graph()}
		},
		Probes: []Probe{
			{Name: "UDP over IPv6 to the VM", Want: Pass, Run: udp6To(vm2, vm1ns, portUDP),
				Sim: simFlow(v6(end2, vm2ns), v6(end1, vm1ns), udpFlow(portUDP))},
			{Name: "UDP over IPv6 from the VM", Want: Block, Run: udp6To(vm1, vm2ns, portUDP),
				Sim: simFlow(v6(end1, vm1ns), v6(end2, vm2ns), udpFlow(portUDP))},
			{Name: "IPv4 is not filtered by the IPv6 rules", Want: Pass, Run: udpTo(vm1, vm2ns, portUDP),
				Sim: simFlow(end1, end2, udpFlow(portUDP))},
		},
	}
}

// rejectContinueCase: reject refuses at once (iptables REJECT), continue
// only counts and lets later rules decide.
func rejectContinueCase() Case {
	return Case{
		Name: "reject-and-continue",
		Setup: func(_ context.Context, t *testing.T, e *Env) {
			ListenTCP(t, e.VM1.Netns, portSSH)
			ListenUDP(t, e.VM1.Netns, portUDP)
		},
		Graphs: func(e *Env) []*ir.Graph {
			return []*ir.Graph{NewGraph(e.VM1.PortDev(), e.MAC1()).Rule(
				R(ir.ProtoAll, InOut, ir.ActionContinue),
				R(ir.ProtoTCP, In, Reject, DstPort(portSSH, 0)),
				R(ir.ProtoUDP, In, Accept, DstPort(portUDP, 0)),
				R(ir.ProtoAll, InOut, Drop)).Graph()}
		},
		Probes: []Probe{
			{Name: "rejected TCP", Want: Block, Run: tcpTo(vm2ns, vm1ns, portSSH), Sim: simFlow(end2, end1, tcpFlow(portSSH))},
			{Name: "UDP after a continue rule", Want: Pass, Run: udpTo(vm2, vm1ns, portUDP), Sim: simFlow(end2, end1, udpFlow(portUDP))},
		},
	}
}

// broadcastMAC is the Ethernet broadcast address.
var broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
