package xtables

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Feature names reported by Probe and used in *backend.FeatureError.
const (
	FeaturePhysdev           = "physdev"
	FeatureConntrack         = "conntrack"
	FeatureConnlimit         = "connlimit"
	FeatureSet               = "set"
	FeatureComment           = "comment"
	FeatureMAC               = "mac"
	FeatureIPRange           = "iprange"
	FeatureDSCP              = "dscp"
	FeatureBridgeNFIPTables  = "bridge-nf-call-iptables"
	FeatureBridgeNFIP6Tables = "bridge-nf-call-ip6tables"
)

const (
	sysctlBridgeNFCall = "/proc/sys/net/bridge/"
	probeChain         = "gnwf-probe"
	probePort          = "gnwfprobe0"
)

// matchProbes are the iptables matches the renderer may use, each with a
// rule that uses it.
var matchProbes = []struct{ feature, rule string }{
	{FeaturePhysdev, "-m physdev --physdev-in " + probePort},
	{FeatureConntrack, "-m conntrack --ctstate NEW,ESTABLISHED"},
	{FeatureConnlimit, "-p tcp -m connlimit --connlimit-above 1"},
	{FeatureComment, `-m comment --comment "probe"`},
	{FeatureMAC, "-m mac --mac-source 02:00:00:00:00:01"},
	{FeatureIPRange, "-m iprange --src-range 10.0.0.1-10.0.0.2"},
	{FeatureDSCP, "-m dscp --dscp 1"},
}

var versionRE = regexp.MustCompile(`v?(\d+(?:\.\d+)+)`)

// Probe implements backend.Backend. It finds the three tools with their
// restore and save programs (version, nf_tables or legacy variant), reads
// bridge-nf-call-ip(6)tables in the current network namespace, checks each
// iptables match the renderer uses with "iptables-restore --test" on a
// private chain, and the ipset interface via netlink. The result is cached
// for Apply's feature checks.
func (b *Backend) Probe(ctx context.Context) (backend.Capabilities, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	caps := b.probe(ctx)
	b.caps = &caps
	return caps, nil
}

func (b *Backend) probe(ctx context.Context) backend.Capabilities {
	caps := backend.Capabilities{Backend: b.Name()}
	for _, t := range tools {
		version, variant := "", ""
		for i, name := range []string{t.String(), t.restore(), t.save()} {
			tl := backend.Tool{Name: name}
			if path, err := b.opts.Exec.LookPath(name); err == nil {
				tl.Path = path
				if i == 0 {
					version, variant = b.toolVersion(ctx, t)
				}
				tl.Version, tl.Variant = version, variant
			}
			caps.Tools = append(caps.Tools, tl)
		}
	}
	for _, f := range []string{FeatureBridgeNFIPTables, FeatureBridgeNFIP6Tables} {
		caps.Features = append(caps.Features, b.probeSysctl(f))
	}
	caps.Features = append(caps.Features, b.probeMatches(ctx)...)
	caps.Features = append(caps.Features, b.probeSets())
	return caps
}

func (b *Backend) toolVersion(ctx context.Context, t tool) (version, variant string) {
	if out, err := b.opts.Exec.Run(ctx, backend.Command{Path: t.String(), Args: []string{"--version"}}); err == nil {
		s := string(out)
		if m := versionRE.FindStringSubmatch(s); m != nil {
			version = m[1]
		}
		switch {
		case strings.Contains(s, "nf_tables"):
			variant = "nf_tables"
		case strings.Contains(s, "legacy"):
			variant = "legacy"
		}
	}
	if t != toolEb {
		if v, err := b.opts.Introspect.Version(t.layer()); err == nil && v != "0.0.0" {
			version = v
		}
	}
	return version, variant
}

func (b *Backend) probeSysctl(name string) backend.Feature {
	f := backend.Feature{Name: name}
	path := sysctlBridgeNFCall + name
	data, err := b.readFile(path)
	switch {
	case err != nil:
		f.Detail = fmt.Sprintf("%s unreadable (br_netfilter not loaded?): %v", path, err)
	case strings.TrimSpace(string(data)) == "1":
		f.Available, f.Detail = true, path+" is 1"
	default:
		f.Detail = path + " is 0: iptables rules will not see bridged traffic"
		b.log.Warn("xtables: " + f.Detail)
	}
	return f
}

func (b *Backend) readFile(path string) ([]byte, error) {
	if b.opts.readFile != nil {
		return b.opts.readFile(path)
	}
	return os.ReadFile(path)
}

// probeMatches tests all matches in one --test run, and one by one only if
// that fails.
func (b *Backend) probeMatches(ctx context.Context) []backend.Feature {
	test := func(rules ...string) error {
		var s strings.Builder
		s.WriteString("*filter\n:" + probeChain + " - [0:0]\n")
		for _, r := range rules {
			s.WriteString("-A " + probeChain + " " + r + "\n")
		}
		s.WriteString("COMMIT\n")
		_, err := b.opts.Exec.Run(ctx, backend.Command{Path: toolIPv4.restore(), Args: []string{"--test"}, Stdin: []byte(s.String())})
		return err
	}
	all := make([]string, len(matchProbes))
	for i, p := range matchProbes {
		all[i] = p.rule
	}
	out := make([]backend.Feature, len(matchProbes))
	allErr := test(all...)
	for i, p := range matchProbes {
		out[i] = backend.Feature{Name: p.feature, Available: true, Detail: "iptables-restore --test accepts " + p.rule}
		if allErr == nil {
			continue
		}
		if err := test(p.rule); err != nil {
			out[i].Available, out[i].Detail = false, fmt.Sprintf("iptables-restore --test rejects %q: %v", p.rule, err)
		}
	}
	return out
}

func (b *Backend) probeSets() backend.Feature {
	if _, err := b.opts.IPSets.ListIPSets(); err != nil {
		return backend.Feature{Name: FeatureSet, Detail: "listing ipsets over netlink failed: " + err.Error()}
	}
	return backend.Feature{Name: FeatureSet, Available: true, Detail: "ipsets listed over netlink"}
}

// check refuses graphs that need a missing tool or feature, or reference
// an ipset that does not exist, before anything runs.
func (b *Backend) check(rs []*rendered) error {
	needSets := map[string]*setUse{}
	for _, r := range rs {
		port := r.graph.Binding.PortDev
		for _, t := range tools {
			if r.tools[t].empty() {
				continue
			}
			if b.caps != nil && !b.hasTool(t) {
				return &backend.FeatureError{Feature: t.restore(), PortDev: port, Detail: "program not found"}
			}
			if t == toolEb {
				continue
			}
			if err := b.need(FeaturePhysdev, port, ir.Origin{}); err != nil {
				return err
			}
			for _, rule := range r.graph.IP {
				if rule.Protocol.Layer() != t.layer() {
					continue
				}
				for _, f := range ruleFeatures(rule) {
					if err := b.need(f, port, rule.Origin); err != nil {
						return err
					}
				}
				for _, m := range rule.Matches {
					if m.Field == ir.FieldIPSet && needSets[m.IPSet.Name] == nil {
						needSets[m.IPSet.Name] = &setUse{port: port, rule: rule.Origin}
					}
				}
			}
		}
	}
	if len(needSets) == 0 {
		return nil
	}
	have, err := b.opts.IPSets.ListIPSets()
	if err != nil {
		for _, u := range needSets {
			return &backend.FeatureError{Feature: FeatureSet, PortDev: u.port, Rule: u.rule, Detail: err.Error()}
		}
	}
	for name, u := range needSets {
		if !slices.Contains(have, name) {
			return &MissingIPSetError{Name: name, PortDev: u.port, Rule: u.rule}
		}
	}
	return nil
}

type setUse struct {
	port string
	rule ir.Origin
}

// MissingIPSetError reports a rule referencing an ipset that does not exist
// in the current network namespace.
type MissingIPSetError struct {
	// Name is the missing set.
	Name string
	// PortDev is the binding whose rule references it.
	PortDev string
	// Rule points at the rule's source.
	Rule ir.Origin
}

// Error names the binding, the rule and the set.
func (e *MissingIPSetError) Error() string {
	return fmt.Sprintf("binding %q: filter %q rule %d: ipset %q does not exist", e.PortDev, e.Rule.Filter, e.Rule.Index, e.Name)
}

// ruleFeatures lists the iptables matches a rule's instances may use.
func ruleFeatures(r *ir.Rule) []string {
	var out []string
	if r.ConnlimitAbove != 0 {
		out = append(out, FeatureConnlimit)
	} else if r.StateMatch && (r.State != 0 && r.State&ir.StateNone == 0 || r.State == 0 && r.Action == ir.ActionAccept && r.Direction != ir.DirInOut) {
		out = append(out, FeatureConntrack)
	}
	if r.Comment != "" {
		out = append(out, FeatureComment)
	}
	for _, m := range r.Matches {
		switch m.Field {
		case ir.FieldSrcMAC:
			out = append(out, FeatureMAC)
		case ir.FieldSrcIPRange, ir.FieldDstIPRange:
			out = append(out, FeatureIPRange)
		case ir.FieldDSCP:
			out = append(out, FeatureDSCP)
		case ir.FieldIPSet:
			out = append(out, FeatureSet)
		}
	}
	return out
}

func (b *Backend) need(feature, port string, rule ir.Origin) error {
	if b.caps == nil {
		return nil
	}
	for _, f := range b.caps.Features {
		if f.Name == feature && !f.Available {
			return &backend.FeatureError{Feature: feature, PortDev: port, Rule: rule, Detail: f.Detail}
		}
	}
	return nil
}

func (b *Backend) hasTool(t tool) bool {
	for _, tl := range b.caps.Tools {
		if tl.Name == t.restore() {
			return tl.Path != ""
		}
	}
	return false
}
