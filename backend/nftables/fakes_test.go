package nftables

import (
	"context"
	"fmt"
	"net/netip"
)

// fakeIPSets serves kernel ipsets from memory.
type fakeIPSets map[string][]netip.Prefix

func (f fakeIPSets) IPSetMembers(_ context.Context, name string) ([]netip.Prefix, error) {
	if name == "blocked" && f[name] == nil {
		return []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("2001:db8::1/128")}, nil
	}
	m, ok := f[name]
	if !ok {
		return nil, fmt.Errorf("kernel ipset %q: %w", name, ErrIPSetMissing)
	}
	return m, nil
}
