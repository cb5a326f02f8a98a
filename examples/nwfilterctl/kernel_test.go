//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/netnstest"
)

// rulesets returns every firewall ruleset it can list inside ns, or in the
// test's own namespace (read only) when ns is nil.
func rulesets(t *testing.T, ns *netnstest.Netns) string {
	t.Helper()
	var all strings.Builder
	for _, cmd := range [][]string{
		{"nft", "list", "ruleset"},
		{"iptables-save"}, {"ip6tables-save"}, {"ebtables-save"},
	} {
		if _, err := exec.LookPath(cmd[0]); err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var out string
		if ns != nil {
			out, _, _ = ns.Run(ctx, cmd[0], cmd[1:]...)
		} else {
			b, _ := exec.CommandContext(ctx, cmd[0], cmd[1:]...).Output()
			out = string(b)
		}
		cancel()
		all.WriteString(out)
	}
	return all.String()
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// TestKernelApplyTeardown applies a binding inside a throwaway namespace with
// each backend, checks that rules for the port appeared there and nowhere
// else, and tears them down again.
func TestKernelApplyTeardown(t *testing.T) {
	for _, tc := range []struct {
		backend string
		tools   []string
	}{
		{"nftables", []string{"nft"}},
		{"xtables", []string{"ebtables-restore", "iptables-restore", "ip6tables-restore"}},
	} {
		t.Run(tc.backend, func(t *testing.T) {
			netnstest.Require(t, tc.tools...)
			lab := netnstest.New(t)
			ns := lab.Name()
			dev := "gcli" + randomHex(t, 3)
			binding := []string{"--filter", "clean-traffic", "--portdev", dev, "--mac", "52:54:00:12:34:56", "--param", "IP=10.0.0.2"}

			code, stdout, stderr := cli(t, with([]string{"apply", "--backend", tc.backend, "--netns", ns}, binding...)...)
			require.Equal(t, exitOK, code, "stderr: %s", stderr)
			assert.Contains(t, stdout, dev)
			assert.Contains(t, rulesets(t, lab.Netns), dev, "the namespace has rules for the port")
			assert.NotContains(t, rulesets(t, nil), dev, "the test's own namespace is untouched")

			// Applying again is fine (it replaces the binding).
			code, _, stderr = cli(t, with([]string{"apply", "--backend", tc.backend, "--netns", ns}, binding...)...)
			require.Equal(t, exitOK, code, "stderr: %s", stderr)

			// Each run of nwfilterctl is a new process: a second binding applied
			// by another run leaves the first in force, and a teardown run
			// removes only what it names.
			dev2 := "gcli" + randomHex(t, 3)
			code, _, stderr = cli(t, "apply", "--backend", tc.backend, "--netns", ns, "--filter", "clean-traffic",
				"--portdev", dev2, "--mac", "52:54:00:12:34:57", "--param", "IP=10.0.0.3")
			require.Equal(t, exitOK, code, "stderr: %s", stderr)
			assert.Contains(t, rulesets(t, lab.Netns), dev, "the first run's binding survives the second run")
			assert.Contains(t, rulesets(t, lab.Netns), dev2)

			code, _, stderr = cli(t, "teardown", "--backend", tc.backend, "--netns", ns, "--portdev", dev)
			require.Equal(t, exitOK, code, "stderr: %s", stderr)
			assert.Contains(t, rulesets(t, lab.Netns), dev2, "teardown leaves other bindings alone")
			assert.NotContains(t, rulesets(t, lab.Netns), dev, "teardown removed the port's rules")

			code, _, stderr = cli(t, "teardown", "--backend", tc.backend, "--netns", ns, "--portdev", dev2)
			require.Equal(t, exitOK, code, "stderr: %s", stderr)
			assert.NotContains(t, rulesets(t, lab.Netns), "gonwfilter", "the last teardown removes our tables")
			assert.NotContains(t, rulesets(t, lab.Netns), "gnwf-", "the last teardown removes our chains")
		})
	}
}

// TestKernelApplyDefaultBackend applies two binding files in one go without
// --backend: the probe picks one.
func TestKernelApplyDefaultBackend(t *testing.T) {
	lab := netnstest.New(t)
	code, stdout, stderr := cli(t, "apply", "--netns", lab.Name(), "--filters-dir", "testdata/filters",
		"--binding", "testdata/bindings/vnet0.xml", "--binding", "testdata/bindings/vnet1.xml")
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Contains(t, stdout, "applied 2 binding(s)")
	rules := rulesets(t, lab.Netns)
	assert.Contains(t, rules, "vnet0")
	assert.Contains(t, rules, "vnet1")
}

// TestKernelConcurrentAppliesGetDistinctPortIDs: nwfilterctl runs that
// change one namespace at the same time take turns (the namespace lock), so
// each adopts what the previous one installed and the nftables port ids,
// which dispatch IP-layer traffic, never collide.
func TestKernelConcurrentAppliesGetDistinctPortIDs(t *testing.T) {
	netnstest.Require(t, "nft")
	lab := netnstest.New(t)
	lockDir = t.TempDir()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ssh-only.xml"), []byte(`<filter name='ssh-only' chain='root'>
  <rule action='accept' direction='in' priority='500'><tcp dstportstart='22'/></rule>
  <rule action='drop' direction='inout' priority='1000'><all/></rule>
</filter>`), 0o644))

	const runs = 6
	codes, stderrs := make([]int, runs), make([]string, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			codes[i], _, stderrs[i] = cli(t, "apply", "--backend", "nftables", "--conntrack", "br_netfilter",
				"--netns", lab.Name(), "--filters-dir", dir, "--filter", "ssh-only",
				"--portdev", fmt.Sprintf("vc%d", i), "--mac", fmt.Sprintf("52:54:00:00:0c:%02x", i))
		})
	}
	wg.Wait()
	for i := range runs {
		require.Equal(t, exitOK, codes[i], "run %d: %s", i, stderrs[i])
	}
	out, _, err := lab.Run(context.Background(), "nft", "list", "map", "bridge", "gonwfilter", "port-ids")
	require.NoError(t, err)
	ids := regexp.MustCompile(`"vc\d" : (0x[0-9a-f]+)`).FindAllStringSubmatch(out, -1)
	require.Len(t, ids, runs, out)
	seen := map[string]bool{}
	for _, m := range ids {
		assert.False(t, seen[m[1]], "port id %s given twice:\n%s", m[1], out)
		seen[m[1]] = true
	}
}
