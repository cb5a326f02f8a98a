package nwfilter

import (
	"bytes"
	"strconv"
	"strings"
)

// FormatFilter writes f as normalized XML, the way libvirt's formatter does:
// chain always written; every rule with its priority; statematch only when
// false; attributes in canonical form and table order; negated attributes in
// a second element with match='no' after the positive one; two-space
// indentation and single-quoted attributes.
//
// Unlike libvirt, the filter's priority is also written when it is 0 but the
// chain's default is not, so that priority 0 survives a round trip (libvirt
// and libvirtxml would read such a filter back with the chain default).
// FormatFilter(ParseFilter(FormatFilter(f))) equals FormatFilter(f).
func FormatFilter(f *Filter) []byte {
	var w xmlWriter
	chain := f.Chain
	if chain == "" {
		chain = "root"
	}
	attrs := []string{"name", f.Name, "chain", chain}
	if f.Priority != 0 || DefaultChainPriority(chain) != 0 {
		attrs = append(attrs, "priority", strconv.Itoa(f.Priority))
	}
	if f.UUID == "" && len(f.Entries) == 0 {
		w.empty(0, "filter", attrs...)
		return w.Bytes()
	}
	w.start(0, "filter", attrs...)
	if f.UUID != "" {
		w.textElement(1, "uuid", f.UUID)
	}
	for _, e := range f.Entries {
		switch {
		case e.Rule != nil:
			w.rule(e.Rule)
		case e.Ref != nil:
			w.filterRef(1, e.Ref)
		}
	}
	w.end(0, "filter")
	return w.Bytes()
}

// FormatBinding writes b as normalized XML in libvirt's element order:
// owner, portdev, linkdev, mac, filterref, backend.
func FormatBinding(b *Binding) []byte {
	var w xmlWriter
	w.start(0, "filterbinding")
	if b.Owner != (Owner{}) {
		w.start(1, "owner")
		w.textElement(2, "name", b.Owner.Name)
		w.textElement(2, "uuid", b.Owner.UUID)
		w.end(1, "owner")
	}
	w.empty(1, "portdev", "name", b.PortDev)
	if b.LinkDev != "" {
		w.empty(1, "linkdev", "name", b.LinkDev)
	}
	w.empty(1, "mac", "address", b.MAC.String())
	w.filterRef(1, &b.FilterRef)
	if b.Backend != "" {
		w.empty(1, "backend", "name", b.Backend)
	}
	w.end(0, "filterbinding")
	return w.Bytes()
}

// String returns the value as written in XML: the variable reference or the
// literal's canonical text.
func (v Value) String() string {
	if v.Var != nil {
		return v.Var.String()
	}
	return v.Lit.String()
}

// xmlWriter builds indented XML with single-quoted attributes.
type xmlWriter struct {
	bytes.Buffer
}

// open writes "<name a='v' …" at the given depth; attrs alternate names and values.
func (w *xmlWriter) open(depth int, name string, attrs ...string) {
	for range depth {
		w.WriteString("  ")
	}
	w.WriteByte('<')
	w.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.WriteByte(' ')
		w.WriteString(attrs[i])
		w.WriteString("='")
		attrEscaper.WriteString(w, attrs[i+1])
		w.WriteByte('\'')
	}
}

func (w *xmlWriter) start(depth int, name string, attrs ...string) {
	w.open(depth, name, attrs...)
	w.WriteString(">\n")
}

func (w *xmlWriter) empty(depth int, name string, attrs ...string) {
	w.open(depth, name, attrs...)
	w.WriteString("/>\n")
}

func (w *xmlWriter) end(depth int, name string) {
	for range depth {
		w.WriteString("  ")
	}
	w.WriteString("</" + name + ">\n")
}

func (w *xmlWriter) textElement(depth int, name, text string) {
	w.open(depth, name)
	w.WriteByte('>')
	textEscaper.WriteString(w, text)
	w.WriteString("</" + name + ">\n")
}

var (
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", "'", "&apos;",
		"\t", "&#9;", "\n", "&#10;", "\r", "&#13;")
	textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#13;")
)

func (w *xmlWriter) filterRef(depth int, ref *FilterRef) {
	if len(ref.Params) == 0 {
		w.empty(depth, "filterref", "filter", ref.Filter)
		return
	}
	w.start(depth, "filterref", "filter", ref.Filter)
	for _, p := range ref.Params {
		w.empty(depth+1, "parameter", "name", p.Name, "value", p.Value)
	}
	w.end(depth, "filterref")
}

func (w *xmlWriter) rule(r *Rule) {
	attrs := []string{"action", r.Action.String(), "direction", r.Direction.String(),
		"priority", strconv.Itoa(r.Priority)}
	if !r.StateMatch {
		attrs = append(attrs, "statematch", "false")
	}
	if r.Protocol == 0 {
		w.empty(1, "rule", attrs...)
		return
	}
	w.start(1, "rule", attrs...)
	var pos, neg []string
	for _, a := range r.Attrs {
		if a.Negate {
			neg = append(neg, a.Name, a.Value.String())
		} else {
			pos = append(pos, a.Name, a.Value.String())
		}
	}
	elem := r.Protocol.String()
	if len(pos) > 0 || len(neg) == 0 {
		w.empty(2, elem, pos...)
	}
	if len(neg) > 0 {
		w.empty(2, elem, append([]string{"match", "no"}, neg...)...)
	}
	w.end(1, "rule")
}
