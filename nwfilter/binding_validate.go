package nwfilter

import (
	"fmt"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// MaxPortDevLen is the longest interface name the kernel accepts (IFNAMSIZ-1).
const MaxPortDevLen = 15

// IP learning modes, the values of CTRL_IP_LEARNING.
const (
	IPLearningAny  = "any"
	IPLearningDHCP = "dhcp"
	IPLearningNone = "none"
)

// ValidatePortDev checks an interface name the way the kernel does (1–15
// bytes, no '/', no whitespace, not "." or "..") and, because names end up in
// firewall scripts and chain names, also refuses ':' and anything outside
// printable ASCII. Backends and the CLI share it.
func ValidatePortDev(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("interface name is empty")
	case len(name) > MaxPortDevLen:
		return fmt.Errorf("interface name %q is longer than %d bytes", name, MaxPortDevLen)
	case name == "." || name == "..":
		return fmt.Errorf("interface name %q is not allowed", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || c == '/' || c == ':' {
			return fmt.Errorf("interface name %q: byte %q is not allowed (printable ASCII except '/' and ':' only)", name, c)
		}
	}
	return nil
}

// Validate checks a binding before it is compiled: the port device (and link
// device, if any) must be valid interface names, the MAC must be set, the
// filter must be named, every parameter must have a valid variable name and
// value, and CTRL_IP_LEARNING, if given, must be any, dhcp or none
// (case-insensitive). Errors wrap ErrInvalidBinding.
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
	if b.FilterRef.Filter == "" {
		return fmt.Errorf("%w: filterref names no filter", ErrInvalidBinding)
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
