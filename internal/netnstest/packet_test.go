//go:build linux

package netnstest

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shortCtx returns a context for probes expected to fail, so they cost less
// than the default probe timeout.
func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

var (
	spoofMAC = net.HardwareAddr{0x52, 0x54, 0x00, 0xde, 0xad, 0x01}
	spoofIP4 = netip.MustParseAddr("192.0.2.99")
	spoofIP6 = netip.MustParseAddr("2001:db8::99")
)

// spoofFrames returns frames from vm1 to dst: with vm1's real identity and
// with a spoofed source MAC, source IP or ARP sender.
func spoofFrames(vm1 *VM, dst *Netns) map[string]Frame {
	udp4 := func(mac net.HardwareAddr, src netip.Addr) Frame {
		return UDPFrame{SrcMAC: mac, DstMAC: dst.MAC(),
			Src: netip.AddrPortFrom(src, 4000), Dst: netip.AddrPortFrom(dst.IPv4(), 4001)}
	}
	udp6 := func(src netip.Addr) Frame {
		return UDPFrame{SrcMAC: vm1.MAC(), DstMAC: dst.MAC(),
			Src: netip.AddrPortFrom(src, 4000), Dst: netip.AddrPortFrom(dst.IPv6(), 4001)}
	}
	arp := func(mac net.HardwareAddr, ip netip.Addr) Frame {
		return ARPFrame{Op: ARPRequest, EthSrc: vm1.MAC(), SenderMAC: mac, SenderIP: ip, TargetIP: dst.IPv4()}
	}
	return map[string]Frame{
		"udp4 real":          udp4(vm1.MAC(), vm1.IPv4()),
		"udp4 spoofed MAC":   udp4(spoofMAC, vm1.IPv4()),
		"udp4 spoofed IP":    udp4(vm1.MAC(), spoofIP4),
		"udp6 real":          udp6(vm1.IPv6()),
		"udp6 spoofed IP":    udp6(spoofIP6),
		"arp real":           arp(vm1.MAC(), vm1.IPv4()),
		"arp spoofed sender": arp(spoofMAC, spoofIP4),
		"arp spoofed IP":     arp(vm1.MAC(), spoofIP4),
	}
}

func TestFramesDeliveredWithoutFirewall(t *testing.T) {
	t.Parallel()
	lab, vm1, vm2 := twoVMs(t)
	ctx := t.Context()
	for _, dst := range []*Netns{vm2.Netns, lab.Netns} {
		for name, f := range spoofFrames(vm1, dst) {
			ok, err := DeliverFrame(ctx, vm1.Netns, dst, f)
			require.NoError(t, err, name)
			assert.True(t, ok, "%s to %s", name, dst.label())
		}
	}
}

func TestCaptureHasNoFalsePositives(t *testing.T) {
	t.Parallel()
	lab, vm1, vm2 := twoVMs(t)
	// Unicast to the bridge's own MAC is delivered to the host, not to vm2.
	toHost := UDPFrame{SrcMAC: vm1.MAC(), DstMAC: lab.MAC(),
		Src: netip.AddrPortFrom(vm1.IPv4(), 1), Dst: netip.AddrPortFrom(lab.IPv4(), 2)}
	ok, err := DeliverFrame(shortCtx(t), vm1.Netns, vm2.Netns, toHost)
	require.NoError(t, err)
	assert.False(t, ok, "vm2 must not see a frame for the host")

	// A capture does not report frames its own device sent.
	c, err := vm1.StartCapture(t.Context(), "")
	require.NoError(t, err)
	b, err := toHost.Build()
	require.NoError(t, err)
	require.NoError(t, vm1.SendFrame(t.Context(), "", RawFrame(b)))
	ok, err = c.Wait(shortCtx(t), MatchFrame(b))
	require.NoError(t, err)
	assert.False(t, ok, "outgoing frames are ignored")

	// But the port device in the host namespace sees it arrive.
	c, err = lab.StartCapture(t.Context(), vm1.PortDev())
	require.NoError(t, err)
	require.NoError(t, vm1.SendFrame(t.Context(), "", RawFrame(b)))
	ok, err = c.Wait(t.Context(), MatchFrame(b))
	require.NoError(t, err)
	assert.True(t, ok)

	// A cancelled context ends Wait with an error.
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c.Wait(cancelled, MatchFrame(b))
	assert.ErrorIs(t, err, context.Canceled)
	_, err = DeliverFrame(cancelled, vm1.Netns, vm2.Netns, toHost)
	assert.ErrorIs(t, err, context.Canceled)
}

// TestSpoofedFramesDroppedByEbtables is the pattern firewall tests follow:
// with anti-spoofing rules on vm1's port, spoofed frames from vm1 do not
// reach vm2 while the real ones do.
func TestSpoofedFramesDroppedByEbtables(t *testing.T) {
	t.Parallel()
	Require(t, "ebtables")
	root := rootRuleset(t)
	lab, vm1, vm2 := twoVMs(t)
	ctx := t.Context()
	port := vm1.PortDev()
	for _, rule := range [][]string{
		{"-s", "!", vm1.MAC().String(), "-j", "DROP"},
		{"-p", "IPv4", "--ip-src", "!", vm1.IPv4().String(), "-j", "DROP"},
		{"-p", "IPv6", "--ip6-src", "!", vm1.IPv6().String(), "-j", "DROP"},
		{"-p", "ARP", "--arp-mac-src", "!", vm1.MAC().String(), "-j", "DROP"},
		{"-p", "ARP", "--arp-ip-src", "!", vm1.IPv4().String(), "-j", "DROP"},
	} {
		_, _, err := lab.Run(ctx, "ebtables", append([]string{"-A", "FORWARD", "-i", port}, rule...)...)
		require.NoError(t, err)
	}
	for name, f := range spoofFrames(vm1, vm2.Netns) {
		probeCtx := ctx
		if strings.Contains(name, "spoofed") {
			probeCtx = shortCtx(t)
		}
		ok, err := DeliverFrame(probeCtx, vm1.Netns, vm2.Netns, f)
		require.NoError(t, err, name)
		assert.Equal(t, !strings.Contains(name, "spoofed"), ok, name)
	}
	assert.Equal(t, root, rootRuleset(t), "the test process's namespace must be untouched")
}
