// Package ir defines the rule graph: the backend-neutral form of one
// nwfilter binding after variable expansion and priority ordering.
//
// A Graph is what every backend installs and what the simulator evaluates.
// It knows nothing of XML (package nwfilter builds it) and nothing of any
// backend (packages under backend/ consume it). Everything in it is typed:
// addresses are netip values, MACs are fixed-size arrays, numbers are ranges.
//
// The graph keeps libvirt's two evaluation layers apart, because that is how
// packets meet the rules:
//
//   - the Ethernet layer (rules of the none, mac, vlan, stp, arp, rarp, ip and
//     ipv6 elements) is a root chain whose entries are rules and jumps into
//     protocol sub-chains, interleaved by priority;
//   - the IP layer (tcp, udp, …, all and their -ipv6 twins) is one flat,
//     ordered rule list, evaluated for frames the Ethernet layer let through.
//
// A packet leaving the Ethernet layer without a verdict is accepted there; the
// same holds for the IP layer. In the Ethernet layer that includes reaching
// the end of a sub-chain: sub-chains have policy ACCEPT (libvirt creates them
// with ebtables' default), so such a frame is accepted for the layer at once
// and does not go back to the root chain; only a rule with ActionReturn leads
// back. A Graph is immutable once built: backends and the simulator only read
// it.
package ir

import (
	"net"
	"net/netip"
)

// Graph is the compiled rule graph of one binding.
type Graph struct {
	// Binding describes the port the graph is installed on.
	Binding Binding
	// Ethernet holds the Ethernet-layer chains. Ethernet[0], when present, is
	// the root chain (Name "root"); sub-chains follow, sorted by priority and
	// then by name. A graph without Ethernet-layer rules has no chains.
	Ethernet []*Chain
	// IP holds the IP-layer rules (IPv4 and IPv6) in evaluation order.
	IP []*Rule
}

// Binding identifies where a graph applies and records binding-level settings.
type Binding struct {
	// PortDev is the host-side interface of the VM (the tap or veth), e.g. "vnet0".
	PortDev string
	// LinkDev is the link device of a macvtap port, or "".
	LinkDev string
	// MAC is the VM's MAC address.
	MAC MAC
	// Filter is the name of the top-level filter.
	Filter string
	// IPLearning is the CTRL_IP_LEARNING mode: "any" (default), "dhcp" or "none".
	IPLearning string
}

// Chain is an Ethernet-layer chain: the root chain or a protocol sub-chain.
type Chain struct {
	// Name is "root" or the filter's chain name, e.g. "ipv4", "arp-mac".
	Name string
	// Kind is the protocol family of the chain, derived from its name prefix.
	Kind ChainKind
	// Priority orders the jump to this chain among the root chain's entries.
	Priority int
	// Entries are evaluated in order. Only the root chain holds jumps.
	// Reaching the end of the root chain accepts the frame for the Ethernet
	// layer; so does reaching the end of a sub-chain (its policy is ACCEPT),
	// without going back to the root chain. A sub-chain is only instantiated
	// for a direction it holds rules for (DirInOut counts for both): frames
	// of the other direction do not take the jump to it.
	Entries []Entry
}

// Entry is one step of a chain: either a rule or a jump to a sub-chain.
type Entry struct {
	// Rule is set for a rule entry.
	Rule *Rule
	// Jump is set for a jump into a sub-chain; the jump only applies to frames
	// of the sub-chain's protocol (see ChainKind.EtherType) travelling in a
	// direction the sub-chain holds rules for (see Chain.Entries).
	Jump *Chain
}

// ChainKind is the protocol family of an Ethernet-layer chain.
type ChainKind uint8

// Chain kinds, as given by the prefix of a filter's chain name.
const (
	ChainRoot ChainKind = iota
	ChainMAC
	ChainVLAN
	ChainSTP
	ChainARP
	ChainRARP
	ChainIPv4
	ChainIPv6
)

// Layer says which evaluation layer a rule belongs to.
type Layer uint8

// Layers.
const (
	LayerEthernet Layer = iota
	LayerIPv4
	LayerIPv6
)

// Direction says which traffic a rule applies to, seen from the VM.
type Direction uint8

// Directions.
const (
	// DirIn is traffic towards the VM.
	DirIn Direction = iota
	// DirOut is traffic from the VM.
	DirOut
	// DirInOut is both.
	DirInOut
)

// Action is a rule's verdict.
type Action uint8

// Actions.
const (
	ActionAccept Action = iota
	ActionDrop
	ActionReject
	// ActionReturn leaves the current chain: a sub-chain for the root chain,
	// after the jump; the root chain for the layer's default, accept.
	ActionReturn
	// ActionContinue records the match and goes on with the next entry.
	ActionContinue
)

// Protocol is the protocol element a rule was written with. It fixes the rule's
// layer and, for IP-layer rules, the IP protocol.
type Protocol uint8

// Protocols: Ethernet layer first, then IPv4, then IPv6 IP-layer protocols.
const (
	ProtoNone Protocol = iota // no protocol element: matches every frame
	ProtoMAC
	ProtoVLAN
	ProtoSTP
	ProtoARP
	ProtoRARP
	ProtoIP
	ProtoIPv6
	ProtoTCP
	ProtoUDP
	ProtoUDPLite
	ProtoESP
	ProtoAH
	ProtoSCTP
	ProtoICMP
	ProtoIGMP
	ProtoAll
	ProtoTCPv6
	ProtoUDPv6
	ProtoUDPLitev6
	ProtoESPv6
	ProtoAHv6
	ProtoSCTPv6
	ProtoICMPv6
	ProtoAllv6
)

// ConnState is a set of connection-tracking states.
type ConnState uint8

// Connection states. StateNone is libvirt's NONE: no state match at all.
const (
	StateNew ConnState = 1 << iota
	StateEstablished
	StateRelated
	StateInvalid
	StateNone
)

// Rule is one rule instance: one nwfilter rule after variable expansion (a rule
// whose variables hold lists becomes several instances).
type Rule struct {
	// Protocol is the rule's protocol element, e.g. ProtoTCP.
	Protocol Protocol
	// Direction is the traffic direction the rule applies to.
	Direction Direction
	// Action is what the rule does with a matching packet.
	Action Action
	// Priority is the rule's effective priority (raised to its chain's priority
	// for rules in sub-chains).
	Priority int
	// StateMatch is false when the rule said statematch='false'.
	StateMatch bool
	// State is an explicit state= list, or 0 when the rule has none.
	State ConnState
	// StateNegate is set when state= was given under match='no'.
	StateNegate bool
	// ConnlimitAbove, when non-zero, limits concurrent connections per source
	// address (connlimit-above).
	ConnlimitAbove uint16
	// ConnlimitNegate is set when connlimit-above was given under match='no'.
	ConnlimitNegate bool
	// Matches are the rule's match conditions, in canonical field order; all
	// must hold.
	Matches []Match
	// Comment is the rule's comment (≤ 256 bytes), or "".
	Comment string
	// Origin says where the rule came from.
	Origin Origin
}

// Origin points a rule instance back at its source.
type Origin struct {
	// Filter is the name of the filter that holds the rule.
	Filter string
	// Index is the rule's position among the filter's <rule> elements (0-based).
	Index int
	// Instance numbers the expansions of one rule for one binding (0-based).
	Instance int
}

// MAC is a 48-bit Ethernet address.
type MAC [6]byte

// Field identifies what a Match compares. The comment of each field says which
// Match value it uses.
type Field uint8

// Match fields.
const (
	FieldInvalid Field = iota

	// Ethernet header. MAC fields use Match.MAC (with Match.MACMask).
	FieldSrcMAC
	FieldDstMAC
	// FieldEtherType is the mac element's protocolid (Lo).
	FieldEtherType

	// VLAN (Lo).
	FieldVLANID
	FieldVLANEncap

	// STP. Numbers use Lo..Hi; addresses use MAC/MACMask.
	FieldSTPType
	FieldSTPFlags
	FieldSTPRootPriority
	FieldSTPRootAddr
	FieldSTPRootCost
	FieldSTPSenderPriority
	FieldSTPSenderAddr
	FieldSTPPort
	FieldSTPMsgAge
	FieldSTPMaxAge
	FieldSTPHelloTime
	FieldSTPForwardDelay

	// ARP and RARP. Numbers use Lo; MACs use MAC; addresses use Prefix.
	FieldARPHType
	FieldARPPType
	FieldARPOpcode
	FieldARPSrcMAC
	FieldARPDstMAC
	FieldARPSrcIP
	FieldARPDstIP
	// FieldARPGratuitous uses Bool.
	FieldARPGratuitous

	// IP header, both layers. Addresses use Prefix (a single address is a
	// full-length prefix); ranges use From/To.
	FieldSrcIP
	FieldDstIP
	FieldSrcIPRange
	FieldDstIPRange
	// FieldIPProto is the ip/ipv6 element's protocol (Lo).
	FieldIPProto
	// FieldDSCP uses Lo.
	FieldDSCP

	// Transport. Ports use Lo..Hi.
	FieldSrcPort
	FieldDstPort
	// FieldTCPFlags uses TCPFlags.
	FieldTCPFlags
	// FieldTCPOption uses Lo.
	FieldTCPOption
	// FieldICMPType and FieldICMPCode use Lo..Hi (a range only on the ipv6
	// element).
	FieldICMPType
	FieldICMPCode

	// FieldIPSet uses IPSet.
	FieldIPSet
)

// Match is one condition of a rule. Which value members are meaningful
// depends on Field (see the Field constants).
type Match struct {
	// Field is what the match compares.
	Field Field
	// Negate inverts the condition (match='no').
	Negate bool

	// MAC is a MAC address value.
	MAC MAC
	// MACMask, when HasMACMask, masks both MAC and the packet's address.
	MACMask    MAC
	HasMACMask bool

	// Prefix is an address with its mask (a full-length prefix for a single
	// address).
	Prefix netip.Prefix
	// From and To bound an address range (ipfrom..ipto).
	From, To netip.Addr

	// Lo and Hi bound a numeric field (Lo == Hi for a single value).
	Lo, Hi uint32
	// HasHi is set when the rule gave an explicit range end, so renderers can
	// print a range as written.
	HasHi bool

	// Bool is a boolean value (FieldARPGratuitous).
	Bool bool
	// TCPFlags is the value of FieldTCPFlags.
	TCPFlags TCPFlags
	// IPSet is the value of FieldIPSet.
	IPSet IPSetRef
}

// TCPFlag is a set of TCP header flags.
type TCPFlag uint8

// TCP flags.
const (
	TCPFin TCPFlag = 1 << iota
	TCPSyn
	TCPRst
	TCPPsh
	TCPAck
	TCPUrg
	TCPAll TCPFlag = TCPFin | TCPSyn | TCPRst | TCPPsh | TCPAck | TCPUrg
)

// TCPFlags matches packets whose flags, masked with Mask, equal Set.
type TCPFlags struct {
	// Mask is the flags examined.
	Mask TCPFlag
	// Set is the flags among Mask that must be set.
	Set TCPFlag
}

// SetDir selects which address of a packet is looked up in a set.
type SetDir uint8

// Set directions.
const (
	SetSrc SetDir = iota
	SetDst
)

// IPSetRef matches packets whose addresses are members of a named set.
type IPSetRef struct {
	// Name is the set's name (≤ 31 characters of [A-Za-z0-9_.:+ -]).
	Name string
	// Dirs says, per set dimension, which packet address is looked up.
	Dirs []SetDir
}

// HardwareAddr returns m as a net.HardwareAddr.
func (m MAC) HardwareAddr() net.HardwareAddr { return net.HardwareAddr(m[:]) }
