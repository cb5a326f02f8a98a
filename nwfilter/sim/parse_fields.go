package sim

import (
	"net/netip"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

var ipProtoNames = map[string]uint8{
	"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "dccp": 33, "esp": 50, "ah": 51, "icmpv6": 58,
	"sctp": 132, "udplite": 136,
}

var stateNames = map[string]ir.ConnState{
	"new": ir.StateNew, "established": ir.StateEstablished, "related": ir.StateRelated, "invalid": ir.StateInvalid,
}

var tcpFlagNames = map[string]ir.TCPFlag{
	"SYN": ir.TCPSyn, "ACK": ir.TCPAck, "FIN": ir.TCPFin, "RST": ir.TCPRst, "PSH": ir.TCPPsh, "URG": ir.TCPUrg,
}

// ipFields parses the keys of IPv4/IPv6 packets.
func (ps *packetParser) ipFields() error {
	p := &ps.p
	if err := ps.proto(); err != nil {
		return err
	}
	protoOnly := []struct {
		keys []string
		ok   bool
		what string
	}{
		{[]string{"sport", "dport"}, p.hasPorts(), "tcp, udp, udplite, sctp and dccp"},
		{[]string{"type", "code"}, p.isICMP(), "icmp (IPv4) and icmpv6 (IPv6)"},
		{[]string{"flags", "tcpopt"}, p.Proto == 6, "tcp"},
	}
	for _, po := range protoOnly {
		for _, k := range po.keys {
			if _, given := ps.kv[k]; given && !po.ok {
				return keyErr(k, "only applies to %s", po.what)
			}
		}
	}
	if p.isICMP() {
		p.ICMPType = 8 // echo request
		if p.EtherType == EtherIPv6 {
			p.ICMPType = 128
		}
	}
	err := firstErr(
		ps.number("sport", 16, func(n uint64) { p.SrcPort = uint16(n) }),
		ps.number("dport", 16, func(n uint64) { p.DstPort = uint16(n) }),
		ps.number("type", 8, func(n uint64) { p.ICMPType = uint8(n) }),
		ps.number("code", 8, func(n uint64) { p.ICMPCode = uint8(n) }),
		ps.number("dscp", 6, func(n uint64) { p.DSCP = uint8(n) }),
		ps.number("conncount", 32, func(n uint64) { p.ConnCount, p.HasConnCount = uint32(n), true }),
	)
	if err != nil {
		return err
	}
	return firstErr(ps.conntrack(), ps.tcp(), ps.toHost(), ps.ipsets())
}

func (ps *packetParser) proto() error {
	p := &ps.p
	v, ok := ps.kv["proto"]
	if !ok {
		return keyErr("proto", "required for IPv4/IPv6 packets")
	}
	n, named := ipProtoNames[v]
	if !named {
		u, err := parseUint(v, 8)
		if err != nil {
			return keyErr("proto", "%q is not a protocol name or a number 0–255", v)
		}
		n = uint8(u)
	}
	v6 := p.EtherType == EtherIPv6
	if (n == 1 && v6) || (n == 58 && !v6) {
		return keyErr("proto", "%s does not fit ether type 0x%04x (IPv4 uses icmp, IPv6 icmpv6)", v, p.EtherType)
	}
	p.Proto = n
	return nil
}

// conntrack parses state and ctdir.
func (ps *packetParser) conntrack() error {
	p := &ps.p
	if v, ok := ps.kv["state"]; ok {
		st, known := stateNames[v]
		if !known {
			return keyErr("state", "%q is not new, established, related or invalid", v)
		}
		p.State = st
	}
	if p.State != ir.StateNew {
		p.CtDir = CtReply
	}
	v, ok := ps.kv["ctdir"]
	switch {
	case !ok:
		return nil
	case p.State == ir.StateInvalid:
		return keyErr("ctdir", "an invalid packet has no conntrack entry, so no direction")
	case v == "original":
		p.CtDir = CtOriginal
	case v == "reply" && p.State == ir.StateNew:
		return keyErr("ctdir", "the packet of a new connection is in the original direction")
	case v == "reply":
		p.CtDir = CtReply
	default:
		return keyErr("ctdir", "%q is not original or reply", v)
	}
	return nil
}

// tcp parses flags and tcpopt.
func (ps *packetParser) tcp() error {
	p := &ps.p
	if p.Proto != 6 {
		return nil
	}
	p.TCPFlags = ir.TCPAck
	if p.State == ir.StateNew {
		p.TCPFlags = ir.TCPSyn
	}
	if v, ok := ps.kv["flags"]; ok {
		p.TCPFlags = 0
		if v != "NONE" {
			for _, name := range strings.Split(v, ",") {
				f, known := tcpFlagNames[strings.ToUpper(name)]
				if !known {
					return keyErr("flags", "%q is not a TCP flag (SYN, ACK, FIN, RST, PSH, URG) or NONE", name)
				}
				p.TCPFlags |= f
			}
		}
	}
	if v, ok := ps.kv["tcpopt"]; ok {
		for _, s := range strings.Split(v, ",") {
			n, err := parseUint(s, 8)
			if err != nil {
				return keyErr("tcpopt", "%q is not a TCP option kind 0–255", s)
			}
			p.TCPOptions = append(p.TCPOptions, uint8(n))
		}
	}
	return nil
}

func (ps *packetParser) toHost() error {
	switch v, ok := ps.kv["tohost"]; {
	case !ok || v == "0":
	case v != "1":
		return keyErr("tohost", "%q is not 0 or 1", v)
	case ps.p.Dir != ir.DirOut:
		return keyErr("tohost", "only packets from the VM (dir=out) can be addressed to the host")
	default:
		ps.p.ToHost = true
	}
	return nil
}

// ipsets parses ipset: each named set contains the packet's src and dst.
func (ps *packetParser) ipsets() error {
	v, ok := ps.kv["ipset"]
	if !ok {
		return nil
	}
	p := &ps.p
	p.SetMembers = map[string][]netip.Prefix{}
	for _, name := range strings.Split(v, ",") {
		if !validSetName(name) {
			return keyErr("ipset", "%q is not a set name (1–31 of A-Z a-z 0-9 _ . : + -)", name)
		}
		if _, dup := p.SetMembers[name]; dup {
			return keyErr("ipset", "set %q given twice", name)
		}
		p.SetMembers[name] = []netip.Prefix{netip.PrefixFrom(p.Src, p.Src.BitLen()), netip.PrefixFrom(p.Dst, p.Dst.BitLen())}
	}
	return nil
}

func validSetName(s string) bool {
	if s == "" || len(s) > 31 {
		return false
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_.:+-", c)
		if !ok {
			return false
		}
	}
	return true
}

// arpOpcodes are libvirt's ARP opcode names.
var arpOpcodes = map[string]uint16{
	"request": 1, "reply": 2, "request_reverse": 3, "reply_reverse": 4, "drarp_request": 5,
	"drarp_reply": 6, "drarp_error": 7, "inarp_request": 8, "arp_nak": 9,
}

// arpFields parses the keys of ARP and RARP frames.
func (ps *packetParser) arpFields() error {
	p := &ps.p
	p.ARP = ARPHeader{HType: 1, PType: EtherIPv4, Opcode: 1, SenderMAC: p.SrcMAC, TargetMAC: p.DstMAC}
	if p.EtherType == EtherRARP {
		p.ARP.Opcode = 3
	}
	if v, ok := ps.kv["arpop"]; ok {
		op, named := arpOpcodes[strings.ToLower(v)]
		if !named {
			n, err := parseUint(v, 16)
			if err != nil {
				return keyErr("arpop", "%q is not an ARP opcode name or a 16-bit number", v)
			}
			op = uint16(n)
		}
		p.ARP.Opcode = op
	}
	return firstErr(
		ps.mac("arpsmac", &p.ARP.SenderMAC),
		ps.mac("arpdmac", &p.ARP.TargetMAC),
		ps.number("arphtype", 16, func(n uint64) { p.ARP.HType = uint16(n) }),
		ps.number("arpptype", 16, func(n uint64) { p.ARP.PType = uint16(n) }),
	)
}

// stpFields parses the BPDU keys.
func (ps *packetParser) stpFields() error {
	s := &ps.p.STP
	return firstErr(
		ps.number("stp-type", 8, func(n uint64) { s.Type = uint8(n) }),
		ps.number("stp-flags", 8, func(n uint64) { s.Flags = uint8(n) }),
		ps.number("stp-root-priority", 16, func(n uint64) { s.RootPriority = uint16(n) }),
		ps.mac("stp-root-addr", &s.RootAddr),
		ps.number("stp-root-cost", 32, func(n uint64) { s.RootCost = uint32(n) }),
		ps.number("stp-sender-priority", 16, func(n uint64) { s.SenderPriority = uint16(n) }),
		ps.mac("stp-sender-addr", &s.SenderAddr),
		ps.number("stp-port", 16, func(n uint64) { s.Port = uint16(n) }),
		ps.number("stp-msg-age", 16, func(n uint64) { s.MsgAge = uint16(n) }),
		ps.number("stp-max-age", 16, func(n uint64) { s.MaxAge = uint16(n) }),
		ps.number("stp-hello-time", 16, func(n uint64) { s.HelloTime = uint16(n) }),
		ps.number("stp-forward-delay", 16, func(n uint64) { s.ForwardDelay = uint16(n) }),
	)
}
