//go:build linux

package netnstest

import (
	"encoding/binary"
	"encoding/hex"
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"
)

var (
	macA = net.HardwareAddr{0x52, 0x54, 0x00, 0x00, 0x00, 0x01}
	macB = net.HardwareAddr{0x52, 0x54, 0x00, 0x00, 0x00, 0x02}
)

func TestChecksumRFC1071Example(t *testing.T) {
	// A well-known IPv4 header whose checksum field is b861.
	h, err := hex.DecodeString("450000730000400040110000c0a80001c0a800c7")
	require.NoError(t, err)
	assert.Equal(t, uint16(0xb861), checksum(h, 0))
	binary.BigEndian.PutUint16(h[10:], 0xb861)
	assert.Equal(t, uint16(0), checksum(h, 0), "a header with its checksum sums to zero")
	assert.Equal(t, uint16(0xfeff), checksum([]byte{1}, 0), "odd length pads with zero")
}

func TestUDPFrameIPv4(t *testing.T) {
	f := UDPFrame{
		SrcMAC: macA, DstMAC: macB,
		Src:     netip.MustParseAddrPort("192.0.2.11:4000"),
		Dst:     netip.MustParseAddrPort("192.0.2.12:53"),
		Payload: []byte("hello"),
	}
	b, err := f.Build()
	require.NoError(t, err)
	require.Len(t, b, 14+20+8+5)
	assert.Equal(t, []byte(macB), b[0:6])
	assert.Equal(t, []byte(macA), b[6:12])
	assert.Equal(t, uint16(EtherTypeIPv4), binary.BigEndian.Uint16(b[12:]))

	h, err := ipv4.ParseHeader(b[14:])
	require.NoError(t, err)
	assert.Equal(t, 4, h.Version)
	assert.Equal(t, 20+8+5, h.TotalLen)
	assert.Equal(t, 64, h.TTL)
	assert.Equal(t, 17, h.Protocol)
	assert.Equal(t, ipv4.DontFragment, h.Flags)
	assert.Equal(t, "192.0.2.11", h.Src.String())
	assert.Equal(t, "192.0.2.12", h.Dst.String())
	assert.Zero(t, checksum(b[14:34], 0), "IPv4 header checksum")

	udp := b[34:]
	assert.Equal(t, uint16(4000), binary.BigEndian.Uint16(udp[0:]))
	assert.Equal(t, uint16(53), binary.BigEndian.Uint16(udp[2:]))
	assert.Equal(t, uint16(13), binary.BigEndian.Uint16(udp[4:]))
	assert.Equal(t, "hello", string(udp[8:]))
	src, dst := f.Src.Addr(), f.Dst.Addr()
	assert.Zero(t, checksum(udp, pseudoHeaderSum(src, dst, 17, len(udp))), "UDP checksum")
}

func TestUDPFrameIPv6(t *testing.T) {
	f := UDPFrame{
		SrcMAC: macA, DstMAC: macB,
		Src: netip.MustParseAddrPort("[2001:db8::11]:4000"),
		Dst: netip.MustParseAddrPort("[2001:db8::12]:53"),
		TTL: 7,
	}
	b, err := f.Build()
	require.NoError(t, err)
	require.Len(t, b, 14+40+8+16, "nil payload means 16 random bytes")
	assert.Equal(t, uint16(EtherTypeIPv6), binary.BigEndian.Uint16(b[12:]))
	ip := b[14:54]
	assert.Equal(t, byte(0x60), ip[0])
	assert.Equal(t, uint16(24), binary.BigEndian.Uint16(ip[4:]))
	assert.Equal(t, []byte{17, 7}, ip[6:8])
	assert.Equal(t, f.Src.Addr().AsSlice(), ip[8:24])
	assert.Equal(t, f.Dst.Addr().AsSlice(), ip[24:40])
	udp := b[54:]
	assert.Zero(t, checksum(udp, pseudoHeaderSum(f.Src.Addr(), f.Dst.Addr(), 17, len(udp))), "UDP checksum")

	b2, err := f.Build()
	require.NoError(t, err)
	assert.NotEqual(t, b, b2, "every build carries a fresh random payload")
}

func TestUDPFrameErrors(t *testing.T) {
	good := UDPFrame{SrcMAC: macA, DstMAC: macB,
		Src: netip.MustParseAddrPort("192.0.2.11:1"), Dst: netip.MustParseAddrPort("192.0.2.12:2")}
	mixed := good
	mixed.Dst = netip.MustParseAddrPort("[2001:db8::1]:2")
	noMAC := good
	noMAC.SrcMAC = nil
	noAddr := good
	noAddr.Src = netip.AddrPort{}
	for name, f := range map[string]UDPFrame{"mixed families": mixed, "missing MAC": noMAC, "missing address": noAddr} {
		_, err := f.Build()
		assert.Error(t, err, name)
	}
}

func TestARPFrame(t *testing.T) {
	req := ARPFrame{Op: ARPRequest, SenderMAC: macA,
		SenderIP: netip.MustParseAddr("192.0.2.11"), TargetIP: netip.MustParseAddr("192.0.2.12")}
	b, err := req.Build()
	require.NoError(t, err)
	require.Len(t, b, 60, "padded to the Ethernet minimum")
	assert.Equal(t, []byte(broadcastMAC), b[0:6], "requests are broadcast")
	assert.Equal(t, []byte(macA), b[6:12], "Ethernet source defaults to the sender")
	assert.Equal(t, uint16(EtherTypeARP), binary.BigEndian.Uint16(b[12:]))
	arp := b[14:42]
	assert.Equal(t, []byte{0, 1, 8, 0, 6, 4, 0, 1}, arp[0:8])
	assert.Equal(t, []byte(macA), arp[8:14])
	assert.Equal(t, []byte{192, 0, 2, 11}, arp[14:18])
	assert.Equal(t, make([]byte, 6), arp[18:24])
	assert.Equal(t, []byte{192, 0, 2, 12}, arp[24:28])

	b2, err := req.Build()
	require.NoError(t, err)
	assert.Equal(t, b[:42], b2[:42])
	assert.NotEqual(t, b[42:], b2[42:], "padding is random so frames can be told apart")

	reply := ARPFrame{Op: ARPReply, SenderMAC: macA, SenderIP: netip.MustParseAddr("192.0.2.11"),
		TargetMAC: macB, TargetIP: netip.MustParseAddr("192.0.2.12"), EthSrc: macB}
	b, err = reply.Build()
	require.NoError(t, err)
	assert.Equal(t, []byte(macB), b[0:6], "replies go to the target")
	assert.Equal(t, []byte(macB), b[6:12], "explicit Ethernet source")
	assert.Equal(t, uint16(ARPReply), binary.BigEndian.Uint16(b[20:]))
	assert.Equal(t, []byte(macA), b[22:28], "sender MAC is independent of the Ethernet source")

	_, err = ARPFrame{Op: 3, SenderMAC: macA, SenderIP: req.SenderIP, TargetIP: req.TargetIP}.Build()
	assert.Error(t, err)
	_, err = ARPFrame{Op: ARPRequest, SenderMAC: macA, SenderIP: netip.MustParseAddr("2001:db8::1"), TargetIP: req.TargetIP}.Build()
	assert.Error(t, err)
}

func TestRawFrame(t *testing.T) {
	_, err := RawFrame{1, 2, 3}.Build()
	assert.Error(t, err)
	raw := RawFrame(make([]byte, 60))
	b, err := raw.Build()
	require.NoError(t, err)
	b[0] = 9
	assert.Zero(t, raw[0], "Build copies")
	assert.True(t, MatchFrame(raw)(append(raw, 0, 0)), "trailing padding allowed")
	assert.False(t, MatchFrame(raw)(raw[:59]))
}
