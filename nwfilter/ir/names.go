package ir

import (
	"fmt"
	"strings"
)

var protocolNames = [...]string{
	ProtoNone: "none", ProtoMAC: "mac", ProtoVLAN: "vlan", ProtoSTP: "stp",
	ProtoARP: "arp", ProtoRARP: "rarp", ProtoIP: "ip", ProtoIPv6: "ipv6",
	ProtoTCP: "tcp", ProtoUDP: "udp", ProtoUDPLite: "udplite", ProtoESP: "esp",
	ProtoAH: "ah", ProtoSCTP: "sctp", ProtoICMP: "icmp", ProtoIGMP: "igmp",
	ProtoAll: "all", ProtoTCPv6: "tcp-ipv6", ProtoUDPv6: "udp-ipv6",
	ProtoUDPLitev6: "udplite-ipv6", ProtoESPv6: "esp-ipv6", ProtoAHv6: "ah-ipv6",
	ProtoSCTPv6: "sctp-ipv6", ProtoICMPv6: "icmpv6", ProtoAllv6: "all-ipv6",
}

// String returns the protocol's nwfilter element name, e.g. "tcp-ipv6".
func (p Protocol) String() string { return enumName(protocolNames[:], p, "protocol") }

// Layer returns the evaluation layer of rules written with p.
func (p Protocol) Layer() Layer {
	switch {
	case p <= ProtoIPv6:
		return LayerEthernet
	case p <= ProtoAll:
		return LayerIPv4
	default:
		return LayerIPv6
	}
}

// IPProto returns the IP protocol number an IP-layer protocol matches, and
// false for protocols that match any IP protocol (all, all-ipv6) or that are
// not IP-layer protocols.
func (p Protocol) IPProto() (uint8, bool) {
	switch p {
	case ProtoTCP, ProtoTCPv6:
		return 6, true
	case ProtoUDP, ProtoUDPv6:
		return 17, true
	case ProtoUDPLite, ProtoUDPLitev6:
		return 136, true
	case ProtoESP, ProtoESPv6:
		return 50, true
	case ProtoAH, ProtoAHv6:
		return 51, true
	case ProtoSCTP, ProtoSCTPv6:
		return 132, true
	case ProtoICMP:
		return 1, true
	case ProtoIGMP:
		return 2, true
	case ProtoICMPv6:
		return 58, true
	}
	return 0, false
}

var chainKindNames = [...]string{
	ChainRoot: "root", ChainMAC: "mac", ChainVLAN: "vlan", ChainSTP: "stp",
	ChainARP: "arp", ChainRARP: "rarp", ChainIPv4: "ipv4", ChainIPv6: "ipv6",
}

// String returns the chain-name prefix of the kind, e.g. "arp".
func (k ChainKind) String() string { return enumName(chainKindNames[:], k, "chainkind") }

// EtherType returns the Ethernet type a jump into a chain of this kind is
// guarded by, and false for kinds without one (root, mac: every frame; stp:
// guarded by the STP destination MAC instead, see STPMAC).
func (k ChainKind) EtherType() (uint16, bool) {
	switch k {
	case ChainVLAN:
		return 0x8100, true
	case ChainARP:
		return 0x0806, true
	case ChainRARP:
		return 0x8035, true
	case ChainIPv4:
		return 0x0800, true
	case ChainIPv6:
		return 0x86dd, true
	}
	return 0, false
}

// STPMAC is the destination MAC of spanning-tree BPDUs, which guards jumps
// into stp chains.
var STPMAC = MAC{0x01, 0x80, 0xc2, 0x00, 0x00, 0x00}

var layerNames = [...]string{LayerEthernet: "ethernet", LayerIPv4: "ipv4", LayerIPv6: "ipv6"}

// String returns "ethernet", "ipv4" or "ipv6".
func (l Layer) String() string { return enumName(layerNames[:], l, "layer") }

var directionNames = [...]string{DirIn: "in", DirOut: "out", DirInOut: "inout"}

// String returns "in", "out" or "inout".
func (d Direction) String() string { return enumName(directionNames[:], d, "direction") }

var actionNames = [...]string{
	ActionAccept: "accept", ActionDrop: "drop", ActionReject: "reject",
	ActionReturn: "return", ActionContinue: "continue",
}

// String returns the action's nwfilter name, e.g. "accept".
func (a Action) String() string { return enumName(actionNames[:], a, "action") }

// String returns the states as libvirt prints them, e.g. "NEW,ESTABLISHED".
func (s ConnState) String() string {
	if s&StateNone != 0 {
		return "NONE"
	}
	var parts []string
	for _, st := range []struct {
		bit  ConnState
		name string
	}{{StateNew, "NEW"}, {StateEstablished, "ESTABLISHED"}, {StateRelated, "RELATED"}, {StateInvalid, "INVALID"}} {
		if s&st.bit != 0 {
			parts = append(parts, st.name)
		}
	}
	return strings.Join(parts, ",")
}

// String returns the MAC in lower-case colon form.
func (m MAC) String() string { return m.HardwareAddr().String() }

var tcpFlagNames = []struct {
	bit  TCPFlag
	name string
}{{TCPSyn, "SYN"}, {TCPAck, "ACK"}, {TCPUrg, "URG"}, {TCPPsh, "PSH"}, {TCPFin, "FIN"}, {TCPRst, "RST"}}

// String returns the flags as a comma list, "ALL" or "NONE".
func (f TCPFlag) String() string {
	switch f {
	case 0:
		return "NONE"
	case TCPAll:
		return "ALL"
	}
	var parts []string
	for _, fl := range tcpFlagNames {
		if f&fl.bit != 0 {
			parts = append(parts, fl.name)
		}
	}
	return strings.Join(parts, ",")
}

var fieldNames = [...]string{
	FieldInvalid: "invalid", FieldSrcMAC: "srcmac", FieldDstMAC: "dstmac",
	FieldEtherType: "ethertype", FieldVLANID: "vlanid", FieldVLANEncap: "vlanencap",
	FieldSTPType: "stp-type", FieldSTPFlags: "stp-flags", FieldSTPRootPriority: "stp-root-priority",
	FieldSTPRootAddr: "stp-root-addr", FieldSTPRootCost: "stp-root-cost",
	FieldSTPSenderPriority: "stp-sender-priority", FieldSTPSenderAddr: "stp-sender-addr",
	FieldSTPPort: "stp-port", FieldSTPMsgAge: "stp-msg-age", FieldSTPMaxAge: "stp-max-age",
	FieldSTPHelloTime: "stp-hello-time", FieldSTPForwardDelay: "stp-forward-delay",
	FieldARPHType: "arp-htype", FieldARPPType: "arp-ptype", FieldARPOpcode: "arp-opcode",
	FieldARPSrcMAC: "arp-srcmac", FieldARPDstMAC: "arp-dstmac", FieldARPSrcIP: "arp-srcip",
	FieldARPDstIP: "arp-dstip", FieldARPGratuitous: "arp-gratuitous",
	FieldSrcIP: "srcip", FieldDstIP: "dstip", FieldSrcIPRange: "srciprange", FieldDstIPRange: "dstiprange",
	FieldIPProto: "ipproto", FieldDSCP: "dscp", FieldSrcPort: "srcport", FieldDstPort: "dstport",
	FieldTCPFlags: "tcpflags", FieldTCPOption: "tcpoption", FieldICMPType: "icmptype",
	FieldICMPCode: "icmpcode", FieldIPSet: "ipset",
}

// String returns the field's name as used in dumps and traces, e.g. "srcip".
func (f Field) String() string { return enumName(fieldNames[:], f, "field") }

// enumName returns names[v], or "kind(v)" for a value past the end of names.
func enumName[E ~uint8](names []string, v E, kind string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", kind, v)
}
