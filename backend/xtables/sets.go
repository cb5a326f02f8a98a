package xtables

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

var _ backend.Sets = (*Backend)(nil)

// MaxSetMembers is the most members SetMembers takes for one set.
const MaxSetMembers = 1 << 18

const (
	// setType is the type of every set this backend creates: addresses and
	// networks of one family, matched by longest prefix.
	setType = "hash:net"
	// ownedMaxElem is the maxelem of every set this backend creates: room
	// for MaxSetMembers plus an odd excess that no person or tool picks by
	// chance. ipsets carry no set-level comment, so this value is what marks
	// a set as ours, also for a later process.
	ownedMaxElem = MaxSetMembers + 0x6e77
	// tempSetPrefix starts the name of the set SetMembers fills before it
	// swaps it with the live one; set names with it are refused.
	tempSetPrefix = "gnwf-tmp-"
	// addBatch is how many members SetMembers adds with one request; it
	// checks its context between requests.
	addBatch = 1024
)

// ErrIPSetNotOwned is matched (errors.Is) by the error of SetMembers and
// DeleteSet for a set that exists but was not created by this backend.
var ErrIPSetNotOwned = errors.New("was not created by gonwfilter")

// SetMembers implements backend.Sets with kernel ipsets in the calling
// thread's network namespace. It creates the set (type hash:net, family
// inet or inet6 from the members) if it does not exist, and otherwise
// replaces all its members at once: it fills a temporary set, swaps it with
// the live one (ipset swap, atomic for the rules that reference it) and
// destroys the temporary, which then holds the old members. On any failure
// the temporary is destroyed and the live set is left as it was.
//
// Members are masked to their prefix length (10.1.2.3/8 is 10.0.0.0/8),
// duplicates are dropped, and all must be of one family; IPv4-mapped IPv6
// addresses and /0 prefixes are refused. An empty list empties the set,
// and creates an inet (IPv4) set when none exists. An existing set of the
// other family is refused (*IPSetFamilyError): ipset cannot swap sets of
// different families, and rules that use it would silently stop matching;
// delete it first. An existing set this backend did not create is refused
// (ErrIPSetNotOwned).
func (b *Backend) SetMembers(ctx context.Context, name string, members []netip.Prefix) error {
	if err := checkSetName(name); err != nil {
		return err
	}
	family, entries, err := setEntries(name, members)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := b.opts.ipsets()
	if err != nil {
		return fmt.Errorf("xtables: ipset %q: %w", name, err)
	}
	defer conn.close()
	live, exists, err := ownedSet(conn, name)
	if err != nil {
		return err
	}
	switch {
	case exists && family != 0 && live.family != family:
		return &IPSetFamilyError{Set: name, Have: live.family.String(), Want: family.String()}
	case exists:
		family = live.family
	case family == 0:
		family = familyInet
	}
	tmp := tempSetName(name)
	if err := dropLeftover(conn, tmp); err != nil {
		return fmt.Errorf("xtables: ipset %q: %w", name, err)
	}
	if err := b.fillAndSwap(ctx, conn, name, tmp, family, entries, exists); err != nil {
		return err
	}
	if err := conn.destroy(tmp); err != nil {
		// The live set is updated; the next call removes the leftover.
		b.log.Warn("xtables: destroying the temporary ipset after a swap failed", "set", name, "temporary", tmp, "err", err)
	}
	return nil
}

// fillAndSwap builds the temporary set, creates the live one if it does not
// exist, and swaps them. On failure it destroys what it created.
func (b *Backend) fillAndSwap(ctx context.Context, conn ipsetConn, name, tmp string, family setFamily, entries []netip.Prefix, exists bool) (err error) {
	created := []string{}
	defer func() {
		if err == nil {
			return
		}
		for _, s := range created {
			if derr := conn.destroy(s); derr != nil {
				b.log.Warn("xtables: cleaning up after a failed ipset update failed", "set", s, "err", derr)
			}
		}
	}()
	if err := conn.create(tmp, family); err != nil {
		return fmt.Errorf("xtables: ipset %q: creating temporary set %q: %w", name, tmp, err)
	}
	created = append(created, tmp)
	for batch := range slices.Chunk(entries, addBatch) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := conn.add(tmp, batch); err != nil {
			return fmt.Errorf("xtables: ipset %q: adding %d members from %s on: %w", name, len(batch), batch[0], err)
		}
	}
	if !exists {
		if err := conn.create(name, family); err != nil {
			return fmt.Errorf("xtables: ipset %q: creating: %w", name, err)
		}
		created = append(created, name)
	}
	if err := conn.swap(tmp, name); err != nil {
		return fmt.Errorf("xtables: ipset %q: swapping in the new members: %w", name, err)
	}
	return nil
}

// DeleteSet implements backend.Sets: it destroys the named set in the
// calling thread's network namespace. It refuses while a binding this
// Backend installed has a rule that uses the set (*IPSetInUseError naming
// the port devices), and surfaces the kernel's refusal while any other
// rule references it (*IPSetInUseError wrapping the kernel error). A set
// that does not exist is not an error; one this backend did not create is
// refused (ErrIPSetNotOwned).
func (b *Backend) DeleteSet(ctx context.Context, name string) error {
	if err := checkSetName(name); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if users := b.setUsers(name); len(users) > 0 {
		return &IPSetInUseError{Set: name, PortDevs: users}
	}
	conn, err := b.opts.ipsets()
	if err != nil {
		return fmt.Errorf("xtables: ipset %q: %w", name, err)
	}
	defer conn.close()
	_, exists, err := ownedSet(conn, name)
	if err != nil || !exists {
		return err
	}
	if err := conn.destroy(name); err != nil {
		if isSetBusy(err) {
			return &IPSetInUseError{Set: name, Err: err}
		}
		return fmt.Errorf("xtables: ipset %q: destroying: %w", name, err)
	}
	return nil
}

// ListSets implements backend.Sets: the sorted names of the sets in the
// calling thread's network namespace that this backend created, also those
// a previous process created (they carry the same mark, see SetMembers).
func (b *Backend) ListSets(ctx context.Context) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conn, err := b.opts.ipsets()
	if err != nil {
		return nil, fmt.Errorf("xtables: listing ipsets: %w", err)
	}
	defer conn.close()
	hs, err := conn.headers()
	if err != nil {
		return nil, fmt.Errorf("xtables: listing ipsets: %w", err)
	}
	names := []string{}
	for _, h := range hs {
		if h.owned() && !strings.HasPrefix(h.name, tempSetPrefix) {
			names = append(names, h.name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// checkSetName validates a set name the way rules' ipset names are, and
// refuses the temporary sets' prefix.
func checkSetName(name string) error {
	if _, err := token(tokSetName, name); err != nil {
		return err
	}
	if strings.HasPrefix(name, tempSetPrefix) {
		return &TokenError{What: tokenKindNames[tokSetName], Value: name, Reason: "the prefix " + tempSetPrefix + " is reserved for temporary sets"}
	}
	return nil
}

// tempSetName is the temporary set for name: the reserved prefix and a
// hash of name, 21 characters whatever name's length.
func tempSetName(name string) string {
	sum := sha256.Sum256([]byte(name))
	return tempSetPrefix + fmt.Sprintf("%x", sum[:6])
}

// setEntries validates members and returns their family (0 when there are
// none) and the masked prefixes without duplicates, in the given order.
func setEntries(set string, members []netip.Prefix) (setFamily, []netip.Prefix, error) {
	if len(members) > MaxSetMembers {
		return 0, nil, fmt.Errorf("xtables: ipset %q: %d members, more than %d", set, len(members), MaxSetMembers)
	}
	var family setFamily
	first := 0
	seen := make(map[netip.Prefix]bool, len(members))
	out := make([]netip.Prefix, 0, len(members))
	for i, p := range members {
		fail := func(reason string) (setFamily, []netip.Prefix, error) {
			return 0, nil, &IPSetMemberError{Set: set, Index: i, Member: p, Reason: reason}
		}
		switch {
		case !p.IsValid():
			return fail("not a valid prefix")
		case p.Addr().Is4In6():
			return fail("an IPv4-mapped IPv6 address; give it as IPv4")
		case p.Bits() == 0:
			return fail("a /0 prefix, which hash:net sets cannot hold")
		}
		f := familyInet
		if p.Addr().Is6() {
			f = familyInet6
		}
		if family == 0 {
			family, first = f, i
		} else if f != family {
			return fail(fmt.Sprintf("%s, but member %d (%s) is %s: a set holds one family", f, first, members[first], family))
		}
		p = p.Masked()
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return family, out, nil
}

// ownedSet returns the named set's header and whether it exists; a set
// that exists but is not ours is an error.
func ownedSet(conn ipsetConn, name string) (setHeader, bool, error) {
	h, ok, err := conn.header(name)
	if err != nil {
		return setHeader{}, false, fmt.Errorf("xtables: ipset %q: listing: %w", name, err)
	}
	if ok && !h.owned() {
		return setHeader{}, false, fmt.Errorf("xtables: ipset %q (%s, %s, maxelem %d) %w", name, h.typ, h.family, h.maxElem, ErrIPSetNotOwned)
	}
	return h, ok, nil
}

// dropLeftover destroys a temporary set a failed earlier call left behind.
func dropLeftover(conn ipsetConn, tmp string) error {
	_, ok, err := ownedSet(conn, tmp)
	if err != nil || !ok {
		return err
	}
	if err := conn.destroy(tmp); err != nil {
		return fmt.Errorf("destroying leftover temporary set %q: %w", tmp, err)
	}
	return nil
}

// owned says whether the set carries the mark of the sets this backend
// creates.
func (h setHeader) owned() bool { return h.typ == setType && h.maxElem == ownedMaxElem }

// setUsers returns the port devices whose installed graphs have a rule
// matching the named set, sorted. Chains adopted from a previous process
// have no graph; the kernel's own refusal covers them.
func (b *Backend) setUsers(name string) []string {
	var out []string
	for _, st := range b.state {
		for port, ps := range st.ports {
			if ps.graph != nil && !slices.Contains(out, port) && graphUsesSet(ps.graph, name) {
				out = append(out, port)
			}
		}
	}
	slices.Sort(out)
	return out
}

func graphUsesSet(g *ir.Graph, name string) bool {
	for _, r := range g.IP {
		for _, m := range r.Matches {
			if m.Field == ir.FieldIPSet && m.IPSet.Name == name {
				return true
			}
		}
	}
	return false
}
