package nftables

import (
	"errors"
	"fmt"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

var (
	// ErrInvalidOption is wrapped by errors about bad Options.
	ErrInvalidOption = errors.New("invalid option")
	// ErrUnsafeName is wrapped by errors about names (port devices, set
	// names) that cannot be written into nft syntax without changing their
	// meaning.
	ErrUnsafeName = errors.New("name cannot be expressed safely in nft syntax")
	// ErrUnsupported is wrapped by errors about rules this backend cannot
	// express.
	ErrUnsupported = errors.New("not supported by the nftables backend")
	// ErrIPSetMissing is wrapped when a rule references an ipset that neither
	// SetMembers defined nor the kernel holds.
	ErrIPSetMissing = errors.New("ipset not found")
	// ErrSetInUse is wrapped by DeleteSet while a rule references the set.
	ErrSetInUse = errors.New("set is referenced by a binding")
)

// RuleError says which rule of which binding could not be rendered.
type RuleError struct {
	// PortDev is the binding's port device.
	PortDev string
	// Origin says which filter rule (and which instance of it) failed.
	Origin ir.Origin
	// Err is the reason, often wrapping ErrUnsupported.
	Err error
}

// Error says which binding, filter and rule failed, and why.
func (e *RuleError) Error() string {
	return fmt.Sprintf("binding %q: filter %q rule %d (instance %d): %v",
		e.PortDev, e.Origin.Filter, e.Origin.Index, e.Origin.Instance, e.Err)
}

// Unwrap returns the reason, so errors.Is finds ErrUnsupported.
func (e *RuleError) Unwrap() error { return e.Err }

// IsUnsupported reports whether err says a rule or feature is not supported.
func IsUnsupported(err error) bool { return errors.Is(err, ErrUnsupported) }

// IsUnsafeName reports whether err is about a name that cannot be written
// into nft syntax safely.
func IsUnsafeName(err error) bool { return errors.Is(err, ErrUnsafeName) }
