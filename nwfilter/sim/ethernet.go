package sim

import (
	"fmt"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// ethernet walks the I (from the VM) or O (to the VM) root chain and returns
// the Ethernet-layer verdict.
func (w *walker) ethernet() Verdict {
	side := "O"
	if w.p.Dir == ir.DirOut {
		side = "I"
	}
	root := fmt.Sprintf("libvirt-%s-%s", side, w.dev())
	if len(w.g.Ethernet) == 0 {
		w.trace = append(w.trace, Step{Kind: StepEnd, Layer: ir.LayerEthernet, Chain: root, Outcome: OutcomeAccept,
			Notes: []string{"no Ethernet-layer rules: the frame passes"}})
		return Accept
	}
	for _, e := range w.g.Ethernet[0].Entries {
		if e.Rule != nil {
			switch out := w.ethRule(e.Rule, root, 0); out {
			case OutcomeAccept:
				return Accept
			case OutcomeDrop:
				return Drop
			case OutcomeReturn:
				w.noteLast("RETURN from the root chain: the frame goes on and is accepted")
				return Accept
			}
			continue
		}
		sub := fmt.Sprintf("%s-%s-%s", side, w.dev(), e.Jump.Name)
		if !w.jump(e.Jump, root, sub) {
			continue
		}
		switch w.subChain(e.Jump, sub) {
		case OutcomeAccept:
			return Accept
		case OutcomeDrop:
			return Drop
		}
	}
	w.trace = append(w.trace, Step{Kind: StepEnd, Layer: ir.LayerEthernet, Chain: root, Outcome: OutcomeAccept,
		Notes: []string{"end of the root chain: policy ACCEPT"}})
	return Accept
}

// jump evaluates a root-chain jump into sub-chain c (kernel name sub) and
// records it. The jump exists only on the side where c holds rules: libvirt
// creates neither the chain nor the jump for a side without any.
func (w *walker) jump(c *ir.Chain, root, sub string) bool {
	s := Step{Kind: StepJump, Layer: ir.LayerEthernet, Chain: root, Jump: c, Outcome: OutcomeNext}
	if !w.hasRulesFor(c) {
		s.Mismatch = MismatchAbsent
		s.Notes = []string{fmt.Sprintf("sub-chain %s has no rule for direction %s or inout, so libvirt creates no %s chain and no jump to it", c.Name, w.p.Dir, sub)}
		w.trace = append(w.trace, s)
		return false
	}
	s.Matched = true
	if t, guarded := c.Kind.EtherType(); guarded {
		s.Matched = w.p.outerEtherType() == t
	} else if c.Kind == ir.ChainSTP {
		s.Matched = w.p.DstMAC == ir.STPMAC
	}
	if s.Matched {
		s.Outcome = OutcomeEnter
	} else {
		s.Mismatch = MismatchGuard
	}
	w.trace = append(w.trace, s)
	return s.Matched
}

// hasRulesFor reports whether sub-chain c holds a rule installed on the
// packet's side (direction or inout).
func (w *walker) hasRulesFor(c *ir.Chain) bool {
	for _, e := range c.Entries {
		if d := e.Rule.Direction; d == w.p.Dir || d == ir.DirInOut {
			return true
		}
	}
	return false
}

// subChain walks a sub-chain; it returns OutcomeAccept or OutcomeDrop for a
// final verdict and OutcomeReturn to go back to the root chain (a matching
// return rule only). A frame reaching the end of the chain meets its policy,
// ACCEPT (libvirt creates sub-chains with ebtables' default policy), and is
// accepted for the Ethernet layer without going back to the root chain.
func (w *walker) subChain(c *ir.Chain, name string) Outcome {
	for _, e := range c.Entries {
		switch out := w.ethRule(e.Rule, name, 1); out {
		case OutcomeAccept, OutcomeDrop, OutcomeReturn:
			return out
		}
	}
	w.trace = append(w.trace, Step{Kind: StepEnd, Layer: ir.LayerEthernet, Chain: name, Depth: 1, Outcome: OutcomeAccept,
		Notes: []string{"end of the sub-chain: policy ACCEPT, the frame does not go back to the root chain"}})
	return OutcomeAccept
}

// ethRule evaluates one Ethernet-layer rule if it is installed in the chain of
// the packet's direction, records it and returns its outcome.
func (w *walker) ethRule(r *ir.Rule, chain string, depth int) Outcome {
	swapped := false
	switch {
	case r.Direction == w.p.Dir:
	case r.Direction == ir.DirInOut:
		swapped = w.p.Dir == ir.DirOut
	default:
		return OutcomeNext // the rule is only installed in the other direction's chain
	}
	view := &w.p
	if swapped {
		view = &w.swapped
	}
	s := Step{Kind: StepRule, Layer: ir.LayerEthernet, Chain: chain, Depth: depth, Rule: r, Swapped: swapped}
	if !w.ethProtocol(r.Protocol) {
		s.Mismatch = MismatchProtocol
	} else {
		s.Mismatch, s.Notes = matchFields(r, view, func(ir.Field) bool { return false })
	}
	s.Matched = s.Mismatch == ""
	if s.Matched {
		s.Outcome = actionOutcome(r.Action)
		if r.Action == ir.ActionReject {
			s.Outcome = OutcomeDrop
			s.Notes = append(s.Notes, "ebtables has no REJECT: reject is rendered as DROP")
		}
	}
	w.trace = append(w.trace, s)
	return s.Outcome
}

// ethProtocol reports whether the frame is of the kind an Ethernet-layer rule
// of protocol p inspects (ebtables -p, or the BPDU destination for stp).
func (w *walker) ethProtocol(p ir.Protocol) bool {
	switch p {
	case ir.ProtoVLAN:
		return w.p.outerEtherType() == EtherVLAN
	case ir.ProtoSTP:
		return w.p.isBPDU()
	case ir.ProtoARP:
		return w.p.outerEtherType() == EtherARP
	case ir.ProtoRARP:
		return w.p.outerEtherType() == EtherRARP
	case ir.ProtoIP:
		return w.p.outerEtherType() == EtherIPv4
	case ir.ProtoIPv6:
		return w.p.outerEtherType() == EtherIPv6
	}
	return true // none, mac
}

func actionOutcome(a ir.Action) Outcome {
	switch a {
	case ir.ActionAccept:
		return OutcomeAccept
	case ir.ActionDrop:
		return OutcomeDrop
	case ir.ActionReject:
		return OutcomeReject
	case ir.ActionReturn:
		return OutcomeReturn
	}
	return OutcomeContinue
}

// noteLast adds a note to the last step of the trace.
func (w *walker) noteLast(note string) {
	last := &w.trace[len(w.trace)-1]
	last.Notes = append(last.Notes, note)
}
