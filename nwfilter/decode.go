package nwfilter

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
)

// Document is one parsed nwfilter document: exactly one of Filter and
// Binding is set.
type Document struct {
	// Filter is set when the document is a <filter>.
	Filter *Filter
	// Binding is set when the document is a <filterbinding>.
	Binding *Binding
}

// Parser parses nwfilter documents strictly, within Limits. The zero Parser
// uses DefaultLimits.
//
// Unknown elements and attributes, malformed or out-of-range values, missing
// required parts, DTDs and XML namespaces are errors. A Parser reports every
// problem of a document it can find (up to Limits.MaxErrors) as ParseErrors,
// in document order. It never hangs: truncated input ends with an ErrSyntax
// error.
//
// Where libvirt is lax, the parser is strict (see also ParseLiteral):
//   - an unknown element or attribute is an error, never ignored, so that a
//     misspelled <tpc> cannot become a rule that matches everything;
//   - a filter name is 1–255 of A-Z a-z 0-9 _ . - (ValidateFilterName);
//   - a filter priority without a chain attribute is checked, then ignored as
//     libvirt does: the filter is in the root chain with priority 0;
//   - a <uuid> is 32 hex digits with or without the 8-4-4-4-12 dashes; it is
//     kept lower-case and dashed, and is not made up when absent;
//   - a malformed or out-of-range rule priority is an error (libvirt uses
//     500 instead); statematch takes only 0/false/1/true in any case (in
//     libvirt every other text, even "no", means true);
//   - match takes only yes/no, and match='no' on an element without other
//     attributes is an error: it negates attributes, not the protocol;
//   - a second protocol element of another kind is an error (libvirt ignores
//     it), and so is an attribute given twice across merged elements;
//   - a mask, range end, ipsetflags or ICMP code without its base attribute
//     (address, range start, ipset, ICMP type) is an error (libvirt ignores
//     or drops it); they take the negation of their base, as in libvirt;
//   - libvirt gives dstportstart the negation of srcportstart, so it reads
//     <tcp match='no' dstportstart='22'/> as port 22: a rule where the two
//     differ is an error rather than a rule that means something else there;
//   - ports on ip/ipv6 need protocol tcp, udp, dccp (33) or sctp, and type or
//     code on ipv6 need protocol icmpv6, unless the protocol is a variable;
//   - a comment is literal text (never a variable), is never negated, and
//     must be 1–256 bytes without control characters;
//   - an invalid <parameter> name or value is an error (libvirt drops it);
//   - in a binding, an <owner> needs both <name> and <uuid>, and <portdev>,
//     <mac> and <filterref> are required; each element appears at most once.
type Parser struct {
	// Limits bound the document's size and shape; see Limits for the zero value.
	Limits Limits
}

// ParseFilter parses a <filter> document with the default limits. file names
// the document in errors and positions ("" for none).
func ParseFilter(data []byte, file string) (*Filter, error) {
	return (&Parser{}).ParseFilter(data, file)
}

// ParseBinding parses a <filterbinding> document with the default limits.
func ParseBinding(data []byte, file string) (*Binding, error) {
	return (&Parser{}).ParseBinding(data, file)
}

// ParseDocument parses a <filter> or <filterbinding> document with the
// default limits.
func ParseDocument(data []byte, file string) (Document, error) {
	return (&Parser{}).ParseDocument(data, file)
}

// ReadDocument reads and parses a <filter> or <filterbinding> document with
// the default limits.
func ReadDocument(r io.Reader, file string) (Document, error) {
	return (&Parser{}).ReadDocument(r, file)
}

// ParseFilter parses a <filter> document.
func (p *Parser) ParseFilter(data []byte, file string) (*Filter, error) {
	doc, err := p.parse(data, file, "filter")
	return doc.Filter, err
}

// ParseBinding parses a <filterbinding> document.
func (p *Parser) ParseBinding(data []byte, file string) (*Binding, error) {
	doc, err := p.parse(data, file, "filterbinding")
	return doc.Binding, err
}

// ParseDocument parses a <filter> or <filterbinding> document.
func (p *Parser) ParseDocument(data []byte, file string) (Document, error) {
	return p.parse(data, file, "")
}

// ReadDocument reads a document of at most Limits.MaxBytes from r and
// parses it.
func (p *Parser) ReadDocument(r io.Reader, file string) (Document, error) {
	lim := p.Limits.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, int64(lim.MaxBytes)+1))
	if err != nil {
		return Document{}, fmt.Errorf("read %s: %w", file, err)
	}
	return p.parse(data, file, "")
}

// parse reads data and checks it against the language. want is the required
// root element, or "" for either.
func (p *Parser) parse(data []byte, file, want string) (Document, error) {
	dp := &docParser{lim: p.Limits.withDefaults(), data: data, file: file}
	var doc Document
	if root := dp.readTree(); root != nil {
		switch {
		case want != "" && root.name != want:
			dp.failNode(root, "root element must be <%s>, not <%s>", want, root.name)
		case root.name == "filter":
			doc.Filter = dp.filter(root)
		case root.name == "filterbinding":
			doc.Binding = dp.binding(root)
		default:
			dp.failNode(root, "root element must be <filter> or <filterbinding>, not <%s>", root.name)
		}
	}
	if len(dp.errs) > 0 {
		dp.sortErrors()
		return Document{}, dp.errs
	}
	return doc, nil
}

// sortErrors puts the problems in document order; those without a position
// go last.
func (p *docParser) sortErrors() {
	key := func(e *ParseError) (int, int) {
		if e.Line == 0 {
			return math.MaxInt, 0
		}
		return e.Line, e.Col
	}
	sort.SliceStable(p.errs, func(i, j int) bool {
		li, ci := key(p.errs[i])
		lj, cj := key(p.errs[j])
		return li < lj || li == lj && ci < cj
	})
}

// pos returns the position of byte offset off.
func (p *docParser) pos(off int) Pos {
	line, col := p.lineCol(off)
	return Pos{File: p.file, Line: line, Col: col}
}

// filter checks a <filter> element.
func (p *docParser) filter(n *xnode) *Filter {
	p.onlyAttrs(n, "name", "chain", "priority")
	p.noText(n)
	f := &Filter{Chain: "root", Pos: p.pos(n.off)}
	f.Name = attrValue(p, n, "name", mandatory, "", checked(ValidateFilterName))
	chain, hasChain := n.attr("chain")
	if hasChain {
		if _, err := ParseChainName(chain.value); err != nil {
			p.failAttr(n, chain, err)
		}
		f.Chain = chain.value
		f.Priority = DefaultChainPriority(chain.value)
	}
	if a, ok := n.attr("priority"); ok {
		prio, err := parsePriority(a.value)
		if err != nil {
			p.failAttr(n, a, err)
		}
		// Like libvirt, a priority without a chain is ignored: the filter
		// is in the root chain, whose priority plays no part.
		if hasChain {
			f.Priority = prio
		}
	}
	seenUUID := false
	for _, c := range n.children {
		switch c.name {
		case "uuid":
			if seenUUID {
				p.failNode(c, "<filter> has more than one <uuid>")
				continue
			}
			seenUUID = true
			f.UUID = p.uuid(c)
		case "rule":
			f.Entries = append(f.Entries, Entry{Rule: p.rule(c)})
		case "filterref":
			ref := p.filterRef(c)
			f.Entries = append(f.Entries, Entry{Ref: &ref})
		default:
			p.unknownChild(c)
		}
	}
	return f
}

// MinPriority and MaxPriority bound filter and rule priorities.
const (
	MinPriority = -1000
	MaxPriority = 1000
)

// parsePriority reads a decimal priority in [MinPriority, MaxPriority].
func parsePriority(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || len(s) > 6 || n < MinPriority || n > MaxPriority {
		return 0, fmt.Errorf("priority %q: must be a decimal number from %d to %d", truncate(s), MinPriority, MaxPriority)
	}
	return n, nil
}

// uuid checks a <uuid> element and returns its canonical text.
func (p *docParser) uuid(n *xnode) string {
	text := p.textOf(n)
	u, err := canonicalUUID(text)
	if err != nil {
		p.fail(n.off, n, "", "", err)
	}
	return u
}

// filterRef checks a <filterref> element (in a filter or a binding).
func (p *docParser) filterRef(n *xnode) FilterRef {
	p.onlyAttrs(n, "filter")
	p.noText(n)
	ref := FilterRef{Pos: p.pos(n.off)}
	ref.Filter = attrValue(p, n, "filter", mandatory, "", checked(ValidateFilterName))
	for _, c := range n.children {
		if c.name != "parameter" {
			p.unknownChild(c)
			continue
		}
		if len(ref.Params) == p.lim.MaxParams {
			p.fail(c.off, c, "", fmt.Sprintf("more than %d parameters", p.lim.MaxParams), ErrLimit)
			break
		}
		if param, ok := p.param(c); ok {
			ref.Params = append(ref.Params, param)
		}
	}
	return ref
}

// param checks a <parameter name value/>. libvirt silently drops invalid
// pairs; they are errors here.
func (p *docParser) param(n *xnode) (Param, bool) {
	p.onlyAttrs(n, "name", "value")
	p.leaf(n)
	name, okName := p.required(n, "name")
	value, okValue := p.required(n, "value")
	if okName {
		if err := checkParamName(name.value); err != nil {
			p.failAttr(n, name, err)
			okName = false
		}
	}
	if okValue {
		if err := checkParamValue(value.value); err != nil {
			p.failAttr(n, value, err)
			okValue = false
		}
	}
	return Param{Name: name.value, Value: value.value}, okName && okValue
}

func checkParamName(s string) error {
	if !ValidVarName(s) {
		return fmt.Errorf("variable name %q: must be letters, digits and _", truncate(s))
	}
	return nil
}

func checkParamValue(s string) error {
	if !ValidVarValue(s) {
		return fmt.Errorf("variable value %q: must be letters, digits and _ . :", truncate(s))
	}
	return nil
}
