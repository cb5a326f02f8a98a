package nftables

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/golden"
	"github.com/gonwfilter/gonwfilter/internal/kerneltest"
	"github.com/gonwfilter/gonwfilter/internal/netnstest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
	"github.com/gonwfilter/gonwfilter/nwfilter/sim"
)

// builtinNames lists libvirt's built-in filters in nwfilter/builtin.
func builtinNames(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "nwfilter", "builtin", "*.xml"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = strings.TrimSuffix(filepath.Base(p), ".xml")
	}
	return names
}

// compileBuiltin compiles filter for port dev with the VM's MAC and IP.
func compileBuiltin(t testing.TB, filter, dev string, mac ir.MAC, ip netip.Addr) *ir.Graph {
	t.Helper()
	res, err := kerneltest.LoadBuiltins()
	require.NoError(t, err)
	dhcp := "10.0.0.1"
	if filter == "allow-dhcpv6-server" {
		dhcp = "fd00::1"
	}
	g, err := res.Compile(filter, dev, mac, "IP="+ip.String(), "IPV6=fd00::2", "DHCPSERVER="+dhcp, "GATEWAY_MAC=52:54:00:00:00:01")
	require.NoError(t, err, filter)
	return g
}

// TestRenderBuiltins renders every built-in filter on both conntrack paths;
// clean-traffic's scripts are goldens.
func TestRenderBuiltins(t *testing.T) {
	for _, path := range []ConntrackPath{ConntrackBrNetfilter, ConntrackBridge} {
		b, _ := newFakeBackend(t, path)
		for _, name := range builtinNames(t) {
			g := compileBuiltin(t, name, "vnet0", vmMAC, netip.MustParseAddr("10.0.0.2"))
			s, err := b.Render(g)
			require.NoError(t, err, name)
			if name == "clean-traffic" {
				golden.Check(t, filepath.Join("testdata", path.String()+"-builtin-clean-traffic.nft"), []byte(s.Sections[0].Text))
			}
		}
	}
}

// TestKernelBuiltinsLoad installs all 24 built-in filters at once.
func TestKernelBuiltinsLoad(t *testing.T) {
	l := newLab(t)
	b := l.backend(t, ConntrackBrNetfilter)
	var gs []*ir.Graph
	for i, name := range builtinNames(t) {
		gs = append(gs, compileBuiltin(t, name, fmt.Sprintf("vnet%d", i), vmMAC, netip.MustParseAddr("10.0.0.2")))
	}
	l.apply(t, func(ctx context.Context) error { return b.Apply(ctx, gs...) })
	assert.Contains(t, l.nftList(t), "vnet23")
}

// TestKernelCleanTraffic sends real and spoofed frames from a VM protected
// by clean-traffic and checks each against the simulator's verdict.
func TestKernelCleanTraffic(t *testing.T) {
	l := newLab(t)
	var mac ir.MAC
	copy(mac[:], macVMA)
	g := compileBuiltin(t, "clean-traffic", "va", mac, l.a.IPv4())
	b := l.backend(t, ConntrackBrNetfilter)
	l.apply(t, func(ctx context.Context) error { return b.Apply(ctx, g) })

	a, bb := l.a.IPv4(), l.b.IPv4()
	spoofMAC := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x99}
	spoofIP := netip.MustParseAddr("10.99.0.1")
	udp := func(smac net.HardwareAddr, src netip.Addr) netnstest.Frame {
		return netnstest.UDPFrame{SrcMAC: smac, DstMAC: macVMB, Src: netip.AddrPortFrom(src, 1000), Dst: netip.AddrPortFrom(bb, 2000)}
	}
	arp := func(smac net.HardwareAddr, sip netip.Addr) netnstest.Frame {
		return netnstest.ARPFrame{Op: netnstest.ARPRequest, EthSrc: macVMA, SenderMAC: smac, SenderIP: sip, TargetIP: bb}
	}
	for _, tc := range []struct {
		name  string
		frame netnstest.Frame
		spec  string
	}{
		{"udp", udp(macVMA, a), fmt.Sprintf("dir=out src=%s dst=%s proto=udp sport=1000 dport=2000", a, bb)},
		{"udp spoofed ip", udp(macVMA, spoofIP), fmt.Sprintf("dir=out src=%s dst=%s proto=udp sport=1000 dport=2000", spoofIP, bb)},
		{"udp spoofed mac", udp(spoofMAC, a), fmt.Sprintf("dir=out smac=%s src=%s dst=%s proto=udp sport=1000 dport=2000", spoofMAC, a, bb)},
		{"arp", arp(macVMA, a), fmt.Sprintf("dir=out eth=arp src=%s dst=%s arpop=Request dmac=ff:ff:ff:ff:ff:ff arpdmac=00:00:00:00:00:00", a, bb)},
		{"arp spoofed ip", arp(macVMA, spoofIP), fmt.Sprintf("dir=out eth=arp src=%s dst=%s arpop=Request dmac=ff:ff:ff:ff:ff:ff arpdmac=00:00:00:00:00:00", spoofIP, bb)},
		{"arp spoofed sender mac", arp(spoofMAC, a), fmt.Sprintf("dir=out eth=arp src=%s dst=%s arpop=Request dmac=ff:ff:ff:ff:ff:ff arpsmac=%s arpdmac=00:00:00:00:00:00", a, bb, spoofMAC)},
		{"ipv6", netnstest.UDPFrame{SrcMAC: macVMA, DstMAC: macVMB, Src: netip.AddrPortFrom(l.a.IPv6(), 1000), Dst: netip.AddrPortFrom(l.b.IPv6(), 2000)},
			fmt.Sprintf("dir=out src=%s dst=%s proto=udp sport=1000 dport=2000", l.a.IPv6(), l.b.IPv6())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := sim.ParsePacket(tc.spec, g.Binding)
			require.NoError(t, err)
			want, err := sim.Simulate(g, p)
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			got, err := netnstest.DeliverFrame(ctx, l.a.Netns, l.b.Netns, tc.frame)
			require.NoError(t, err)
			assert.Equal(t, want.Verdict == sim.Accept, got, "simulator says %s:\n%s", want.Verdict, strings.TrimSpace(want.String()))
		})
	}
}
