package backend

import (
	"errors"
	"fmt"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// ErrFeatureMissing is matched by every *FeatureError (errors.Is).
var ErrFeatureMissing = errors.New("kernel or tool feature missing")

// ErrClosed is wrapped by changes asked of a backend after its Close.
var ErrClosed = errors.New("backend closed")

// FeatureError reports a rule that needs a kernel or tool feature this host
// lacks, e.g. the connlimit match or the ebtables program.
type FeatureError struct {
	// Feature is the missing feature's name as in Capabilities, e.g. "connlimit".
	Feature string
	// PortDev is the binding that needs it.
	PortDev string
	// Rule points at the rule that needs it; zero when the binding as a whole
	// needs it (e.g. a program).
	Rule ir.Origin
	// Detail says how the feature was probed or why it is missing.
	Detail string
}

// Error says which feature is missing, where, and how that was found.
func (e *FeatureError) Error() string {
	where := e.PortDev
	if e.Rule.Filter != "" {
		where = fmt.Sprintf("%s: filter %q rule %d", e.PortDev, e.Rule.Filter, e.Rule.Index)
	}
	msg := fmt.Sprintf("%s: needs feature %q, which is not available", where, e.Feature)
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrFeatureMissing) hold.
func (e *FeatureError) Is(target error) bool { return target == ErrFeatureMissing }
