package nftables

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/knftables"
)

// A Backend keeps what it committed in memory and never lists the ruleset on
// the hot path. Once, before its first operation that needs the committed
// state, it lists its own tables (nothing else) and adopts what an earlier
// process installed there; see "Adoption" in the package documentation.

// tableContents is what one of our tables holds: object names by type
// ("chain", "set", "map") and the elements of its maps.
type tableContents struct {
	names map[string][]string
	elems map[string][]*knftables.Element
}

// listing is what our tables hold, by family.
type listing map[knftables.Family]*tableContents

// defaultTableNFT is Options.TableNFT when none is given.
func defaultTableNFT(nft knftables.Interface) func(knftables.Family, string) (knftables.Interface, error) {
	if fake, ok := nft.(*knftables.Fake); ok {
		return func(family knftables.Family, table string) (knftables.Interface, error) {
			fake.RLock()
			defer fake.RUnlock()
			view := knftables.NewFake(family, table)
			view.Table = fake.Tables[family][table]
			return view, nil
		}
	}
	return func(family knftables.Family, table string) (knftables.Interface, error) {
		// Over netlink, ListAll reads the names of our table's objects
		// without nft dumping every rule (seconds at 1000 bindings).
		return knftables.New(family, table, knftables.UseNetlink)
	}
}

// adopt lists our tables once and takes over what it finds. Tables it cannot
// adopt (another layout version, conntrack path or mark mask, or contents
// that do not fit the layout) are left for the first change to replace
// wholesale, with a warning naming the bindings that go. A failed listing
// is an error, and the next operation lists again.
func (b *Backend) adopt(ctx context.Context) error {
	if b.adopted {
		return nil
	}
	t0 := time.Now()
	found, err := b.list(ctx)
	listed := time.Since(t0)
	if err != nil {
		return fmt.Errorf("nftables: adopt tables %q: %w", b.lay.table, err)
	}
	b.adopted = true
	if found == nil {
		return nil
	}
	st, err := b.lay.rebuild(found, b.st.ids.max)
	if err != nil {
		b.log.Warn("nftables: cannot adopt what an earlier process installed; the first change replaces it",
			"table", b.lay.table, "reason", err, "bindings", found.portDevs())
		return nil
	}
	b.st = *st
	b.log.Info("nftables: adopted what an earlier process installed",
		"table", b.lay.table, "bindings", len(st.bindings), "sets", len(st.sets),
		"list", listed, "rebuild", time.Since(t0)-listed)
	return nil
}

// list lists our tables and the elements of their maps. It returns nil when
// the bridge table does not exist.
func (b *Backend) list(ctx context.Context) (listing, error) {
	out := listing{}
	for _, fam := range b.lay.families() {
		nft, err := b.tableNFT(fam, b.lay.table)
		if err != nil {
			return nil, err
		}
		names, err := nft.ListAll(ctx)
		if tableMissing(err) && fam == knftables.BridgeFamily {
			// Every layout has the bridge table: nothing to adopt (the
			// first change wipes an inet table left alone).
			return nil, nil
		}
		if tableMissing(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list table %s %s: %w", fam, b.lay.table, err)
		}
		tc := &tableContents{names: names, elems: map[string][]*knftables.Element{}}
		for _, m := range names["map"] {
			if tc.elems[m], err = nft.ListElements(ctx, "map", m); err != nil {
				return nil, fmt.Errorf("list map %s %s %s: %w", fam, b.lay.table, m, err)
			}
		}
		out[fam] = tc
	}
	return out, nil
}

// tableMissing reports whether listing a table failed because it does not
// exist: knftables' error from nft, or ENOENT from netlink (which
// google/nftables v0.3.0 reports as text, not as a wrapped errno).
func tableMissing(err error) bool {
	return err != nil && (knftables.IsNotFound(err) || errors.Is(err, syscall.ENOENT) ||
		strings.HasSuffix(err.Error(), syscall.ENOENT.Error()))
}

// portDevs returns the port devices that chain names in ls belong to.
func (ls listing) portDevs() []string {
	var devs []string
	for _, tc := range ls {
		for _, name := range tc.names["chain"] {
			if _, dev, _, err := splitName(name); err == nil && dev != "" && !slices.Contains(devs, dev) {
				devs = append(devs, dev)
			}
		}
	}
	slices.Sort(devs)
	return devs
}

// splitName splits a per-binding or named-set object name into its fixed
// first word, the decoded second part (a port device or set name) and the
// encoded rest. A fixed name has no '/' and gives dev "".
func splitName(name string) (first, dev string, rest []string, err error) {
	parts := strings.Split(name, "/")
	if len(parts) == 1 {
		return name, "", nil, nil
	}
	if dev, err = unident(parts[1]); err != nil {
		return "", "", nil, fmt.Errorf("name %q: %w", name, err)
	}
	return parts[0], dev, parts[2:], nil
}

// unident decodes one name part written by ident.
func unident(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '_' {
			b.WriteByte(s[i])
			continue
		}
		if i+3 > len(s) {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	dec := b.String()
	if ident("x", dec) != "x/"+s {
		return "", fmt.Errorf("%q is not an encoded name", s)
	}
	return dec, nil
}

// adoption rebuilds a state from a listing.
type adoption struct {
	l        layout
	st       *state
	objs     map[string]*objects // by port device
	ids      map[string]uint32   // by port device (br_netfilter path)
	chains   map[string]bool     // "family name" of every chain found
	imported []string
	marks    []markElem
}

// mapTargets names the chains each dispatch map jumps to (hi may also jump
// to fi/<dev>, see build).
var mapTargets = map[string]string{mapL2From: prefixFrom, mapL2To: prefixTo, mapMarkTo: prefixMarkTo, mapFI: mapFI, mapFO: mapFO, mapHI: mapHI}

// markElem is an element of a mark-keyed map, checked once the ids are known.
type markElem struct {
	mapName, dev, key string
}

// rebuild turns what list found into a state, or says why it cannot.
func (l layout) rebuild(ls listing, maxID uint32) (*state, error) {
	br := ls[knftables.BridgeFamily]
	if br == nil {
		return nil, fmt.Errorf("no table bridge %s", l.table)
	}
	var tags []string
	for _, s := range br.names["set"] {
		if strings.HasPrefix(s, prefixLayout+"/") {
			tags = append(tags, s)
		}
	}
	if len(tags) == 0 {
		return nil, errors.New("no layout tag: written by a version before adoption")
	}
	if len(tags) != 1 || tags[0] != l.tag() {
		return nil, fmt.Errorf("layout tag %v, want %s", tags, l.tag())
	}
	fixed, err := l.fixedNames()
	if err != nil {
		return nil, err
	}
	st := newState(maxID)
	st.ready = true
	a := &adoption{l: l, st: &st, objs: map[string]*objects{}, ids: map[string]uint32{}, chains: map[string]bool{}}
	for _, fam := range l.families() {
		tc := ls[fam]
		if tc == nil {
			return nil, fmt.Errorf("no table %s %s", fam, l.table)
		}
		if err := a.names(fam, tc, fixed[fam]); err != nil {
			return nil, fmt.Errorf("table %s %s: %w", fam, l.table, err)
		}
	}
	for _, fam := range l.families() {
		for m, els := range ls[fam].elems {
			for _, e := range els {
				if err := a.element(fam, m, e); err != nil {
					return nil, fmt.Errorf("map %s %s %s: %w", fam, l.table, m, err)
				}
			}
		}
	}
	if err := a.finish(); err != nil {
		return nil, err
	}
	return &st, nil
}

// fixedNames lists the objects the skeleton creates, by family and
// "type name", by running it against a fake.
func (l layout) fixedNames() (map[knftables.Family]map[string]bool, error) {
	fake := knftables.NewFake("", "")
	tx := fake.NewTransaction()
	l.skeleton(tx)
	if err := fake.Run(context.Background(), tx); err != nil {
		return nil, fmt.Errorf("skeleton: %w", err)
	}
	out := map[knftables.Family]map[string]bool{}
	for fam, tables := range fake.Tables {
		t := tables[l.table]
		if t == nil { // wiped only
			continue
		}
		out[fam] = map[string]bool{}
		for n := range t.Chains {
			out[fam]["chain "+n] = true
		}
		for n := range t.Sets {
			out[fam]["set "+n] = true
		}
		for n := range t.Maps {
			out[fam]["map "+n] = true
		}
	}
	return out, nil
}

func (a *adoption) binding(dev string) *objects {
	o := a.objs[dev]
	if o == nil {
		o = &objects{}
		a.objs[dev] = o
	}
	return o
}

// names sorts the object names of one table into fixed objects, bindings'
// chains and connlimit sets, and named sets.
func (a *adoption) names(fam knftables.Family, tc *tableContents, fixed map[string]bool) error {
	seen := 0
	for typ, names := range tc.names {
		if typ == "table" {
			continue
		}
		for _, name := range names {
			if strings.HasPrefix(name, "__") {
				continue // an anonymous set of a rule (netlink lists them)
			}
			if fixed[typ+" "+name] {
				seen++
				continue
			}
			if err := a.name(fam, typ, name); err != nil {
				return err
			}
		}
	}
	if seen != len(fixed) {
		return fmt.Errorf("%d of the %d objects of the skeleton found", seen, len(fixed))
	}
	return nil
}

func (a *adoption) name(fam knftables.Family, typ, name string) error {
	l3 := fam == a.l.l3Family()
	br := fam == knftables.BridgeFamily
	first, dev, rest, err := splitName(name)
	switch {
	case err != nil:
		return err
	case typ == "set" && br && name == setSameOctet:
		a.st.sameOctet = true
	case typ == "chain" && br && (first == prefixFrom || first == prefixTo) && dev != "" && len(rest) <= 1,
		typ == "chain" && br && first == prefixMarkTo && a.l.path == ConntrackBrNetfilter && dev != "" && len(rest) == 0,
		typ == "chain" && l3 && slices.Contains(l3ChainMaps[:], first) && dev != "" && len(rest) == 0:
		o := a.binding(dev)
		o.chains = append(o.chains, chainObj{family: fam, name: name})
		a.chains[string(fam)+" "+name] = true
	case typ == "set" && l3 && first == prefixCL && dev != "" && len(rest) == 1:
		// The set's type is not listed; adopted bindings are replaced as a
		// whole, so it is never compared.
		o := a.binding(dev)
		o.sets = append(o.sets, setObj{family: fam, name: name})
	case typ == "set" && l3 && (first == prefixIPSet4 || first == prefixIPSet6) && dev != "" && len(rest) == 0:
		// Members are not needed: SetMembers and imports replace them all.
		if a.st.sets[dev] == nil {
			a.st.sets[dev] = &namedSet{}
		}
	case typ == "set" && l3 && first == prefixImport && dev != "" && len(rest) == 0:
		a.imported = append(a.imported, dev)
	default:
		return fmt.Errorf("unexpected %s %q", typ, name)
	}
	return nil
}

// element attributes one dispatch-map element to its binding.
func (a *adoption) element(fam knftables.Family, mapName string, e *knftables.Element) error {
	if len(e.Key) != 1 || len(e.Value) != 1 {
		return fmt.Errorf("element %v : %v", e.Key, e.Value)
	}
	key, val := e.Key[0], e.Value[0]
	// Keys as build writes them: mark values in the inet table's fi, fo
	// and hi, quoted interface names in the bridge table's maps.
	markKeyed := fam == knftables.InetFamily
	var dev, keyText string
	if markKeyed {
		v, err := strconv.ParseUint(key, 0, 32)
		if err != nil {
			return fmt.Errorf("element %s : %s: %w", key, val, err)
		}
		keyText = fmt.Sprintf("0x%08x", v)
	} else {
		dev = strings.ReplaceAll(strings.Trim(key, `"`), `\*`, `*`)
		var err error
		if keyText, err = nftText(textIfname, dev); err != nil {
			return err
		}
	}
	if mapName == mapPortIDs {
		id, err := strconv.ParseUint(val, 0, 32)
		if err != nil || id == 0 || uint32(id) > a.l.mark.maxID() {
			return fmt.Errorf("port id %q of %q", val, dev)
		}
		a.ids[dev] = uint32(id)
		return a.addElem(dev, elemObj{fam, mapName, keyText, fmt.Sprintf("0x%08x", id)})
	}
	target, ok := strings.CutPrefix(val, "jump ")
	if !ok || !a.chains[string(fam)+" "+target] {
		return fmt.Errorf("element %s : %s: not a jump to a chain of a binding", key, val)
	}
	first, tdev, rest, err := splitName(target)
	if err != nil {
		return err
	}
	if len(rest) != 0 || (first != mapTargets[mapName] && !(mapName == mapHI && first == mapFI)) {
		return fmt.Errorf("element %s : %s: wrong target for the map", key, val)
	}
	if markKeyed {
		dev = tdev
		a.marks = append(a.marks, markElem{mapName, dev, keyText})
	} else if tdev != dev {
		return fmt.Errorf("element %s : %s: key and target name different ports", key, val)
	}
	return a.addElem(dev, elemObj{fam, mapName, keyText, val})
}

func (a *adoption) addElem(dev string, e elemObj) error {
	o := a.objs[dev]
	if o == nil {
		return fmt.Errorf("element for %q, which has no chain", dev)
	}
	o.elems = append(o.elems, e)
	return nil
}

// finish checks the mark-keyed elements against the port ids and fills the
// state's bindings and id allocator.
func (a *adoption) finish() error {
	for _, m := range a.marks {
		if id, ok := a.ids[m.dev]; !ok || a.l.l3Key(m.mapName, "", id) != m.key {
			return fmt.Errorf("map %s: key %s of %q does not match its port id", m.mapName, m.key, m.dev)
		}
	}
	slices.Sort(a.imported)
	used := make([]uint32, 0, len(a.ids))
	for dev, o := range a.objs {
		hasMarkTo := slices.ContainsFunc(o.chains, func(c chainObj) bool { return strings.HasPrefix(c.name, prefixMarkTo+"/") })
		if _, ok := a.ids[dev]; ok != hasMarkTo {
			return fmt.Errorf("binding %q: port id and markto chain do not go together", dev)
		}
		// Which sets an adopted binding references is not known: keep
		// every imported set while it may be referenced.
		o.ipsets = a.imported
		a.st.bindings[dev] = &binding{id: a.ids[dev], objs: o, adopted: true}
		if id := a.ids[dev]; id != 0 {
			used = append(used, id)
		}
	}
	for _, n := range a.imported {
		if a.st.sets[n] == nil {
			return fmt.Errorf("import marker for set %q, which does not exist", n)
		}
		a.st.sets[n].imported = true
	}
	var err error
	a.st.ids, err = adoptedIDs(a.st.ids.max, used)
	return err
}
