package nftables

import (
	"fmt"

	"sigs.k8s.io/knftables"
)

// Fixed object names. Per-binding names are built by ident, for example
// "from/vnet0" or "fi/vnet0"; the '/' keeps them apart from these.
const (
	// Bridge table: Ethernet-layer dispatch.
	chainPrerouting  = "prerouting"  // frames from a port (the VM sends)
	chainPostrouting = "postrouting" // frames to a port (the VM receives)
	mapL2From        = "l2-from"     // iifname → jump from/<dev>
	mapL2To          = "l2-to"       // oifname → jump to/<dev>
	setSameOctet     = "arp-same-octet"

	// IP-layer dispatch: bridge table (ConntrackBridge) or inet table
	// (ConntrackBrNetfilter).
	chainForward = "forward"
	chainInput   = "input"
	mapFI        = "fi" // forwarded, from the VM   (libvirt FI-<dev>)
	mapFO        = "fo" // forwarded, to the VM     (libvirt FO-<dev>)
	mapHI        = "hi" // from the VM to the host  (libvirt HI-<dev>)

	// br_netfilter path, bridge table: output-port marking.
	mapMarkTo = "mark-to" // oifname → jump markto/<dev>
	// br_netfilter path, bridge table: port device → port id. No rule
	// reads it; it records the ids for a later process to adopt.
	mapPortIDs = "port-ids"
)

// layoutVersion numbers the layout described in the package documentation.
// Tables without a layout tag are version 1 (before adoption); a Backend
// adopts only tables of its own version, conntrack path and mark mask.
const layoutVersion = 2

// Per-binding name prefixes.
const (
	prefixFrom   = "from"
	prefixTo     = "to"
	prefixMarkTo = "markto"
	prefixCL     = "cl"
	prefixIPSet4 = "ipset4"
	prefixIPSet6 = "ipset6"
	// prefixImport names an empty set that marks ipset4/<name> and
	// ipset6/<name> as a snapshot of a kernel ipset.
	prefixImport = "import"
	// prefixLayout names the empty set that tags the bridge table with
	// layoutVersion, the conntrack path and (br_netfilter) the mark mask.
	prefixLayout = "layout"
)

// layout knows where every object lives for one table name and conntrack path.
type layout struct {
	table string
	path  ConntrackPath
	mark  markField
	// ctdir adds ct direction matches (Options.ConntrackDirection).
	ctdir bool
}

// l3Family is the family of the table holding IP-layer chains.
func (l layout) l3Family() knftables.Family {
	if l.path == ConntrackBridge {
		return knftables.BridgeFamily
	}
	return knftables.InetFamily
}

// families lists the tables the layout uses.
func (l layout) families() []knftables.Family {
	if l.path == ConntrackBridge {
		return []knftables.Family{knftables.BridgeFamily}
	}
	return []knftables.Family{knftables.BridgeFamily, knftables.InetFamily}
}

// l3Key is the dispatch key of a binding in the fi/fo/hi maps: the port
// device on the bridge path, the mark value on the br_netfilter path.
func (l layout) l3Key(mapName, ifname string, id uint32) string {
	if l.path == ConntrackBridge {
		return ifname
	}
	if mapName == mapFO {
		return fmt.Sprintf("0x%08x", l.mark.outValue(id))
	}
	return fmt.Sprintf("0x%08x", l.mark.inValue(id))
}

func ptr[T any](v T) *T { return &v }

func baseChain(family knftables.Family, table, name string, hook knftables.BaseChainHook, prio knftables.BaseChainPriority) *knftables.Chain {
	return &knftables.Chain{
		Family: family, Table: table, Name: name,
		Type: ptr(knftables.FilterType), Hook: ptr(hook), Priority: ptr(prio),
		Policy: ptr(knftables.AcceptPolicy),
	}
}

// tag is the name of the layout tag set.
func (l layout) tag() string {
	t := fmt.Sprintf("%s/%d/%s", prefixLayout, layoutVersion, l.path)
	if l.path == ConntrackBrNetfilter {
		t += fmt.Sprintf("/0x%08x", l.mark.mask)
	}
	return t
}

// marker is an empty set whose name alone carries information.
func marker(family knftables.Family, table, name, comment string) *knftables.Set {
	return &knftables.Set{Family: family, Table: table, Name: name, Type: "mark", Comment: ptr(comment)}
}

// skeleton adds the tables, base chains, dispatch maps and helper sets to tx,
// replacing whatever tables of our name exist (in both families, so a change
// of conntrack path leaves nothing behind). It is sent once, with the first
// change a Backend makes.
func (l layout) skeleton(tx *knftables.Transaction) {
	br, inet := knftables.BridgeFamily, knftables.InetFamily
	l.wipe(tx)
	for _, f := range l.families() {
		tx.Add(&knftables.Table{Family: f, Name: l.table, Comment: ptr("gonwfilter: managed by a program, do not edit")})
	}
	tx.Add(marker(br, l.table, l.tag(), "gonwfilter layout version, conntrack path and mark mask"))
	ifmap := func(f knftables.Family, name string) { tx.Add(l.dispatchMap(f, name)) }
	rule := func(f knftables.Family, chain, text string) {
		tx.Add(&knftables.Rule{Family: f, Table: l.table, Chain: chain, Rule: text})
	}

	// Ethernet layer. Priorities follow ebtables' nat table (PREROUTING -300,
	// POSTROUTING 300), so L2 rules run before br_netfilter hands frames to
	// the IP hooks, as libvirt's ebtables rules do.
	ifmap(br, mapL2From)
	ifmap(br, mapL2To)
	tx.Add(baseChain(br, l.table, chainPrerouting, knftables.PreroutingHook, knftables.DNATPriority))
	tx.Add(baseChain(br, l.table, chainPostrouting, knftables.PostroutingHook, knftables.SNATPriority))
	if l.path == ConntrackBrNetfilter {
		rule(br, chainPrerouting, fmt.Sprintf("meta mark set meta mark & 0x%08x", ^l.mark.mask))
	}
	rule(br, chainPrerouting, "iifname vmap @"+mapL2From)
	rule(br, chainPostrouting, "oifname vmap @"+mapL2To)

	// IP layer.
	switch l.path {
	case ConntrackBridge:
		ifmap(br, mapFI)
		ifmap(br, mapFO)
		ifmap(br, mapHI)
		tx.Add(baseChain(br, l.table, chainForward, knftables.ForwardHook, knftables.FilterPriority))
		tx.Add(baseChain(br, l.table, chainInput, knftables.InputHook, knftables.FilterPriority))
		rule(br, chainForward, "iifname vmap @"+mapFI)
		rule(br, chainForward, "oifname vmap @"+mapFO)
		rule(br, chainInput, "iifname vmap @"+mapHI)
	case ConntrackBrNetfilter:
		// The bridge forward hook at -200 runs before br_netfilter (-1)
		// passes the packet to the inet forward hook: mark the output port.
		ifmap(br, mapMarkTo)
		ifmap(br, mapPortIDs)
		tx.Add(baseChain(br, l.table, chainForward, knftables.ForwardHook, knftables.FilterPriority))
		rule(br, chainForward, "oifname vmap @"+mapMarkTo)
		for _, m := range []string{mapFI, mapFO, mapHI} {
			ifmap(inet, m)
		}
		tx.Add(baseChain(inet, l.table, chainForward, knftables.ForwardHook, knftables.FilterPriority))
		tx.Add(baseChain(inet, l.table, chainInput, knftables.InputHook, knftables.FilterPriority))
		rule(inet, chainForward, fmt.Sprintf("meta mark & 0x%08x vmap @%s", l.mark.inMask(), mapFI))
		rule(inet, chainForward, fmt.Sprintf("meta mark & 0x%08x vmap @%s", l.mark.outMask(), mapFO))
		rule(inet, chainInput, fmt.Sprintf("meta mark & 0x%08x vmap @%s", l.mark.inMask(), mapHI))
	}
}

// dispatchMap is the declaration of one of the layout's dispatch maps, name
// in the table of family f: keyed by interface name, or (inet table, on the
// br_netfilter path) by packet mark; port-ids maps interface names to marks.
func (l layout) dispatchMap(f knftables.Family, name string) *knftables.Map {
	typ := "ifname : verdict"
	switch {
	case name == mapPortIDs:
		typ = "ifname : mark"
	case f == knftables.InetFamily:
		typ = "mark : verdict"
	}
	return &knftables.Map{Family: f, Table: l.table, Name: name, Type: typ}
}

// sameOctetDecl is the declaration of the set that lets a rule test ARP
// sender IP == target IP octet by octet (nft cannot compare two packet
// fields).
func (l layout) sameOctetDecl() *knftables.Set {
	return &knftables.Set{Family: knftables.BridgeFamily, Table: l.table, Name: setSameOctet, TypeOf: "@nh,112,8 . @nh,192,8",
		Comment: ptr("pairs of equal octets: ARP sender IP == target IP")}
}

// sameOctetSet adds the same-octet set with its elements. It is added with
// the first rule that needs it.
func (l layout) sameOctetSet(tx *knftables.Transaction) {
	br := knftables.BridgeFamily
	tx.Add(l.sameOctetDecl())
	for i := range 256 {
		v := fmt.Sprint(i)
		tx.Add(&knftables.Element{Family: br, Table: l.table, Set: setSameOctet, Key: []string{v, v}})
	}
}

// wipe deletes our tables in both families, whether they exist or not (add
// then delete, so nothing needs listing).
func (l layout) wipe(tx *knftables.Transaction) {
	for _, f := range []knftables.Family{knftables.BridgeFamily, knftables.InetFamily} {
		tx.Add(&knftables.Table{Family: f, Name: l.table})
		tx.Delete(&knftables.Table{Family: f, Name: l.table})
	}
}

// teardown deletes the tables.
func (l layout) teardown(tx *knftables.Transaction) {
	for _, f := range l.families() {
		tx.Delete(&knftables.Table{Family: f, Name: l.table})
	}
}
