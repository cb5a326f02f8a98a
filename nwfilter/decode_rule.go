package nwfilter

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// DefaultRulePriority is a rule's priority when it gives none.
const DefaultRulePriority = 500

// parsedAttr is a rule attribute with where it was written.
type parsedAttr struct {
	Attr
	spec AttrSpec
	elem *xnode
	src  xattr
}

// rule checks a <rule> element and its protocol elements.
func (p *docParser) rule(n *xnode) *Rule {
	p.onlyAttrs(n, "action", "direction", "priority", "statematch")
	p.noText(n)
	r := &Rule{
		Action:     attrValue(p, n, "action", mandatory, ir.ActionAccept, parseAction),
		Direction:  attrValue(p, n, "direction", mandatory, ir.DirIn, parseDirection),
		Priority:   attrValue(p, n, "priority", optional, DefaultRulePriority, parsePriority),
		StateMatch: attrValue(p, n, "statematch", optional, true, parseStateMatch),
		Pos:        p.pos(n.off),
	}
	var attrs []parsedAttr
	for _, c := range n.children {
		proto, ok := ProtocolByElement(c.name)
		switch {
		case !ok:
			p.unknownChild(c)
		case r.Protocol != ir.ProtoNone && proto != r.Protocol:
			p.failNode(c, "a rule takes one kind of protocol element; <%s> follows <%s>", c.name, r.Protocol)
		default:
			r.Protocol = proto
			attrs = p.protocolElement(c, proto, attrs)
		}
	}
	attrs = canonicalOrder(r.Protocol, attrs)
	for _, prob := range checkRuleAttrs(r.Protocol, attrs) {
		p.failAttr(prob.at.elem, prob.at.src, prob.err)
	}
	r.Attrs = modelAttrs(attrs)
	return r
}

// parseAction reads a rule action.
func parseAction(s string) (ir.Action, error) {
	for a := ir.ActionAccept; a <= ir.ActionContinue; a++ {
		if s == a.String() {
			return a, nil
		}
	}
	return 0, fmt.Errorf("action %q: must be accept, drop, reject, return or continue", truncate(s))
}

// parseDirection reads a rule direction.
func parseDirection(s string) (ir.Direction, error) {
	for d := ir.DirIn; d <= ir.DirInOut; d++ {
		if s == d.String() {
			return d, nil
		}
	}
	return 0, fmt.Errorf("direction %q: must be in, out or inout", truncate(s))
}

// parseStateMatch reads statematch. libvirt treats "0" and "false" (any
// case) as false and every other text as true, so its statematch='no' means
// true; we accept only 0/false and 1/true (any case) and reject the rest.
func parseStateMatch(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return true, fmt.Errorf("statematch %q: must be true, 1, false or 0", truncate(s))
}

// parseMatch reads a protocol element's match attribute.
func parseMatch(s string) (negate bool, err error) {
	switch s {
	case "yes":
		return false, nil
	case "no":
		return true, nil
	}
	return false, fmt.Errorf("match %q: must be yes or no", truncate(s))
}

// parseValue reads an attribute value: a variable reference ($NAME…) or a
// literal of kind k. Comments are always literal text.
func parseValue(k Kind, text string) (Value, error) {
	if k != KindComment && strings.HasPrefix(text, "$") {
		ref, err := ParseVarRef(text)
		if err != nil {
			return Value{}, err
		}
		return Value{Var: &ref}, nil
	}
	lit, err := ParseLiteral(k, text)
	return Value{Lit: lit}, err
}

// protocolElement checks one protocol element of a rule and adds its
// attributes to attrs. Several elements of the same protocol merge; an
// attribute may be given only once across them.
func (p *docParser) protocolElement(n *xnode, proto ir.Protocol, attrs []parsedAttr) []parsedAttr {
	p.leaf(n)
	negate := attrValue(p, n, "match", optional, false, parseMatch)
	if negate && len(n.attrs) == 1 {
		p.failNode(n, "match='no' negates the attributes of <%s>, not the protocol; this element has none", n.name)
	}
	for _, a := range n.attrs {
		if a.name == "match" {
			continue
		}
		spec, ok := LookupAttr(proto, a.name)
		if !ok {
			p.failAttr(n, a, fmt.Errorf("<%s> has no attribute %q", n.name, a.name))
			continue
		}
		if findAttr(attrs, a.name) != nil {
			p.failAttr(n, a, fmt.Errorf("attribute %q is given twice in this rule", a.name))
			continue
		}
		v, err := parseValue(spec.Kind, a.value)
		if err != nil {
			p.failAttr(n, a, err)
			continue
		}
		attrs = append(attrs, parsedAttr{
			Attr: Attr{Name: a.name, Value: v, Negate: negate && spec.Kind != KindComment},
			spec: spec, elem: n, src: a,
		})
	}
	return attrs
}

func findAttr(attrs []parsedAttr, name string) *parsedAttr {
	for i := range attrs {
		if attrs[i].Name == name {
			return &attrs[i]
		}
	}
	return nil
}

// baseOf returns the attribute that a qualifies, if any: the address of a
// mask, the start of a range end, the ipset of ipsetflags, and the ICMP type
// of an ICMP code (iptables and ebtables match code only together with type,
// and libvirt gives code the type's negation). A base always comes before
// its dependents in the protocol's table.
func baseOf(proto ir.Protocol, a AttrSpec) (AttrSpec, bool) {
	field := a.Field
	switch {
	case a.Part == PartMask || a.Part == PartEnd || a.Part == PartSetFlags:
	case a.Field == ir.FieldICMPCode && a.Part == PartValue:
		field = ir.FieldICMPType
	default:
		return AttrSpec{}, false
	}
	for _, s := range AttrSpecs(proto) {
		if s.Field == field && s.Part == PartValue {
			return s, true
		}
	}
	return AttrSpec{}, false
}

// attrProblem is a cross-attribute error found by checkRuleAttrs.
type attrProblem struct {
	at  *parsedAttr
	err error
}

// checkRuleAttrs applies the rules that span attributes; attrs must be in
// table order (canonicalOrder).
//   - A mask, range end, ipsetflags or ICMP code needs its base attribute
//     (libvirt ignores a lone mask, range end or code and drops a lone
//     ipsetflags) and takes over its negation, as in libvirt.
//   - libvirt gives dstportstart the negation of srcportstart (not negated
//     when srcportstart is absent), so <tcp match='no' dstportstart='22'/>
//     means port 22 there. A rule whose dstportstart negation differs from
//     srcportstart's is rejected rather than read in a way libvirt does not.
//   - Ports on ip/ipv6 need protocol tcp, udp, dccp (33) or sctp, and ICMP
//     type and code on ipv6 need protocol icmpv6 (or a variable).
func checkRuleAttrs(proto ir.Protocol, attrs []parsedAttr) []attrProblem {
	var probs []attrProblem
	for i := range attrs {
		a := &attrs[i]
		base, ok := baseOf(proto, a.spec)
		if !ok {
			continue
		}
		b := findAttr(attrs, base.Name)
		if b == nil {
			probs = append(probs, attrProblem{a, fmt.Errorf("%s needs %s", a.Name, base.Name)})
			continue
		}
		a.Negate = b.Negate
	}
	switch {
	case proto == ir.ProtoIP || proto == ir.ProtoIPv6:
		probs = append(probs, checkIPElementProtocol(attrs)...)
	case proto.Layer() != ir.LayerEthernet:
		if dst := findAttr(attrs, "dstportstart"); dst != nil {
			src := findAttr(attrs, "srcportstart")
			if dst.Negate != (src != nil && src.Negate) {
				probs = append(probs, attrProblem{dst, errors.New("libvirt gives dstportstart the match state of srcportstart " +
					"(match='no' only if srcportstart has it), so it would read this rule differently; use a separate rule")})
			}
		}
	}
	return probs
}

// checkIPElementProtocol checks the protocol that ports and ICMP fields on
// the ip and ipv6 elements need.
func checkIPElementProtocol(attrs []parsedAttr) []attrProblem {
	var probs []attrProblem
	protoAttr := findAttr(attrs, "protocol")
	for i := range attrs {
		a := &attrs[i]
		var err error
		switch a.spec.Field {
		case ir.FieldSrcPort, ir.FieldDstPort:
			err = needProtocol(protoAttr, a.Name, "tcp, udp, dccp (33) or sctp", 6, 17, 33, 132)
		case ir.FieldICMPType, ir.FieldICMPCode:
			err = needProtocol(protoAttr, a.Name, "icmpv6", 58)
		}
		if err != nil {
			probs = append(probs, attrProblem{a, err})
		}
	}
	return probs
}

// needProtocol checks that the protocol attribute is one of nums (or a
// variable, which the compiler checks).
func needProtocol(protoAttr *parsedAttr, name, names string, nums ...uint32) error {
	if protoAttr == nil {
		return fmt.Errorf("%s needs protocol %s", name, names)
	}
	if protoAttr.Value.Var != nil {
		return nil
	}
	for _, n := range nums {
		if protoAttr.Value.Lit.Num == n {
			return nil
		}
	}
	return errors.New(name + " needs protocol " + names + ", not " + protoAttr.Value.Lit.String())
}

// canonicalOrder returns attrs in the order of the protocol's table.
func canonicalOrder(proto ir.Protocol, attrs []parsedAttr) []parsedAttr {
	out := make([]parsedAttr, 0, len(attrs))
	for _, s := range AttrSpecs(proto) {
		if a := findAttr(attrs, s.Name); a != nil {
			out = append(out, *a)
		}
	}
	return out
}

// modelAttrs returns the model's view of attrs.
func modelAttrs(attrs []parsedAttr) []Attr {
	if len(attrs) == 0 {
		return nil
	}
	out := make([]Attr, len(attrs))
	for i, a := range attrs {
		out[i] = a.Attr
	}
	return out
}
