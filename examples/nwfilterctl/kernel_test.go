//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireKernel skips the test unless it can change firewall rules in a
// throwaway namespace, and fails instead when GONWFILTER_KERNEL_TESTS=require.
func requireKernel(t *testing.T, tools ...string) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "kernel tests need root"
	}
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil && why == "" {
			why = "kernel tests need " + tool + " in PATH"
		}
	}
	switch {
	case why == "":
	case os.Getenv("GONWFILTER_KERNEL_TESTS") == "require":
		t.Fatalf("%s (fatal because GONWFILTER_KERNEL_TESTS=require)", why)
	default:
		t.Skipf("%s (set GONWFILTER_KERNEL_TESTS=require to fail instead)", why)
	}
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// throwawayNetns creates a named network namespace that the test deletes
// when it ends.
func throwawayNetns(t *testing.T) string {
	t.Helper()
	name := "gnft-cli-" + randomHex(t, 4)
	out, err := exec.Command("ip", "netns", "add", name).CombinedOutput()
	require.NoError(t, err, "ip netns add: %s", out)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "delete", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns delete %s: %v: %s", name, err, out)
		}
	})
	return name
}

// rulesets returns every firewall ruleset it can list, in the namespace ns
// or, when ns is "", in the test's own namespace (read only).
func rulesets(t *testing.T, ns string) string {
	t.Helper()
	var all strings.Builder
	for _, cmd := range [][]string{
		{"nft", "list", "ruleset"},
		{"iptables-save"}, {"ip6tables-save"}, {"ebtables-save"},
	} {
		if _, err := exec.LookPath(cmd[0]); err != nil {
			continue
		}
		if ns != "" {
			cmd = append([]string{"ip", "netns", "exec", ns}, cmd...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, _ := exec.CommandContext(ctx, cmd[0], cmd[1:]...).Output()
		cancel()
		all.Write(out)
	}
	return all.String()
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
			requireKernel(t, tc.tools...)
			ns := throwawayNetns(t)
			dev := "gcli" + randomHex(t, 3)
			binding := []string{"--filter", "clean-traffic", "--portdev", dev, "--mac", "52:54:00:12:34:56", "--param", "IP=10.0.0.2"}

			code, stdout, stderr := cli(t, with([]string{"apply", "--backend", tc.backend, "--netns", ns}, binding...)...)
			require.Equal(t, exitOK, code, "stderr: %s", stderr)
			assert.Contains(t, stdout, dev)
			assert.Contains(t, rulesets(t, ns), dev, "the namespace has rules for the port")
			assert.NotContains(t, rulesets(t, ""), dev, "the test's own namespace is untouched")

			// Applying again is fine (it replaces the binding).
			code, _, stderr = cli(t, with([]string{"apply", "--backend", tc.backend, "--netns", ns}, binding...)...)
			require.Equal(t, exitOK, code, "stderr: %s", stderr)

			code, _, stderr = cli(t, "teardown", "--backend", tc.backend, "--netns", ns, "--portdev", dev)
			require.Equal(t, exitOK, code, "stderr: %s", stderr)
			assert.NotContains(t, rulesets(t, ns), dev, "teardown removed the port's rules")
		})
	}
}

// TestKernelApplyDefaultBackend applies two binding files in one go without
// --backend: the probe picks one.
func TestKernelApplyDefaultBackend(t *testing.T) {
	requireKernel(t)
	ns := throwawayNetns(t)
	code, stdout, stderr := cli(t, "apply", "--netns", ns, "--filters-dir", "testdata/filters",
		"--binding", "testdata/bindings/vnet0.xml", "--binding", "testdata/bindings/vnet1.xml")
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Contains(t, stdout, "applied 2 binding(s)")
	rules := rulesets(t, ns)
	assert.Contains(t, rules, "vnet0")
	assert.Contains(t, rules, "vnet1")
}
