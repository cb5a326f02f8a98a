package backend

import (
	"context"
	"net/netip"
)

// Sets keeps named address sets in a backend's native form (kernel ipsets
// for xtables, nft sets for nftables), so rules with ipset= can reference
// them.
type Sets interface {
	// SetMembers creates the named set or atomically replaces its members.
	// All members must be of one address family.
	SetMembers(ctx context.Context, name string, members []netip.Prefix) error
	// DeleteSet removes the named set; it fails while a rule references it.
	DeleteSet(ctx context.Context, name string) error
	// ListSets returns the names of the sets this backend manages.
	ListSets(ctx context.Context) ([]string, error)
}
