package nftables

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink"
	"sigs.k8s.io/knftables"
)

// IPSetReader reads the members of a kernel ipset.
type IPSetReader interface {
	// IPSetMembers returns the members of the named kernel ipset. A missing
	// set is an error wrapping ErrIPSetMissing.
	IPSetMembers(ctx context.Context, name string) ([]netip.Prefix, error)
}

// namedSet is a set rules can reference with ipset=: defined by SetMembers or
// imported from a kernel ipset. It is kept as two nft sets, one per address
// family, so IPv4 and IPv6 rules can both reference it; a rule of the other
// family sees an empty set, as xt_set's family check gives.
type namedSet struct {
	v4, v6 []netip.Prefix
	// imported sets were read from a kernel ipset and go with the last
	// binding that references them.
	imported bool
}

// maxIPSetName is ipset's limit on set names.
const maxIPSetName = 31

func checkSetName(name string) error {
	if name == "" || len(name) > maxIPSetName {
		return fmt.Errorf("set name %q: %w: must be 1 to %d bytes", name, ErrUnsafeName, maxIPSetName)
	}
	return nil
}

// splitFamilies sorts members by family; oneFamily rejects a mix.
func splitFamilies(members []netip.Prefix, oneFamily bool) (v4, v6 []netip.Prefix, err error) {
	for _, p := range members {
		if !p.IsValid() {
			return nil, nil, fmt.Errorf("invalid prefix %v", p)
		}
		p = p.Masked()
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	if oneFamily && len(v4) > 0 && len(v6) > 0 {
		return nil, nil, errors.New("members mix IPv4 and IPv6")
	}
	return v4, v6, nil
}

// writeSet creates both family sets of name (if missing) and replaces their members.
func (b *Backend) writeSet(tx *knftables.Transaction, name string, ns *namedSet) {
	for _, v6 := range []bool{false, true} {
		members := ns.v4
		if v6 {
			members = ns.v6
		}
		set := b.declareSet(tx, name, v6)
		tx.Flush(set)
		for _, p := range members {
			tx.Add(&knftables.Element{Family: set.Family, Table: set.Table, Set: set.Name, Key: []string{prefixText(p)}})
		}
	}
}

// declareSet adds the nft set of one family of name to tx: it creates the
// set, or, when it exists, changes nothing but lets the transaction's rules
// reference it (see foldScript).
func (b *Backend) declareSet(tx *knftables.Transaction, name string, v6 bool) *knftables.Set {
	typ := "ipv4_addr"
	if v6 {
		typ = "ipv6_addr"
	}
	set := &knftables.Set{Family: b.lay.l3Family(), Table: b.lay.table, Name: ipsetName(name, v6), Type: typ,
		Flags: []knftables.SetFlag{knftables.IntervalFlag}, AutoMerge: ptr(true)}
	tx.Add(set)
	return set
}

func (b *Backend) deleteSet(tx *knftables.Transaction, name string) {
	for _, v6 := range []bool{false, true} {
		tx.Delete(&knftables.Set{Family: b.lay.l3Family(), Table: b.lay.table, Name: ipsetName(name, v6)})
	}
}

// importMarker marks the sets of name as a snapshot of a kernel ipset, so a
// later process adopting them knows they go with their last binding.
func (b *Backend) importMarker(name string) *knftables.Set {
	return marker(b.lay.l3Family(), b.lay.table, ident(prefixImport, name), "a kernel ipset snapshot")
}

// SetMembers creates the named set or atomically replaces its members, in
// one nft transaction. Rules reference it with ipset='name'.
func (b *Backend) SetMembers(ctx context.Context, name string, members []netip.Prefix) error {
	if err := checkSetName(name); err != nil {
		return err
	}
	v4, v6, err := splitFamilies(members, true)
	if err != nil {
		return fmt.Errorf("nftables: set %q: %w", name, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.adopt(ctx); err != nil {
		return err
	}
	next := b.st.clone()
	tx := b.nft.NewTransaction()
	b.prepare(tx, next)
	if old := next.sets[name]; old != nil && old.imported {
		tx.Delete(b.importMarker(name))
	}
	ns := &namedSet{v4: v4, v6: v6}
	b.writeSet(tx, name, ns)
	next.sets[name] = ns
	return b.commit(ctx, tx, next, fmt.Sprintf("set %q", name))
}

// DeleteSet removes the named set. It fails while a binding references it.
func (b *Backend) DeleteSet(ctx context.Context, name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.adopt(ctx); err != nil {
		return err
	}
	if b.st.sets[name] == nil {
		return nil
	}
	if b.st.references(name) {
		return fmt.Errorf("nftables: set %q: %w", name, ErrSetInUse)
	}
	next := b.st.clone()
	delete(next.sets, name)
	tx := b.tablesGone(next)
	if tx == nil {
		tx = b.nft.NewTransaction()
		b.deleteSet(tx, name)
	}
	return b.commit(ctx, tx, next, fmt.Sprintf("delete set %q", name))
}

// ListSets returns the names of the sets the backend holds, sorted: those
// given to SetMembers and those imported from kernel ipsets.
func (b *Backend) ListSets(ctx context.Context) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.adopt(ctx); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(b.st.sets))
	for n := range b.st.sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// netlinkIPSets reads kernel ipsets over netlink in the calling thread's
// network namespace.
type netlinkIPSets struct{}

// IPSetMembers implements IPSetReader for hash:ip and hash:net sets.
func (netlinkIPSets) IPSetMembers(_ context.Context, name string) ([]netip.Prefix, error) {
	res, err := netlink.IpsetList(name)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || strings.Contains(err.Error(), "no such file") {
			return nil, fmt.Errorf("kernel ipset %q: %w", name, ErrIPSetMissing)
		}
		return nil, fmt.Errorf("kernel ipset %q: %w", name, err)
	}
	if !slices.Contains([]string{"hash:ip", "hash:net"}, res.TypeName) {
		return nil, fmt.Errorf("kernel ipset %q of type %s: %w (only hash:ip and hash:net)", name, res.TypeName, ErrUnsupported)
	}
	out := make([]netip.Prefix, 0, len(res.Entries))
	for _, e := range res.Entries {
		a, ok := netip.AddrFromSlice(e.IP)
		if !ok {
			continue
		}
		a = a.Unmap()
		bits := int(e.CIDR)
		if bits == 0 {
			bits = a.BitLen()
		}
		out = append(out, netip.PrefixFrom(a, bits))
	}
	return out, nil
}
