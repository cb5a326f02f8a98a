package sim

import (
	"net/netip"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

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
		{[]string{"sport", "dport"}, p.hasPorts(), "tcp, udp, udplite, sctp and dccp (33)"},
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
	return firstErr(
		ps.number("sport", nwfilter.KindUint16, func(n uint32) { p.SrcPort = uint16(n) }),
		ps.number("dport", nwfilter.KindUint16, func(n uint32) { p.DstPort = uint16(n) }),
		ps.number("type", nwfilter.KindUint8, func(n uint32) { p.ICMPType = uint8(n) }),
		ps.number("code", nwfilter.KindUint8, func(n uint32) { p.ICMPCode = uint8(n) }),
		ps.number("dscp", nwfilter.KindDSCP, func(n uint32) { p.DSCP = uint8(n) }),
		ps.number("conncount", nwfilter.KindUint32, func(n uint32) { p.ConnCount, p.HasConnCount = n, true }),
		ps.conntrack(),
		ps.tcp(),
		ps.toHost(),
		ps.ipsets(),
	)
}

func (ps *packetParser) proto() error {
	p := &ps.p
	v, ok := ps.kv["proto"]
	if !ok {
		return keyErr("proto", "required for IPv4/IPv6 packets")
	}
	if err := ps.number("proto", nwfilter.KindIPProtocol, func(n uint32) { p.Proto = uint8(n) }); err != nil {
		return err
	}
	if v6 := p.EtherType == EtherIPv6; (p.Proto == 1 && v6) || (p.Proto == 58 && !v6) {
		return keyErr("proto", "%s does not fit ether type 0x%04x (IPv4 uses icmp, IPv6 icmpv6)", v, p.EtherType)
	}
	return nil
}

// conntrack parses state and ctdir.
func (ps *packetParser) conntrack() error {
	p := &ps.p
	err := ps.literal("state", nwfilter.KindState, func(l nwfilter.Literal) { p.State = l.State })
	if err != nil {
		return err
	}
	switch p.State {
	case ir.StateNew:
	case ir.StateEstablished, ir.StateRelated, ir.StateInvalid:
		p.CtDir = CtReply
	default:
		return keyErr("state", "a packet is in exactly one state: new, established, related or invalid")
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
		// The packet's flags are the set half of a filter-language flags value.
		l, err := nwfilter.ParseLiteral(nwfilter.KindTCPFlags, "ALL/"+v)
		if err != nil {
			return keyErr("flags", "%q is not a comma list of SYN, ACK, FIN, RST, PSH, URG, or ALL or NONE", v)
		}
		p.TCPFlags = l.Flags.Set
	}
	v, ok := ps.kv["tcpopt"]
	if !ok {
		return nil
	}
	for _, s := range strings.Split(v, ",") {
		l, err := nwfilter.ParseLiteral(nwfilter.KindUint8, s)
		if err != nil {
			return &ParseError{Key: "tcpopt", Err: err}
		}
		p.TCPOptions = append(p.TCPOptions, uint8(l.Num))
	}
	return nil
}

func (ps *packetParser) toHost() error {
	err := ps.literal("tohost", nwfilter.KindBool, func(l nwfilter.Literal) { ps.p.ToHost = l.Bool })
	if err == nil && ps.p.ToHost && ps.p.Dir != ir.DirOut {
		return keyErr("tohost", "only packets from the VM (dir=out) can be addressed to the host")
	}
	return err
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
		if _, err := nwfilter.ParseLiteral(nwfilter.KindIPSetName, name); err != nil {
			return &ParseError{Key: "ipset", Err: err}
		}
		if _, dup := p.SetMembers[name]; dup {
			return keyErr("ipset", "set %q given twice", name)
		}
		p.SetMembers[name] = []netip.Prefix{netip.PrefixFrom(p.Src, p.Src.BitLen()), netip.PrefixFrom(p.Dst, p.Dst.BitLen())}
	}
	return nil
}

// arpFields parses the keys of ARP and RARP frames.
func (ps *packetParser) arpFields() error {
	p := &ps.p
	p.ARP = ARPHeader{HType: 1, PType: EtherIPv4, Opcode: 1, SenderMAC: p.SrcMAC, TargetMAC: p.DstMAC}
	if p.EtherType == EtherRARP {
		p.ARP.Opcode = 3
	}
	return firstErr(
		ps.number("arpop", nwfilter.KindARPOpcode, func(n uint32) { p.ARP.Opcode = uint16(n) }),
		ps.mac("arpsmac", &p.ARP.SenderMAC),
		ps.mac("arpdmac", &p.ARP.TargetMAC),
		ps.number("arphtype", nwfilter.KindUint16, func(n uint32) { p.ARP.HType = uint16(n) }),
		ps.number("arpptype", nwfilter.KindUint16, func(n uint32) { p.ARP.PType = uint16(n) }),
	)
}

// stpFields parses the BPDU keys.
func (ps *packetParser) stpFields() error {
	s := &ps.p.STP
	u8, u16, u32 := nwfilter.KindUint8, nwfilter.KindUint16, nwfilter.KindUint32
	return firstErr(
		ps.number("stp-type", u8, func(n uint32) { s.Type = uint8(n) }),
		ps.number("stp-flags", u8, func(n uint32) { s.Flags = uint8(n) }),
		ps.number("stp-root-priority", u16, func(n uint32) { s.RootPriority = uint16(n) }),
		ps.mac("stp-root-addr", &s.RootAddr),
		ps.number("stp-root-cost", u32, func(n uint32) { s.RootCost = n }),
		ps.number("stp-sender-priority", u16, func(n uint32) { s.SenderPriority = uint16(n) }),
		ps.mac("stp-sender-addr", &s.SenderAddr),
		ps.number("stp-port", u16, func(n uint32) { s.Port = uint16(n) }),
		ps.number("stp-msg-age", u16, func(n uint32) { s.MsgAge = uint16(n) }),
		ps.number("stp-max-age", u16, func(n uint32) { s.MaxAge = uint16(n) }),
		ps.number("stp-hello-time", u16, func(n uint32) { s.HelloTime = uint16(n) }),
		ps.number("stp-forward-delay", u16, func(n uint32) { s.ForwardDelay = uint16(n) }),
	)
}
