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
	r := &Rule{Priority: DefaultRulePriority, StateMatch: true, Pos: p.pos(n.off)}
	if a, ok := p.required(n, "action"); ok {
		var err error
		if r.Action, err = parseAction(a.value); err != nil {
			p.failAttr(n, a, err)
		}
	}
	if a, ok := p.required(n, "direction"); ok {
		var err error
		if r.Direction, err = parseDirection(a.value); err != nil {
			p.failAttr(n, a, err)
		}
	}
	if a, ok := n.attr("priority"); ok {
		var err error
		if r.Priority, err = parsePriority(a.value); err != nil {
			p.failAttr(n, a, err)
		}
	}
	if a, ok := n.attr("statematch"); ok {
		var err error
		if r.StateMatch, err = parseStateMatch(a.value); err != nil {
			p.failAttr(n, a, err)
		}
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
	for _, prob := range checkRuleAttrs(r.Protocol, attrs) {
		p.failAttr(prob.at.elem, prob.at.src, prob.err)
	}
	r.Attrs = canonicalAttrs(r.Protocol, attrs)
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
	negate := false
	if a, ok := n.attr("match"); ok {
		var err error
		if negate, err = parseMatch(a.value); err != nil {
			p.failAttr(n, a, err)
		}
		if negate && len(n.attrs) == 1 {
			p.failNode(n, "match='no' negates the attributes of <%s>, not the protocol; this element has none", n.name)
		}
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

// baseOf returns the attribute that a mask, range end or ipsetflags
// qualifies, or nil when a is not such an attribute.
func baseOf(proto ir.Protocol, a AttrSpec) (AttrSpec, bool) {
	if a.Part != PartMask && a.Part != PartEnd && a.Part != PartSetFlags {
		return AttrSpec{}, false
	}
	for _, s := range AttrSpecs(proto) {
		if s.Field == a.Field && s.Part == PartValue {
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

// checkRuleAttrs applies the rules that span attributes: a mask, range end
// or ipsetflags needs its base attribute and takes over its negation (libvirt
// accepts a lone mask or range end and ignores it, and drops a lone
// ipsetflags); ports on ip/ipv6 need a port protocol; ICMPv6 type and code
// on ipv6 need protocol icmpv6.
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
	if proto != ir.ProtoIP && proto != ir.ProtoIPv6 {
		return probs
	}
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

// canonicalAttrs returns attrs in the order of the protocol's table.
func canonicalAttrs(proto ir.Protocol, attrs []parsedAttr) []Attr {
	if len(attrs) == 0 {
		return nil
	}
	out := make([]Attr, 0, len(attrs))
	for _, s := range AttrSpecs(proto) {
		if a := findAttr(attrs, s.Name); a != nil {
			out = append(out, a.Attr)
		}
	}
	return out
}
