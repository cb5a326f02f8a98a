package nftables

import (
	"fmt"
	"strings"

	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// IP-layer rules follow libvirt's iptables rendering exactly: every rule
// yields up to three instances, one per chain, as ir.Placement decides.
//
//	fi  forwarded traffic from the VM  (libvirt FI-<dev>, accept = return)
//	fo  forwarded traffic to the VM    (libvirt FO-<dev>, accept = accept)
//	hi  traffic from the VM to the host (libvirt HI-<dev>, accept = return)
//
// l3Rule only translates an ir.Instance into nft syntax.

var l3ChainMaps = [...]string{ir.IPChainFI: mapFI, ir.IPChainFO: mapFO, ir.IPChainHI: mapHI}

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
func l3Rule(r *ir.Rule, in ir.Instance, x l3Rendering) (nftRule, error) {
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
	if in.Swapped {
		ms = swapMatches(ms)
	}
	var icmpType, icmpCode *ir.Match
	var sets []ir.Match
	for i, m := range ms {
		switch m.Field {
		case ir.FieldSrcMAC, ir.FieldDstMAC:
			// ms may be swapped; srcmacaddr only applies where placed.
			if in.SrcMAC {
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
	if in.State != 0 {
		t.add("ct state %s%s", rel(in.StateNegate), ctStateText(in.State))
	}
	if in.CtDir != ir.ConnDirAny {
		t.add("ct direction %s", in.CtDir)
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
	if in.Connlimit {
		over := "over "
		if r.ConnlimitNegate {
			over = ""
		}
		t.add("update @%s { %s saddr ct count %s%d }", x.connlimitSet, ip, over, r.ConnlimitAbove)
	}
	if v := l3Verdict(in.Verdict, x.family); v != "" {
		t.add("%s", v)
	}
	return nftRule{Text: t.String(), Comment: commentOf(r)}, nil
}

// l3Verdict maps an instance verdict to nft. accept ends the binding's
// evaluation only in fo; in fi and hi an accept rule returns, as libvirt's
// RETURN does, so the fo chain of the output port still runs. REJECT is a
// real reject in the inet table; the bridge family's reject expression is
// limited to the prerouting and input hooks and missing from kernels without
// CONFIG_NFT_REJECT_BRIDGE, so there it is a drop.
func l3Verdict(v ir.InstanceVerdict, family knftables.Family) string {
	switch v {
	case ir.VerdictAccept:
		return "accept"
	case ir.VerdictReturn:
		return "return"
	case ir.VerdictDrop:
		return "drop"
	case ir.VerdictReject:
		if family == knftables.BridgeFamily {
			return "drop"
		}
		return "reject"
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
