package xtables

import (
	"fmt"

	"github.com/coreos/go-iptables/iptables"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Introspector reads iptables and ip6tables state without changing it. The
// default uses github.com/coreos/go-iptables; tests use a fake.
type Introspector interface {
	// ListChains returns the chain names of table for family (ir.LayerIPv4
	// or ir.LayerIPv6).
	ListChains(family ir.Layer, table string) ([]string, error)
	// Version returns the tool's version, e.g. "1.8.9".
	Version(family ir.Layer) (string, error)
}

// goIPTables is the go-iptables Introspector. go-iptables runs its own
// processes (outside the Execer seam) in the calling thread's namespace.
type goIPTables struct{}

func (goIPTables) handle(family ir.Layer) (*iptables.IPTables, error) {
	proto := iptables.ProtocolIPv4
	if family == ir.LayerIPv6 {
		proto = iptables.ProtocolIPv6
	}
	return iptables.New(iptables.IPFamily(proto), iptables.Timeout(5))
}

func (g goIPTables) ListChains(family ir.Layer, table string) ([]string, error) {
	h, err := g.handle(family)
	if err != nil {
		return nil, err
	}
	return h.ListChains(table)
}

func (g goIPTables) Version(family ir.Layer) (string, error) {
	h, err := g.handle(family)
	if err != nil {
		return "", err
	}
	a, b, c := h.GetIptablesVersion()
	return fmt.Sprintf("%d.%d.%d", a, b, c), nil
}

// IPSetLister lists the kernel's ipsets in the calling thread's network
// namespace. The default uses github.com/vishvananda/netlink (already a
// dependency for links and namespaces, and the same code lineage as
// lrh3321/ipset-go without a second single-maintainer module); tests use a
// fake.
type IPSetLister interface {
	// ListIPSets returns the names of the kernel's ipsets.
	ListIPSets() ([]string, error)
}

type netlinkIPSets struct{}

func (netlinkIPSets) ListIPSets() ([]string, error) {
	c, err := openNetlinkIPSets()
	if err != nil {
		return nil, err
	}
	defer c.close()
	hs, err := c.headers()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(hs))
	for i, h := range hs {
		names[i] = h.name
	}
	return names, nil
}
