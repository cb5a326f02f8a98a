package nwfilter

import (
	"fmt"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// IP learning modes, the values of CTRL_IP_LEARNING.
const (
	IPLearningAny  = "any"
	IPLearningDHCP = "dhcp"
	IPLearningNone = "none"
)

// ValidatePortDev checks the name of a binding's port (or link) device. It
// applies ValidateIfName's rules: 1–15 bytes of printable ASCII without '/',
// ':' or white space, not "." or "..". Backends and the CLI share it.
func ValidatePortDev(name string) error { return ValidateIfName(name) }

// Validate checks a binding before it is compiled: the port device (and link
// device, if any) must be valid interface names, the MAC must be set, the
// filter name must be valid (ValidateFilterName), every parameter must have a
// valid variable name and value, and CTRL_IP_LEARNING, if given, must be any,
// dhcp or none (case-insensitive). Errors wrap ErrInvalidBinding.
func (b *Binding) Validate() error {
	if err := ValidatePortDev(b.PortDev); err != nil {
		return fmt.Errorf("%w: portdev: %w", ErrInvalidBinding, err)
	}
	if b.LinkDev != "" {
		if err := ValidatePortDev(b.LinkDev); err != nil {
			return fmt.Errorf("%w: linkdev: %w", ErrInvalidBinding, err)
		}
	}
	if b.MAC == (ir.MAC{}) {
		return fmt.Errorf("%w: mac address is missing", ErrInvalidBinding)
	}
	if err := ValidateFilterName(b.FilterRef.Filter); err != nil {
		return fmt.Errorf("%w: filterref: %w", ErrInvalidBinding, err)
	}
	for i, p := range b.FilterRef.Params {
		if !ValidVarName(p.Name) {
			return fmt.Errorf("%w: parameter %d: name %q must be letters, digits and _", ErrInvalidBinding, i+1, p.Name)
		}
		if !ValidVarValue(p.Value) {
			return fmt.Errorf("%w: parameter %s: value %q must be non-empty letters, digits, _, . and :", ErrInvalidBinding, p.Name, p.Value)
		}
		if p.Name == VarCtrlIPLearning {
			if _, ok := ipLearningMode(p.Value); !ok {
				return fmt.Errorf("%w: parameter %s: %q is not any, dhcp or none", ErrInvalidBinding, p.Name, p.Value)
			}
		}
	}
	return nil
}

// ipLearningMode normalises a CTRL_IP_LEARNING value.
func ipLearningMode(v string) (string, bool) {
	m := strings.ToLower(v)
	switch m {
	case IPLearningAny, IPLearningDHCP, IPLearningNone:
		return m, true
	}
	return "", false
}
