//go:build linux

package netnstest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// Frame is an Ethernet frame to send with [Netns.SendFrame] or [DeliverFrame].
type Frame interface {
	// Build returns the frame's bytes from the destination MAC on, without
	// the frame check sequence.
	Build() ([]byte, error)
}

// RawFrame is a frame given as bytes.
type RawFrame []byte

// Build returns a copy of f.
func (f RawFrame) Build() ([]byte, error) {
	if len(f) < 14 {
		return nil, fmt.Errorf("netnstest: raw frame of %d bytes is shorter than an Ethernet header", len(f))
	}
	return bytes.Clone(f), nil
}

// EtherType values used by the frame builders.
const (
	EtherTypeIPv4 = 0x0800
	EtherTypeARP  = 0x0806
	EtherTypeIPv6 = 0x86dd
)

// broadcastMAC is the Ethernet broadcast address.
var broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// UDPFrame builds an Ethernet frame carrying one UDP datagram over IPv4 or
// IPv6 (chosen by the addresses, which must be of the same family), with any
// source MAC and source address, so spoofed frames can be sent.
type UDPFrame struct {
	// SrcMAC and DstMAC are the Ethernet addresses.
	SrcMAC, DstMAC net.HardwareAddr
	// Src and Dst are the IP addresses and UDP ports.
	Src, Dst netip.AddrPort
	// Payload is the UDP payload; nil means 16 random bytes, so every
	// frame built is unique and can be recognised at the receiver.
	Payload []byte
	// TTL is the IPv4 TTL or IPv6 hop limit; 0 means 64.
	TTL uint8
}

// Build returns the frame with correct IP and UDP checksums.
func (f UDPFrame) Build() ([]byte, error) {
	src, dst := f.Src.Addr().Unmap(), f.Dst.Addr().Unmap()
	if len(f.SrcMAC) != 6 || len(f.DstMAC) != 6 {
		return nil, fmt.Errorf("netnstest: UDP frame: bad MACs %v -> %v", f.SrcMAC, f.DstMAC)
	}
	if !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4() {
		return nil, fmt.Errorf("netnstest: UDP frame: addresses %v -> %v must be both IPv4 or both IPv6", f.Src, f.Dst)
	}
	payload := f.Payload
	if payload == nil {
		payload = nonce(16)
	}
	ttl := f.TTL
	if ttl == 0 {
		ttl = 64
	}
	udpLen := 8 + len(payload)
	if udpLen > 0xffff-40 {
		return nil, errors.New("netnstest: UDP frame: payload too long")
	}
	udp := make([]byte, udpLen)
	binary.BigEndian.PutUint16(udp[0:], f.Src.Port())
	binary.BigEndian.PutUint16(udp[2:], f.Dst.Port())
	binary.BigEndian.PutUint16(udp[4:], uint16(udpLen))
	copy(udp[8:], payload)

	var ip []byte
	ethType := uint16(EtherTypeIPv4)
	if src.Is4() {
		ip = make([]byte, 20)
		ip[0] = 0x45                                          // version 4, 5 words of header
		binary.BigEndian.PutUint16(ip[2:], uint16(20+udpLen)) // total length
		binary.BigEndian.PutUint16(ip[4:], binary.BigEndian.Uint16(nonce(2)))
		binary.BigEndian.PutUint16(ip[6:], 0x4000) // don't fragment
		ip[8], ip[9] = ttl, 17                     // TTL, protocol UDP
		s4, d4 := src.As4(), dst.As4()
		copy(ip[12:], s4[:])
		copy(ip[16:], d4[:])
		binary.BigEndian.PutUint16(ip[10:], checksum(ip, 0))
	} else {
		ethType = EtherTypeIPv6
		ip = make([]byte, 40)
		ip[0] = 0x60 // version 6
		binary.BigEndian.PutUint16(ip[4:], uint16(udpLen))
		ip[6], ip[7] = 17, ttl // next header UDP, hop limit
		s16, d16 := src.As16(), dst.As16()
		copy(ip[8:], s16[:])
		copy(ip[24:], d16[:])
	}
	sum := checksum(udp, pseudoHeaderSum(src, dst, 17, udpLen))
	if sum == 0 {
		sum = 0xffff // 0 means "no checksum" in UDP over IPv4, and is invalid over IPv6
	}
	binary.BigEndian.PutUint16(udp[6:], sum)

	b := ethHeader(f.DstMAC, f.SrcMAC, ethType)
	b = append(b, ip...)
	return append(b, udp...), nil
}

// ARP operations.
const (
	ARPRequest uint16 = 1
	ARPReply   uint16 = 2
)

// ARPFrame builds an Ethernet ARP request or reply for IPv4 with any sender
// MAC and sender address, so spoofed ARP can be sent. The frame is padded to
// the Ethernet minimum of 60 bytes with random bytes, so every frame built is
// unique and can be recognised at the receiver.
type ARPFrame struct {
	Op uint16 // ARPRequest or ARPReply
	// EthSrc and EthDst are the Ethernet addresses. nil EthSrc means
	// SenderMAC; nil EthDst means broadcast for a request and TargetMAC for
	// a reply.
	EthSrc, EthDst net.HardwareAddr
	// SenderMAC and SenderIP are the ARP sender's addresses.
	SenderMAC net.HardwareAddr
	SenderIP  netip.Addr
	// TargetMAC: nil means 00:00:00:00:00:00 (as in a request).
	TargetMAC net.HardwareAddr
	// TargetIP is the address asked about (request) or answered for (reply).
	TargetIP netip.Addr
}

// Build returns the frame.
func (f ARPFrame) Build() ([]byte, error) {
	if f.Op != ARPRequest && f.Op != ARPReply {
		return nil, fmt.Errorf("netnstest: ARP frame: bad operation %d", f.Op)
	}
	tha := f.TargetMAC
	if tha == nil {
		tha = make(net.HardwareAddr, 6)
	}
	ethSrc, ethDst := f.EthSrc, f.EthDst
	if ethSrc == nil {
		ethSrc = f.SenderMAC
	}
	if ethDst == nil {
		ethDst = broadcastMAC
		if f.Op == ARPReply {
			ethDst = tha
		}
	}
	spa, tpa := f.SenderIP.Unmap(), f.TargetIP.Unmap()
	if len(f.SenderMAC) != 6 || len(tha) != 6 || len(ethSrc) != 6 || len(ethDst) != 6 {
		return nil, fmt.Errorf("netnstest: ARP frame: bad MACs %v %v %v %v", ethSrc, ethDst, f.SenderMAC, tha)
	}
	if !spa.Is4() || !tpa.Is4() {
		return nil, fmt.Errorf("netnstest: ARP frame: addresses %v, %v must be IPv4", f.SenderIP, f.TargetIP)
	}
	b := ethHeader(ethDst, ethSrc, EtherTypeARP)
	b = binary.BigEndian.AppendUint16(b, 1)             // hardware type Ethernet
	b = binary.BigEndian.AppendUint16(b, EtherTypeIPv4) // protocol type
	b = append(b, 6, 4)                                 // address lengths
	b = binary.BigEndian.AppendUint16(b, f.Op)
	s4, t4 := spa.As4(), tpa.As4()
	b = append(b, f.SenderMAC...)
	b = append(b, s4[:]...)
	b = append(b, tha...)
	b = append(b, t4[:]...)
	return append(b, nonce(60-len(b))...), nil
}

func ethHeader(dst, src net.HardwareAddr, ethType uint16) []byte {
	b := make([]byte, 0, 64)
	b = append(b, dst...)
	b = append(b, src...)
	return binary.BigEndian.AppendUint16(b, ethType)
}

// pseudoHeaderSum is the unfolded sum of the IPv4 or IPv6 pseudo header.
func pseudoHeaderSum(src, dst netip.Addr, proto uint8, length int) uint32 {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
	}
	add(src.AsSlice())
	add(dst.AsSlice())
	return sum + uint32(proto) + uint32(length)
}

// checksum is the Internet checksum (RFC 1071) of b, starting from the
// unfolded partial sum initial.
func checksum(b []byte, initial uint32) uint16 {
	sum := initial
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
