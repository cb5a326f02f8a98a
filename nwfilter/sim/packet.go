package sim

import (
	"net/netip"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Ether types the simulator gives meaning to.
const (
	EtherIPv4 uint16 = 0x0800
	EtherARP  uint16 = 0x0806
	EtherRARP uint16 = 0x8035
	EtherVLAN uint16 = 0x8100
	EtherIPv6 uint16 = 0x86dd
	// EtherBPDULength is the 802.3 length field of a configuration BPDU
	// (3 bytes LLC header + 35 bytes BPDU). Ether type values below 0x0600
	// are 802.3 lengths.
	EtherBPDULength uint16 = 0x0026
)

// CtDir is the conntrack direction of a packet.
type CtDir uint8

// Conntrack directions.
const (
	// CtOriginal is the direction of the packet that opened the connection.
	CtOriginal CtDir = iota
	// CtReply is the opposite direction.
	CtReply
)

// String returns "original" or "reply".
func (d CtDir) String() string {
	if d == CtReply {
		return "reply"
	}
	return "original"
}

// Packet describes one frame at the VM's port. Fields that do not apply to the
// frame's type are ignored.
type Packet struct {
	// Dir is ir.DirOut for frames from the VM and ir.DirIn for frames to it.
	Dir ir.Direction
	// ToHost marks a packet from the VM addressed to the host itself (it
	// meets the HI chain instead of FI). Only meaningful with DirOut.
	ToHost bool

	// SrcMAC and DstMAC are the Ethernet source and destination.
	SrcMAC, DstMAC ir.MAC
	// EtherType is the frame's type; for a VLAN-tagged frame it is the type
	// of the encapsulated payload. Values below 0x0600 are 802.3 lengths.
	EtherType uint16
	// Tagged marks an 802.1Q-tagged frame with VLAN id VLANID. Its outer
	// ether type is 0x8100, so only none, mac and vlan rules see it, and it
	// never reaches the IP layer.
	Tagged bool
	// VLANID is the VLAN id of a tagged frame.
	VLANID uint16

	// Src and Dst are the IP source and destination; for ARP and RARP they
	// are the sender and target protocol addresses.
	Src, Dst netip.Addr
	// Proto is the IP protocol (IPv6: the upper-layer protocol).
	Proto uint8
	// SrcPort and DstPort apply to TCP, UDP, UDP-Lite, DCCP and SCTP.
	SrcPort, DstPort uint16
	// ICMPType and ICMPCode apply to ICMP and ICMPv6.
	ICMPType, ICMPCode uint8
	// DSCP is the DiffServ code point (0–63); the ECN bits are zero.
	DSCP uint8
	// TCPFlags are the TCP header flags.
	TCPFlags ir.TCPFlag
	// TCPOptions lists the kinds of the TCP options present.
	TCPOptions []uint8

	// ARP holds the ARP/RARP header fields besides the protocol addresses.
	ARP ARPHeader
	// STP holds the BPDU fields of a spanning-tree frame.
	STP STPHeader

	// State is the packet's conntrack state: exactly one of ir.StateNew,
	// ir.StateEstablished, ir.StateRelated, ir.StateInvalid.
	State ir.ConnState
	// CtDir is the conntrack direction; it has no meaning for invalid
	// packets (they have no conntrack entry). Only rules installed with
	// Options.ConntrackDirection look at it.
	CtDir CtDir
	// ConnCount, when HasConnCount, is the number of connections connlimit
	// counts for the packet's source address (this one included). Without
	// it every connlimit-above N assumes the count is at most N.
	ConnCount uint32
	// HasConnCount says ConnCount is given.
	HasConnCount bool

	// SetMembers gives the members of named ipsets: a set match looks up the
	// packet's address in this list. A set not named here is empty.
	SetMembers map[string][]netip.Prefix

	// isSwapped marks the swapped view of a packet (see swapped).
	isSwapped bool
}

// ARPHeader holds ARP/RARP fields; the protocol addresses are Packet.Src and
// Packet.Dst.
type ARPHeader struct {
	// HType is the hardware type (1: Ethernet).
	HType uint16
	// PType is the protocol type (0x0800: IPv4).
	PType uint16
	// Opcode is the operation (1 request, 2 reply, 3 reverse request, …).
	Opcode uint16
	// SenderMAC and TargetMAC are the hardware addresses in the ARP payload.
	SenderMAC, TargetMAC ir.MAC
}

// STPHeader holds the fields of a spanning-tree BPDU. The fields after Type
// only exist in configuration BPDUs (Type 0).
type STPHeader struct {
	// Type is the BPDU type: 0 configuration, 0x80 topology change.
	Type uint8
	// Flags are the configuration BPDU's flags.
	Flags uint8
	// RootPriority and RootAddr form the root bridge id; RootCost is the
	// path cost to it.
	RootPriority uint16
	RootAddr     ir.MAC
	RootCost     uint32
	// SenderPriority and SenderAddr form the sending bridge's id; Port is
	// its port id.
	SenderPriority uint16
	SenderAddr     ir.MAC
	Port           uint16
	// MsgAge, MaxAge, HelloTime and ForwardDelay are the timers, in 1/256 s.
	MsgAge       uint16
	MaxAge       uint16
	HelloTime    uint16
	ForwardDelay uint16
}

// outerEtherType is the ether type ebtables' -p sees.
func (p *Packet) outerEtherType() uint16 {
	if p.Tagged {
		return EtherVLAN
	}
	return p.EtherType
}

// isBPDU reports whether the frame is an 802.3 frame to the STP group address.
func (p *Packet) isBPDU() bool {
	return !p.Tagged && p.EtherType < 0x0600 && p.DstMAC == ir.STPMAC
}

// ipFamily returns the IP-layer family of the packet and false when the
// packet does not reach the IP layer (not IPv4/IPv6, or VLAN-tagged).
func (p *Packet) ipFamily() (ir.Layer, bool) {
	if p.Tagged {
		return 0, false
	}
	switch p.EtherType {
	case EtherIPv4:
		return ir.LayerIPv4, true
	case EtherIPv6:
		return ir.LayerIPv6, true
	}
	return 0, false
}

// hasPorts reports whether the packet's IP protocol carries ports.
func (p *Packet) hasPorts() bool {
	switch p.Proto {
	case 6, 17, 33, 132, 136:
		return true
	}
	return false
}

// isICMP reports whether the packet is ICMP for its family.
func (p *Packet) isICMP() bool {
	if p.EtherType == EtherIPv6 {
		return p.Proto == 58
	}
	return p.Proto == 1
}

// swapped returns a copy of p with source and destination exchanged: MACs,
// IP (ARP protocol) addresses, ports and ARP hardware addresses. Evaluating a
// rule against the swapped packet is what a rule rendered with src/dst swapped
// does to p.
func (p Packet) swapped() Packet {
	p.SrcMAC, p.DstMAC = p.DstMAC, p.SrcMAC
	p.Src, p.Dst = p.Dst, p.Src
	p.SrcPort, p.DstPort = p.DstPort, p.SrcPort
	p.ARP.SenderMAC, p.ARP.TargetMAC = p.ARP.TargetMAC, p.ARP.SenderMAC
	p.isSwapped = !p.isSwapped
	return p
}
