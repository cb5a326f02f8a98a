package nwfilter

// TEMPORARY SHIM — stands in for ParseLiteral from branch lang until it lands
// on main. Delete this file as soon as main has values_parse.go.

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func ParseLiteral(k Kind, text string) (Literal, error) {
	l := Literal{Kind: k}
	bad := func() (Literal, error) { return Literal{}, fmt.Errorf("%q is not a valid value of kind %d", text, k) }
	num := func(max uint64) (Literal, error) {
		n, err := strconv.ParseUint(text, 0, 32)
		if err != nil || n > max {
			return bad()
		}
		l.Num = uint32(n)
		return l, nil
	}
	switch k {
	case KindUint8:
		return num(255)
	case KindUint16, KindConnlimit:
		return num(65535)
	case KindUint32:
		return num(1<<32 - 1)
	case KindDSCP:
		return num(63)
	case KindVLANID:
		return num(4095)
	case KindEtherType, KindVLANEncap:
		names := map[string]uint32{"arp": 0x806, "rarp": 0x8035, "ipv4": 0x800, "ipv6": 0x86dd, "vlan": 0x8100}
		if n, ok := names[strings.ToLower(text)]; ok {
			l.Num, l.Named = n, true
			return l, nil
		}
		return num(65535)
	case KindIPProtocol:
		names := map[string]uint32{"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "sctp": 132}
		if n, ok := names[strings.ToLower(text)]; ok {
			l.Num, l.Named = n, true
			return l, nil
		}
		return num(255)
	case KindARPOpcode:
		names := map[string]uint32{"request": 1, "reply": 2, "request_reverse": 3, "reply_reverse": 4}
		if n, ok := names[strings.ToLower(text)]; ok {
			l.Num, l.Named = n, true
			return l, nil
		}
		return num(65535)
	case KindMAC, KindMACMask:
		parts := strings.Split(text, ":")
		if len(parts) != 6 {
			return bad()
		}
		for i, p := range parts {
			n, err := strconv.ParseUint(p, 16, 8)
			if err != nil {
				return bad()
			}
			l.MAC[i] = byte(n)
		}
		return l, nil
	case KindIPv4, KindIPv6:
		a, err := netip.ParseAddr(text)
		if err != nil || a.Is4() != (k == KindIPv4) {
			return bad()
		}
		l.Addr = a
		return l, nil
	case KindIPv4Mask, KindIPv6Mask:
		max := 32
		if k == KindIPv6Mask {
			max = 128
		}
		n, err := strconv.Atoi(text)
		if err != nil || n < 0 || n > max {
			a, err := netip.ParseAddr(text)
			if err != nil {
				return bad()
			}
			p, err := a.Prefix(a.BitLen())
			_ = p
			if err != nil {
				return bad()
			}
			b := a.AsSlice()
			n = 0
			for _, x := range b {
				for i := 7; i >= 0; i-- {
					if x&(1<<i) != 0 {
						n++
					}
				}
			}
		}
		l.Bits = n
		return l, nil
	case KindBool:
		l.Bool = text == "true" || text == "1" || text == "yes"
		return l, nil
	case KindComment, KindIPSetName:
		l.Str = text
		return l, nil
	case KindState:
		for _, s := range strings.Split(strings.ToUpper(text), ",") {
			switch s {
			case "NEW":
				l.State |= ir.StateNew
			case "ESTABLISHED":
				l.State |= ir.StateEstablished
			case "RELATED":
				l.State |= ir.StateRelated
			case "INVALID":
				l.State |= ir.StateInvalid
			case "NONE":
				l.State |= ir.StateNone
			default:
				return bad()
			}
		}
		return l, nil
	case KindTCPFlags:
		mask, set, ok := strings.Cut(text, "/")
		if !ok {
			return bad()
		}
		names := map[string]ir.TCPFlag{"SYN": ir.TCPSyn, "ACK": ir.TCPAck, "FIN": ir.TCPFin, "RST": ir.TCPRst, "PSH": ir.TCPPsh, "URG": ir.TCPUrg, "ALL": ir.TCPAll, "NONE": 0}
		for i, part := range []string{mask, set} {
			for _, f := range strings.Split(part, ",") {
				v, ok := names[f]
				if !ok {
					return bad()
				}
				if i == 0 {
					l.Flags.Mask |= v
				} else {
					l.Flags.Set |= v
				}
			}
		}
		return l, nil
	case KindIPSetFlags:
		for _, s := range strings.Split(text, ",") {
			switch s {
			case "src":
				l.SetDirs = append(l.SetDirs, ir.SetSrc)
			case "dst":
				l.SetDirs = append(l.SetDirs, ir.SetDst)
			default:
				return bad()
			}
		}
		return l, nil
	}
	return bad()
}
