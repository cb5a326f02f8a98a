package nwfilter

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// xnode is one element of a document, read into memory under the parser's
// Limits before the language rules are checked.
type xnode struct {
	name     string
	off      int // byte offset of the element's '<'
	attrs    []xattr
	children []*xnode
	parent   *xnode
	text     strings.Builder // all character data directly inside the element
	textOff  int             // offset of the first non-space character data, or -1
}

// xattr is one attribute with the byte offset of its name.
type xattr struct {
	name, value string
	off         int
}

// attr returns the attribute called name.
func (n *xnode) attr(name string) (xattr, bool) {
	for _, a := range n.attrs {
		if a.name == name {
			return a, true
		}
	}
	return xattr{}, false
}

// alwaysIndexed are elements whose path always carries a position, since a
// document usually holds many.
var alwaysIndexed = map[string]bool{"rule": true, "filterref": true, "parameter": true}

// path returns the element's location, e.g. "filter/rule[3]/tcp". Positions
// count same-name siblings from 1.
func (n *xnode) path() string {
	if n.parent == nil {
		return n.name
	}
	pos, total := 0, 0
	for _, c := range n.parent.children {
		if c.name == n.name {
			total++
			if c == n {
				pos = total
			}
		}
	}
	p := n.parent.path() + "/" + n.name
	if total > 1 || alwaysIndexed[n.name] {
		p += "[" + strconv.Itoa(pos) + "]"
	}
	return p
}

// docParser holds one document while it is checked and collects its errors.
type docParser struct {
	lim     Limits
	data    []byte
	file    string
	lines   []int // offsets where lines start, built on first use
	lastPos cachedPos
	errs    ParseErrors
}

// fail records a problem at byte offset off with element n (nil: none) or,
// when attr is set, with its attribute attr. Paths are only worked out for
// problems that are kept, so a document full of errors stays cheap.
func (p *docParser) fail(off int, n *xnode, attr, msg string, err error) {
	switch {
	case len(p.errs) < p.lim.MaxErrors:
		pe := &ParseError{File: p.file, Msg: msg, Err: err}
		if n != nil {
			pe.Path = n.path()
		}
		if attr != "" {
			pe.Path += "/@" + attr
		}
		pe.Line, pe.Col = p.lineCol(off)
		p.errs = append(p.errs, pe)
	case len(p.errs) == p.lim.MaxErrors:
		p.errs = append(p.errs, &ParseError{File: p.file,
			Msg: fmt.Sprintf("more than %d errors; stopped reporting", p.lim.MaxErrors), Err: ErrLimit})
	}
}

// failNode records a problem with element n.
func (p *docParser) failNode(n *xnode, format string, args ...any) {
	p.fail(n.off, n, "", fmt.Sprintf(format, args...), nil)
}

// failAttr records a problem with attribute a of element n.
func (p *docParser) failAttr(n *xnode, a xattr, err error) {
	p.fail(a.off, n, a.name, "", err)
}

// lineCol converts a byte offset into a 1-based line and character column.
func (p *docParser) lineCol(off int) (int, int) {
	if off < 0 || off > len(p.data) {
		return 0, 0
	}
	if p.lines == nil {
		p.lines = []int{0}
		for i, c := range p.data {
			if c == '\n' {
				p.lines = append(p.lines, i+1)
			}
		}
	}
	line := sort.SearchInts(p.lines, off+1) // first line start after off
	start, col := p.lines[line-1], 1
	// Positions are mostly asked for in document order: count on from the
	// last one on the same line, so a long one-line document stays linear.
	if c := p.lastPos; c.line == line && c.off <= off {
		start, col = c.off, c.col
	}
	col += utf8.RuneCount(p.data[start:off])
	p.lastPos = cachedPos{off: off, line: line, col: col}
	return line, col
}

// cachedPos is the last position lineCol worked out.
type cachedPos struct{ off, line, col int }

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// readTree reads the whole document into xnodes. It returns nil after a
// problem that makes the rest unreadable (malformed XML, a limit).
func (p *docParser) readTree() *xnode {
	if len(p.data) > p.lim.MaxBytes {
		p.fail(-1, nil, "", fmt.Sprintf("document is %d bytes, more than %d", len(p.data), p.lim.MaxBytes), ErrLimit)
		return nil
	}
	base := 0
	if bytes.HasPrefix(p.data, utf8BOM) {
		base = len(utf8BOM)
	}
	d := xml.NewDecoder(bytes.NewReader(p.data[base:]))
	d.Strict = true
	var root *xnode
	var stack []*xnode
	elements := 0
	for {
		var top *xnode
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		off := base + int(d.InputOffset())
		// RawToken skips namespace translation (namespaces are refused
		// anyway), so nesting and EOF are checked here.
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			if top != nil {
				p.syntaxError(len(p.data), top, errors.New("unexpected EOF"))
				return nil
			}
			break
		}
		if err != nil {
			p.syntaxError(base+int(d.InputOffset()), top, err)
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			elements++
			n := &xnode{name: t.Name.Local, off: off, parent: top, textOff: -1}
			if !p.checkStart(n, t, elements, len(stack)+1) {
				return nil
			}
			switch {
			case top != nil:
				top.children = append(top.children, n)
			case root != nil:
				p.failNode(n, "a document has one root element; this is a second one")
				return nil
			default:
				root = n
			}
			p.readAttrs(n, t.Attr)
			stack = append(stack, n)
		case xml.EndElement:
			if top == nil || t.Name.Space != "" || t.Name.Local != top.name {
				name := t.Name.Local
				if t.Name.Space != "" {
					name = t.Name.Space + ":" + name
				}
				p.syntaxError(off, top, fmt.Errorf("unexpected end element </%s>", name))
				return nil
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if !p.addText(top, off, t) {
				return nil
			}
		case xml.Directive:
			p.fail(off, top, "", "<!…> declarations (DOCTYPE, ENTITY) are not allowed", nil)
			return nil
		}
		// Comments and processing instructions (the <?xml …?> declaration)
		// carry nothing and are skipped.
	}
	if root == nil {
		p.fail(len(p.data), nil, "", "document has no root element", nil)
	}
	return root
}

// syntaxError records malformed XML inside element top (nil: outside the
// root).
func (p *docParser) syntaxError(off int, top *xnode, err error) {
	msg := err.Error()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		msg = se.Msg
	}
	p.fail(off, top, "", "", fmt.Errorf("%w: %s", ErrSyntax, msg))
}

// checkStart applies the structural limits and rejects namespaces.
func (p *docParser) checkStart(n *xnode, t xml.StartElement, elements, depth int) bool {
	switch {
	case elements > p.lim.MaxElements:
		p.fail(n.off, nil, "", fmt.Sprintf("more than %d elements", p.lim.MaxElements), ErrLimit)
	case depth > p.lim.MaxDepth:
		p.fail(n.off, nil, "", fmt.Sprintf("elements nested deeper than %d", p.lim.MaxDepth), ErrLimit)
	case len(t.Attr) > p.lim.MaxAttrs:
		p.fail(n.off, n, "", fmt.Sprintf("more than %d attributes", p.lim.MaxAttrs), ErrLimit)
	case t.Name.Space != "":
		p.fail(n.off, n, "", "XML namespaces are not supported", nil)
	default:
		return true
	}
	return false
}

// readAttrs copies the attributes of n, with their offsets in the source.
func (p *docParser) readAttrs(n *xnode, attrs []xml.Attr) {
	offs := attrOffsets(p.data, n.off, len(attrs))
	n.attrs = make([]xattr, 0, len(attrs))
	for i, a := range attrs {
		xa := xattr{name: a.Name.Local, value: a.Value, off: offs[i]}
		switch {
		case a.Name.Space != "" || a.Name.Local == "xmlns":
			p.fail(xa.off, n, "", "XML namespaces are not supported", nil)
			continue
		case len(a.Value) > p.lim.MaxValueLen:
			p.failAttr(n, xa, fmt.Errorf("%w: value longer than %d bytes", ErrLimit, p.lim.MaxValueLen))
			continue
		}
		if _, dup := n.attr(xa.name); dup {
			p.failAttr(n, xa, errors.New("attribute given twice"))
			continue
		}
		n.attrs = append(n.attrs, xa)
	}
}

// attrOffsets finds where each of the count attributes of the start tag at
// off begins. The tag is known to be well-formed; unknown positions fall back
// to the tag's offset.
func attrOffsets(data []byte, off, count int) []int {
	offs := make([]int, count)
	for i := range offs {
		offs[i] = off
	}
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	i := off + 1
	for i < len(data) && !isSpace(data[i]) && data[i] != '/' && data[i] != '>' {
		i++
	}
	for k := 0; k < count; k++ {
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i >= len(data) || data[i] == '/' || data[i] == '>' {
			break
		}
		offs[k] = i
		for i < len(data) && data[i] != '"' && data[i] != '\'' {
			i++
		}
		if i >= len(data) {
			break
		}
		end := bytes.IndexByte(data[i+1:], data[i])
		if end < 0 {
			break
		}
		i += end + 2
	}
	return offs
}

// addText records character data inside element n (nil: outside the root).
func (p *docParser) addText(n *xnode, off int, t xml.CharData) bool {
	if n == nil {
		if len(bytes.TrimSpace(t)) != 0 {
			p.fail(off, nil, "", "text outside the root element", nil)
			return false
		}
		return true
	}
	if n.textOff < 0 {
		i := bytes.IndexFunc(t, func(r rune) bool { return !strings.ContainsRune(" \t\r\n", r) })
		if i < 0 {
			return true // white space before any text: layout only
		}
		n.textOff = off + i
	}
	if n.text.Len()+len(t) > p.lim.MaxValueLen {
		p.fail(off, n, "", fmt.Sprintf("text longer than %d bytes", p.lim.MaxValueLen), ErrLimit)
		return false
	}
	n.text.Write(t)
	return true
}

// onlyAttrs reports every attribute of n not in allowed.
func (p *docParser) onlyAttrs(n *xnode, allowed ...string) {
	for _, a := range n.attrs {
		found := false
		for _, name := range allowed {
			found = found || a.name == name
		}
		if !found {
			p.failAttr(n, a, fmt.Errorf("<%s> has no attribute %q", n.name, a.name))
		}
	}
}

// noText reports character data other than white space inside n.
func (p *docParser) noText(n *xnode) {
	if n.textOff >= 0 {
		p.fail(n.textOff, n, "", fmt.Sprintf("<%s> takes no text", n.name), nil)
	}
}

// leaf reports children and text of an element that takes neither.
func (p *docParser) leaf(n *xnode) {
	p.noText(n)
	for _, c := range n.children {
		p.unknownChild(c)
	}
}

// unknownChild reports an element its parent does not take.
func (p *docParser) unknownChild(c *xnode) {
	p.failNode(c, "unknown element <%s> inside <%s>", c.name, c.parent.name)
}

// Whether attrValue needs the attribute.
const (
	mandatory = true
	optional  = false
)

// attrValue parses attribute name of n with parse. It returns def, and
// reports why, when the attribute is malformed or mandatory but missing.
func attrValue[T any](p *docParser, n *xnode, name string, need bool, def T, parse func(string) (T, error)) T {
	a, ok := n.attr(name)
	if !ok {
		if need {
			p.failNode(n, "<%s> needs a %s attribute", n.name, name)
		}
		return def
	}
	v, err := parse(a.value)
	if err != nil {
		p.failAttr(n, a, err)
		return def
	}
	return v
}

// checked turns a check of a string into a parse function for attrValue.
func checked(check func(string) error) func(string) (string, error) {
	return func(s string) (string, error) { return s, check(s) }
}

// required returns attribute name of n, reporting its absence.
func (p *docParser) required(n *xnode, name string) (xattr, bool) {
	a, ok := n.attr(name)
	if !ok {
		p.failNode(n, "<%s> needs a %s attribute", n.name, name)
	}
	return a, ok
}

// textOf returns the trimmed text of an element that holds only text.
func (p *docParser) textOf(n *xnode) string {
	p.onlyAttrs(n)
	for _, c := range n.children {
		p.unknownChild(c)
	}
	return strings.TrimSpace(n.text.String())
}
