package sim

import (
	"fmt"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Verdict is what happens to a packet in the end.
type Verdict uint8

// Verdicts.
const (
	// Accept lets the packet through.
	Accept Verdict = iota
	// Drop discards it silently.
	Drop
	// Reject drops the packet and answers with an error; only the IP layer
	// rejects (ebtables renders reject as drop).
	Reject
)

var verdictNames = [...]string{Accept: "accept", Drop: "drop", Reject: "reject"}

// String returns "accept", "drop" or "reject".
func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("verdict(%d)", v)
}

// StepKind says what a Step records.
type StepKind uint8

// Step kinds.
const (
	// StepRule is one rule evaluated in a chain.
	StepRule StepKind = iota
	// StepJump is a root-chain entry jumping into a sub-chain.
	StepJump
	// StepEnd is reaching the end of a chain without a verdict.
	StepEnd
	// StepNote only carries notes (e.g. why a layer was not reached).
	StepNote
)

// Outcome is what one step did to the packet's walk.
type Outcome uint8

// Outcomes.
const (
	// OutcomeNext: no match (or no rule instance in this chain); go on.
	OutcomeNext Outcome = iota
	// OutcomeContinue: a continue rule matched; go on.
	OutcomeContinue
	// OutcomeEnter: a jump was taken.
	OutcomeEnter
	// OutcomeReturn: back to the calling chain.
	OutcomeReturn
	// OutcomeAccept, OutcomeDrop and OutcomeReject are final verdicts.
	OutcomeAccept
	OutcomeDrop
	OutcomeReject
)

var outcomeNames = [...]string{
	OutcomeNext: "next", OutcomeContinue: "continue", OutcomeEnter: "enter",
	OutcomeReturn: "return", OutcomeAccept: "accept", OutcomeDrop: "drop", OutcomeReject: "reject",
}

// String returns the outcome's name, e.g. "return".
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", o)
}

// Step is one line of a trace.
type Step struct {
	// Kind says what the step is: a rule, a jump, a chain end, ….
	Kind StepKind
	// Layer is ir.LayerEthernet, or the IP layer's family.
	Layer ir.Layer
	// Chain is the kernel chain name as libvirt names it, e.g.
	// "libvirt-I-vnet0", "I-vnet0-arp-mac", "FI-vnet0".
	Chain string
	// Depth is 0 in a root chain and 1 in a sub-chain.
	Depth int
	// Rule is the rule evaluated (StepRule).
	Rule *ir.Rule
	// Jump is the sub-chain a jump leads to (StepJump).
	Jump *ir.Chain
	// Swapped is set when the rule is evaluated with source and destination
	// swapped (inout rules in the I chain; IP-layer instances per Instance).
	Swapped bool
	// Instance says how an IP-layer rule is installed in Chain (see
	// ir.Placement); nil in the Ethernet layer and where the rule has no
	// instance.
	Instance *ir.Instance
	// Matched is set when the rule or jump guard matched.
	Matched bool
	// Mismatch names the first condition that failed: one of the Mismatch
	// constants or a field name such as "srcip" (ir.Field.String).
	Mismatch string
	// Outcome is what the step did to the walk.
	Outcome Outcome
	// Notes explain modelling details: live counts, set lookups, quirks.
	Notes []string
}

// Mismatch values besides field names.
const (
	// MismatchProtocol: the frame or packet is not of the rule's protocol.
	MismatchProtocol = "protocol"
	// MismatchGuard: a jump's guard (ether type, STP destination) failed.
	MismatchGuard = "guard"
	// MismatchAbsent: libvirt installs no instance of the rule in this
	// chain, or no sub-chain (and no jump to it) on the packet's side (the
	// step's notes say why).
	MismatchAbsent = "absent"
	// MismatchState, MismatchCtDir and MismatchConnlimit: the conntrack
	// state, conntrack direction (Options.ConntrackDirection) or connlimit
	// match failed.
	MismatchState     = "state"
	MismatchCtDir     = "ctdir"
	MismatchConnlimit = "connlimit"
)

// Result is a verdict with the trace that led to it.
type Result struct {
	// Verdict is the packet's fate.
	Verdict Verdict
	// Trace lists every rule, jump and chain end met, in order.
	Trace []Step
}

// String renders the result for people: the first line is exactly
// "verdict: accept|drop|reject", then one line per step (see Step.String).
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "verdict: %s\n", r.Verdict)
	for i := range r.Trace {
		b.WriteString(r.Trace[i].String())
		b.WriteByte('\n')
	}
	return b.String()
}

// String renders the step on one line, indented by chain depth: the chain,
// what happened, and the rule or jump as ir prints it, then the notes, e.g.
//
//	FI-vnet0: no match (state) {swapped, state ESTABLISHED, -j RETURN}: in accept prio=500 tcp dstport=22 # from ssh rule 0.0
func (s Step) String() string {
	var b strings.Builder
	b.WriteString(strings.Repeat("  ", s.Depth))
	notesSep := "# "
	switch s.Kind {
	case StepRule:
		b.WriteString(s.Chain + ": " + s.what())
		if s.Instance != nil {
			b.WriteString(" {" + instanceText(s.Instance) + "}")
		} else if s.Swapped {
			b.WriteString(" {swapped}")
		}
		b.WriteString(": " + s.Rule.String())
		notesSep = "; " // the rule's text ends in its origin comment
	case StepJump:
		b.WriteString(s.Chain + ": " + s.what() + ": " + s.Jump.JumpString())
	case StepEnd:
		b.WriteString(s.Chain + ": end of chain: " + s.Outcome.String())
	}
	if len(s.Notes) > 0 {
		if s.Kind != StepNote && notesSep == "# " {
			b.WriteByte(' ')
		}
		b.WriteString(notesSep + strings.Join(s.Notes, "; "))
	}
	return b.String()
}

// what says what a rule or jump step did.
func (s *Step) what() string {
	switch {
	case s.Mismatch == MismatchAbsent:
		return "not installed"
	case !s.Matched:
		return "no match (" + s.Mismatch + ")"
	}
	return s.Outcome.String()
}
