package xtables

import (
	"errors"
	"fmt"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// renderEbtables turns a graph's Ethernet layer into ebtables chains: per
// side a root chain holding the root rules and guarded jumps into the
// sub-chains, in the graph's order. A chain exists only when it has rules
// for its side, and a root chain only when it has rules or jumps.
func renderEbtables(g *ir.Graph) (*bindingRules, error) {
	out := &bindingRules{port: g.Binding.PortDev}
	if len(g.Ethernet) == 0 {
		return out, nil
	}
	root := g.Ethernet[0]
	if root.Kind != ir.ChainRoot {
		return nil, fmt.Errorf("binding %q: first Ethernet chain is %q, not the root chain", g.Binding.PortDev, root.Name)
	}
	for _, s := range []side{sideFrom, sideTo} {
		subs := make(map[*ir.Chain]int) // sub-chain → index in bodies
		var bodies []chainBody
		for i, c := range g.Ethernet[1:] {
			if _, err := token(tokChainName, c.Name); err != nil {
				return nil, fmt.Errorf("binding %q: %w", g.Binding.PortDev, err)
			}
			lines, err := ebChainRules(g, c, s)
			if err != nil {
				return nil, err
			}
			if len(lines) == 0 {
				continue
			}
			subs[c] = len(bodies)
			bodies = append(bodies, chainBody{side: s, sub: c.Name, subIdx: i + 1, rules: endWithAccept(lines)})
		}
		base := len(out.chains)
		rootBody := chainBody{side: s}
		for _, e := range root.Entries {
			switch {
			case e.Rule != nil:
				l, ok, err := ebLine(g, e.Rule, s)
				if err != nil {
					return nil, err
				}
				if ok {
					rootBody.rules = append(rootBody.rules, l)
				}
			case e.Jump != nil:
				idx, ok := subs[e.Jump]
				if !ok {
					continue // no rules for this side, or not in the graph
				}
				rootBody.rules = append(rootBody.rules, ruleLine{args: jumpGuard(e.Jump.Kind), jump: base + 1 + idx + 1})
			}
		}
		if len(rootBody.rules) == 0 {
			continue
		}
		rootBody.rules = endWithAccept(rootBody.rules)
		out.chains = append(out.chains, rootBody)
		out.chains = append(out.chains, bodies...)
	}
	out.fingerprint()
	return out, nil
}

// endWithAccept makes a frame that falls off the end of a chain accepted,
// as libvirt's chains (policy ACCEPT) do. ebtables-nft writes a policy other
// than RETURN as a rule at the end of the chain, which every commit's
// validation and every rule listing then walks; our chains have policy
// RETURN instead, and the closing ACCEPT is a rule only where the last rule
// does not already end the chain with an unconditional verdict.
func endWithAccept(rules []ruleLine) []ruleLine {
	if n := len(rules); n > 0 {
		last := rules[n-1]
		if len(last.args) == 0 && last.jump == 0 && (last.verdict == "ACCEPT" || last.verdict == "DROP" || last.verdict == "RETURN") {
			return rules
		}
	}
	return append(rules, ruleLine{verdict: "ACCEPT"})
}

func ebChainRules(g *ir.Graph, c *ir.Chain, s side) ([]ruleLine, error) {
	var lines []ruleLine
	for _, e := range c.Entries {
		if e.Jump != nil {
			return nil, fmt.Errorf("binding %q: sub-chain %q holds a jump; only the root chain may", g.Binding.PortDev, c.Name)
		}
		if e.Rule == nil {
			continue
		}
		l, ok, err := ebLine(g, e.Rule, s)
		if err != nil {
			return nil, err
		}
		if ok {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// jumpGuard is the protocol match in front of a jump into a sub-chain.
func jumpGuard(k ir.ChainKind) []string {
	if et, ok := k.EtherType(); ok {
		return []string{"-p", fmt.Sprintf("0x%04x", et)}
	}
	if k == ir.ChainSTP {
		return []string{"-d", ir.STPMAC.String()}
	}
	return nil
}

// ebSideOf says whether rule r has a copy on side s and whether that copy
// has source and destination swapped: out rules go to the from-VM side as
// written, in rules to the to-VM side as written, inout rules to both, the
// from-VM copy swapped (libvirt's mapping).
func ebSideOf(d ir.Direction, s side) (apply, swap bool) {
	switch d {
	case ir.DirOut:
		return s == sideFrom, false
	case ir.DirIn:
		return s == sideTo, false
	default:
		return true, s == sideFrom
	}
}

func ebLine(g *ir.Graph, r *ir.Rule, s side) (ruleLine, bool, error) {
	apply, swap := ebSideOf(r.Direction, s)
	if !apply {
		return ruleLine{}, false, nil
	}
	args, err := ebArgs(r, swap)
	if err != nil {
		return ruleLine{}, false, &RuleError{PortDev: g.Binding.PortDev, Rule: r.Origin, Err: err}
	}
	return ruleLine{args: args, verdict: ebVerdict(r.Action)}, true, nil
}

// ebVerdict maps an action to an ebtables target; ebtables has no REJECT,
// so reject drops (as libvirt does).
func ebVerdict(a ir.Action) string {
	switch a {
	case ir.ActionAccept:
		return "ACCEPT"
	case ir.ActionReturn:
		return "RETURN"
	case ir.ActionContinue:
		return "CONTINUE"
	}
	return "DROP"
}

var errSTPInOut = errors.New("an stp rule with srcmacaddr cannot be inout (its destination is the STP group address)")

// ebArgs renders the match arguments of an Ethernet-layer rule.
func ebArgs(r *ir.Rule, swap bool) ([]string, error) {
	if r.StateMatch && r.State != 0 || r.ConnlimitAbove != 0 {
		return nil, fmt.Errorf("ebtables rules cannot match connection state or connlimit (%s rule)", r.Protocol)
	}
	m := newMatches(r)
	src, dst := "-s", "-d"
	if swap {
		src, dst = dst, src
	}
	var w words
	if x := m.get(ir.FieldSrcMAC); x != nil {
		if r.Protocol == ir.ProtoSTP && swap {
			return nil, errSTPInOut
		}
		w = w.optValNeg(x.Negate, src, macText(x))
	}
	if x := m.get(ir.FieldDstMAC); x != nil {
		w = w.optValNeg(x.Negate, dst, macText(x))
	}
	var err error
	switch r.Protocol {
	case ir.ProtoNone:
	case ir.ProtoMAC:
		if x := m.get(ir.FieldEtherType); x != nil {
			w = w.optValNeg(x.Negate, "-p", hex(x.Lo))
		}
	case ir.ProtoVLAN:
		w = append(w, "-p", "0x8100")
		if x := m.get(ir.FieldVLANID); x != nil {
			w = w.optValNeg(x.Negate, "--vlan-id", dec(x.Lo))
		}
		if x := m.get(ir.FieldVLANEncap); x != nil {
			w = w.optValNeg(x.Negate, "--vlan-encap", hex(x.Lo))
		}
	case ir.ProtoSTP:
		w = append(w, "-d", ir.STPMAC.String())
		w = ebSTP(w, m)
	case ir.ProtoARP, ir.ProtoRARP:
		w, err = ebARP(w, m, swap)
	case ir.ProtoIP:
		w, err = ebIP(w, m, swap, "ipv4", "--ip-")
	case ir.ProtoIPv6:
		w, err = ebIP(w, m, swap, "ipv6", "--ip6-")
	default:
		return nil, fmt.Errorf("%s is not an Ethernet-layer protocol", r.Protocol)
	}
	if err != nil {
		return nil, err
	}
	if err := m.unused("ebtables"); err != nil {
		return nil, err
	}
	return w, nil
}

var stpOptions = []struct {
	field ir.Field
	flag  string
}{
	{ir.FieldSTPType, "--stp-type"},
	{ir.FieldSTPFlags, "--stp-flags"},
	{ir.FieldSTPRootPriority, "--stp-root-pri"},
	{ir.FieldSTPRootAddr, "--stp-root-addr"},
	{ir.FieldSTPRootCost, "--stp-root-cost"},
	{ir.FieldSTPSenderPriority, "--stp-sender-prio"},
	{ir.FieldSTPSenderAddr, "--stp-sender-addr"},
	{ir.FieldSTPPort, "--stp-port"},
	{ir.FieldSTPMsgAge, "--stp-msg-age"},
	{ir.FieldSTPMaxAge, "--stp-max-age"},
	{ir.FieldSTPHelloTime, "--stp-hello-time"},
	{ir.FieldSTPForwardDelay, "--stp-forward-delay"},
}

func ebSTP(w words, m *matches) words {
	for _, o := range stpOptions {
		x := m.get(o.field)
		if x == nil {
			continue
		}
		v := numRange(x)
		if o.field == ir.FieldSTPRootAddr || o.field == ir.FieldSTPSenderAddr {
			v = macText(x)
		}
		w = w.optValNeg(x.Negate, o.flag, v)
	}
	return w
}

func ebARP(w words, m *matches, swap bool) (words, error) {
	if m.r.Protocol == ir.ProtoARP {
		w = append(w, "-p", "0x806")
	} else {
		w = append(w, "-p", "0x8035")
	}
	if x := m.get(ir.FieldARPHType); x != nil {
		w = w.optValNeg(x.Negate, "--arp-htype", dec(x.Lo))
	}
	if x := m.get(ir.FieldARPOpcode); x != nil {
		w = w.optValNeg(x.Negate, "--arp-opcode", dec(x.Lo))
	}
	if x := m.get(ir.FieldARPPType); x != nil {
		w = w.optValNeg(x.Negate, "--arp-ptype", hex(x.Lo))
	}
	ipSrc, ipDst, macSrc, macDst := "--arp-ip-src", "--arp-ip-dst", "--arp-mac-src", "--arp-mac-dst"
	if swap {
		ipSrc, ipDst, macSrc, macDst = ipDst, ipSrc, macDst, macSrc
	}
	w, err := ebPrefixes(w, m, ir.FieldARPSrcIP, ipSrc, ir.FieldARPDstIP, ipDst)
	if err != nil {
		return nil, err
	}
	if x := m.get(ir.FieldARPSrcMAC); x != nil {
		w = w.optValNeg(x.Negate, macSrc, macText(x))
	}
	if x := m.get(ir.FieldARPDstMAC); x != nil {
		w = w.optValNeg(x.Negate, macDst, macText(x))
	}
	if x := m.get(ir.FieldARPGratuitous); x != nil {
		// gratuitous='false' or match='no' negate; both together cancel.
		if x.Negate == x.Bool {
			w = append(w, "!")
		}
		w = append(w, "--arp-gratuitous")
	}
	return w, nil
}

// ebIP renders the ip and ipv6 elements; opt is "--ip-" or "--ip6-".
func ebIP(w words, m *matches, swap bool, proto, opt string) (words, error) {
	w = append(w, "-p", proto)
	src, dst := opt+"source", opt+"destination"
	if swap {
		src, dst = dst, src
	}
	w, err := ebPrefixes(w, m, ir.FieldSrcIP, src, ir.FieldDstIP, dst)
	if err != nil {
		return nil, err
	}
	if x := m.get(ir.FieldIPProto); x != nil {
		w = w.optValNeg(x.Negate, opt+"protocol", dec(x.Lo))
	}
	sport, dport := opt+"source-port", opt+"destination-port"
	if swap {
		sport, dport = dport, sport
	}
	if x := m.get(ir.FieldSrcPort); x != nil {
		w = w.optValNeg(x.Negate, sport, numRange(x))
	}
	if x := m.get(ir.FieldDstPort); x != nil {
		w = w.optValNeg(x.Negate, dport, numRange(x))
	}
	if proto == "ipv4" {
		if x := m.get(ir.FieldDSCP); x != nil {
			// --ip-tos compares the whole TOS byte: DSCP is its upper six bits.
			w = w.optValNeg(x.Negate, "--ip-tos", fmt.Sprintf("0x%02x", x.Lo<<2))
		}
		return w, nil
	}
	typ, code := m.get(ir.FieldICMPType), m.get(ir.FieldICMPCode)
	if typ == nil && code == nil {
		return w, nil
	}
	bounds := func(x *ir.Match) (string, bool) {
		if x == nil {
			return "0:255", false
		}
		hi := x.Lo
		if x.HasHi {
			hi = x.Hi
		}
		return dec(x.Lo) + ":" + dec(hi), x.Negate
	}
	t, tneg := bounds(typ)
	c, cneg := bounds(code)
	return w.optValNeg(tneg || cneg, "--ip6-icmp-type", t+"/"+c), nil
}

// ebPrefixes writes the address matches of two fields (source first) with
// the given options.
func ebPrefixes(w words, m *matches, f1 ir.Field, flag1 string, f2 ir.Field, flag2 string) (words, error) {
	for _, o := range [2]struct {
		f    ir.Field
		flag string
	}{{f1, flag1}, {f2, flag2}} {
		if x := m.get(o.f); x != nil {
			v, err := prefixText(x)
			if err != nil {
				return nil, err
			}
			w = w.optValNeg(x.Negate, o.flag, v)
		}
	}
	return w, nil
}
