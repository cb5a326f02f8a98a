package kerneltest

import (
	"fmt"
	"net/netip"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Builder assembles an ir.Graph by hand, for tests that cannot (or should
// not) go through the compiler.
type Builder struct {
	g    *ir.Graph
	root *ir.Chain
	n    int
}

// NewGraph starts a graph for a binding on port with the VM's MAC.
func NewGraph(port string, mac ir.MAC) *Builder {
	return &Builder{g: &ir.Graph{Binding: ir.Binding{PortDev: port, MAC: mac, Filter: "test", IPLearning: "none"}}}
}

func (b *Builder) origin(r *ir.Rule) {
	if r.Origin.Filter == "" {
		r.Origin = ir.Origin{Filter: "test", Index: b.n}
	}
	b.n++
}

// Rule adds rules: Ethernet-layer ones to the root chain, IP-layer ones to
// the IP list, in call order.
func (b *Builder) Rule(rs ...*ir.Rule) *Builder {
	for _, r := range rs {
		b.origin(r)
		if r.Protocol.Layer() == ir.LayerEthernet {
			b.rootChain().Entries = append(b.rootChain().Entries, ir.Entry{Rule: r})
		} else {
			b.g.IP = append(b.g.IP, r)
		}
	}
	return b
}

// Chain adds a sub-chain holding rs and a jump to it at this point of the
// root chain.
func (b *Builder) Chain(name string, kind ir.ChainKind, priority int, rs ...*ir.Rule) *Builder {
	c := &ir.Chain{Name: name, Kind: kind, Priority: priority}
	for _, r := range rs {
		b.origin(r)
		c.Entries = append(c.Entries, ir.Entry{Rule: r})
	}
	root := b.rootChain()
	root.Entries = append(root.Entries, ir.Entry{Jump: c})
	b.g.Ethernet = append(b.g.Ethernet, c)
	return b
}

func (b *Builder) rootChain() *ir.Chain {
	if b.root == nil {
		b.root = &ir.Chain{Name: "root", Kind: ir.ChainRoot}
		b.g.Ethernet = append([]*ir.Chain{b.root}, b.g.Ethernet...)
	}
	return b.root
}

// Graph returns the graph.
func (b *Builder) Graph() *ir.Graph { return b.g }

// R makes a rule with statematch on and no comment.
func R(p ir.Protocol, d ir.Direction, a ir.Action, ms ...ir.Match) *ir.Rule {
	return &ir.Rule{Protocol: p, Direction: d, Action: a, StateMatch: true, Priority: 500, Matches: ms}
}

// Not negates a match (match='no').
func Not(m ir.Match) ir.Match { m.Negate = true; return m }

// MustMAC parses a MAC address or panics.
func MustMAC(s string) ir.MAC {
	var m ir.MAC
	if _, err := fmt.Sscanf(s, "%02x:%02x:%02x:%02x:%02x:%02x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]); err != nil {
		panic(fmt.Sprintf("bad MAC %q: %v", s, err))
	}
	return m
}

// SrcMAC matches the Ethernet source address.
func SrcMAC(mac ir.MAC) ir.Match { return ir.Match{Field: ir.FieldSrcMAC, MAC: mac} }

// ARPSrcMAC matches the ARP sender hardware address.
func ARPSrcMAC(mac ir.MAC) ir.Match { return ir.Match{Field: ir.FieldARPSrcMAC, MAC: mac} }

// EtherType matches the mac element's protocolid.
func EtherType(t uint16) ir.Match { return num(ir.FieldEtherType, uint32(t)) }

// IPProto matches the ip/ipv6 element's protocol.
func IPProto(p uint8) ir.Match { return num(ir.FieldIPProto, uint32(p)) }

// ARPOpcode matches the ARP operation.
func ARPOpcode(op uint16) ir.Match { return num(ir.FieldARPOpcode, uint32(op)) }

// ICMPType matches the ICMP type.
func ICMPType(t uint8) ir.Match { return num(ir.FieldICMPType, uint32(t)) }

// ICMPCode matches the ICMP code.
func ICMPCode(c uint8) ir.Match { return num(ir.FieldICMPCode, uint32(c)) }

// DSCP matches the DiffServ code point.
func DSCP(v uint8) ir.Match { return num(ir.FieldDSCP, uint32(v)) }

// SrcIP matches the source address (a prefix or a single address).
func SrcIP(p string) ir.Match { return ir.Match{Field: ir.FieldSrcIP, Prefix: prefix(p)} }

// DstIP matches the destination address (a prefix or a single address).
func DstIP(p string) ir.Match { return ir.Match{Field: ir.FieldDstIP, Prefix: prefix(p)} }

// ARPSrcIP matches the ARP sender protocol address.
func ARPSrcIP(p string) ir.Match { return ir.Match{Field: ir.FieldARPSrcIP, Prefix: prefix(p)} }

// ARPDstIP matches the ARP target protocol address.
func ARPDstIP(p string) ir.Match { return ir.Match{Field: ir.FieldARPDstIP, Prefix: prefix(p)} }

// SrcPort matches source ports lo..hi (hi 0: lo only).
func SrcPort(lo, hi uint16) ir.Match { return portRange(ir.FieldSrcPort, lo, hi) }

// DstPort matches destination ports lo..hi (hi 0: lo only).
func DstPort(lo, hi uint16) ir.Match { return portRange(ir.FieldDstPort, lo, hi) }

// SrcIPRange matches source addresses from..to.
func SrcIPRange(from, to string) ir.Match {
	return ir.Match{Field: ir.FieldSrcIPRange, From: netip.MustParseAddr(from), To: netip.MustParseAddr(to)}
}

// IPSet matches packets whose addresses are in the named set.
func IPSet(name string, dirs ...ir.SetDir) ir.Match {
	return ir.Match{Field: ir.FieldIPSet, IPSet: ir.IPSetRef{Name: name, Dirs: dirs}}
}

// TCPFlags matches flags (masked with mask) equal to set.
func TCPFlags(mask, set ir.TCPFlag) ir.Match {
	return ir.Match{Field: ir.FieldTCPFlags, TCPFlags: ir.TCPFlags{Mask: mask, Set: set}}
}

func num(f ir.Field, v uint32) ir.Match { return ir.Match{Field: f, Lo: v, Hi: v} }

func portRange(f ir.Field, lo, hi uint16) ir.Match {
	if hi == 0 || hi == lo {
		return ir.Match{Field: f, Lo: uint32(lo), Hi: uint32(lo)}
	}
	return ir.Match{Field: f, Lo: uint32(lo), Hi: uint32(hi), HasHi: true}
}

func prefix(s string) netip.Prefix {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p
	}
	a := netip.MustParseAddr(s)
	return netip.PrefixFrom(a, a.BitLen())
}
