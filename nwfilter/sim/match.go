package sim

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// matchFields evaluates a rule's matches against p (already swapped when the
// instance is). skip reports matches the chain does not render. It returns the
// name of the first failing field ("" when all hold) and notes.
func matchFields(r *ir.Rule, p *Packet, skip func(ir.Field) bool) (string, []string) {
	var notes []string
	for i := range r.Matches {
		m := &r.Matches[i]
		if skip(m.Field) {
			continue
		}
		ok, note := matchField(r, m, p)
		if note != "" {
			notes = append(notes, note)
		}
		if !ok {
			return m.Field.String(), notes
		}
	}
	return "", notes
}

// matchField evaluates one match. A precondition of the kernel match (e.g. an
// ARP address match on a non-Ethernet ARP header, a port match on a packet
// without ports) fails the match whatever its negation.
func matchField(r *ir.Rule, m *ir.Match, p *Packet) (bool, string) {
	var cond bool
	var note string
	switch m.Field {
	case ir.FieldSrcMAC:
		cond = macMatches(m, p.SrcMAC)
	case ir.FieldDstMAC:
		cond = macMatches(m, p.DstMAC)
	case ir.FieldEtherType:
		cond = uint32(p.outerEtherType()) == m.Lo
	case ir.FieldVLANID:
		cond = p.VLANID == uint16(m.Lo)
	case ir.FieldVLANEncap:
		cond = uint32(p.EtherType) == m.Lo

	case ir.FieldARPHType:
		cond = uint32(p.ARP.HType) == m.Lo
	case ir.FieldARPPType:
		cond = uint32(p.ARP.PType) == m.Lo
	case ir.FieldARPOpcode:
		cond = uint32(p.ARP.Opcode) == m.Lo
	case ir.FieldARPSrcMAC, ir.FieldARPDstMAC:
		if p.ARP.HType != 1 {
			return false, "ARP hardware addresses are only matched in Ethernet ARP headers (hardware type 1)"
		}
		mac := p.ARP.SenderMAC
		if m.Field == ir.FieldARPDstMAC {
			mac = p.ARP.TargetMAC
		}
		cond = macMatches(m, mac)
	case ir.FieldARPSrcIP, ir.FieldARPDstIP, ir.FieldARPGratuitous:
		if p.ARP.PType != EtherIPv4 || !p.Src.Is4() || !p.Dst.Is4() {
			return false, "ARP protocol addresses are only matched in IPv4 ARP headers (protocol type 0x0800)"
		}
		switch m.Field {
		case ir.FieldARPSrcIP:
			cond = m.Prefix.Contains(p.Src)
		case ir.FieldARPDstIP:
			cond = m.Prefix.Contains(p.Dst)
		default:
			if !m.Bool {
				return true, "" // gratuitous='false' renders no match
			}
			cond = p.Src == p.Dst
		}

	case ir.FieldSrcIP:
		cond = m.Prefix.Contains(p.Src)
	case ir.FieldDstIP:
		cond = m.Prefix.Contains(p.Dst)
	case ir.FieldSrcIPRange:
		cond = inAddrRange(m, p.Src)
	case ir.FieldDstIPRange:
		cond = inAddrRange(m, p.Dst)
	case ir.FieldIPProto:
		cond = uint32(p.Proto) == m.Lo
	case ir.FieldDSCP:
		cond = uint32(p.DSCP) == m.Lo
		if r.Protocol == ir.ProtoIP {
			note = "dscp in an ip rule is compared as the DSCP field; libvirt's ebtables rendering compares the whole TOS byte (--ip-tos) with the unshifted value"
		}

	case ir.FieldSrcPort, ir.FieldDstPort:
		if !p.hasPorts() {
			return false, fmt.Sprintf("IP protocol %d has no ports", p.Proto)
		}
		port := p.SrcPort
		if m.Field == ir.FieldDstPort {
			port = p.DstPort
		}
		cond = inRange(m, uint32(port))
	case ir.FieldTCPFlags:
		if p.Proto != 6 {
			return false, "not a TCP packet"
		}
		cond = p.TCPFlags&m.TCPFlags.Mask == m.TCPFlags.Set
	case ir.FieldTCPOption:
		if p.Proto != 6 {
			return false, "not a TCP packet"
		}
		cond = slices.Contains(p.TCPOptions, uint8(m.Lo))
	case ir.FieldICMPType:
		return matchICMP(r, m, p)
	case ir.FieldICMPCode:
		switch {
		case hasField(r, ir.FieldICMPType):
			return true, "" // evaluated together with the type
		case r.Protocol != ir.ProtoIPv6:
			return true, "an ICMP code without a type is not rendered"
		case !p.isICMP():
			return false, "not an ICMP packet"
		}
		cond = inRange(m, uint32(p.ICMPCode)) // ebtables: any type, these codes
	case ir.FieldIPSet:
		return matchIPSet(m, p)

	default:
		if m.Field < ir.FieldSTPType || m.Field > ir.FieldSTPForwardDelay {
			return false, fmt.Sprintf("field %s is not understood by the simulator", m.Field)
		}
		if m.Field != ir.FieldSTPType && p.STP.Type != 0 {
			return true, fmt.Sprintf("%s is not tested in a BPDU of type %d (not a configuration BPDU)", m.Field, p.STP.Type)
		}
		cond = matchSTP(m, &p.STP)
	}
	return cond != m.Negate, note
}

// matchICMP evaluates an ICMP type match together with the rule's code match:
// both kernels test "type and code" as one condition, negated as a whole.
func matchICMP(r *ir.Rule, m *ir.Match, p *Packet) (bool, string) {
	if !p.isICMP() {
		return false, "not an ICMP packet"
	}
	cond := inRange(m, uint32(p.ICMPType))
	for i := range r.Matches {
		if c := &r.Matches[i]; c.Field == ir.FieldICMPCode {
			cond = cond && inRange(c, uint32(p.ICMPCode))
		}
	}
	return cond != m.Negate, ""
}

// matchIPSet looks the packet's address up in the set; only the first
// dimension counts, as for a one-dimensional hash:ip/hash:net set.
func matchIPSet(m *ir.Match, p *Packet) (bool, string) {
	dst := len(m.IPSet.Dirs) > 0 && m.IPSet.Dirs[0] == ir.SetDst
	addr := p.Src
	if dst {
		addr = p.Dst
	}
	dir := "source"
	if dst != p.isSwapped { // name the address as it is in the real packet
		dir = "destination"
	}
	members, known := p.SetMembers[m.IPSet.Name]
	member := slices.ContainsFunc(members, func(pr netip.Prefix) bool { return pr.Contains(addr) })
	note := fmt.Sprintf("ipset %q: %s %s is ", m.IPSet.Name, dir, addr)
	if !member {
		note += "not "
	}
	note += "a member"
	if !known {
		note += " (set contents not given: assumed empty)"
	}
	return member != m.Negate, note
}

// matchSTP evaluates an STP field (without its negation).
func matchSTP(m *ir.Match, s *STPHeader) bool {
	switch m.Field {
	case ir.FieldSTPType:
		return uint32(s.Type) == m.Lo
	case ir.FieldSTPFlags:
		return uint32(s.Flags) == m.Lo
	case ir.FieldSTPRootAddr:
		return macMatches(m, s.RootAddr)
	case ir.FieldSTPSenderAddr:
		return macMatches(m, s.SenderAddr)
	}
	values := map[ir.Field]uint32{
		ir.FieldSTPRootPriority: uint32(s.RootPriority), ir.FieldSTPRootCost: s.RootCost,
		ir.FieldSTPSenderPriority: uint32(s.SenderPriority), ir.FieldSTPPort: uint32(s.Port),
		ir.FieldSTPMsgAge: uint32(s.MsgAge), ir.FieldSTPMaxAge: uint32(s.MaxAge),
		ir.FieldSTPHelloTime: uint32(s.HelloTime), ir.FieldSTPForwardDelay: uint32(s.ForwardDelay),
	}
	return inRange(m, values[m.Field])
}

func macMatches(m *ir.Match, mac ir.MAC) bool {
	if !m.HasMACMask {
		return mac == m.MAC
	}
	for i := range mac {
		if mac[i]&m.MACMask[i] != m.MAC[i]&m.MACMask[i] {
			return false
		}
	}
	return true
}

// inRange reports whether v lies in Lo..Hi; a match without a range end (Hi
// below Lo) is the single value Lo.
func inRange(m *ir.Match, v uint32) bool {
	hi := m.Hi
	if hi < m.Lo {
		hi = m.Lo
	}
	return v >= m.Lo && v <= hi
}

func inAddrRange(m *ir.Match, a netip.Addr) bool {
	if a.BitLen() != m.From.BitLen() {
		return false
	}
	to := m.To
	if !to.IsValid() {
		to = m.From
	}
	return m.From.Compare(a) <= 0 && a.Compare(to) <= 0
}
