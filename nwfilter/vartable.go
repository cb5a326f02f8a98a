package nwfilter

import (
	"net/netip"
	"strconv"
)

// varTable maps variable names to their values. A variable holds one value or
// a list (repeated <parameter> names), in the order given. Tables are shared
// between scopes and never modified once built.
type varTable map[string][]string

// bindingVars builds the top-level table from a binding's parameters: MAC is
// filled from the binding's MAC and IP from learned addresses when the
// parameters do not give them. It also returns the CTRL_IP_LEARNING mode.
func bindingVars(b *Binding, learnedIP []netip.Addr) (varTable, string) {
	vars := varTable{}
	for _, p := range b.FilterRef.Params {
		vars[p.Name] = append(vars[p.Name], p.Value)
	}
	if _, ok := vars[VarMAC]; !ok {
		vars[VarMAC] = []string{b.MAC.String()}
	}
	if _, ok := vars[VarIP]; !ok && len(learnedIP) > 0 {
		ips := make([]string, len(learnedIP))
		for i, a := range learnedIP {
			ips[i] = a.String()
		}
		vars[VarIP] = ips
	}
	learning := IPLearningAny
	if v := vars[VarCtrlIPLearning]; len(v) > 0 {
		if m, ok := ipLearningMode(v[0]); ok {
			learning = m
		}
	}
	return vars, learning
}

// scope returns the table a referenced filter sees: the reference's
// parameters, overridden by the variables already in scope (outer values win,
// so parameters on an inner filterref act as defaults), as libvirt's
// virNWFilterCreateVarsFrom(inc->params, vars) does.
func (outer varTable) scope(params []Param) varTable {
	if len(params) == 0 {
		return outer
	}
	child := make(varTable, len(outer)+len(params))
	for _, p := range params {
		if _, inOuter := outer[p.Name]; !inOuter {
			child[p.Name] = append(child[p.Name], p.Value)
		}
	}
	for k, v := range outer {
		child[k] = v
	}
	return child
}

// missing reports whether ref cannot be resolved in the table, and the name
// to report it under: the variable's name when it is undefined, NAME[N] when
// a fixed element lies beyond the list's end.
func (t varTable) missing(ref *VarRef) (string, bool) {
	vals, ok := t[ref.Name]
	if !ok {
		return ref.Name, true
	}
	if ref.HasIndex && ref.Index >= len(vals) {
		return ref.Name + "[" + strconv.Itoa(ref.Index) + "]", true
	}
	return "", false
}
