package nwfilter

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// mapResolver resolves filters from a map.
type mapResolver map[string]*Filter

func (m mapResolver) Lookup(name string) (*Filter, error) {
	if f, ok := m[name]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("lookup %q: %w", name, ErrFilterNotFound)
}

func (m mapResolver) add(fs ...*Filter) mapResolver {
	for _, f := range fs {
		m[f.Name] = f
	}
	return m
}

// filter builds a filter; chain "" means root, and the priority is the
// chain's default unless prio is given.
func filter(name, chain string, entries ...Entry) *Filter {
	if chain == "" {
		chain = "root"
	}
	return &Filter{Name: name, Chain: chain, Priority: DefaultChainPriority(chain), Entries: entries}
}

func withPrio(f *Filter, prio int) *Filter {
	f.Priority = prio
	return f
}

// ref builds a filterref entry; params are "NAME=VALUE".
func ref(name string, params ...string) Entry {
	return Entry{Ref: &FilterRef{Filter: name, Params: paramList(params...)}}
}

func paramList(params ...string) []Param {
	var out []Param
	for _, p := range params {
		n, v, _ := strings.Cut(p, "=")
		out = append(out, Param{Name: n, Value: v})
	}
	return out
}

// rule builds a rule entry. attrs are "name=value" ("!name=value" negates);
// values starting with $ are variable references, others literals parsed for
// the attribute's kind.
func rule(t testing.TB, action ir.Action, dir ir.Direction, prio int, proto ir.Protocol, attrs ...string) Entry {
	t.Helper()
	r := &Rule{Action: action, Direction: dir, Priority: prio, StateMatch: true, Protocol: proto}
	for _, s := range attrs {
		neg := strings.HasPrefix(s, "!")
		name, text, _ := strings.Cut(strings.TrimPrefix(s, "!"), "=")
		spec, ok := LookupAttr(proto, name)
		require.Truef(t, ok, "attribute %s on %s", name, proto)
		a := Attr{Name: name, Negate: neg}
		if strings.HasPrefix(text, "$") {
			vr, err := ParseVarRef(text)
			require.NoError(t, err)
			a.Value.Var = &vr
		} else {
			lit, err := ParseLiteral(spec.Kind, text)
			require.NoError(t, err)
			a.Value.Lit = lit
		}
		r.Attrs = append(r.Attrs, a)
	}
	return Entry{Rule: r}
}

func statematchOff(e Entry) Entry {
	e.Rule.StateMatch = false
	return e
}

func mustMAC(t testing.TB, s string) ir.MAC {
	t.Helper()
	hw, err := net.ParseMAC(s)
	require.NoError(t, err)
	var m ir.MAC
	copy(m[:], hw)
	return m
}

// binding builds a binding of filter on vnet0; params are "NAME=VALUE".
func binding(t testing.TB, filterName string, params ...string) *Binding {
	return &Binding{
		PortDev:   "vnet0",
		MAC:       mustMAC(t, "52:54:00:12:34:56"),
		FilterRef: FilterRef{Filter: filterName, Params: paramList(params...)},
	}
}

// ruleLines returns the String of every rule of g in evaluation order,
// Ethernet chains first, without the origin comment.
func ruleLines(g *ir.Graph) []string {
	var out []string
	strip := func(s string) string { return s[:strings.Index(s, " # from")] }
	for _, c := range g.Ethernet {
		for _, e := range c.Entries {
			if e.Rule != nil {
				out = append(out, strip(e.Rule.String()))
			}
		}
	}
	for _, r := range g.IP {
		out = append(out, strip(r.String()))
	}
	return out
}
