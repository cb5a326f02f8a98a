//go:build linux

package netnstest

import (
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rootRuleset returns the firewall state of the test process's own
// namespace, which the harness must never change. It only reads.
func rootRuleset(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, c := range [][]string{{"nft", "list", "ruleset"}, {"iptables-save"}, {"ip6tables-save"}, {"ebtables-save"}} {
		if _, err := exec.LookPath(c[0]); err != nil {
			continue
		}
		out, _ := exec.Command(c[0], c[1:]...).Output()
		// Drop the timestamp comments of *-save.
		b.WriteString(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(string(out), ""))
	}
	return b.String()
}

func TestBridgeNFIsPerNetns(t *testing.T) {
	t.Parallel()
	Require(t)
	rootBefore, rootErr := os.ReadFile("/proc/sys/net/bridge/bridge-nf-call-iptables")
	lab := New(t)
	b := lab.BridgeNF()
	if !b.PerNetns {
		t.Skipf("bridge-nf-call-* are global on this kernel (%+v)", b)
	}
	assert.Equal(t, BridgeNF{PerNetns: true, IPTables: true, IP6Tables: true, ARPTables: true}, b)

	// Switching it off in the lab leaves the test process's namespace alone.
	require.NoError(t, lab.SetSysctl("net.bridge.bridge-nf-call-iptables", "0"))
	v, err := lab.Sysctl("net.bridge.bridge-nf-call-iptables")
	require.NoError(t, err)
	assert.Equal(t, "0", v)
	rootAfter, err := os.ReadFile("/proc/sys/net/bridge/bridge-nf-call-iptables")
	require.Equal(t, rootErr, err)
	assert.Equal(t, string(rootBefore), string(rootAfter))
}

// TestIptablesSeesBridgedTraffic shows br_netfilter at work in the lab: an
// iptables/ip6tables FORWARD rule in the host namespace filters traffic
// bridged between two VMs, and the namespace's own bridge-nf-call switch
// decides whether it does.
func TestIptablesSeesBridgedTraffic(t *testing.T) {
	t.Parallel()
	Require(t, "iptables", "ip6tables")
	root := rootRuleset(t)
	lab, vm1, vm2 := twoVMs(t)
	lab.RequireBridgeNF(t)
	ctx := t.Context()
	for _, port := range []uint16{80, 81} {
		_, err := vm2.ListenTCP(port)
		require.NoError(t, err)
	}
	for _, ipt := range []string{"iptables", "ip6tables"} {
		_, _, err := lab.Run(ctx, ipt, "-w", "-I", "FORWARD", "-p", "tcp", "--dport", "80", "-j", "DROP")
		require.NoError(t, err)
	}
	for _, dst := range []netip.Addr{vm2.IPv4(), vm2.IPv6()} {
		err := vm1.ProbeTCP(shortCtx(t), netip.AddrPortFrom(dst, 80))
		requireBlocked(t, err, false)
		assert.NoError(t, vm1.ProbeTCP(ctx, netip.AddrPortFrom(dst, 81)))
	}
	out, _, err := lab.Run(ctx, "iptables", "-w", "-L", "FORWARD", "-v", "-x", "-n")
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^\s*[1-9]\d*\s+\d+\s+DROP\s+6\s`, out, "the rule counted the dropped SYNs")

	// With the host namespace's switch off, iptables no longer sees bridged
	// IPv4, while IPv6 is still filtered.
	if lab.BridgeNF().PerNetns {
		require.NoError(t, lab.SetSysctl("net.bridge.bridge-nf-call-iptables", "0"))
		assert.NoError(t, vm1.ProbeTCP(ctx, netip.AddrPortFrom(vm2.IPv4(), 80)))
		requireBlocked(t, vm1.ProbeTCP(shortCtx(t), netip.AddrPortFrom(vm2.IPv6(), 80)), false)
	}
	assert.Equal(t, root, rootRuleset(t), "the test process's namespace must be untouched")
}

// TestHookOrderBrNetfilter finds where br_netfilter runs iptables' FORWARD
// chain within the bridge's forward hook: after bridge-family chains of
// priority below 0 (ebtables' filter table is -200), before those above 0.
func TestHookOrderBrNetfilter(t *testing.T) {
	t.Parallel()
	Require(t, "nft", "iptables")
	lab, vm1, vm2 := twoVMs(t)
	lab.RequireBridgeNF(t)
	ctx := t.Context()
	_, err := vm2.ListenTCP(80)
	require.NoError(t, err)
	for _, cmd := range []string{
		"add table bridge order",
		"add chain bridge order before { type filter hook forward priority -1; }",
		"add chain bridge order after { type filter hook forward priority 1; }",
		"add rule bridge order before tcp dport 80 counter",
		"add rule bridge order after tcp dport 80 counter",
	} {
		_, _, err := lab.Run(ctx, "nft", append([]string{"--"}, strings.Fields(cmd)...)...)
		require.NoError(t, err)
	}
	_, _, err = lab.Run(ctx, "iptables", "-w", "-I", "FORWARD", "-p", "tcp", "--dport", "80", "-j", "DROP")
	require.NoError(t, err)

	requireBlocked(t, vm1.ProbeTCP(shortCtx(t), netip.AddrPortFrom(vm2.IPv4(), 80)), false)
	out, _, err := lab.Run(ctx, "nft", "list", "table", "bridge", "order")
	require.NoError(t, err)
	counts := regexp.MustCompile(`packets (\d+)`).FindAllStringSubmatch(out, -1)
	require.Len(t, counts, 2, out)
	before, _ := strconv.Atoi(counts[0][1])
	after, _ := strconv.Atoi(counts[1][1])
	assert.Positive(t, before, "priority -1 sees the SYN before iptables drops it:\n%s", out)
	assert.Zero(t, after, "priority +1 runs after iptables' DROP:\n%s", out)
}
