package ir

import "fmt"

// IPChain is one of the three IP-layer chains libvirt installs per binding.
// They are named by what they see, not by any backend's syntax.
type IPChain uint8

// IP-layer chains, in libvirt's order (its FI-<dev>, FO-<dev> and HI-<dev>).
const (
	// IPChainFI sees packets from the VM that are forwarded.
	IPChainFI IPChain = iota
	// IPChainFO sees packets forwarded to the VM.
	IPChainFO
	// IPChainHI sees packets from the VM to the host.
	IPChainHI
)

var ipChainNames = [...]string{IPChainFI: "FI", IPChainFO: "FO", IPChainHI: "HI"}

// String returns "FI", "FO" or "HI".
func (c IPChain) String() string { return enumName(ipChainNames[:], c, "ipchain") }

// ConnDir is the conntrack direction an instance matches.
type ConnDir uint8

// Conntrack directions.
const (
	// ConnDirAny is no direction match.
	ConnDirAny ConnDir = iota
	// ConnDirOriginal matches packets in the direction that opened the
	// connection.
	ConnDirOriginal
	// ConnDirReply matches packets in the opposite direction.
	ConnDirReply
)

var connDirNames = [...]string{ConnDirAny: "any", ConnDirOriginal: "original", ConnDirReply: "reply"}

// String returns "any", "original" or "reply".
func (d ConnDir) String() string { return enumName(connDirNames[:], d, "conndir") }

// InstanceVerdict is what an instance does to a packet it matches. Each
// backend maps it to its own syntax.
type InstanceVerdict uint8

// Instance verdicts.
const (
	// VerdictNone is no verdict (a continue rule): evaluation goes on with
	// the next instance.
	VerdictNone InstanceVerdict = iota
	// VerdictAccept accepts the packet for the IP layer.
	VerdictAccept
	// VerdictReturn leaves the chain. Every IP-layer chain ends in accept
	// (for FI, libvirt's shared libvirt-in-post chain accepts next), so
	// return from FI or HI is how an accept rule lets the packet go on to
	// its other checks.
	VerdictReturn
	// VerdictDrop drops the packet.
	VerdictDrop
	// VerdictReject refuses the packet with an error reply.
	VerdictReject
)

var instanceVerdictNames = [...]string{
	VerdictNone: "none", VerdictAccept: "accept", VerdictReturn: "return", VerdictDrop: "drop", VerdictReject: "reject",
}

// String returns "none", "accept", "return", "drop" or "reject".
func (v InstanceVerdict) String() string { return enumName(instanceVerdictNames[:], v, "verdict") }

// Instance is how one IP-layer rule is installed in one chain.
type Instance struct {
	// Chain is the chain the instance is in.
	Chain IPChain
	// Swapped exchanges source and destination: addresses, address ranges,
	// ports and ipset directions.
	Swapped bool
	// SrcMAC is set when the rule's srcmacaddr is matched (only unswapped
	// instances match it).
	SrcMAC bool
	// State is the conntrack state match, 0 for none.
	State ConnState
	// StateNegate negates the state match.
	StateNegate bool
	// CtDir is the conntrack direction match (libvirt's older --ctdir, see
	// Placement).
	CtDir ConnDir
	// Connlimit adds the rule's connlimit-above match.
	Connlimit bool
	// Verdict is what a matching packet gets.
	Verdict InstanceVerdict
}

// Instances returns the instances of IP-layer rule r, in chain order (FI,
// FO, HI), leaving out the chains Placement gives no instance.
func Instances(r *Rule, ctdir bool) []Instance {
	out := make([]Instance, 0, 3)
	for c := IPChainFI; c <= IPChainHI; c++ {
		if in, absent := Placement(r, c, ctdir); absent == "" {
			out = append(out, in)
		}
	}
	return out
}

// Placement returns how IP-layer rule r is installed in chain c, following
// libvirt's ebiptables driver (iptablesCreateRuleInstance and
// iptablesCreateRuleInstanceStateCtrl). When libvirt installs no instance of
// r in c, it returns a non-empty reason instead. ctdir adds libvirt's older
// conntrack direction match.
//
// The rules: FI and HI instances are swapped for rules with direction in or
// inout, FO instances for direction out. The verdict of accept rules is
// accept in FO and return in FI and HI; drop, reject and return rules keep
// theirs in every chain; continue rules have none. Accept rules with
// statematch on and no state= match NEW,ESTABLISHED where the rule's own
// direction initiates (FO for in, FI/HI for out) and ESTABLISHED on the
// other side; with ctdir they also get a conntrack direction match (reply in
// swapped instances, original otherwise) unless the rule is ICMP with a
// type. inout rules and statematch='false' get no state match. An explicit
// state= (NONE: no match) is used as given, also for non-accept rules,
// without ctdir, and only in FI/HI for out/inout and FO for in/inout. ICMP
// rules with a type are left out of FI for in/inout, of FO for out/inout and
// of HI for in/inout. srcmacaddr is only matched in unswapped instances; a
// swapped instance whose only match would be srcmacaddr (ipset, state and
// connlimit do not count) is left out. connlimit-above is only installed in
// unswapped instances, where it replaces the default state match of accept
// rules; an explicit state= stays.
func Placement(r *Rule, c IPChain, ctdir bool) (Instance, string) {
	dirIn := r.Direction == DirIn || r.Direction == DirInOut
	inout := r.Direction == DirInOut
	in := Instance{Chain: c, Swapped: dirIn, Verdict: VerdictReturn}
	maySkipICMP := dirIn
	initiates := r.Direction == DirOut // the rule's own direction opens connections here
	if c == IPChainFO {
		in.Swapped, in.Verdict = !dirIn, VerdictAccept
		maySkipICMP = !dirIn || inout
		initiates = r.Direction == DirIn
	}

	explicit := r.StateMatch && r.State != 0
	if explicit {
		if (c == IPChainFO && r.Direction == DirOut) || (c != IPChainFO && r.Direction == DirIn) {
			return Instance{}, fmt.Sprintf("a rule with state= and direction %s has no instance in %s", r.Direction, c)
		}
		if r.State&StateNone == 0 {
			in.State, in.StateNegate = r.State, r.StateNegate
		}
	} else if r.StateMatch && !inout {
		in.State = StateEstablished
		if initiates {
			in.State |= StateNew
		}
	}

	hasType := r.isICMP() && r.has(FieldICMPType)
	if hasType && maySkipICMP {
		return Instance{}, fmt.Sprintf("an %s rule with a type and direction %s has no instance in %s", r.Protocol, r.Direction, c)
	}
	if r.has(FieldSrcMAC) {
		in.SrcMAC = !in.Swapped
		if in.Swapped && !r.hasMatchBesidesSrcMAC() {
			return Instance{}, fmt.Sprintf("srcmacaddr is not matched in swapped instances and the rule has no other match, so it has no instance in %s", c)
		}
	}
	skipState := false
	if r.ConnlimitAbove != 0 {
		if in.Swapped {
			return Instance{}, fmt.Sprintf("connlimit-above is only installed in unswapped instances; none in %s", c)
		}
		in.Connlimit, skipState = true, true
	}

	if r.Action != ActionAccept {
		in.Verdict = nonAcceptVerdicts[r.Action]
		skipState = !explicit // libvirt adds default states to accept rules only
	}
	if skipState {
		in.State, in.StateNegate = 0, false
	}
	if ctdir && !explicit && in.State != 0 && !hasType {
		in.CtDir = ConnDirOriginal
		if in.Swapped {
			in.CtDir = ConnDirReply
		}
	}
	return in, ""
}

var nonAcceptVerdicts = [...]InstanceVerdict{
	ActionDrop: VerdictDrop, ActionReject: VerdictReject, ActionReturn: VerdictReturn, ActionContinue: VerdictNone,
}

func (r *Rule) isICMP() bool { return r.Protocol == ProtoICMP || r.Protocol == ProtoICMPv6 }

func (r *Rule) has(f Field) bool {
	for i := range r.Matches {
		if r.Matches[i].Field == f {
			return true
		}
	}
	return false
}

// hasMatchBesidesSrcMAC reports whether r has a match libvirt renders before
// its "was srcmacaddr the only match" check: addresses, ranges, dscp, TCP
// flags, ports, TCP option, ICMP type. (ipset, state, connlimit and the
// comment come later and do not count.)
func (r *Rule) hasMatchBesidesSrcMAC() bool {
	for i := range r.Matches {
		switch r.Matches[i].Field {
		case FieldSrcIP, FieldDstIP, FieldSrcIPRange, FieldDstIPRange, FieldDSCP,
			FieldTCPFlags, FieldSrcPort, FieldDstPort, FieldTCPOption, FieldICMPType:
			return true
		}
	}
	return false
}
