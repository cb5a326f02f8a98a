package nftables

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// nftRule is one rendered rule: its nft text and its comment (unquoted,
// already passed through nftText).
type nftRule struct {
	Text    string
	Comment string
}

// ruleText assembles one rule's statements.
type ruleText struct{ b strings.Builder }

func (r *ruleText) add(format string, a ...any) {
	if r.b.Len() > 0 {
		r.b.WriteByte(' ')
	}
	fmt.Fprintf(&r.b, format, a...)
}

// String returns the rule text assembled so far.
func (r *ruleText) String() string { return r.b.String() }

// rel is the relation of a match: "" (equal) or "!= ".
func rel(neg bool) string {
	if neg {
		return "!= "
	}
	return ""
}

// eqRel is rel after a binary operation, where nft wants an explicit "==".
func eqRel(neg bool) string {
	if neg {
		return "!= "
	}
	return "== "
}

// matchMAC renders expr (e.g. "ether saddr") against m.MAC, masked when the
// match has a mask.
func matchMAC(t *ruleText, expr string, m ir.Match) {
	if m.HasMACMask {
		var v ir.MAC
		for i := range v {
			v[i] = m.MAC[i] & m.MACMask[i]
		}
		t.add("%s & %s %s%s", expr, m.MACMask, eqRel(m.Negate), v)
		return
	}
	t.add("%s %s%s", expr, rel(m.Negate), m.MAC)
}

// macHex is a MAC as a 48-bit hex number, for raw payload matches.
func macHex(m ir.MAC) string {
	return fmt.Sprintf("0x%02x%02x%02x%02x%02x%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// matchRawMAC renders a MAC at a raw payload offset (bits) of the network header.
func matchRawMAC(t *ruleText, off int, m ir.Match) {
	expr := fmt.Sprintf("@nh,%d,48", off)
	if m.HasMACMask {
		var v ir.MAC
		for i := range v {
			v[i] = m.MAC[i] & m.MACMask[i]
		}
		t.add("%s & %s %s%s", expr, macHex(m.MACMask), eqRel(m.Negate), macHex(v))
		return
	}
	t.add("%s %s%s", expr, rel(m.Negate), macHex(m.MAC))
}

// numRange renders Lo or Lo-Hi.
func numRange(m ir.Match) string {
	if m.Hi > m.Lo {
		return fmt.Sprintf("%d-%d", m.Lo, m.Hi)
	}
	return fmt.Sprint(m.Lo)
}

// matchNum renders expr against a number or range.
func matchNum(t *ruleText, expr string, m ir.Match) {
	t.add("%s %s%s", expr, rel(m.Negate), numRange(m))
}

// prefixText is an address or a masked prefix.
func prefixText(p netip.Prefix) string {
	p = p.Masked()
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// matchAddr renders expr (e.g. "ip saddr", "ip6 daddr") against a prefix or
// a range, which must be of expr's address family.
func matchAddr(t *ruleText, expr string, m ir.Match) error {
	v6 := strings.HasPrefix(expr, "ip6 ")
	for _, a := range []netip.Addr{m.Prefix.Addr(), m.From, m.To} {
		if a.IsValid() && a.Is6() != v6 {
			return fmt.Errorf("%w: %s address %v in a rule of the other address family", ErrUnsupported, m.Field, a)
		}
	}
	switch m.Field {
	case ir.FieldSrcIPRange, ir.FieldDstIPRange:
		if !m.From.IsValid() || !m.To.IsValid() || m.To.Less(m.From) || m.From.Is4() != m.To.Is4() {
			return fmt.Errorf("%w: address range %v-%v is empty or mixes families", ErrUnsupported, m.From, m.To)
		}
		if m.From == m.To {
			t.add("%s %s%s", expr, rel(m.Negate), m.From)
			return nil
		}
		t.add("%s %s%s-%s", expr, rel(m.Negate), m.From, m.To)
	default:
		if !m.Prefix.IsValid() {
			return fmt.Errorf("%w: %s has no address", ErrUnsupported, m.Field)
		}
		t.add("%s %s%s", expr, rel(m.Negate), prefixText(m.Prefix))
	}
	return nil
}

// swapField exchanges source and destination fields.
func swapField(f ir.Field) ir.Field {
	switch f {
	case ir.FieldSrcMAC:
		return ir.FieldDstMAC
	case ir.FieldDstMAC:
		return ir.FieldSrcMAC
	case ir.FieldARPSrcMAC:
		return ir.FieldARPDstMAC
	case ir.FieldARPDstMAC:
		return ir.FieldARPSrcMAC
	case ir.FieldARPSrcIP:
		return ir.FieldARPDstIP
	case ir.FieldARPDstIP:
		return ir.FieldARPSrcIP
	case ir.FieldSrcIP:
		return ir.FieldDstIP
	case ir.FieldDstIP:
		return ir.FieldSrcIP
	case ir.FieldSrcIPRange:
		return ir.FieldDstIPRange
	case ir.FieldDstIPRange:
		return ir.FieldSrcIPRange
	case ir.FieldSrcPort:
		return ir.FieldDstPort
	case ir.FieldDstPort:
		return ir.FieldSrcPort
	}
	return f
}

// swapMatches returns ms with source and destination exchanged (including
// ipset lookup directions).
func swapMatches(ms []ir.Match) []ir.Match {
	out := make([]ir.Match, len(ms))
	for i, m := range ms {
		m.Field = swapField(m.Field)
		if m.Field == ir.FieldIPSet {
			dirs := make([]ir.SetDir, len(m.IPSet.Dirs))
			for j, d := range m.IPSet.Dirs {
				dirs[j] = d ^ 1
			}
			m.IPSet.Dirs = dirs
		}
		out[i] = m
	}
	return out
}

// commentOf is the rule's comment in the form knftables writes.
func commentOf(r *ir.Rule) string {
	c, _ := nftText(textComment, r.Comment) // textComment never fails
	return c
}
