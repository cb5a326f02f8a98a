package nwfilter

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// portProtocols are the IP protocols whose ports the ip and ipv6 elements may
// match: tcp, udp, dccp and sctp.
var portProtocols = []uint32{6, 17, 33, 132}

// icmpv6Protocol is the IP protocol number of ICMPv6.
const icmpv6Protocol = 58

// attrError is a problem with one attribute of a rule; the caller adds where
// the rule is and where the value came from.
type attrError struct {
	attr int
	err  error
}

func (e *attrError) Error() string { return e.err.Error() }

// matchAcc collects the attributes that make up one ir.Match.
type matchAcc struct {
	m ir.Match
	// base is the attribute index of the match's main value, -1 until seen.
	base int
	// end is the attribute index of a range end, -1 if none.
	end     int
	addr    netip.Addr
	endAddr netip.Addr
	bits    int // prefix length from a mask, -1 if none
	dirs    []ir.SetDir
}

// buildRule makes the ir.Rule of one value combination of a rule. lits holds
// the typed value of every attribute of r, in order; specs their specs.
func buildRule(r *Rule, specs []AttrSpec, lits []Literal) (*ir.Rule, error) {
	out := &ir.Rule{
		Protocol:   r.Protocol,
		Direction:  r.Direction,
		Action:     r.Action,
		Priority:   r.Priority,
		StateMatch: r.StateMatch,
	}
	var buf [8]matchAcc // most rules have few fields; avoid a heap slice
	accs := buf[:0]
	acc := func(f ir.Field) *matchAcc {
		for i := range accs {
			if accs[i].m.Field == f {
				return &accs[i]
			}
		}
		accs = append(accs, matchAcc{m: ir.Match{Field: f}, base: -1, end: -1, bits: -1})
		return &accs[len(accs)-1]
	}
	for i, a := range r.Attrs {
		spec, lit := specs[i], lits[i]
		switch spec.Part {
		case PartComment:
			out.Comment = lit.Str
		case PartState:
			out.State, out.StateNegate = lit.State, a.Negate
		case PartConnlimit:
			out.ConnlimitAbove, out.ConnlimitNegate = uint16(lit.Num), a.Negate
		case PartValue:
			m := acc(spec.Field)
			m.base, m.m.Negate = i, a.Negate
			m.setValue(spec.Kind, lit)
		case PartMask:
			m := acc(spec.Field)
			if spec.Kind == KindMACMask {
				m.m.MACMask, m.m.HasMACMask = lit.MAC, true
			} else {
				m.bits = lit.Bits
			}
		case PartEnd:
			m := acc(spec.Field)
			m.end = i
			if spec.Kind == KindIPv4 || spec.Kind == KindIPv6 {
				m.endAddr = lit.Addr
			} else {
				m.m.Hi, m.m.HasHi = lit.Num, true
			}
		case PartSetFlags:
			acc(spec.Field).dirs = lit.SetDirs
		}
	}
	slices.SortFunc(accs, func(a, b matchAcc) int { return int(a.m.Field) - int(b.m.Field) })
	if len(accs) > 0 {
		out.Matches = make([]ir.Match, 0, len(accs))
	}
	for i := range accs {
		m := &accs[i]
		// A mask, range end or set flags without the value they belong to
		// are ignored, as libvirt ignores them.
		if m.base < 0 {
			continue
		}
		if err := m.finish(specs); err != nil {
			return nil, err
		}
		out.Matches = append(out.Matches, m.m)
	}
	dropICMPCodeWithoutType(out)
	if err := checkCombinations(out, specs); err != nil {
		return nil, err
	}
	return out, nil
}

// setValue stores a match's main value.
func (m *matchAcc) setValue(k Kind, lit Literal) {
	switch k {
	case KindMAC:
		m.m.MAC = lit.MAC
	case KindIPv4, KindIPv6:
		m.addr = lit.Addr
	case KindBool:
		m.m.Bool = lit.Bool
	case KindTCPFlags:
		m.m.TCPFlags = lit.Flags
	case KindIPSetName:
		m.m.IPSet.Name = lit.Str
	default:
		m.m.Lo = lit.Num
	}
}

// finish completes a match from its parts and checks what only the combined
// values can show.
func (m *matchAcc) finish(specs []AttrSpec) error {
	switch {
	case m.m.Field == ir.FieldSrcIPRange || m.m.Field == ir.FieldDstIPRange:
		m.m.From, m.m.To = m.addr, m.addr
		if m.end >= 0 {
			m.m.To = m.endAddr
			if m.m.To.Is4() != m.m.From.Is4() {
				return &attrError{m.end, fmt.Errorf("range end %s is not of the same address family as its start %s", m.m.To, m.m.From)}
			}
			if m.m.To.Less(m.m.From) {
				return &attrError{m.end, fmt.Errorf("range end %s is below its start %s", m.m.To, m.m.From)}
			}
		}
	case m.addr.IsValid():
		bits := m.addr.BitLen()
		if m.bits >= 0 {
			bits = m.bits
		}
		p, err := m.addr.Prefix(bits)
		if err != nil {
			return &attrError{m.base, fmt.Errorf("mask /%d does not fit address %s", bits, m.addr)}
		}
		m.m.Prefix = p
	case m.m.Field == ir.FieldIPSet:
		m.m.IPSet.Dirs = m.dirs
		if len(m.dirs) == 0 {
			m.m.IPSet.Dirs = []ir.SetDir{ir.SetSrc}
		}
	case m.m.HasHi:
		if m.m.Hi < m.m.Lo {
			return &attrError{m.end, fmt.Errorf("range end %d is below its start %d (%s)", m.m.Hi, m.m.Lo, specs[m.base].Name)}
		}
	default:
		m.m.Hi = m.m.Lo
	}
	return nil
}

// dropICMPCodeWithoutType removes an ICMP code match from an icmp or icmpv6
// rule that matches no type: iptables can only match a code together with a
// type, and libvirt then leaves the code out.
func dropICMPCodeWithoutType(r *ir.Rule) {
	if r.Protocol != ir.ProtoICMP && r.Protocol != ir.ProtoICMPv6 {
		return
	}
	if slices.ContainsFunc(r.Matches, func(m ir.Match) bool { return m.Field == ir.FieldICMPType }) {
		return
	}
	r.Matches = slices.DeleteFunc(r.Matches, func(m ir.Match) bool { return m.Field == ir.FieldICMPCode })
}

// checkCombinations applies the checks that need the final values: on the
// ip and ipv6 elements, ports need protocol tcp, udp, dccp or sctp and (on
// ipv6) ICMP type and code need protocol icmpv6 — the decoder checks literal
// protocols, variables are only known here; and, as libvirt refuses at
// instantiation, an stp rule with srcmacaddr cannot be inout.
func checkCombinations(out *ir.Rule, specs []AttrSpec) error {
	switch out.Protocol {
	case ir.ProtoIP, ir.ProtoIPv6:
		proto, hasProto := uint32(0), false
		for _, m := range out.Matches {
			if m.Field == ir.FieldIPProto {
				proto, hasProto = m.Lo, true
			}
		}
		for i, s := range specs {
			switch s.Field {
			case ir.FieldSrcPort, ir.FieldDstPort:
				if !hasProto || !slices.Contains(portProtocols, proto) {
					return &attrError{i, errors.New("ports can only be matched with protocol tcp, udp, dccp (33) or sctp")}
				}
			case ir.FieldICMPType, ir.FieldICMPCode:
				if !hasProto || proto != icmpv6Protocol {
					return &attrError{i, errors.New("ICMP type and code can only be matched with protocol icmpv6")}
				}
			}
		}
	case ir.ProtoSTP:
		if out.Direction != ir.DirInOut {
			return nil
		}
		for i, s := range specs {
			if s.Field == ir.FieldSrcMAC {
				return &attrError{i, errors.New("an stp rule matching the source MAC cannot have direction inout")}
			}
		}
	}
	return nil
}
