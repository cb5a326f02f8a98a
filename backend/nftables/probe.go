package nftables

import (
	"context"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/backend"
)

// Feature names reported by Probe.
const (
	FeatureBridgeConntrack = "bridge-conntrack" // ct expressions in bridge tables (nf_conntrack_bridge)
	FeatureBrNetfilter     = "br-netfilter"     // bridged IP traffic passes the inet hooks
	FeatureConnlimit       = "connlimit"        // ct count in a dynamic set (inet)
	FeatureInetReject      = "inet-reject"      // reject in an inet table
	FeatureBridgeReject    = "bridge-reject"    // reject in a bridge table (prerouting/input only)
	FeatureConntrackPath   = "conntrack-path"   // the path this Backend uses (Detail)
)

// probeTable is the name of the throwaway tables used by nft --check.
func (b *Backend) probeTable() string { return b.lay.table + "-probe" }

// check runs nft --check on a table of family holding one base chain on hook
// with one rule (and optionally a set); nothing is committed.
func (b *Backend) check(ctx context.Context, family knftables.Family, hook knftables.BaseChainHook, set *knftables.Set, rule string) error {
	tx := b.nft.NewTransaction()
	t := b.probeTable()
	tx.Add(&knftables.Table{Family: family, Name: t})
	if set != nil {
		set.Family, set.Table = family, t
		tx.Add(set)
	}
	tx.Add(baseChain(family, t, "probe", hook, knftables.FilterPriority))
	tx.Add(&knftables.Rule{Family: family, Table: t, Chain: "probe", Rule: rule})
	return b.nft.Check(ctx, tx)
}

func (b *Backend) checkBridgeConntrack(ctx context.Context) error {
	return b.check(ctx, knftables.BridgeFamily, knftables.PreroutingHook, nil, "ct state established accept")
}

func readBrNetfilter() (bool, string) {
	path := "/proc/sys/net/bridge/bridge-nf-call-iptables"
	data, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Sprintf("%s: %v (br_netfilter not loaded)", path, err)
	}
	v := strings.TrimSpace(string(data))
	return v == "1", fmt.Sprintf("%s = %s", path, v)
}

// Probe reports the nft tool and the kernel features the backend uses, in
// the calling thread's network namespace. It changes nothing.
func (b *Backend) Probe(ctx context.Context) (backend.Capabilities, error) {
	caps := backend.Capabilities{Backend: b.Name()}
	tool := backend.Tool{Name: "nft"}
	if p, err := b.exec.LookPath("nft"); err == nil {
		tool.Path = p
		if out, err := b.exec.Run(ctx, backend.Command{Path: p, Args: []string{"--version"}}); err == nil {
			// "nftables v1.0.6 (Lester Gooch #5)"
			if f := strings.Fields(string(out)); len(f) >= 2 {
				tool.Version = strings.TrimPrefix(f[1], "v")
			}
		}
	}
	caps.Tools = []backend.Tool{tool}

	feature := func(name string, err error, ok string) backend.Feature {
		if err != nil {
			return backend.Feature{Name: name, Detail: firstLine(err.Error())}
		}
		return backend.Feature{Name: name, Available: true, Detail: ok}
	}
	caps.Features = append(caps.Features,
		feature(FeatureBridgeConntrack, b.checkBridgeConntrack(ctx), "nft --check: ct state in a bridge table"))
	brnf, detail := readBrNetfilter()
	caps.Features = append(caps.Features, backend.Feature{Name: FeatureBrNetfilter, Available: brnf, Detail: detail})
	caps.Features = append(caps.Features,
		feature(FeatureConnlimit, b.check(ctx, knftables.InetFamily, knftables.ForwardHook,
			&knftables.Set{Name: "cl", Type: "ipv4_addr", Flags: []knftables.SetFlag{knftables.DynamicFlag}, Size: ptr(uint64(16))},
			"meta l4proto tcp update @cl { ip saddr ct count over 1 } drop"), "nft --check: ct count in a dynamic set"),
		feature(FeatureInetReject, b.check(ctx, knftables.InetFamily, knftables.ForwardHook, nil, "reject"), "nft --check: reject in inet forward"),
		feature(FeatureBridgeReject, b.check(ctx, knftables.BridgeFamily, knftables.InputHook, nil, "ether type ip reject"), "nft --check: reject in bridge input"),
		backend.Feature{Name: FeatureConntrackPath, Available: true, Detail: b.lay.path.String()},
	)
	if b.lay.path == ConntrackBrNetfilter && !brnf {
		b.log.Warn("nftables: br_netfilter path without bridge-nf-call-iptables=1: IP-layer rules will not see bridged traffic")
	}
	return caps, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
