package nftables

import (
	"fmt"
	"strings"

	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// IP-layer rules follow libvirt's iptables rendering exactly: every rule
// yields up to three instances, one per chain.
//
//	fi  forwarded traffic from the VM  (libvirt FI-<dev>, accept = RETURN)
//	fo  forwarded traffic to the VM    (libvirt FO-<dev>, accept = ACCEPT)
//	hi  traffic from the VM to the host (libvirt HI-<dev>, accept = RETURN)
//
// Which instances exist, whether source and destination are swapped, and which
// conntrack state and direction they match is decided by l3Instances.

// l3Chain is one of a binding's three IP-layer chains.
type l3Chain uint8

const (
	chainFI l3Chain = iota
	chainFO
	chainHI
)

var l3ChainMaps = [...]string{chainFI: mapFI, chainFO: mapFO, chainHI: mapHI}

// instance is one rule instance in one chain.
type instance struct {
	chain l3Chain
	// dirIn swaps source and destination and drops srcmacaddr (libvirt's
	// directionIn argument).
	dirIn bool
	// state, when non-zero, is matched with ct state; stateNegate negates it.
	state       ir.ConnState
	stateNegate bool
	// ctdir is "original", "reply" or "".
	ctdir string
	// connlimit says the instance carries the connlimit-above match.
	connlimit bool
}

// l3Instances decides the instances of an IP-layer rule as libvirt's
// iptablesCreateRuleInstance and iptablesCreateRuleInstanceStateCtrl do;
// ctdir adds libvirt's older ct direction match to default-state instances.
func l3Instances(r *ir.Rule, ctdir bool) []instance {
	directionIn := r.Direction == ir.DirIn || r.Direction == ir.DirInOut
	inout := r.Direction == ir.DirInOut
	hasICMPType := (r.Protocol == ir.ProtoICMP || r.Protocol == ir.ProtoICMPv6) && hasField(r.Matches, ir.FieldICMPType)

	type spec struct {
		chain   l3Chain
		dirIn   bool
		create  bool
		maySkip bool
		state   ir.ConnState
	}
	var specs []spec
	// defMatch: the default-state path, where only accept rules get a state
	// match and that match comes with a ct direction.
	defMatch := !(r.StateMatch && r.State != 0)
	if defMatch {
		needState := r.StateMatch && !inout
		st := func(in bool) ir.ConnState {
			switch {
			case !needState:
				return 0
			case in:
				return ir.StateEstablished
			}
			return ir.StateNew | ir.StateEstablished
		}
		specs = []spec{
			{chainFI, directionIn, true, directionIn || inout, st(directionIn)},
			{chainFO, !directionIn, true, !directionIn || inout, st(!directionIn)},
			{chainHI, directionIn, true, directionIn, st(directionIn)},
		}
	} else {
		st := r.State
		if st&ir.StateNone != 0 {
			st = 0
		}
		specs = []spec{
			{chainFI, directionIn, !(directionIn && !inout), directionIn || inout, st},
			{chainFO, !directionIn, directionIn, !directionIn || inout, st},
			{chainHI, directionIn, !(directionIn && !inout), directionIn, st},
		}
	}

	var out []instance
	for _, s := range specs {
		if !s.create || (hasICMPType && s.maySkip) {
			continue
		}
		if s.dirIn && hasField(r.Matches, ir.FieldSrcMAC) && !hasOtherMatches(r.Matches) {
			// srcmacaddr is dropped in this direction and nothing is left.
			continue
		}
		skipMatch := false
		if r.ConnlimitAbove != 0 {
			if s.dirIn {
				continue // libvirt: connlimit only in the outgoing direction
			}
			skipMatch = true
		}
		if r.Action != ir.ActionAccept {
			skipMatch = defMatch
		}
		in := instance{chain: s.chain, dirIn: s.dirIn, connlimit: r.ConnlimitAbove != 0}
		if s.state != 0 && !skipMatch {
			in.state = s.state
			in.stateNegate = !defMatch && r.StateNegate
			if ctdir && defMatch && !hasICMPType && !inout {
				in.ctdir = "original"
				if s.dirIn {
					in.ctdir = "reply"
				}
			}
		}
		out = append(out, in)
	}
	return out
}

// hasOtherMatches reports whether ms has a match that libvirt counts before
// deciding to drop an instance whose only match was a skipped srcmacaddr.
func hasOtherMatches(ms []ir.Match) bool {
	for _, m := range ms {
		if m.Field != ir.FieldSrcMAC && m.Field != ir.FieldIPSet {
			return true
		}
	}
	return false
}

var tcpFlagNft = []struct {
	bit  ir.TCPFlag
	name string
}{{ir.TCPFin, "fin"}, {ir.TCPSyn, "syn"}, {ir.TCPRst, "rst"}, {ir.TCPPsh, "psh"}, {ir.TCPAck, "ack"}, {ir.TCPUrg, "urg"}}

func tcpFlagsText(f ir.TCPFlag) string {
	var parts []string
	for _, fl := range tcpFlagNft {
		if f&fl.bit != 0 {
			parts = append(parts, fl.name)
		}
	}
	if len(parts) == 0 {
		return "0x0"
	}
	return "(" + strings.Join(parts, "|") + ")"
}

var ctStateNft = []struct {
	bit  ir.ConnState
	name string
}{{ir.StateNew, "new"}, {ir.StateEstablished, "established"}, {ir.StateRelated, "related"}, {ir.StateInvalid, "invalid"}}

func ctStateText(s ir.ConnState) string {
	var parts []string
	for _, st := range ctStateNft {
		if s&st.bit != 0 {
			parts = append(parts, st.name)
		}
	}
	return strings.Join(parts, ",")
}

// l3Rendering is what an IP-layer instance needs besides the rule.
type l3Rendering struct {
	family knftables.Family
	// connlimitSet names the dynamic set counting connections, when the
	// instance has connlimit.
	connlimitSet string
}

// l3Rule renders one instance of an IP-layer rule.
func l3Rule(r *ir.Rule, in instance, x l3Rendering) (nftRule, error) {
	v6 := r.Protocol.Layer() == ir.LayerIPv6
	ip, icmp, nfproto, ethertype := "ip", "icmp", "ipv4", "0x0800"
	if v6 {
		ip, icmp, nfproto, ethertype = "ip6", "icmpv6", "ipv6", "0x86dd"
	}
	var t ruleText
	if x.family == knftables.BridgeFamily {
		t.add("ether type %s", ethertype)
	} else {
		t.add("meta nfproto %s", nfproto)
	}
	if p, ok := r.Protocol.IPProto(); ok {
		t.add("meta l4proto %d", p)
	}
	ms := r.Matches
	if in.dirIn {
		ms = swapMatches(ms)
	}
	var icmpType, icmpCode *ir.Match
	var sets []ir.Match
	for i, m := range ms {
		switch m.Field {
		case ir.FieldSrcMAC, ir.FieldDstMAC:
			// ms may be swapped; srcmacaddr only applies unswapped.
			if !in.dirIn {
				matchMAC(&t, "ether saddr", m)
			}
		case ir.FieldSrcIP, ir.FieldSrcIPRange:
			if err := matchAddr(&t, ip+" saddr", m); err != nil {
				return nftRule{}, err
			}
		case ir.FieldDstIP, ir.FieldDstIPRange:
			if err := matchAddr(&t, ip+" daddr", m); err != nil {
				return nftRule{}, err
			}
		case ir.FieldDSCP:
			matchNum(&t, ip+" dscp", m)
		case ir.FieldTCPFlags:
			t.add("tcp flags & %s %s%s", tcpFlagsText(m.TCPFlags.Mask), eqRel(m.Negate), tcpFlagsText(m.TCPFlags.Set&m.TCPFlags.Mask))
		case ir.FieldSrcPort:
			matchNum(&t, "th sport", m)
		case ir.FieldDstPort:
			matchNum(&t, "th dport", m)
		case ir.FieldTCPOption:
			word := "exists"
			if m.Negate {
				word = "missing"
			}
			t.add("tcp option %d %s", m.Lo, word)
		case ir.FieldICMPType:
			icmpType = &ms[i]
		case ir.FieldICMPCode:
			icmpCode = &ms[i]
		case ir.FieldIPSet:
			sets = append(sets, m)
		default:
			return nftRule{}, fmt.Errorf("%w: field %s in a %s rule", ErrUnsupported, m.Field, r.Protocol)
		}
	}
	if icmpType != nil {
		// libvirt negates type and code together (! --icmp-type T/C).
		switch {
		case icmpCode == nil:
			t.add("%s type %s%d", icmp, rel(icmpType.Negate), icmpType.Lo)
		case icmpType.Negate:
			t.add("@th,0,16 != 0x%02x%02x", icmpType.Lo, icmpCode.Lo)
		default:
			t.add("%s type %d %s code %d", icmp, icmpType.Lo, icmp, icmpCode.Lo)
		}
	}
	if in.state != 0 {
		t.add("ct state %s%s", rel(in.stateNegate), ctStateText(in.state))
	}
	if in.ctdir != "" {
		t.add("ct direction %s", in.ctdir)
	}
	for _, m := range sets {
		if len(m.IPSet.Dirs) != 1 {
			return nftRule{}, fmt.Errorf("%w: ipset %q with %d dimensions (only one: src or dst)", ErrUnsupported, m.IPSet.Name, len(m.IPSet.Dirs))
		}
		field := ip + " saddr"
		if m.IPSet.Dirs[0] == ir.SetDst {
			field = ip + " daddr"
		}
		t.add("%s %s@%s", field, rel(m.Negate), ipsetName(m.IPSet.Name, v6))
	}
	if in.connlimit {
		over := "over "
		if r.ConnlimitNegate {
			over = ""
		}
		t.add("update @%s { %s saddr ct count %s%d }", x.connlimitSet, ip, over, r.ConnlimitAbove)
	}
	if v := l3Verdict(r.Action, in.chain, x.family); v != "" {
		t.add("%s", v)
	}
	return nftRule{Text: t.String(), Comment: commentOf(r)}, nil
}

// l3Verdict maps an action to a verdict in chain c. accept ends the binding's
// evaluation only in fo; in fi and hi it returns, as libvirt's RETURN does, so
// the fo chain of the output port still runs. REJECT is a real reject in the
// inet table; the bridge family's reject expression is limited to the
// prerouting and input hooks and missing from kernels without
// CONFIG_NFT_REJECT_BRIDGE, so there it is a drop.
func l3Verdict(a ir.Action, c l3Chain, family knftables.Family) string {
	switch a {
	case ir.ActionAccept:
		if c == chainFO {
			return "accept"
		}
		return "return"
	case ir.ActionDrop:
		return "drop"
	case ir.ActionReject:
		if family == knftables.BridgeFamily {
			return "drop"
		}
		return "reject"
	case ir.ActionReturn:
		return "return"
	}
	return ""
}

// ipsetName is the nft set mirroring ipset name for one address family.
func ipsetName(name string, v6 bool) string {
	if v6 {
		return ident(prefixIPSet6, name)
	}
	return ident(prefixIPSet4, name)
}
