package xtables

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gonwfilter/gonwfilter/backend"
)

// start runs once, before the first change: it adopts what a previous
// process left and probes capabilities (unless Options.SkipProbe).
func (b *Backend) start(ctx context.Context) error {
	if b.started {
		return nil
	}
	if err := b.adopt(ctx); err != nil {
		return err
	}
	if !b.opts.SkipProbe && b.caps == nil {
		caps := b.probe(ctx)
		b.caps = &caps
	}
	b.started = true
	return nil
}

// Resync forgets what this Backend believes is installed and reads our
// chains back from the kernel, as on first use. Call it when the rules may
// have been changed behind the backend's back (a restore keeps failing
// because a chain or link it expects is gone). The next Apply of every
// binding reinstalls it.
func (b *Backend) Resync(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.state {
		b.state[i] = &toolState{ports: map[string]*portState{}}
	}
	b.started = false
	return b.start(ctx)
}

// adopt reads our chains from the kernel (one *-save run per tool that has
// any) and records them, so that the next Apply of such a port replaces
// them and Teardown removes them. Adopted bindings have no fingerprint: the
// first Apply always reinstalls them.
func (b *Backend) adopt(ctx context.Context) error {
	for _, t := range tools {
		text, err := b.save(ctx, t)
		if err != nil {
			return err
		}
		if text == "" {
			continue
		}
		saved := parseSave(text, t.table())
		if t == toolEb {
			b.adoptEb(saved)
		} else {
			b.adoptIP(t, saved)
		}
	}
	return nil
}

// save returns the tool's save output, or "" when the tool is missing or
// (for iptables) when none of our chains exist, which go-iptables tells
// without a save.
func (b *Backend) save(ctx context.Context, t tool) (string, error) {
	if _, err := b.opts.Exec.LookPath(t.save()); err != nil {
		b.log.Debug("xtables: tool not found, nothing to adopt", "tool", t.save())
		return "", nil
	}
	if t != toolEb {
		chains, err := b.opts.Introspect.ListChains(t.layer(), t.table())
		if err != nil {
			b.log.Debug("xtables: listing chains failed, nothing to adopt", "tool", t.String(), "err", err)
			return "", nil
		}
		if !slices.ContainsFunc(chains, b.ownsIPChain) {
			return "", nil
		}
	}
	out, err := b.opts.Exec.Run(ctx, backend.Command{Path: t.save(), Args: []string{"-t", t.table()}})
	if err != nil {
		return "", fmt.Errorf("xtables: reading installed %s rules: %w", t, err)
	}
	return string(out), nil
}

// savedTable is a table of *-save output.
type savedTable struct {
	chains []string
	rules  map[string][][]string // chain → rules' arguments after "-A chain"
}

func parseSave(text, table string) savedTable {
	st := savedTable{rules: map[string][][]string{}}
	in := false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "*"):
			in = line[1:] == table
		case !in:
		case strings.HasPrefix(line, ":"):
			if f := strings.Fields(line[1:]); len(f) > 0 {
				st.chains = append(st.chains, f[0])
			}
		case strings.HasPrefix(line, "-A "):
			f := strings.Fields(line[3:])
			if len(f) > 0 {
				st.rules[f[0]] = append(st.rules[f[0]], f[1:])
			}
		}
	}
	return st
}

// ruleSet returns the keys (ruleKey) of every rule of the table.
func (st savedTable) ruleSet() map[string]bool {
	set := map[string]bool{}
	for chain, rs := range st.rules {
		for _, r := range rs {
			set[ruleKey(chain, r)] = true
		}
	}
	return set
}

// ruleKey identifies a rule independently of option order (save output
// may order options differently from what we loaded).
func ruleKey(chain string, args []string) string {
	s := slices.Clone(args)
	slices.Sort(s)
	return chain + "\x00" + strings.Join(s, "\x00")
}

func linkKey(link string) string {
	f := strings.Fields(link)
	return ruleKey(f[0], f[1:])
}

func (b *Backend) adoptEb(saved savedTable) {
	st := b.state[toolEb]
	declared := map[string]bool{}
	for _, c := range saved.chains {
		declared[c] = true
	}
	rules := saved.ruleSet()
	st.haveDispatch = b.adoptDispatch(saved, rules)
	for _, name := range saved.chains {
		port, s, gen, ok := b.parseEbRoot(name)
		if !ok {
			continue
		}
		ps, _ := st.adopted(port, gen)
		ps.chains = append(ps.chains, name)
		for _, r := range saved.rules[name] {
			if n := len(r); n >= 2 && r[n-2] == "-j" && declared[r[n-1]] && !slices.Contains(ps.chains, r[n-1]) {
				ps.chains = append(ps.chains, r[n-1])
			}
		}
		// A link in the built-in chain is libvirt's layout, and ours before
		// the dispatch chains; either is adopted, and replaced on update.
		for _, link := range []string{ebLink(b.names.ebLinkChain(s, port), s, port, name), ebLink(ebBuiltin[s], s, port, name)} {
			if rules[linkKey(link)] && !slices.Contains(ps.links, link) {
				ps.links = append(ps.links, link)
				ps.gen = gen
			}
		}
	}
}

// parseEbRoot recognises our ebtables root chain names.
func (b *Backend) parseEbRoot(name string) (port string, s side, gen uint8, ok bool) {
	rest, ok := strings.CutPrefix(name, b.names.prefix()+"-")
	if !ok {
		return "", 0, 0, false
	}
	port, role, gen, ok := splitLettered(rest, ebLetters)
	return port, side(role), gen, ok
}

// parseIPChain recognises our per-binding iptables chain names.
func (b *Backend) parseIPChain(name string) (port string, c ipChain, gen uint8, ok bool) {
	rest := name
	if !b.names.libvirt {
		if rest, ok = strings.CutPrefix(name, projectPrefix+"-"); !ok {
			return "", 0, 0, false
		}
	}
	port, role, gen, ok := splitLettered(rest, ipLetters)
	return port, ipChain(role), gen, ok
}

// splitLettered splits "<letters>-<port>", where letters is one of
// table[gen][role], and checks the port device.
func splitLettered(rest string, table [2][]string) (port string, role int, gen uint8, ok bool) {
	for g := range table {
		for r, l := range table[g] {
			if p, found := strings.CutPrefix(rest, l+"-"); found {
				if _, err := token(tokPortDev, p); err != nil {
					return "", 0, 0, false
				}
				return p, r, uint8(g), true
			}
		}
	}
	return "", 0, 0, false
}

func (b *Backend) ownsIPChain(name string) bool {
	if _, _, _, ok := b.parseIPChain(name); ok {
		return true
	}
	for _, bc := range baseChains {
		if name == b.names.base(bc) {
			return true
		}
	}
	return false
}

func (b *Backend) adoptIP(t tool, saved savedTable) {
	st := b.state[t]
	rules := saved.ruleSet()
	hooks := b.names.hooks()
	for _, bc := range baseChains {
		st.haveBase[bc] = slices.Contains(saved.chains, b.names.base(bc))
		st.haveHook[bc] = rules[linkKey(hooks[bc][1])]
	}
	for _, name := range saved.chains {
		port, c, gen, ok := b.parseIPChain(name)
		if !ok {
			continue
		}
		ps, created := st.adopted(port, gen)
		if created {
			if l := b.names.base(baseInPost) + " -m physdev --physdev-in " + port + " -j ACCEPT"; rules[linkKey(l)] {
				ps.links = append(ps.links, l)
			}
		}
		ps.chains = append(ps.chains, name)
		body := &bindingRules{port: port, chains: []chainBody{{ip: c}}}
		for _, l := range b.names.links(t, body, []string{name})[:1] {
			if rules[linkKey(l)] {
				ps.links = append(ps.links, l)
				ps.gen = gen
			}
		}
	}
}

// adopted returns the state of an adopted port, creating it (with gen) on
// first sight.
func (st *toolState) adopted(port string, gen uint8) (ps *portState, created bool) {
	if ps = st.ports[port]; ps == nil {
		ps, created = &portState{gen: gen}, true
		st.ports[port] = ps
	}
	return ps, created
}
