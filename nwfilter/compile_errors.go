package nwfilter

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidBinding is wrapped by every error Binding.Validate returns.
var ErrInvalidBinding = errors.New("invalid binding")

// CycleError reports a cycle of filter references. The Store refuses them at
// define time (as libvirt does) and Compile again at use time, so a tree
// assembled outside a Store cannot loop either.
type CycleError struct {
	// Path lists the filters along the cycle; the first and last are the same,
	// e.g. [a b c a].
	Path []string
}

// Error describes the cycle as a -> b -> a.
func (e *CycleError) Error() string {
	return "filter reference cycle: " + strings.Join(e.Path, " -> ")
}

// MissingVarsError lists every variable the filter tree uses but the binding
// (with the parameters of the filter references on the way) does not define,
// and every fixed list element ($NAME[N]) beyond its list's end.
type MissingVarsError struct {
	// Names are the missing variables ("IP") and list elements ("DNS[2]"),
	// sorted and without duplicates.
	Names []string
	// IPLearning is the binding's CTRL_IP_LEARNING mode: "any", "dhcp" or "none".
	IPLearning string
}

// Error describes the missing names, and whether IP learning would apply.
func (e *MissingVarsError) Error() string {
	msg := "cannot compile filter: unresolvable variables or unavailable list elements: " +
		strings.Join(e.Names, ", ")
	if e.NeedsIPLearning() {
		msg += " (IP learning mode " + e.IPLearning + " would apply)"
	}
	return msg
}

// NeedsIPLearning reports whether libvirt would start learning the VM's IP
// address instead of failing: IP is the only missing variable and the
// binding's CTRL_IP_LEARNING is not "none".
func (e *MissingVarsError) NeedsIPLearning() bool {
	return len(e.Names) == 1 && e.Names[0] == VarIP && e.IPLearning != IPLearningNone
}

// ExpansionLimitError reports a binding whose filter tree would expand into
// more than CompileOptions.MaxInstances rule instances (or visit more filter
// references than that). It is returned before anything is materialised.
type ExpansionLimitError struct {
	// Limit is the bound in force.
	Limit int
	// Count is how many instances were counted when the limit was crossed; the
	// full expansion may be larger. It saturates at the largest uint64.
	Count uint64
	// What is "rule instances" or "filter references".
	What string
	// Filter is the filter whose rule (or reference) crossed the limit.
	Filter string
}

// Error describes how far the expansion got and where.
func (e *ExpansionLimitError) Error() string {
	return fmt.Sprintf("filter tree expands into at least %d %s (limit %d), crossed in filter %q",
		e.Count, e.What, e.Limit, e.Filter)
}

// CardinalityError reports variables that share an iterator but hold lists
// of different lengths, so they cannot be walked in parallel.
type CardinalityError struct {
	// Filter is the name of the filter holding the rule.
	Filter string
	// Index is the rule's position among the filter's rules (0-based).
	Index int
	// Pos is where the rule starts in the filter's document.
	Pos Pos
	// Iterator is the shared iterator id ($NAME is iterator 0).
	Iterator int
	// Vars and Lens are the variables on the iterator and their list lengths.
	Vars []string
	Lens []int
}

// Error describes where the rule is and each variable with its list length.
func (e *CardinalityError) Error() string {
	parts := make([]string, len(e.Vars))
	for i, v := range e.Vars {
		parts[i] = fmt.Sprintf("$%s has %d", v, e.Lens[i])
	}
	return fmt.Sprintf("%s: filter %q rule %d: variables on iterator @%d must have lists of the same length to be walked in parallel: %s",
		posString(e.Pos), e.Filter, e.Index, e.Iterator, strings.Join(parts, ", "))
}

// RuleError reports a rule that cannot be compiled for one variable
// combination: a value of a variable that is not valid for its attribute, or
// a combination of values that is invalid (a range end below its start, ports
// on a protocol without ports, …).
type RuleError struct {
	// Filter is the name of the filter holding the rule.
	Filter string
	// Index is the rule's position among the filter's rules (0-based).
	Index int
	// Pos is where the rule starts in the filter's document.
	Pos Pos
	// Attr is the attribute concerned, e.g. "dstportstart".
	Attr string
	// Var is the variable reference the value came from ("$PORTS[@1]"), or ""
	// for a literal.
	Var string
	// Value is the offending value's text, or "".
	Value string
	// Err says why.
	Err error
}

// Error describes where the rule is, the attribute, the value's source and why.
func (e *RuleError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: filter %q rule %d: attribute %s", posString(e.Pos), e.Filter, e.Index, e.Attr)
	if e.Var != "" {
		fmt.Fprintf(&b, " (from %s = %q)", e.Var, e.Value)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the reason, e.g. a *LiteralError.
func (e *RuleError) Unwrap() error { return e.Err }

// posString formats a position as file:line:col, leaving out what is unknown.
func posString(p Pos) string {
	file := p.File
	if file == "" {
		file = "<filter>"
	}
	if p.Line == 0 {
		return file
	}
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Col)
}
