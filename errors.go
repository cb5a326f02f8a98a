package gonwfilter

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBindingNotFound is returned for a port device without a binding.
var ErrBindingNotFound = errors.New("no binding on port device")

// ErrFilterInUse is matched (errors.Is) by a *FilterInUseError.
var ErrFilterInUse = errors.New("filter in use")

// FilterInUseError says that a filter cannot be undefined because installed
// bindings use it.
type FilterInUseError struct {
	// Filter is the filter's name.
	Filter string
	// PortDevs are the port devices whose bindings use it, sorted.
	PortDevs []string
}

// Error names the filter and the port devices whose bindings use it.
func (e *FilterInUseError) Error() string {
	return fmt.Sprintf("filter %q is in use by the bindings of %s", e.Filter, strings.Join(e.PortDevs, ", "))
}

// Is makes errors.Is(err, ErrFilterInUse) true.
func (e *FilterInUseError) Is(target error) bool { return target == ErrFilterInUse }
