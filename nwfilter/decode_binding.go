package nwfilter

import (
	"fmt"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
	"unicode/utf8"
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
				p.fail(c.off, c, "", "", err)
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
	if !utf8.ValidString(s) || hasControl(s) {
		return fmt.Errorf("owner name %q: control characters are not allowed", truncate(s))
	}
	return nil
}

// ifName checks <portdev name/> or <linkdev name/>.
func (p *docParser) ifName(n *xnode) string {
	p.onlyAttrs(n, "name")
	p.leaf(n)
	return attrValue(p, n, "name", mandatory, "", checked(ValidateIfName))
}

// bindingMAC checks <mac address/>.
func (p *docParser) bindingMAC(n *xnode) ir.MAC {
	p.onlyAttrs(n, "address")
	p.leaf(n)
	return attrValue(p, n, "address", mandatory, ir.MAC{}, parseMACAddr)
}

// parseMACAddr reads a MAC address literal.
func parseMACAddr(s string) (ir.MAC, error) {
	lit, err := ParseLiteral(KindMAC, s)
	return lit.MAC, err
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
	return attrValue(p, n, "name", mandatory, "", checked(checkBackend))
}

func checkBackend(s string) error {
	if s != BackendIPTables && s != BackendNFTables {
		return fmt.Errorf("backend %q: must be %s or %s", truncate(s), BackendIPTables, BackendNFTables)
	}
	return nil
}
