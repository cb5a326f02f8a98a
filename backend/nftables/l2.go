package nftables

import (
	"fmt"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Ethernet-layer rules live in the bridge table and mirror libvirt's ebtables
// rendering: a rule of direction out goes to the from-VM chain as written, in
// goes to the to-VM chain as written, inout goes to both with source and
// destination swapped in the from-VM copy.

// stpField is an STP BPDU field as a raw payload of the network header (which
// starts at the LLC header: DSAP, SSAP, control, then the BPDU).
type stpField struct{ off, bits int }

var stpFields = map[ir.Field]stpField{
	ir.FieldSTPType:           {48, 8},
	ir.FieldSTPFlags:          {56, 8},
	ir.FieldSTPRootPriority:   {64, 16},
	ir.FieldSTPRootAddr:       {80, 48},
	ir.FieldSTPRootCost:       {128, 32},
	ir.FieldSTPSenderPriority: {160, 16},
	ir.FieldSTPSenderAddr:     {176, 48},
	ir.FieldSTPPort:           {224, 16},
	ir.FieldSTPMsgAge:         {240, 16},
	ir.FieldSTPMaxAge:         {256, 16},
	ir.FieldSTPHelloTime:      {272, 16},
	ir.FieldSTPForwardDelay:   {288, 16},
}

// ARP header fields as raw payloads, so ARP and RARP share one renderer (nft's
// arp expressions would force ether type arp).
const (
	arpHType  = "@nh,0,16"
	arpPType  = "@nh,16,16"
	arpHLen   = "@nh,32,8"
	arpPLen   = "@nh,40,8"
	arpOpcode = "@nh,48,16"
	arpSHA    = 64
	arpSPA    = "@nh,112,32"
	arpTHA    = 144
	arpTPA    = "@nh,192,32"
)

// l2Result is one rendered Ethernet-layer rule: one nft rule, or several
// alternatives with the same verdict when nft needs a disjunction.
type l2Result struct {
	rules []nftRule
	// sameOctet is set when the rule uses the arp-same-octet set.
	sameOctet bool
}

// l2Verdict maps an action to the bridge-table verdict. ebtables has no
// REJECT; libvirt emits DROP, and so do we.
func l2Verdict(a ir.Action) string {
	switch a {
	case ir.ActionAccept:
		return "accept"
	case ir.ActionDrop, ir.ActionReject:
		return "drop"
	case ir.ActionReturn:
		return "return"
	}
	return "" // continue: no verdict
}

// l2Rule renders r for one chain; swap exchanges source and destination. ok
// is false when the rule renders to nothing (a continue rule without matches).
func l2Rule(r *ir.Rule, swap bool) (res l2Result, ok bool, err error) {
	ms := r.Matches
	if swap {
		if r.Protocol == ir.ProtoSTP && hasField(ms, ir.FieldSrcMAC) {
			return res, false, fmt.Errorf("%w: STP rule with srcmacaddr in direction inout (libvirt refuses it too)", ErrUnsupported)
		}
		ms = swapMatches(ms)
	}
	var t ruleText
	notGratuitous := false
	switch r.Protocol {
	case ir.ProtoVLAN:
		t.add("ether type 0x8100")
	case ir.ProtoSTP:
		t.add("ether daddr %s", ir.STPMAC)
	case ir.ProtoARP:
		t.add("ether type 0x0806")
	case ir.ProtoRARP:
		t.add("ether type 0x8035")
	case ir.ProtoIP:
		t.add("ether type 0x0800")
	case ir.ProtoIPv6:
		t.add("ether type 0x86dd")
	}
	// Header guards that ebtables' matches apply before comparing fields.
	switch r.Protocol {
	case ir.ProtoSTP:
		if hasAnyField(ms, stpFieldList()...) {
			t.add("@nh,0,24 0x424203") // LLC: DSAP 0x42, SSAP 0x42, UI
		}
	case ir.ProtoARP, ir.ProtoRARP:
		// ebtables' arp match compares addresses only in Ethernet/IPv4
		// ARP; we also need the 6-byte hardware length for the offsets.
		macs := hasAnyField(ms, ir.FieldARPSrcMAC, ir.FieldARPDstMAC)
		ips := hasAnyField(ms, ir.FieldARPSrcIP, ir.FieldARPDstIP, ir.FieldARPGratuitous)
		if macs {
			t.add("%s 1", arpHType)
		}
		if ips {
			t.add("%s 0x0800", arpPType)
		}
		if macs || ips {
			t.add("%s 6", arpHLen)
		}
		if ips {
			t.add("%s 4", arpPLen)
		}
	}
	ip := "ip"
	if r.Protocol == ir.ProtoIPv6 {
		ip = "ip6"
	}
	for _, m := range ms {
		switch m.Field {
		case ir.FieldSrcMAC:
			matchMAC(&t, "ether saddr", m)
		case ir.FieldDstMAC:
			matchMAC(&t, "ether daddr", m)
		case ir.FieldEtherType:
			t.add("ether type %s0x%04x", rel(m.Negate), m.Lo)
		case ir.FieldVLANID:
			matchNum(&t, "vlan id", m)
		case ir.FieldVLANEncap:
			t.add("vlan type %s0x%04x", rel(m.Negate), m.Lo)
		case ir.FieldARPHType:
			matchNum(&t, arpHType, m)
		case ir.FieldARPPType:
			t.add("%s %s0x%04x", arpPType, rel(m.Negate), m.Lo)
		case ir.FieldARPOpcode:
			matchNum(&t, arpOpcode, m)
		case ir.FieldARPSrcMAC:
			matchRawMAC(&t, arpSHA, m)
		case ir.FieldARPDstMAC:
			matchRawMAC(&t, arpTHA, m)
		case ir.FieldARPSrcIP, ir.FieldARPDstIP:
			expr := arpSPA
			if m.Field == ir.FieldARPDstIP {
				expr = arpTPA
			}
			if err := matchRawIPv4(&t, expr, m); err != nil {
				return res, false, err
			}
		case ir.FieldARPGratuitous:
			// nft cannot compare two packet fields, so sender IP == target
			// IP is tested octet by octet against a set of equal pairs.
			// gratuitous='false' or match='no' negate (both cancel); "some
			// octet differs" needs one rule per octet.
			res.sameOctet = true
			if m.Bool != m.Negate {
				for octet := range 4 {
					t.add("%s", sameOctet(octet, ""))
				}
			} else {
				notGratuitous = true
			}
		case ir.FieldSrcIP, ir.FieldSrcIPRange:
			if err := matchAddr(&t, ip+" saddr", m); err != nil {
				return res, false, err
			}
		case ir.FieldDstIP, ir.FieldDstIPRange:
			if err := matchAddr(&t, ip+" daddr", m); err != nil {
				return res, false, err
			}
		case ir.FieldIPProto:
			if r.Protocol == ir.ProtoIPv6 {
				// ebtables' ip6 match skips extension headers, like meta l4proto.
				matchNum(&t, "meta l4proto", m)
			} else {
				matchNum(&t, "ip protocol", m)
			}
		case ir.FieldSrcPort:
			matchNum(&t, "th sport", m)
		case ir.FieldDstPort:
			matchNum(&t, "th dport", m)
		case ir.FieldDSCP:
			// ebtables' --ip-tos compares the whole TOS byte, DSCP in its
			// upper six bits; so do we (nft's ip dscp would ignore ECN).
			t.add("@nh,8,8 %s0x%02x", rel(m.Negate), m.Lo<<2)
		case ir.FieldICMPType:
			matchNum(&t, "icmpv6 type", m)
		case ir.FieldICMPCode:
			matchNum(&t, "icmpv6 code", m)
		default:
			sf, isSTP := stpFields[m.Field]
			if !isSTP {
				return res, false, fmt.Errorf("%w: field %s in a %s rule", ErrUnsupported, m.Field, r.Protocol)
			}
			expr := fmt.Sprintf("@nh,%d,%d", sf.off, sf.bits)
			if sf.bits == 48 {
				matchRawMAC(&t, sf.off, m)
			} else {
				matchNum(&t, expr, m)
			}
		}
	}
	tail := l2Verdict(r.Action)
	if notGratuitous {
		for octet := range 4 {
			res.rules = append(res.rules, nftRule{Text: join(t.String(), sameOctet(octet, "!= "), tail), Comment: commentOf(r)})
		}
		return res, true, nil
	}
	text := join(t.String(), tail)
	if text == "" {
		return res, false, nil
	}
	res.rules = []nftRule{{Text: text, Comment: commentOf(r)}}
	return res, true, nil
}

// sameOctet tests (rel "") or refutes (rel "!= ") that octet i of the ARP
// sender and target IPv4 addresses are equal.
func sameOctet(i int, rel string) string {
	return fmt.Sprintf("@nh,%d,8 . @nh,%d,8 %s@%s", 112+8*i, 192+8*i, rel, setSameOctet)
}

// join joins the non-empty parts with spaces.
func join(parts ...string) string {
	var t ruleText
	for _, p := range parts {
		if p != "" {
			t.add("%s", p)
		}
	}
	return t.String()
}

// matchRawIPv4 renders an IPv4 prefix at a raw payload.
func matchRawIPv4(t *ruleText, expr string, m ir.Match) error {
	p := m.Prefix.Masked()
	if !p.IsValid() || !p.Addr().Is4() {
		return fmt.Errorf("%w: %s needs an IPv4 address", ErrUnsupported, m.Field)
	}
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	if p.Bits() == 32 {
		t.add("%s %s0x%08x", expr, rel(m.Negate), v)
		return nil
	}
	mask := ^uint32(0) << (32 - p.Bits())
	if p.Bits() == 0 {
		mask = 0
	}
	t.add("%s & 0x%08x %s0x%08x", expr, mask, eqRel(m.Negate), v)
	return nil
}

func stpFieldList() []ir.Field {
	out := make([]ir.Field, 0, len(stpFields))
	for f := range stpFields {
		out = append(out, f)
	}
	return out
}

func hasField(ms []ir.Match, f ir.Field) bool { return hasAnyField(ms, f) }

func hasAnyField(ms []ir.Match, fs ...ir.Field) bool {
	for _, m := range ms {
		for _, f := range fs {
			if m.Field == f {
				return true
			}
		}
	}
	return false
}

// l2Guard is the match that guards jumps into sub-chains of kind, as in
// libvirt: the ether type, for stp chains the BPDU destination MAC, for mac
// chains nothing.
func l2Guard(kind ir.ChainKind) string {
	if et, ok := kind.EtherType(); ok {
		return fmt.Sprintf("ether type 0x%04x", et)
	}
	if kind == ir.ChainSTP {
		return fmt.Sprintf("ether daddr %s", ir.STPMAC)
	}
	return ""
}

// l2Jump renders the guarded jump from a root chain into a sub-chain.
func l2Jump(kind ir.ChainKind, target string) string {
	return join(l2Guard(kind), "jump "+target)
}

// endsInVerdict reports whether the last rule of a sub-chain of kind ends
// every walk through it: a verdict with no match beyond the chain's guard.
func endsInVerdict(kind ir.ChainKind, rules []nftRule) bool {
	if len(rules) == 0 {
		return false
	}
	last := rules[len(rules)-1].Text
	for _, v := range []string{"accept", "drop", "return"} {
		if last == v || last == join(l2Guard(kind), v) {
			return true
		}
	}
	return false
}
