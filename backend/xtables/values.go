package xtables

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// RuleError locates a rule the backend cannot render.
type RuleError struct {
	// PortDev is the binding's port device.
	PortDev string
	// Rule points at the rule's source.
	Rule ir.Origin
	// Err says what is wrong.
	Err error
}

// Error names the binding, the rule and its instance.
func (e *RuleError) Error() string {
	return fmt.Sprintf("binding %q: filter %q rule %d (instance %d): %v", e.PortDev, e.Rule.Filter, e.Rule.Index, e.Rule.Instance, e.Err)
}

// Unwrap returns the underlying error.
func (e *RuleError) Unwrap() error { return e.Err }

// matches hands out a rule's matches by field and remembers which were
// used, so a match the renderer does not know is an error, never silently
// dropped.
type matches struct {
	r    *ir.Rule
	used uint64
}

func newMatches(r *ir.Rule) *matches { return &matches{r: r} }

// get returns the rule's match on f, or nil.
func (m *matches) get(f ir.Field) *ir.Match {
	for i := range m.r.Matches {
		if m.r.Matches[i].Field == f {
			m.used |= 1 << f
			return &m.r.Matches[i]
		}
	}
	return nil
}

// unused returns an error naming the first match no renderer step used.
func (m *matches) unused(tool string) error {
	for _, x := range m.r.Matches {
		if m.used&(1<<x.Field) == 0 {
			return fmt.Errorf("%s cannot match %s on a %s rule", tool, x.Field, m.r.Protocol)
		}
	}
	return nil
}

var errNoMatchValue = errors.New("match has no value")

// words are argument lists under construction.
type words []string

// opt appends "[!] flag value" (iptables style: negation before the option).
func (w words) opt(neg bool, flag, value string) words {
	if neg {
		w = append(w, "!")
	}
	return append(w, flag, value)
}

// optValNeg appends "flag [!] value" (ebtables style: negation before the value).
func (w words) optValNeg(neg bool, flag, value string) words {
	w = append(w, flag)
	if neg {
		w = append(w, "!")
	}
	return append(w, value)
}

func macText(m *ir.Match) string {
	if m.HasMACMask {
		return m.MAC.String() + "/" + m.MACMask.String()
	}
	return m.MAC.String()
}

func prefixText(m *ir.Match) (string, error) {
	if !m.Prefix.IsValid() {
		return "", fmt.Errorf("%s: %w", m.Field, errNoMatchValue)
	}
	return m.Prefix.Addr().String() + "/" + strconv.Itoa(m.Prefix.Bits()), nil
}

func rangeText(m *ir.Match) (string, error) {
	if !m.From.IsValid() || !m.To.IsValid() {
		return "", fmt.Errorf("%s: %w", m.Field, errNoMatchValue)
	}
	return m.From.String() + "-" + m.To.String(), nil
}

// numRange prints Lo, or Lo:Hi when the rule gave an explicit end.
func numRange(m *ir.Match) string {
	if m.HasHi {
		return strconv.FormatUint(uint64(m.Lo), 10) + ":" + strconv.FormatUint(uint64(m.Hi), 10)
	}
	return strconv.FormatUint(uint64(m.Lo), 10)
}

func dec(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

func hex(v uint32) string { return "0x" + strconv.FormatUint(uint64(v), 16) }
