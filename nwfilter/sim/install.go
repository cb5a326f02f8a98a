package sim

import (
	"fmt"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// IPChain is one of the three IP-layer chains of a binding.
type IPChain uint8

// IP-layer chains, named as libvirt names them (FI-<dev>, FO-<dev>, HI-<dev>).
const (
	// ChainFI holds rules for packets from the VM that are forwarded.
	ChainFI IPChain = iota
	// ChainFO holds rules for packets to the VM.
	ChainFO
	// ChainHI holds rules for packets from the VM to the host.
	ChainHI
)

var ipChainNames = [...]string{ChainFI: "FI", ChainFO: "FO", ChainHI: "HI"}

// String returns "FI", "FO" or "HI".
func (c IPChain) String() string {
	if int(c) < len(ipChainNames) {
		return ipChainNames[c]
	}
	return fmt.Sprintf("ipchain(%d)", c)
}

// Install is how one IP-layer rule is installed in one chain, following
// libvirt's ebiptables driver (§b.3 of the reference).
type Install struct {
	// Chain is the chain the instance is in.
	Chain IPChain
	// Swapped exchanges source and destination addresses, ports and ipset
	// directions.
	Swapped bool
	// SrcMAC is set when the rule's srcmacaddr is matched (only unswapped
	// instances match it).
	SrcMAC bool
	// State is the conntrack state match, 0 for none.
	State ir.ConnState
	// StateNegate negates the state match.
	StateNegate bool
	// HasCtDir adds a conntrack direction match for CtDir (reply in
	// swapped instances); only with Options.ConntrackDirection.
	HasCtDir bool
	CtDir    CtDir
	// Connlimit adds the rule's connlimit-above match.
	Connlimit bool
	// Target is the jump target: ACCEPT, RETURN, DROP or REJECT, or "" for
	// a continue rule (no target: evaluation goes on).
	Target string
}

// String describes the instance, e.g. "swapped, state ESTABLISHED, ctdir
// reply, -j RETURN".
func (in Install) String() string {
	var parts []string
	if in.Swapped {
		parts = append(parts, "swapped")
	}
	if in.State != 0 {
		neg := ""
		if in.StateNegate {
			neg = "!"
		}
		parts = append(parts, "state "+neg+in.State.String())
	}
	if in.HasCtDir {
		parts = append(parts, "ctdir "+in.CtDir.String())
	}
	if in.Connlimit {
		parts = append(parts, "connlimit")
	}
	if in.Target == "" {
		parts = append(parts, "no target")
	} else {
		parts = append(parts, "-j "+in.Target)
	}
	return strings.Join(parts, ", ")
}

// Placement returns how rule r is installed in chain c with opts. When libvirt
// installs no instance of r in c, it returns a non-empty reason instead.
//
// The rules: FI and HI instances are swapped for rules with direction in or
// inout, FO instances for direction out. Accept rules with statematch on and
// no state= match NEW,ESTABLISHED where the rule's own direction initiates
// (FO for in, FI/HI for out) and ESTABLISHED on the other side; with
// opts.ConntrackDirection they also get a ctdir match (reply in swapped
// instances) unless the rule is ICMP with a type. inout rules and
// statematch='false' get no state match. An explicit state=
// (NONE: no match) is used as given, also for non-accept rules, without ctdir,
// and only in FI/HI for out/inout and FO for in/inout. ICMP rules with a type
// are left out of FI for in/inout, of FO for out/inout and of HI for in/inout.
// srcmacaddr is only matched in unswapped instances; a swapped instance whose
// only rendered match would be srcmacaddr is left out. connlimit-above is
// only installed in unswapped instances, where it replaces the default state
// match of accept rules.
func Placement(r *ir.Rule, c IPChain, opts Options) (Install, string) {
	dirIn := r.Direction == ir.DirIn || r.Direction == ir.DirInOut
	inout := r.Direction == ir.DirInOut
	in := Install{Chain: c, Swapped: dirIn, Target: "RETURN"}
	maySkipICMP := dirIn
	initiates := r.Direction == ir.DirOut // the rule's own direction opens connections here
	if c == ChainFO {
		in.Swapped, in.Target = !dirIn, "ACCEPT"
		maySkipICMP = !dirIn || inout
		initiates = r.Direction == ir.DirIn
	}

	explicit := r.StateMatch && r.State != 0
	if explicit {
		if (c == ChainFO && r.Direction == ir.DirOut) || (c != ChainFO && r.Direction == ir.DirIn) {
			return Install{}, fmt.Sprintf("a rule with state= and direction %s has no instance in %s", r.Direction, c)
		}
		if r.State&ir.StateNone == 0 {
			in.State, in.StateNegate = r.State, r.StateNegate
		}
	} else if r.StateMatch && !inout {
		in.State = ir.StateEstablished
		if initiates {
			in.State |= ir.StateNew
		}
	}

	hasType := isICMPRule(r) && hasField(r, ir.FieldICMPType)
	if hasType && maySkipICMP {
		return Install{}, fmt.Sprintf("an %s rule with a type and direction %s has no instance in %s", r.Protocol, r.Direction, c)
	}
	if hasField(r, ir.FieldSrcMAC) {
		in.SrcMAC = !in.Swapped
		if in.Swapped && !hasRenderedMatchBesidesSrcMAC(r) {
			return Install{}, fmt.Sprintf("srcmacaddr is not matched in swapped instances and the rule has no other match, so it has no instance in %s", c)
		}
	}
	skipState := false
	if r.ConnlimitAbove != 0 {
		if in.Swapped {
			return Install{}, fmt.Sprintf("connlimit-above is only installed in unswapped instances; none in %s", c)
		}
		in.Connlimit, skipState = true, true
	}

	if r.Action != ir.ActionAccept {
		in.Target = nonAcceptTargets[r.Action]
		skipState = !explicit // libvirt adds default states to accept rules only
	}
	if skipState {
		in.State, in.StateNegate = 0, false
	}
	if opts.ConntrackDirection && !explicit && in.State != 0 && !hasType {
		in.HasCtDir = true
		if in.Swapped {
			in.CtDir = CtReply
		}
	}
	return in, ""
}

var nonAcceptTargets = map[ir.Action]string{
	ir.ActionDrop: "DROP", ir.ActionReject: "REJECT", ir.ActionReturn: "RETURN", ir.ActionContinue: "",
}

func isICMPRule(r *ir.Rule) bool {
	return r.Protocol == ir.ProtoICMP || r.Protocol == ir.ProtoICMPv6
}

func hasField(r *ir.Rule, f ir.Field) bool {
	for i := range r.Matches {
		if r.Matches[i].Field == f {
			return true
		}
	}
	return false
}

// hasRenderedMatchBesidesSrcMAC reports whether r has a match libvirt renders
// before its "was srcmacaddr the only match" check: addresses, ranges, dscp,
// TCP flags, ports, TCP option, ICMP type. (ipset, state, connlimit and the
// comment come later and do not count.)
func hasRenderedMatchBesidesSrcMAC(r *ir.Rule) bool {
	for i := range r.Matches {
		switch r.Matches[i].Field {
		case ir.FieldSrcIP, ir.FieldDstIP, ir.FieldSrcIPRange, ir.FieldDstIPRange, ir.FieldDSCP,
			ir.FieldTCPFlags, ir.FieldSrcPort, ir.FieldDstPort, ir.FieldTCPOption, ir.FieldICMPType:
			return true
		}
	}
	return false
}
