package nwfilter

import (
	"net/netip"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Kind is the type of an attribute value.
type Kind uint8

// Value kinds, as in libvirt's attribute tables.
const (
	KindUint8      Kind = iota + 1 // decimal or 0x hex, 0–255
	KindUint16                     // decimal or 0x hex, 0–65535
	KindUint32                     // decimal or 0x hex
	KindMAC                        // xx:xx:xx:xx:xx:xx, 1–2 hex digits per octet
	KindMACMask                    // MAC syntax, contiguous ones
	KindIPv4                       // dotted quad
	KindIPv4Mask                   // prefix length 0–32 or dotted netmask
	KindIPv6                       // IPv6 text
	KindIPv6Mask                   // prefix length 0–128 or IPv6 netmask
	KindBool                       // true/1/yes are true, anything else false
	KindComment                    // any text, at most 256 bytes
	KindState                      // comma list of NEW,ESTABLISHED,RELATED,INVALID,NONE
	KindTCPFlags                   // MASK/FLAGS
	KindIPSetName                  // ≤ 31 of [A-Za-z0-9_.:+ -]
	KindIPSetFlags                 // 1–6 comma-separated src/dst
	KindDSCP                       // 0–63
	KindConnlimit                  // decimal 0–65535
	KindEtherType                  // arp, rarp, ipv4, ipv6, vlan, or a number ≥ 0x600
	KindVLANEncap                  // as KindEtherType, number ≥ 0x3c
	KindVLANID                     // 0–4095
	KindARPOpcode                  // opcode name or number
	KindIPProtocol                 // ip protocol name or 0–255
)

// Literal is a typed attribute value. Which members are meaningful depends on
// Kind; String gives the canonical text libvirt's formatter would write.
type Literal struct {
	// Kind is the value's type.
	Kind Kind
	// Num holds numbers (all unsigned kinds, DSCP, connlimit, ether types,
	// VLAN ids, opcodes, IP protocols).
	Num uint32
	// Hex is set when a number was written in 0x form (it is printed back so).
	Hex bool
	// Named is set when a number was written as a name (ether type, opcode,
	// IP protocol); it is printed back as the name.
	Named bool
	// MAC holds MAC addresses and masks.
	MAC ir.MAC
	// Addr holds IPv4 and IPv6 addresses.
	Addr netip.Addr
	// Bits is a mask's prefix length.
	Bits int
	// Bool holds booleans.
	Bool bool
	// State holds connection states.
	State ir.ConnState
	// Flags holds TCP flags (mask/set).
	Flags ir.TCPFlags
	// Str holds comments and ipset names.
	Str string
	// SetDirs holds ipsetflags.
	SetDirs []ir.SetDir
}
