package nwfilter

import (
	"fmt"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
	"unicode"
)

// MaxOwnerNameLen is the longest binding owner name in bytes.
const MaxOwnerNameLen = 256

// binding checks a <filterbinding> element. portdev, mac and filterref are
// required; owner, linkdev and backend are optional; each appears at most
// once. An owner, when given, needs both name and uuid (as in libvirt).
func (p *docParser) binding(n *xnode) *Binding {
	p.onlyAttrs(n)
	p.noText(n)
	b := &Binding{}
	seen := map[string]bool{}
	for _, c := range n.children {
		switch c.name {
		case "owner", "portdev", "linkdev", "mac", "filterref", "backend":
		default:
			p.unknownChild(c)
			continue
		}
		if seen[c.name] {
			p.failNode(c, "<filterbinding> has more than one <%s>", c.name)
			continue
		}
		seen[c.name] = true
		switch c.name {
		case "owner":
			b.Owner = p.owner(c)
		case "portdev":
			b.PortDev = p.ifName(c)
		case "linkdev":
			b.LinkDev = p.ifName(c)
		case "mac":
			b.MAC = p.bindingMAC(c)
		case "filterref":
			b.FilterRef = p.filterRef(c)
		case "backend":
			b.Backend = p.backend(c)
		}
	}
	for _, name := range []string{"portdev", "mac", "filterref"} {
		if !seen[name] {
			p.failNode(n, "<filterbinding> needs a <%s> element", name)
		}
	}
	return b
}

// owner checks <owner><name/><uuid/></owner>.
func (p *docParser) owner(n *xnode) Owner {
	p.onlyAttrs(n)
	p.noText(n)
	var o Owner
	var hasName, hasUUID bool
	for _, c := range n.children {
		switch {
		case c.name == "name" && !hasName:
			hasName = true
			o.Name = p.textOf(c)
			if err := checkOwnerName(o.Name); err != nil {
				p.fail(c.off, c.path(), "", err)
			}
		case c.name == "uuid" && !hasUUID:
			hasUUID = true
			o.UUID = p.uuid(c)
		case c.name == "name" || c.name == "uuid":
			p.failNode(c, "<owner> has more than one <%s>", c.name)
		default:
			p.unknownChild(c)
		}
	}
	if !hasName || !hasUUID {
		p.failNode(n, "<owner> needs both <name> and <uuid>")
	}
	return o
}

// checkOwnerName checks a VM name: 1–256 bytes without control characters.
func checkOwnerName(s string) error {
	if s == "" || len(s) > MaxOwnerNameLen {
		return fmt.Errorf("owner name must be 1–%d bytes", MaxOwnerNameLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("owner name %q: control characters are not allowed", truncate(s))
		}
	}
	return nil
}

// ifName checks <portdev name/> or <linkdev name/>.
func (p *docParser) ifName(n *xnode) string {
	p.onlyAttrs(n, "name")
	p.leaf(n)
	a, ok := p.required(n, "name")
	if !ok {
		return ""
	}
	if err := ValidateIfName(a.value); err != nil {
		p.failAttr(n, a, err)
	}
	return a.value
}

// bindingMAC checks <mac address/>.
func (p *docParser) bindingMAC(n *xnode) (mac ir.MAC) {
	p.onlyAttrs(n, "address")
	p.leaf(n)
	a, ok := p.required(n, "address")
	if !ok {
		return mac
	}
	lit, err := ParseLiteral(KindMAC, a.value)
	if err != nil {
		p.failAttr(n, a, err)
	}
	return lit.MAC
}

// Binding backends.
const (
	BackendIPTables = "iptables"
	BackendNFTables = "nftables"
)

// backend checks <backend name='iptables|nftables'/>.
func (p *docParser) backend(n *xnode) string {
	p.onlyAttrs(n, "name")
	p.leaf(n)
	a, ok := p.required(n, "name")
	if ok && a.value != BackendIPTables && a.value != BackendNFTables {
		p.failAttr(n, a, fmt.Errorf("backend %q: must be %s or %s", truncate(a.value), BackendIPTables, BackendNFTables))
	}
	return a.value
}
