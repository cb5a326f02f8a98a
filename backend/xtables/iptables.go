package xtables

import (
	"fmt"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// renderIPTables turns a graph's IP-layer rules of one family (LayerIPv4 or
// LayerIPv6) into the three per-binding chains FI, FO and HI. A binding with
// no rule of the family gets no chains at all (as in libvirt).
func renderIPTables(g *ir.Graph, family ir.Layer, ctdir bool) (*bindingRules, error) {
	out := &bindingRules{port: g.Binding.PortDev}
	var bodies [3]chainBody
	any := false
	for _, r := range g.IP {
		if r.Protocol.Layer() != family {
			continue
		}
		any = true
		for c := chainFI; c <= chainHI; c++ {
			l, ok, err := ipInstance(r, c, ctdir)
			if err != nil {
				return nil, &RuleError{PortDev: g.Binding.PortDev, Rule: r.Origin, Err: err}
			}
			if ok {
				bodies[c].rules = append(bodies[c].rules, l)
			}
		}
	}
	if any {
		for c := chainFI; c <= chainHI; c++ {
			bodies[c].ip = c
			out.chains = append(out.chains, bodies[c])
		}
	}
	out.fingerprint()
	return out, nil
}

// ipInstance renders rule r's instance in chain c, following libvirt: FI
// and HI see traffic from the VM, FO traffic to it; "dirIn" instances swap
// source and destination. It returns false when libvirt would emit no
// instance in that chain.
func ipInstance(r *ir.Rule, c ipChain, ctdir bool) (ruleLine, bool, error) {
	towardsVM := r.Direction == ir.DirIn || r.Direction == ir.DirInOut
	dirIn := towardsVM
	if c == chainFO {
		dirIn = !towardsVM
	}
	m := newMatches(r)
	icmpType := (r.Protocol == ir.ProtoICMP || r.Protocol == ir.ProtoICMPv6) && m.has(ir.FieldICMPType)
	if icmpType {
		switch {
		case c == chainFI && towardsVM,
			c == chainFO && r.Direction != ir.DirIn,
			c == chainHI && r.Direction == ir.DirIn:
			return ruleLine{}, false, nil
		}
	}
	explicitState := r.StateMatch && r.State != 0
	if explicitState {
		if c == chainFO && !towardsVM || c != chainFO && r.Direction == ir.DirIn {
			return ruleLine{}, false, nil
		}
	}
	if r.ConnlimitAbove != 0 && dirIn {
		return ruleLine{}, false, nil
	}
	if dirIn && m.has(ir.FieldSrcMAC) && len(r.Matches) == 1 {
		return ruleLine{}, false, nil // the MAC was the rule's only match
	}

	proto, err := ipProtoName(r.Protocol)
	if err != nil {
		return ruleLine{}, false, err
	}
	w := words{"-p", proto}
	if x := m.get(ir.FieldSrcMAC); x != nil && !dirIn { // dropped in dirIn instances
		w = append(w, "-m", "mac")
		w = w.opt(x.Negate, "--mac-source", x.MAC.String())
	}
	if w, err = ipAddrs(w, m, dirIn); err != nil {
		return ruleLine{}, false, err
	}
	if x := m.get(ir.FieldDSCP); x != nil {
		w = append(w, "-m", "dscp")
		w = w.opt(x.Negate, "--dscp", dec(x.Lo))
	}
	if x := m.get(ir.FieldTCPFlags); x != nil {
		if x.Negate {
			w = append(w, "!")
		}
		w = append(w, "--tcp-flags", x.TCPFlags.Mask.String(), x.TCPFlags.Set.String())
	}
	sport, dport := "--sport", "--dport"
	if dirIn {
		sport, dport = dport, sport
	}
	if x := m.get(ir.FieldSrcPort); x != nil {
		w = w.opt(x.Negate, sport, numRange(x))
	}
	if x := m.get(ir.FieldDstPort); x != nil {
		w = w.opt(x.Negate, dport, numRange(x))
	}
	if x := m.get(ir.FieldTCPOption); x != nil {
		w = w.opt(x.Negate, "--tcp-option", dec(x.Lo))
	}
	if w, err = ipICMP(w, m); err != nil {
		return ruleLine{}, false, err
	}
	w = ipState(w, r, c, icmpType, explicitState, dirIn, ctdir)
	if x := m.get(ir.FieldIPSet); x != nil {
		set, err := ipSetArgs(x, dirIn)
		if err != nil {
			return ruleLine{}, false, err
		}
		w = append(w, "-m", "set")
		w = w.opt(x.Negate, "--match-set", set[0])
		w = append(w, set[1])
	}
	if r.ConnlimitAbove != 0 {
		w = append(w, "-m", "connlimit")
		w = w.opt(r.ConnlimitNegate, "--connlimit-above", dec(uint32(r.ConnlimitAbove)))
	}
	if r.Comment != "" {
		cm, err := token(tokComment, r.Comment)
		if err != nil {
			return ruleLine{}, false, err
		}
		w = append(w, "-m", "comment", "--comment", cm)
	}
	if err := m.unused("iptables"); err != nil {
		return ruleLine{}, false, err
	}
	return ruleLine{args: w, verdict: ipVerdict(r.Action, c)}, true, nil
}

// ipState adds libvirt's connection-state matching: an explicit state=
// list as given; otherwise, for accept rules with statematch on that are not
// inout (and have no connlimit), NEW,ESTABLISHED in the direction that may
// initiate and ESTABLISHED in the other.
func ipState(w words, r *ir.Rule, c ipChain, icmpType, explicit, dirIn, ctdir bool) words {
	if r.ConnlimitAbove != 0 {
		return w
	}
	if explicit {
		if r.State&ir.StateNone != 0 {
			return w
		}
		w = append(w, "-m", "conntrack")
		return w.opt(r.StateNegate, "--ctstate", r.State.String())
	}
	if !r.StateMatch || r.Action != ir.ActionAccept || r.Direction == ir.DirInOut {
		return w
	}
	initiator := r.Direction == ir.DirOut // the VM may open connections
	if c == chainFO {
		initiator = r.Direction == ir.DirIn
	}
	state := "ESTABLISHED"
	if initiator {
		state = "NEW,ESTABLISHED"
	}
	w = append(w, "-m", "conntrack", "--ctstate", state)
	if ctdir && !icmpType {
		dir := "ORIGINAL"
		if dirIn {
			dir = "REPLY"
		}
		w = append(w, "-m", "conntrack", "--ctdir", dir)
	}
	return w
}

func ipAddrs(w words, m *matches, dirIn bool) (words, error) {
	src, dst, srcRange, dstRange := "--source", "--destination", "--src-range", "--dst-range"
	if dirIn {
		src, dst, srcRange, dstRange = dst, src, dstRange, srcRange
	}
	for _, o := range []struct {
		addr, rng   ir.Field
		flag, rflag string
	}{{ir.FieldSrcIP, ir.FieldSrcIPRange, src, srcRange}, {ir.FieldDstIP, ir.FieldDstIPRange, dst, dstRange}} {
		if x := m.get(o.addr); x != nil {
			v, err := prefixText(x)
			if err != nil {
				return nil, err
			}
			w = w.opt(x.Negate, o.flag, v)
		}
		if x := m.get(o.rng); x != nil {
			v, err := rangeText(x)
			if err != nil {
				return nil, err
			}
			w = append(w, "-m", "iprange")
			w = w.opt(x.Negate, o.rflag, v)
		}
	}
	return w, nil
}

func ipICMP(w words, m *matches) (words, error) {
	typ, code := m.get(ir.FieldICMPType), m.get(ir.FieldICMPCode)
	if typ == nil {
		if code != nil {
			return nil, fmt.Errorf("an ICMP code needs an ICMP type")
		}
		return w, nil
	}
	v := dec(typ.Lo)
	if code != nil {
		v += "/" + dec(code.Lo)
	}
	flag := "--icmp-type"
	if m.r.Protocol == ir.ProtoICMPv6 {
		flag = "--icmpv6-type"
	}
	return w.opt(typ.Negate, flag, v), nil
}

// ipSetArgs returns the set name and its per-dimension src/dst flags, swapped
// for dirIn instances.
func ipSetArgs(x *ir.Match, dirIn bool) ([2]string, error) {
	name, err := token(tokSetName, x.IPSet.Name)
	if err != nil {
		return [2]string{}, err
	}
	dirs := x.IPSet.Dirs
	if len(dirs) == 0 {
		dirs = []ir.SetDir{ir.SetSrc}
	}
	flags := make([]string, len(dirs))
	for i, d := range dirs {
		if (d == ir.SetSrc) != dirIn {
			flags[i] = "src"
		} else {
			flags[i] = "dst"
		}
	}
	return [2]string{name, strings.Join(flags, ",")}, nil
}

func ipProtoName(p ir.Protocol) (string, error) {
	switch p {
	case ir.ProtoAll, ir.ProtoAllv6:
		return "all", nil
	case ir.ProtoICMPv6:
		return "icmpv6", nil
	case ir.ProtoTCP, ir.ProtoTCPv6:
		return "tcp", nil
	case ir.ProtoUDP, ir.ProtoUDPv6:
		return "udp", nil
	case ir.ProtoUDPLite, ir.ProtoUDPLitev6:
		return "udplite", nil
	case ir.ProtoESP, ir.ProtoESPv6:
		return "esp", nil
	case ir.ProtoAH, ir.ProtoAHv6:
		return "ah", nil
	case ir.ProtoSCTP, ir.ProtoSCTPv6:
		return "sctp", nil
	case ir.ProtoICMP:
		return "icmp", nil
	case ir.ProtoIGMP:
		return "igmp", nil
	}
	return "", fmt.Errorf("%s is not an IP-layer protocol", p)
}

// ipVerdict maps an action to an iptables target. Accept in the chains that
// see traffic from the VM is RETURN (the packet goes on to the shared
// in-post chain, which accepts it); continue has no target at all (libvirt
// writes "-j CONTINUE", which iptables does not know).
func ipVerdict(a ir.Action, c ipChain) string {
	switch a {
	case ir.ActionAccept:
		if c == chainFO {
			return "ACCEPT"
		}
		return "RETURN"
	case ir.ActionDrop:
		return "DROP"
	case ir.ActionReject:
		return "REJECT"
	case ir.ActionReturn:
		return "RETURN"
	}
	return ""
}
