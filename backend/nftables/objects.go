package nftables

import (
	"fmt"
	"slices"

	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// chainObj is a regular chain and its rules.
type chainObj struct {
	family knftables.Family
	name   string
	rules  []nftRule
}

// setObj is a per-binding set (connlimit counters).
type setObj struct {
	family knftables.Family
	name   string
	typ    string
}

// elemObj is a dispatch-map element.
type elemObj struct {
	family  knftables.Family
	mapName string
	key     string
	value   string
}

// objects are everything one binding owns in the kernel.
type objects struct {
	chains []chainObj
	sets   []setObj
	elems  []elemObj
	// ipsets are the names of the ipsets the binding's rules reference.
	ipsets []string
	// sameOctet says a rule uses the arp-same-octet set.
	sameOctet bool
}

func (o *objects) equal(p *objects) bool {
	return slices.EqualFunc(o.chains, p.chains, func(a, b chainObj) bool {
		return a.family == b.family && a.name == b.name && slices.Equal(a.rules, b.rules)
	}) && slices.Equal(o.sets, p.sets) && slices.Equal(o.elems, p.elems) &&
		slices.Equal(o.ipsets, p.ipsets) && o.sameOctet == p.sameOctet
}

// build renders the objects of one binding; id is its port id on the
// br_netfilter path.
func (l layout) build(g *ir.Graph, id uint32, connlimitSize uint32) (*objects, error) {
	dev := g.Binding.PortDev
	ifname, err := nftText(textIfname, dev)
	if err != nil {
		return nil, fmt.Errorf("binding %q: %w", dev, err)
	}
	o := &objects{}
	br := knftables.BridgeFamily
	hasIP := len(g.IP) > 0

	// Ethernet layer. As in libvirt, a sub-chain exists only for a side it
	// has rules for, and a frame that reaches its end is accepted (ebtables'
	// default chain policy ACCEPT), so each sub-chain ends with accept.
	from := chainObj{family: br, name: ident(prefixFrom, dev)}
	to := chainObj{family: br, name: ident(prefixTo, dev)}
	if hasIP && l.path == ConntrackBrNetfilter {
		from.rules = append(from.rules, nftRule{Text: fmt.Sprintf("meta mark set meta mark & 0x%08x | 0x%08x", ^l.mark.inMask(), l.mark.inValue(id))})
	}
	subs := make(map[string][2]chainObj, len(g.Ethernet))
	var subOrder []chainObj
	for i := len(g.Ethernet) - 1; i >= 0; i-- {
		c := g.Ethernet[i]
		f, t := &from, &to
		if i > 0 {
			f = &chainObj{family: br, name: ident(prefixFrom, dev, c.Name)}
			t = &chainObj{family: br, name: ident(prefixTo, dev, c.Name)}
		}
		var sides [2]bool // the chain has rules for the from and to side
		for _, e := range c.Entries {
			if e.Jump != nil {
				sub := subs[e.Jump.Name]
				for side, dst := range []*chainObj{f, t} {
					if len(sub[side].rules) > 0 {
						dst.rules = append(dst.rules, nftRule{Text: l2Jump(e.Jump.Kind, sub[side].name)})
					}
				}
				continue
			}
			r := e.Rule
			if r.Direction == ir.DirOut || r.Direction == ir.DirInOut {
				sides[0] = true
				if err := o.addL2(f, r, r.Direction == ir.DirInOut, dev); err != nil {
					return nil, err
				}
			}
			if r.Direction == ir.DirIn || r.Direction == ir.DirInOut {
				sides[1] = true
				if err := o.addL2(t, r, false, dev); err != nil {
					return nil, err
				}
			}
		}
		if i > 0 {
			for side, sc := range []*chainObj{f, t} {
				if sides[side] && !endsInVerdict(c.Kind, sc.rules) {
					sc.rules = append(sc.rules, nftRule{Text: "accept"})
				}
			}
			subs[c.Name] = [2]chainObj{*f, *t}
			subOrder = append([]chainObj{*f, *t}, subOrder...)
		}
	}
	for _, c := range append([]chainObj{from, to}, subOrder...) {
		if len(c.rules) > 0 {
			o.chains = append(o.chains, c)
		}
	}
	if len(from.rules) > 0 {
		o.elems = append(o.elems, elemObj{br, mapL2From, ifname, "jump " + from.name})
	}
	if len(to.rules) > 0 {
		o.elems = append(o.elems, elemObj{br, mapL2To, ifname, "jump " + to.name})
	}
	if !hasIP {
		return o, nil
	}

	// IP layer.
	fam := l.l3Family()
	l3 := [3]chainObj{}
	for c := range l3 {
		l3[c] = chainObj{family: fam, name: ident(l3ChainMaps[c], dev)}
	}
	for _, r := range g.IP {
		for _, in := range ir.Instances(r, l.ctdir) {
			x := l3Rendering{family: fam}
			if in.Connlimit {
				x.connlimitSet = ident(prefixCL, dev, fmt.Sprint(len(o.sets)))
				typ := "ipv4_addr"
				if r.Protocol.Layer() == ir.LayerIPv6 {
					typ = "ipv6_addr"
				}
				o.sets = append(o.sets, setObj{family: fam, name: x.connlimitSet, typ: typ})
			}
			nr, err := l3Rule(r, in, x)
			if err != nil {
				return nil, &RuleError{PortDev: dev, Origin: r.Origin, Err: err}
			}
			l3[in.Chain].rules = append(l3[in.Chain].rules, nr)
		}
		for _, m := range r.Matches {
			if m.Field == ir.FieldIPSet && !slices.Contains(o.ipsets, m.IPSet.Name) {
				o.ipsets = append(o.ipsets, m.IPSet.Name)
			}
		}
	}
	slices.Sort(o.ipsets)
	// libvirt gives FI and HI the same instances; unless connlimit counters
	// (one set per instance) tell them apart, hi dispatches into fi/<dev>.
	shareFI := slices.Equal(l3[ir.IPChainFI].rules, l3[ir.IPChainHI].rules)
	for c := range l3 {
		target := l3[c]
		if ir.IPChain(c) == ir.IPChainHI && shareFI {
			target = l3[ir.IPChainFI]
		} else if len(target.rules) > 0 {
			o.chains = append(o.chains, target)
		}
		if len(target.rules) > 0 {
			o.elems = append(o.elems, elemObj{fam, l3ChainMaps[c], l.l3Key(l3ChainMaps[c], ifname, id), "jump " + target.name})
		}
	}
	if l.path == ConntrackBrNetfilter {
		mt := chainObj{family: br, name: ident(prefixMarkTo, dev), rules: []nftRule{{
			Text: fmt.Sprintf("meta mark set meta mark & 0x%08x | 0x%08x", ^l.mark.outMask(), l.mark.outValue(id)),
		}}}
		o.chains = append(o.chains, mt)
		o.elems = append(o.elems, elemObj{br, mapMarkTo, ifname, "jump " + mt.name})
		o.elems = append(o.elems, elemObj{br, mapPortIDs, ifname, fmt.Sprintf("0x%08x", id)})
	}
	return o, nil
}

func (o *objects) addL2(c *chainObj, r *ir.Rule, swap bool, dev string) error {
	res, ok, err := l2Rule(r, swap)
	if err != nil {
		return &RuleError{PortDev: dev, Origin: r.Origin, Err: err}
	}
	if ok {
		c.rules = append(c.rules, res.rules...)
		o.sameOctet = o.sameOctet || res.sameOctet
	}
	return nil
}
