package xtables

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/vishvananda/netlink/nl"
)

// IPSetMemberError reports a member SetMembers cannot put in a set.
type IPSetMemberError struct {
	// Set is the set's name.
	Set string
	// Index is the member's position in the list given.
	Index int
	// Member is the offending member as given.
	Member netip.Prefix
	// Reason says what is wrong with it.
	Reason string
}

// Error names the set, the member and what is wrong with it.
func (e *IPSetMemberError) Error() string {
	return fmt.Sprintf("xtables: ipset %q: member %d (%s): %s", e.Set, e.Index, e.Member, e.Reason)
}

// IPSetFamilyError reports members of one family for an existing set of
// the other.
type IPSetFamilyError struct {
	// Set is the set's name.
	Set string
	// Have is the existing set's family ("inet" or "inet6"), Want the
	// members'.
	Have, Want string
}

// Error names the set and both families.
func (e *IPSetFamilyError) Error() string {
	return fmt.Sprintf("xtables: ipset %q is an %s set; it cannot hold %s members (delete it first)", e.Set, e.Have, e.Want)
}

// IPSetInUseError reports a set DeleteSet did not destroy because rules
// use it.
type IPSetInUseError struct {
	// Set is the set's name.
	Set string
	// PortDevs are this Backend's bindings whose rules use the set; empty
	// when the kernel refused (Err) because of a rule this Backend does not
	// know of.
	PortDevs []string
	// Err is the kernel's refusal, if it came to that.
	Err error
}

// Error names the set and who uses it.
func (e *IPSetInUseError) Error() string {
	if len(e.PortDevs) > 0 {
		return fmt.Sprintf("xtables: ipset %q is used by the rules of port device(s) %s; tear them down or apply them without it first", e.Set, strings.Join(e.PortDevs, ", "))
	}
	return fmt.Sprintf("xtables: ipset %q is referenced by a rule this Backend does not know of (another program's, or one adopted from an earlier process); the kernel refused to destroy it: %v", e.Set, e.Err)
}

// Unwrap returns the kernel's refusal.
func (e *IPSetInUseError) Unwrap() error { return e.Err }

// isSetBusy says whether the kernel refused to destroy a set because a
// rule (or a list:set) references it.
func isSetBusy(err error) bool {
	return errors.Is(err, nl.IPSetError(nl.IPSET_ERR_BUSY)) || errors.Is(err, nl.IPSetError(nl.IPSET_ERR_REFERENCED))
}
