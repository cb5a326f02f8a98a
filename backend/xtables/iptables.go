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

// placementChains are the chains ir.Placement decides for, by ipChain.
var placementChains = [...]ir.IPChain{chainFI: ir.IPChainFI, chainFO: ir.IPChainFO, chainHI: ir.IPChainHI}

// ipInstance renders rule r's instance in chain c as ir.Placement places it
// (FI and HI see traffic from the VM, FO traffic to it; swapped instances
// exchange source and destination). It returns false when libvirt would emit
// no instance in that chain.
func ipInstance(r *ir.Rule, c ipChain, ctdir bool) (ruleLine, bool, error) {
	in, absent := ir.Placement(r, placementChains[c], ctdir)
	if absent != "" {
		return ruleLine{}, false, nil
	}
	dirIn := in.Swapped
	m := newMatches(r)
	proto, err := ipProtoName(r.Protocol)
	if err != nil {
		return ruleLine{}, false, err
	}
	w := words{"-p", proto}
	if x := m.get(ir.FieldSrcMAC); x != nil && in.SrcMAC {
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
	w = ipState(w, in)
	if x := m.get(ir.FieldIPSet); x != nil {
		set, err := ipSetArgs(x, dirIn)
		if err != nil {
			return ruleLine{}, false, err
		}
		w = append(w, "-m", "set")
		w = w.opt(x.Negate, "--match-set", set[0])
		w = append(w, set[1])
	}
	if in.Connlimit {
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
	return ruleLine{args: w, verdict: ipTargets[in.Verdict]}, true, nil
}

// ipState adds the instance's conntrack matches: the state (as libvirt
// prints it, e.g. NEW,ESTABLISHED) and libvirt's older direction match.
func ipState(w words, in ir.Instance) words {
	if in.State != 0 {
		w = append(w, "-m", "conntrack")
		w = w.opt(in.StateNegate, "--ctstate", in.State.String())
	}
	if in.CtDir != ir.ConnDirAny {
		w = append(w, "-m", "conntrack", "--ctdir", strings.ToUpper(in.CtDir.String()))
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

// ipTargets are the iptables targets of instance verdicts; continue has
// no target at all (libvirt writes "-j CONTINUE", which iptables does not
// know).
var ipTargets = [...]string{
	ir.VerdictAccept: "ACCEPT", ir.VerdictReturn: "RETURN", ir.VerdictDrop: "DROP", ir.VerdictReject: "REJECT",
}
