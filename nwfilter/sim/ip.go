package sim

import (
	"fmt"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// chainReturnNotes say what a RETURN from (or the end of) each IP-layer chain
// leads to; all three end in accept.
var chainReturnNotes = [...]string{
	ir.IPChainFI: "back in FORWARD, libvirt-in-post accepts packets from this port",
	ir.IPChainFO: "back in FORWARD, the rest of FORWARD is assumed to accept",
	ir.IPChainHI: "back in INPUT, the host's rules are assumed to accept",
}

// ip walks the IP-layer chain the packet meets and returns the verdict.
func (w *walker) ip() Verdict {
	fam, ok := w.p.ipFamily()
	if !ok {
		why := fmt.Sprintf("no IP layer: ether type 0x%04x is not IPv4 or IPv6", w.p.EtherType)
		if w.p.Tagged {
			why = "no IP layer: VLAN-tagged frames are not passed to iptables/ip6tables"
		}
		w.trace = append(w.trace, Step{Kind: StepNote, Layer: ir.LayerEthernet, Notes: []string{why}})
		return Accept
	}
	c := ir.IPChainFI
	switch {
	case w.p.Dir == ir.DirIn:
		c = ir.IPChainFO
	case w.p.ToHost:
		c = ir.IPChainHI
	}
	name := fmt.Sprintf("%s-%s", c, w.dev())
	for _, r := range w.g.IP {
		if r.Protocol.Layer() != fam {
			continue
		}
		switch out := w.ipRule(r, c, name, fam); out {
		case OutcomeAccept, OutcomeReturn:
			if out == OutcomeReturn {
				w.noteLast("RETURN: " + chainReturnNotes[c])
			}
			return Accept
		case OutcomeDrop:
			return Drop
		case OutcomeReject:
			return Reject
		}
	}
	w.trace = append(w.trace, Step{Kind: StepEnd, Layer: fam, Chain: name, Outcome: OutcomeAccept,
		Notes: []string{"end of chain: " + chainReturnNotes[c]}})
	return Accept
}

// ipRule evaluates the instance of r in chain c, records it and returns its
// outcome. An accept rule in FI or HI returns OutcomeReturn (its target is
// RETURN).
func (w *walker) ipRule(r *ir.Rule, c ir.IPChain, name string, fam ir.Layer) Outcome {
	s := Step{Kind: StepRule, Layer: fam, Chain: name, Rule: r}
	in, absent := ir.Placement(r, c, w.opts.ConntrackDirection)
	if absent != "" {
		s.Mismatch, s.Notes = MismatchAbsent, []string{absent}
		w.trace = append(w.trace, s)
		return OutcomeNext
	}
	s.Instance, s.Swapped = &in, in.Swapped
	view := &w.p
	if in.Swapped {
		view = &w.swapped
	}
	s.Mismatch, s.Notes = w.matchIPInstance(r, &in, view)
	s.Matched = s.Mismatch == ""
	if s.Matched {
		s.Outcome = verdictOutcomes[in.Verdict]
		if in.Verdict == ir.VerdictNone {
			s.Notes = append(s.Notes, "continue has no iptables target: evaluation goes on")
		}
	}
	w.trace = append(w.trace, s)
	return s.Outcome
}

// matchIPInstance evaluates protocol, matches, state, ctdir and connlimit of an
// IP-layer instance in that order. An instance with connlimit always gets a
// note that it depends on live counts.
func (w *walker) matchIPInstance(r *ir.Rule, in *ir.Instance, p *Packet) (string, []string) {
	var notes []string
	var over bool // connlimit: the count is above the limit
	if in.Connlimit {
		var note string
		over, note = connlimitOver(r, p)
		notes = append(notes, note)
	}
	if proto, ok := r.Protocol.IPProto(); ok && proto != p.Proto {
		return MismatchProtocol, notes
	}
	if hasField(r, ir.FieldSrcMAC) && !in.SrcMAC {
		notes = append(notes, "srcmacaddr is not matched in a swapped instance")
	}
	failed, more := matchFields(r, p, func(f ir.Field) bool { return f == ir.FieldSrcMAC && !in.SrcMAC })
	notes = append(notes, more...)
	switch {
	case failed != "":
		return failed, notes
	case in.State != 0 && (p.State&in.State != 0) == in.StateNegate:
		return MismatchState, notes
	case in.CtDir != ir.ConnDirAny && (p.State == ir.StateInvalid || (p.CtDir == CtReply) != (in.CtDir == ir.ConnDirReply)):
		return MismatchCtDir, notes
	case in.Connlimit && over == r.ConnlimitNegate:
		return MismatchConnlimit, notes
	}
	return "", notes
}

// connlimitOver decides connlimit-above N from the packet's ConnCount, or
// assumes the count is at most N.
func connlimitOver(r *ir.Rule, p *Packet) (bool, string) {
	if !p.HasConnCount {
		return false, fmt.Sprintf("connlimit-above %d depends on live connection counts; assumed at most %d (give conncount= to decide)", r.ConnlimitAbove, r.ConnlimitAbove)
	}
	return p.ConnCount > uint32(r.ConnlimitAbove),
		fmt.Sprintf("connlimit-above %d depends on live connection counts; the packet says %d", r.ConnlimitAbove, p.ConnCount)
}

// verdictOutcomes are the outcomes of a matching instance's verdicts.
var verdictOutcomes = [...]Outcome{
	ir.VerdictNone: OutcomeContinue, ir.VerdictAccept: OutcomeAccept, ir.VerdictReturn: OutcomeReturn,
	ir.VerdictDrop: OutcomeDrop, ir.VerdictReject: OutcomeReject,
}

func hasField(r *ir.Rule, f ir.Field) bool {
	for i := range r.Matches {
		if r.Matches[i].Field == f {
			return true
		}
	}
	return false
}
