package nwfilter

import (
	"strconv"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// String returns the literal's canonical text, as libvirt's formatter writes
// it: numbers in the base they were given in, names as names, MACs in
// lower-case two-digit form, addresses in canonical form, masks as prefix
// lengths, booleans as true/false, states and TCP flags as upper-case lists.
// ParseLiteral(l.Kind, l.String()) gives l back.
//
// A number of a kind with names (ether type, ARP opcode, IP protocol) keeps
// the form it was written in: 0x800 stays 0x800, where libvirt would print
// "ipv4". Both forms mean the same and both are fixed points.
func (l Literal) String() string {
	switch l.Kind {
	case KindUint8, KindUint16, KindUint32, KindDSCP, KindVLANID, KindConnlimit:
		return l.numString()
	case KindEtherType, KindVLANEncap:
		return l.namedString(etherTypeNames)
	case KindARPOpcode:
		return l.namedString(arpOpcodeNames)
	case KindIPProtocol:
		return l.namedString(ipProtocolNames)
	case KindMAC, KindMACMask:
		return l.MAC.String()
	case KindIPv4, KindIPv6:
		return l.Addr.String()
	case KindIPv4Mask, KindIPv6Mask:
		return strconv.Itoa(l.Bits)
	case KindBool:
		return strconv.FormatBool(l.Bool)
	case KindComment, KindIPSetName:
		return l.Str
	case KindState:
		return l.State.String()
	case KindTCPFlags:
		return l.Flags.Mask.String() + "/" + l.Flags.Set.String()
	case KindIPSetFlags:
		dirs := make([]string, len(l.SetDirs))
		for i, d := range l.SetDirs {
			dirs[i] = "src"
			if d == ir.SetDst {
				dirs[i] = "dst"
			}
		}
		return strings.Join(dirs, ",")
	}
	return ""
}

func (l Literal) numString() string {
	if l.Hex {
		return "0x" + strconv.FormatUint(uint64(l.Num), 16)
	}
	return strconv.FormatUint(uint64(l.Num), 10)
}

func (l Literal) namedString(names []namedNum) string {
	if l.Named {
		if name := nameOf(names, l.Num); name != "" {
			return name
		}
	}
	return l.numString()
}
