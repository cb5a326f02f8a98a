package nwfilter

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// DefaultMaxInstances is the default bound on the rule instances one binding
// may expand into.
const DefaultMaxInstances = 100_000

// CompileOptions tune Compile. The zero value is ready to use.
type CompileOptions struct {
	// MaxInstances bounds how many rule instances (rules after variable
	// expansion) one binding may produce, and how many filter references its
	// tree may visit; 0 means DefaultMaxInstances. The bound is checked
	// before any instance is built, so a huge cartesian product fails fast
	// with *ExpansionLimitError.
	MaxInstances int
	// LearnedIP are the addresses learned for the port (libvirt's IP address
	// map). They are used for $IP when the binding's parameters give no IP.
	LearnedIP []netip.Addr
}

func (o CompileOptions) maxInstances() int {
	if o.MaxInstances <= 0 {
		return DefaultMaxInstances
	}
	return o.MaxInstances
}

// ruleInst is one rule of the flattened filter tree with the variables in
// scope where it was reached. A rule of a filter referenced twice appears
// twice.
type ruleInst struct {
	filter *Filter
	chain  chainInfo
	rule   *Rule
	// index is the rule's position among its filter's rules.
	index int
	vars  varTable
	// priority is the effective priority (raised to the chain's priority).
	priority int
	specs    []AttrSpec
	plan     *iterPlan
}

// Compile turns a binding into its rule graph. The same input always gives
// the same graph.
//
// Steps and errors, in order: the binding is validated (ErrInvalidBinding);
// the filter tree is resolved, each filter once (an error wrapping
// ErrFilterNotFound names the referencing filter; *CycleError); the tree is
// flattened depth-first in document order; every unresolvable variable of the
// whole tree is reported at once (*MissingVarsError, whose NeedsIPLearning
// says when libvirt would learn the IP instead); the number of rule instances
// is counted before any is built (*ExpansionLimitError); each rule is expanded
// for every combination of its variables' values and each value parsed for
// its attribute (*CardinalityError, *RuleError).
//
// Variables: the binding's parameters form the top-level table (MAC defaults
// to the binding's MAC, IP to opts.LearnedIP). A referenced filter sees the
// filterref's parameters overridden by the variables already in scope, so
// inner parameters are defaults. Within a rule, $V is $V[@0]; variables on one
// iterator are walked in parallel (equal list lengths required), different
// iterators form a cartesian product in which @0 varies fastest and the other
// iterators follow in the order their first access appears in the rule's
// attributes; $V[N] picks one element; a value tuple already seen earlier on
// the same iterator is skipped.
//
// Ordering, as libvirt's ebiptables driver: rules of root-chain filters
// first, then by written priority (stable); then rules of other chains below
// their chain's priority are raised to it. IP-layer rules form g.IP in that
// order. Ethernet-layer rules go to the root chain or to their chain's
// sub-chain (one per chain name, created only when it has Ethernet rules,
// priority of the filter holding its last rule). Jumps to sub-chains, ordered
// by priority then name, are placed in the root chain before the first rule
// whose effective priority is ≥ the chain's; the rest go at the end.
func Compile(r Resolver, b *Binding, opts CompileOptions) (*ir.Graph, error) {
	if b == nil {
		return nil, fmt.Errorf("%w: no binding", ErrInvalidBinding)
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	limit := opts.maxInstances()
	tree, err := loadTree(r, b.FilterRef.Filter)
	if err != nil {
		return nil, err
	}
	vars, learning := bindingVars(b, opts.LearnedIP)
	fl := flattener{tree: tree, limit: limit}
	if err := fl.walk(b.FilterRef.Filter, vars); err != nil {
		return nil, err
	}
	if err := checkMissing(fl.out, learning); err != nil {
		return nil, err
	}
	if err := planAll(fl.out, limit); err != nil {
		return nil, err
	}
	orderRules(fl.out)
	expanded := make([][]*ir.Rule, len(fl.out))
	for i, inst := range fl.out {
		if expanded[i], err = inst.expand(); err != nil {
			return nil, err
		}
	}
	g := &ir.Graph{Binding: ir.Binding{
		PortDev:    b.PortDev,
		LinkDev:    b.LinkDev,
		MAC:        b.MAC,
		Filter:     b.FilterRef.Filter,
		IPLearning: learning,
	}}
	assemble(g, fl.out, expanded)
	return g, nil
}

// flattener walks the filter tree depth-first in document order, giving each
// referenced filter the variables of its scope.
type flattener struct {
	tree   *filterTree
	limit  int
	visits int
	out    []*ruleInst
}

func (fl *flattener) walk(name string, vars varTable) error {
	f := fl.tree.filters[name]
	chain := fl.tree.kinds[name]
	index := 0
	for _, e := range f.Entries {
		switch {
		case e.Rule != nil:
			if len(fl.out) >= fl.limit {
				return &ExpansionLimitError{Limit: fl.limit, Count: uint64(len(fl.out)) + 1, What: "rule instances", Filter: f.Name}
			}
			fl.out = append(fl.out, &ruleInst{filter: f, chain: chain, rule: e.Rule, index: index, vars: vars})
			index++
		case e.Ref != nil:
			fl.visits++
			if fl.visits > fl.limit {
				return &ExpansionLimitError{Limit: fl.limit, Count: uint64(fl.visits), What: "filter references", Filter: f.Name}
			}
			if err := fl.walk(e.Ref.Filter, vars.scope(e.Ref.Params)); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkMissing collects every unresolvable variable access of the tree.
func checkMissing(insts []*ruleInst, learning string) error {
	var names []string
	for _, inst := range insts {
		for _, a := range inst.rule.Attrs {
			if a.Value.Var == nil {
				continue
			}
			if name, missing := inst.vars.missing(a.Value.Var); missing {
				names = append(names, name)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	return &MissingVarsError{Names: slices.Compact(names), IPLearning: learning}
}

// planAll resolves each rule's attribute specs and iterators and checks the
// total number of instances against the limit before any is built.
func planAll(insts []*ruleInst, limit int) error {
	var total uint64
	for _, inst := range insts {
		specs := make([]AttrSpec, len(inst.rule.Attrs))
		for i, a := range inst.rule.Attrs {
			spec, ok := LookupAttr(inst.rule.Protocol, a.Name)
			if !ok {
				return inst.errorAt(i, "", fmt.Errorf("not an attribute of the %s element", inst.rule.Protocol))
			}
			specs[i] = spec
		}
		plan, cerr := planIterations(inst.rule, inst.vars)
		if cerr != nil {
			cerr.Filter, cerr.Index, cerr.Pos = inst.filter.Name, inst.index, inst.rule.Pos
			return cerr
		}
		inst.specs, inst.plan = specs, plan
		total = satAdd(total, plan.count())
		if total > uint64(limit) {
			return &ExpansionLimitError{Limit: limit, Count: total, What: "rule instances", Filter: inst.filter.Name}
		}
	}
	return nil
}

// expand builds the rule's instances in iterator order.
func (inst *ruleInst) expand() ([]*ir.Rule, error) {
	attrs := inst.rule.Attrs
	lits := make([]Literal, len(attrs))
	// Parsed values are cached per attribute and list position when the
	// rule has several combinations, which reuse them.
	var cache []map[int]Literal
	if inst.plan.count() > 1 {
		cache = make([]map[int]Literal, len(attrs))
	}
	var out []*ir.Rule
	err := inst.plan.each(func(cur []int) error {
		for i, s := range inst.plan.slots {
			if s.iter < 0 {
				lits[i] = attrs[i].Value.Lit
				continue
			}
			pos := inst.plan.position(s, cur)
			var lit Literal
			ok := false
			if cache != nil {
				lit, ok = cache[i][pos]
			}
			if !ok {
				text := inst.vars[s.name][pos]
				var err error
				if lit, err = ParseLiteral(inst.specs[i].Kind, text); err != nil {
					return inst.errorAt(i, text, err)
				}
				if cache != nil {
					if cache[i] == nil {
						cache[i] = map[int]Literal{}
					}
					cache[i][pos] = lit
				}
			}
			lits[i] = lit
		}
		r, err := buildRule(inst.rule, inst.specs, lits)
		if err != nil {
			var ae *attrError
			if errors.As(err, &ae) {
				return inst.errorAt(ae.attr, inst.valueText(ae.attr, cur), ae.err)
			}
			return err
		}
		r.Priority = inst.priority
		r.Origin = ir.Origin{Filter: inst.filter.Name, Index: inst.index, Instance: len(out)}
		out = append(out, r)
		return nil
	})
	return out, err
}

// valueText returns the variable value attribute i took in combination cur,
// or "" for a literal.
func (inst *ruleInst) valueText(i int, cur []int) string {
	s := inst.plan.slots[i]
	if s.iter < 0 {
		return ""
	}
	return inst.vars[s.name][inst.plan.position(s, cur)]
}

// errorAt builds a *RuleError about attribute i of the rule.
func (inst *ruleInst) errorAt(i int, value string, err error) error {
	a := inst.rule.Attrs[i]
	e := &RuleError{Filter: inst.filter.Name, Index: inst.index, Pos: inst.rule.Pos, Attr: a.Name, Err: err}
	if a.Value.Var != nil {
		e.Var, e.Value = a.Value.Var.String(), value
	}
	return e
}
