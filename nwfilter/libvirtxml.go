package nwfilter

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"libvirt.org/go/libvirtxml"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// ToLibvirtXML converts f to libvirt.org/go/libvirtxml's type, for embedders
// that hold libvirtxml.NWFilter values.
//
// libvirtxml cannot carry everything the language has; ToLibvirtXML returns
// an error wrapping ErrNotRepresentable, rather than losing meaning, for:
//   - a filter priority of 0 where the chain's default is not 0, and a rule
//     priority of 0: libvirtxml omits 0, so libvirt would read the default;
//   - tcp-ipv6 flags (libvirtxml's tcp-ipv6 has no flags field);
//   - a rule with both plain and negated attributes (libvirtxml holds one
//     element per protocol, so one match state per rule).
func ToLibvirtXML(f *Filter) (*libvirtxml.NWFilter, error) {
	chain := f.Chain
	if chain == "" {
		chain = "root"
	}
	if f.Priority == 0 && DefaultChainPriority(chain) != 0 {
		return nil, fmt.Errorf("filter %s: priority 0 on chain %s (default %d): %w",
			f.Name, chain, DefaultChainPriority(chain), ErrNotRepresentable)
	}
	out := &libvirtxml.NWFilter{Name: f.Name, UUID: f.UUID, Chain: chain, Priority: f.Priority}
	for i, e := range f.Entries {
		switch {
		case e.Rule != nil:
			r, err := ruleToLibvirtXML(e.Rule)
			if err != nil {
				return nil, fmt.Errorf("filter %s: entry %d: %w", f.Name, i+1, err)
			}
			out.Entries = append(out.Entries, libvirtxml.NWFilterEntry{Rule: r})
		case e.Ref != nil:
			ref := &libvirtxml.NWFilterRef{Filter: e.Ref.Filter}
			for _, p := range e.Ref.Params {
				ref.Parameters = append(ref.Parameters, libvirtxml.NWFilterParameter{Name: p.Name, Value: p.Value})
			}
			out.Entries = append(out.Entries, libvirtxml.NWFilterEntry{Ref: ref})
		}
	}
	return out, nil
}

func ruleToLibvirtXML(r *Rule) (*libvirtxml.NWFilterRule, error) {
	if r.Priority == 0 {
		return nil, fmt.Errorf("rule priority 0: %w", ErrNotRepresentable)
	}
	out := &libvirtxml.NWFilterRule{Action: r.Action.String(), Direction: r.Direction.String(), Priority: r.Priority}
	if !r.StateMatch {
		out.StateMatch = "false"
	}
	if r.Protocol == ir.ProtoNone {
		return out, nil
	}
	slot, ok := lvProtocolSlots()[r.Protocol.String()]
	if !ok {
		return nil, fmt.Errorf("protocol %s: %w", r.Protocol, ErrNotRepresentable)
	}
	elem := reflect.New(slot.Type.Elem())
	fields := lvAttrFields(slot.Type.Elem())
	negate, seen, mixed := false, false, false
	for _, a := range r.Attrs {
		if a.Name == attrComment.Name {
			continue
		}
		mixed = mixed || seen && a.Negate != negate
		negate, seen = a.Negate, true
	}
	if mixed {
		return nil, fmt.Errorf("<%s> with both plain and match='no' attributes: %w", r.Protocol, ErrNotRepresentable)
	}
	for _, a := range r.Attrs {
		idx, ok := fields[a.Name]
		if !ok {
			return nil, fmt.Errorf("<%s> attribute %s: %w", r.Protocol, a.Name, ErrNotRepresentable)
		}
		setLVField(elem.Elem().FieldByIndex(idx), a.Value.String())
	}
	if negate {
		setLVField(elem.Elem().FieldByIndex(fields["match"]), "no")
	}
	reflect.ValueOf(out).Elem().FieldByIndex(slot.Index).Set(elem)
	return out, nil
}

// setLVField stores text in a libvirtxml string or NWFilterField.
func setLVField(v reflect.Value, text string) {
	if v.Kind() == reflect.String {
		v.SetString(text)
		return
	}
	field := libvirtxml.NWFilterField{Str: text}
	if strings.HasPrefix(text, "$") {
		field.Var = text[1:]
	}
	v.Set(reflect.ValueOf(field))
}

// lvText returns the text a libvirtxml string or NWFilterField holds, and
// whether it holds any.
func lvText(v reflect.Value) (string, bool) {
	if v.Kind() == reflect.String {
		return v.String(), v.String() != ""
	}
	f := v.Interface().(libvirtxml.NWFilterField)
	switch {
	case f.Str != "":
		return f.Str, true
	case f.Var != "":
		return "$" + f.Var, true
	case f.Uint != nil:
		return fmt.Sprintf("0x%x", *f.Uint), true
	}
	return "", false
}

var (
	lvSlotsOnce sync.Once
	lvSlots     map[string]reflect.StructField
	lvFieldsMu  sync.Mutex
	lvFields    = map[reflect.Type]map[string][]int{}
)

// lvProtocolSlots maps element names to NWFilterRule's protocol fields.
func lvProtocolSlots() map[string]reflect.StructField {
	lvSlotsOnce.Do(func() {
		lvSlots = map[string]reflect.StructField{}
		for _, f := range reflect.VisibleFields(reflect.TypeFor[libvirtxml.NWFilterRule]()) {
			if f.Type.Kind() == reflect.Pointer {
				lvSlots[xmlTagName(f)] = f
			}
		}
	})
	return lvSlots
}

// lvAttrFields maps attribute names (and "match") to the field indexes of a
// libvirtxml protocol element type.
func lvAttrFields(t reflect.Type) map[string][]int {
	lvFieldsMu.Lock()
	defer lvFieldsMu.Unlock()
	if m, ok := lvFields[t]; ok {
		return m
	}
	m := map[string][]int{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.Anonymous {
			if name := xmlTagName(f); name != "" {
				m[name] = f.Index
			}
		}
	}
	lvFields[t] = m
	return m
}

func xmlTagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("xml"), ",")
	return name
}

// FromLibvirtXML converts a libvirtxml filter and checks every value as the
// parser does (libvirtxml checks none). All problems are returned together
// (errors.Join).
//
// What libvirtxml has already lost stays lost: a priority of 0 reads as "not
// given" (the chain default, or 500 for a rule); a filter without a chain
// gets the root chain and priority 0; a malformed 0x value was dropped by
// libvirtxml's unmarshaller without an error. Positions (Pos) are zero.
func FromLibvirtXML(lf *libvirtxml.NWFilter) (*Filter, error) {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	f := &Filter{Name: lf.Name, Chain: "root"}
	if err := ValidateFilterName(lf.Name); err != nil {
		errs = append(errs, err)
	}
	if lf.UUID != "" {
		u, err := canonicalUUID(lf.UUID)
		if err != nil {
			errs = append(errs, err)
		}
		f.UUID = u
	}
	if lf.Chain != "" {
		if _, err := ParseChainName(lf.Chain); err != nil {
			errs = append(errs, err)
		}
		f.Chain = lf.Chain
		f.Priority = DefaultChainPriority(lf.Chain)
		if lf.Priority != 0 {
			f.Priority = lf.Priority
		}
	}
	if lf.Priority < MinPriority || lf.Priority > MaxPriority {
		fail("filter priority %d: must be %d to %d", lf.Priority, MinPriority, MaxPriority)
	}
	for i, e := range lf.Entries {
		switch {
		case (e.Rule == nil) == (e.Ref == nil):
			fail("entry %d: must hold exactly one of a rule and a filterref", i+1)
		case e.Rule != nil:
			r, err := ruleFromLibvirtXML(e.Rule)
			if err != nil {
				fail("entry %d: %w", i+1, err)
			}
			f.Entries = append(f.Entries, Entry{Rule: r})
		default:
			params := make([]Param, len(e.Ref.Parameters))
			for j, p := range e.Ref.Parameters {
				params[j] = Param(p)
			}
			ref, err := refFromLibvirtXML(e.Ref.Filter, params)
			if err != nil {
				fail("entry %d: %w", i+1, err)
			}
			f.Entries = append(f.Entries, Entry{Ref: ref})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f, nil
}

func refFromLibvirtXML(filter string, params []Param) (*FilterRef, error) {
	errs := []error{ValidateFilterName(filter)}
	for _, p := range params {
		errs = append(errs, checkParamName(p.Name), checkParamValue(p.Value))
	}
	return &FilterRef{Filter: filter, Params: params}, errors.Join(errs...)
}

func ruleFromLibvirtXML(lr *libvirtxml.NWFilterRule) (*Rule, error) {
	r := &Rule{Priority: DefaultRulePriority, StateMatch: true}
	var errs []error
	var err error
	if r.Action, err = parseAction(lr.Action); err != nil {
		errs = append(errs, err)
	}
	if r.Direction, err = parseDirection(lr.Direction); err != nil {
		errs = append(errs, err)
	}
	if lr.Priority != 0 {
		if lr.Priority < MinPriority || lr.Priority > MaxPriority {
			errs = append(errs, fmt.Errorf("rule priority %d: must be %d to %d", lr.Priority, MinPriority, MaxPriority))
		}
		r.Priority = lr.Priority
	}
	if lr.StateMatch != "" {
		if r.StateMatch, err = parseStateMatch(lr.StateMatch); err != nil {
			errs = append(errs, err)
		}
	}
	rv := reflect.ValueOf(lr).Elem()
	var attrs []parsedAttr
	for proto := ir.ProtoMAC; proto <= ir.ProtoAllv6; proto++ {
		slot, ok := lvProtocolSlots()[proto.String()]
		if !ok || rv.FieldByIndex(slot.Index).IsNil() {
			continue
		}
		elem := rv.FieldByIndex(slot.Index)
		if r.Protocol != ir.ProtoNone {
			errs = append(errs, fmt.Errorf("rule has both <%s> and <%s>", r.Protocol, proto))
			continue
		}
		r.Protocol = proto
		var perrs []error
		attrs, perrs = lvElementAttrs(proto, elem.Elem())
		errs = append(errs, perrs...)
	}
	attrs = canonicalOrder(r.Protocol, attrs)
	for _, prob := range checkRuleAttrs(r.Protocol, attrs) {
		errs = append(errs, fmt.Errorf("<%s>: %w", r.Protocol, prob.err))
	}
	r.Attrs = modelAttrs(attrs)
	return r, errors.Join(errs...)
}

// lvElementAttrs reads and checks the attributes of a libvirtxml protocol
// element.
func lvElementAttrs(proto ir.Protocol, elem reflect.Value) ([]parsedAttr, []error) {
	var attrs []parsedAttr
	var errs []error
	fields := lvAttrFields(elem.Type())
	negate := false
	if idx, ok := fields["match"]; ok {
		if text, ok := lvText(elem.FieldByIndex(idx)); ok {
			var err error
			if negate, err = parseMatch(text); err != nil {
				errs = append(errs, fmt.Errorf("<%s>: %w", proto, err))
			}
		}
	}
	for _, spec := range AttrSpecs(proto) {
		idx, ok := fields[spec.Name]
		if !ok {
			continue
		}
		text, ok := lvText(elem.FieldByIndex(idx))
		if !ok {
			continue
		}
		v, err := parseValue(spec.Kind, text)
		if err != nil {
			errs = append(errs, fmt.Errorf("<%s> %s: %w", proto, spec.Name, err))
			continue
		}
		attrs = append(attrs, parsedAttr{
			Attr: Attr{Name: spec.Name, Value: v, Negate: negate && spec.Kind != KindComment},
			spec: spec,
		})
	}
	if negate && len(attrs) == 0 {
		errs = append(errs, fmt.Errorf("<%s>: match='no' negates attributes, not the protocol; this element has none", proto))
	}
	return attrs, errs
}

// BindingToLibvirtXML converts b to libvirtxml's type. libvirtxml's
// NWFilterBinding has no linkdev and no backend element, so a LinkDev or
// Backend is an error wrapping ErrNotRepresentable.
func BindingToLibvirtXML(b *Binding) (*libvirtxml.NWFilterBinding, error) {
	switch {
	case b.LinkDev != "":
		return nil, fmt.Errorf("binding linkdev: %w", ErrNotRepresentable)
	case b.Backend != "":
		return nil, fmt.Errorf("binding backend: %w", ErrNotRepresentable)
	}
	out := &libvirtxml.NWFilterBinding{
		PortDev:   &libvirtxml.NWFilterBindingPortDev{Name: b.PortDev},
		MAC:       &libvirtxml.NWFilterBindingMAC{Address: b.MAC.String()},
		FilterRef: &libvirtxml.NWFilterBindingFilterRef{Filter: b.FilterRef.Filter},
	}
	if b.Owner != (Owner{}) {
		out.Owner = &libvirtxml.NWFilterBindingOwner{Name: b.Owner.Name, UUID: b.Owner.UUID}
	}
	for _, p := range b.FilterRef.Params {
		out.FilterRef.Parameters = append(out.FilterRef.Parameters, libvirtxml.NWFilterBindingFilterParam(p))
	}
	return out, nil
}

// BindingFromLibvirtXML converts a libvirtxml binding and checks it as the
// parser does.
func BindingFromLibvirtXML(lb *libvirtxml.NWFilterBinding) (*Binding, error) {
	var errs []error
	b := &Binding{}
	if lb.Owner != nil {
		b.Owner = Owner{Name: lb.Owner.Name}
		errs = append(errs, checkOwnerName(lb.Owner.Name))
		var err error
		b.Owner.UUID, err = canonicalUUID(lb.Owner.UUID)
		errs = append(errs, err)
	}
	if lb.PortDev == nil {
		errs = append(errs, errors.New("binding needs a portdev"))
	} else {
		b.PortDev = lb.PortDev.Name
		errs = append(errs, ValidateIfName(b.PortDev))
	}
	if lb.MAC == nil {
		errs = append(errs, errors.New("binding needs a mac"))
	} else {
		var err error
		b.MAC, err = parseMACAddr(lb.MAC.Address)
		errs = append(errs, err)
	}
	if lb.FilterRef == nil {
		errs = append(errs, errors.New("binding needs a filterref"))
	} else {
		params := make([]Param, len(lb.FilterRef.Parameters))
		for i, p := range lb.FilterRef.Parameters {
			params[i] = Param(p)
		}
		ref, err := refFromLibvirtXML(lb.FilterRef.Filter, params)
		b.FilterRef = *ref
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return b, nil
}
