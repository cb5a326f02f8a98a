package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/golden"
)

// cli runs nwfilterctl with args and returns its exit code and output.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// checkGolden compares a run's exit code and output with testdata/golden/NAME.txt.
func checkGolden(t *testing.T, name string, code int, stdout, stderr string) {
	t.Helper()
	got := fmt.Sprintf("exit: %d\n--- stdout\n%s--- stderr\n%s", code, stdout, stderr)
	golden.Check(t, filepath.Join("testdata", "golden", name+".txt"), []byte(got))
}

var cleanTrafficFlags = []string{"--filter", "clean-traffic", "--portdev", "vnet0", "--mac", "52:54:00:12:34:56", "--param", "IP=10.0.0.2"}

func with(args []string, more ...string) []string {
	return append(append([]string(nil), args...), more...)
}

// TestGolden runs every subcommand on fixed inputs and compares exit code,
// standard output and standard error with golden files.
func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"list", []string{"list"}},
		{"list-filters-dir", []string{"list", "--filters-dir", "testdata/filters"}},
		{"list-bad-filters-dir", []string{"list", "--filters-dir", "testdata/badfilters"}},
		{"validate-good", []string{"validate", "testdata/bindings/vnet0.xml", "testdata/filters/allow-ssh.xml"}},
		{"validate-bad", []string{"validate", "testdata/bindings/vnet0.xml", "testdata/bad/bad-direction.xml", "testdata/bad/bad-binding.xml"}},
		{"xml-filter", []string{"xml", "testdata/filters/allow-ssh.xml"}},
		{"xml-binding", []string{"xml", "testdata/bindings/vnet1.xml"}},
		{"xml-bad", []string{"xml", "testdata/bad/bad-direction.xml"}},
		{"graph-clean-traffic", with([]string{"graph"}, cleanTrafficFlags...)},
		{"graph-binding-file", []string{"graph", "--filters-dir", "testdata/filters", "--binding", "testdata/bindings/vnet1.xml"}},
		{"graph-missing-variable", []string{"graph", "--filter", "clean-traffic", "--portdev", "vnet0", "--mac", "52:54:00:12:34:56"}},
		{"graph-missing-filter", []string{"graph", "--binding", "testdata/bindings/vnet1.xml"}},
		{"simulate-ssh-out", with([]string{"simulate"}, with(cleanTrafficFlags, "--packet",
			"dir=out proto=tcp src=10.0.0.2 dst=10.0.0.9 sport=40000 dport=22 state=new")...)},
		{"simulate-spoofed", with([]string{"simulate"}, with(cleanTrafficFlags, "--packet",
			"dir=out proto=tcp src=10.0.0.66 dst=10.0.0.9 sport=40000 dport=22 state=new")...)},
		{"simulate-bad-packet", with([]string{"simulate"}, with(cleanTrafficFlags, "--packet", "dir=sideways")...)},
		{"render-xtables-clean-traffic", with([]string{"render", "--backend", "xtables"}, cleanTrafficFlags...)},
		{"render-xtables-libvirt-names", with([]string{"render", "--backend", "xtables", "--libvirt-names"}, cleanTrafficFlags...)},
		{"render-xtables-two-bindings", []string{"render", "--backend", "xtables", "--filters-dir", "testdata/filters",
			"--binding", "testdata/bindings/vnet0.xml", "--binding", "testdata/bindings/vnet1.xml"}},
		// The nftables script depends on the conntrack path, which auto would
		// probe: pin it so the goldens hold on every kernel.
		{"render-nftables-clean-traffic", with([]string{"render", "--backend", "nftables", "--conntrack", "br_netfilter"}, cleanTrafficFlags...)},
		{"render-nftables-bridge-conntrack", []string{"render", "--backend", "nftables", "--conntrack", "bridge", "--filters-dir", "testdata/filters",
			"--binding", "testdata/bindings/vnet1.xml"}},
		{"render-nftables-two-bindings", []string{"render", "--backend", "nftables", "--conntrack", "br_netfilter", "--filters-dir", "testdata/filters",
			"--binding", "testdata/bindings/vnet0.xml", "--binding", "testdata/bindings/vnet1.xml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, tt.args...)
			checkGolden(t, tt.name, code, stdout, stderr)
		})
	}
}

func TestHelp(t *testing.T) {
	code, stdout, stderr := cli(t, "--help")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, stderr)
	for _, c := range commands {
		assert.Contains(t, stdout, "nwfilterctl "+c.synopsis)
	}

	code, _, stderr = cli(t)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "Usage:")

	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			for _, args := range [][]string{{"help", c.name}, {c.name, "--help"}, {c.name, "-h"}} {
				code, stdout, stderr := cli(t, args...)
				assert.Equal(t, exitOK, code, args)
				assert.Empty(t, stderr, args)
				assert.True(t, strings.HasPrefix(stdout, "usage: nwfilterctl "+c.synopsis+"\n"), stdout)
			}
		})
	}

	code, _, stderr = cli(t, "help", "frobnicate")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unknown subcommand "frobnicate"`)
	code, _, _ = cli(t, "help", "list", "graph")
	assert.Equal(t, exitUsage, code)
}

// TestErrors covers the error paths: each must exit with the right code and
// say what is wrong on standard error, printing nothing on standard output.
func TestErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unknown subcommand", []string{"frobnicate"}, exitUsage, `unknown subcommand "frobnicate"`},
		{"unknown flag", []string{"graph", "--frobnicate"}, exitUsage, "flag provided but not defined"},
		{"list argument", []string{"list", "extra"}, exitUsage, "list takes no arguments"},
		{"list missing dir", []string{"list", "--filters-dir", "testdata/nope"}, exitUsage, "no such file or directory"},
		{"validate nothing", []string{"validate"}, exitUsage, "at least one FILE"},
		{"validate missing file", []string{"validate", "testdata/nope.xml"}, exitUsage, "testdata/nope.xml"},
		{"validate directory", []string{"validate", "testdata"}, exitUsage, "not a regular file"},
		{"xml two files", []string{"xml", "a", "b"}, exitUsage, "exactly one FILE"},
		{"xml missing file", []string{"xml", "testdata/nope.xml"}, exitUsage, "nope.xml"},
		{"graph no binding", []string{"graph"}, exitUsage, "no binding"},
		{"graph incomplete binding", []string{"graph", "--filter", "clean-traffic"}, exitUsage, "needs --portdev, --mac"},
		{"graph bad mac", []string{"graph", "--filter", "clean-traffic", "--portdev", "vnet0", "--mac", "52:54:00"}, exitUsage, "--mac"},
		{"graph bad portdev", []string{"graph", "--filter", "clean-traffic", "--portdev", "vnet0;rm -rf /", "--mac", "52:54:00:12:34:56"}, exitUsage, "vnet0;rm"},
		{"graph bad param", with([]string{"graph"}, with(cleanTrafficFlags, "--param", "IP")...), exitUsage, "NAME=VALUE"},
		{"graph bad param value", with([]string{"graph"}, with(cleanTrafficFlags, "--param", "IP=10.0.0.0/8")...), exitUsage, "10.0.0.0/8"},
		{"graph two bindings", with([]string{"graph", "--binding", "testdata/bindings/vnet0.xml"}, cleanTrafficFlags...), exitUsage, "exactly one binding"},
		{"graph missing binding file", []string{"graph", "--binding", "testdata/nope.xml"}, exitUsage, "nope.xml"},
		{"graph bad binding file", []string{"graph", "--binding", "testdata/bad/bad-binding.xml"}, exitUsage, "testdata/bad/bad-binding.xml:"},
		{"graph argument", with([]string{"graph"}, with(cleanTrafficFlags, "extra")...), exitUsage, `unexpected argument "extra"`},
		{"graph bad filters dir", with([]string{"graph", "--filters-dir", "testdata/badfilters"}, cleanTrafficFlags...), exitUsage, "renamed.xml"},
		{"simulate no packet", with([]string{"simulate"}, cleanTrafficFlags...), exitUsage, "--packet"},
		{"render no backend", with([]string{"render"}, cleanTrafficFlags...), exitUsage, "--backend"},
		{"render unknown backend", with([]string{"render", "--backend", "pf"}, cleanTrafficFlags...), exitUsage, `unknown backend "pf"`},
		{"render libvirt names nftables", with([]string{"render", "--backend", "nftables", "--libvirt-names"}, cleanTrafficFlags...), exitUsage, "only for --backend xtables"},
		{"render missing variable", []string{"render", "--backend", "nftables", "--filter", "clean-traffic", "--portdev", "vnet0", "--mac", "52:54:00:12:34:56"}, exitFail, "IP"},
		{"render bad conntrack", with([]string{"render", "--backend", "nftables", "--conntrack", "magic"}, cleanTrafficFlags...), exitUsage, `--conntrack "magic"`},
		{"render conntrack xtables", with([]string{"render", "--backend", "xtables", "--conntrack", "bridge"}, cleanTrafficFlags...), exitUsage, "only for --backend nftables"},
		{"apply unknown backend", with([]string{"apply", "--backend", "pf"}, cleanTrafficFlags...), exitUsage, `unknown backend "pf"`},
		{"apply bad netns name", with([]string{"apply", "--netns", "../../proc/1/ns/net"}, cleanTrafficFlags...), exitUsage, "not a namespace name"},
		{"apply missing netns", with([]string{"apply", "--netns", "gnft-cli-does-not-exist"}, cleanTrafficFlags...), exitUsage, "gnft-cli-does-not-exist"},
		{"apply no binding", []string{"apply", "--backend", "nftables"}, exitUsage, "no binding"},
		{"teardown no portdev", []string{"teardown", "--backend", "nftables"}, exitUsage, "--portdev"},
		{"teardown bad portdev", []string{"teardown", "--backend", "nftables", "--portdev", "a/b"}, exitUsage, "a/b"},
		{"teardown missing netns", []string{"teardown", "--backend", "nftables", "--netns", "gnft-cli-does-not-exist", "--portdev", "vnet0"}, exitUsage, "gnft-cli-does-not-exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, tt.args...)
			assert.Equal(t, tt.wantCode, code, "stderr: %s", stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.wantErr)
		})
	}
}

func TestValidateFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo.xml")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	code, _, stderr := cli(t, "validate", fifo)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "not a regular file", "a FIFO is refused, not read (reading would hang)")
}

func TestSimulateFirstLine(t *testing.T) {
	for _, dir := range []string{"out", "in"} {
		code, stdout, stderr := cli(t, with([]string{"simulate"}, with(cleanTrafficFlags, "--packet",
			"dir="+dir+" proto=udp src=10.0.0.2 dst=10.0.0.9 sport=5353 dport=53")...)...)
		require.Equal(t, exitOK, code, stderr)
		first, _, _ := strings.Cut(stdout, "\n")
		assert.Regexp(t, `^verdict: (accept|drop|reject)$`, first)
	}
}

func TestRenderHeaders(t *testing.T) {
	for backend, headers := range map[string][]string{
		"xtables":  {"# ebtables-restore\n", "# iptables-restore\n", "# ip6tables-restore\n"},
		"nftables": {"# nft\n"},
	} {
		code, stdout, stderr := cli(t, "render", "--backend", backend, "--filters-dir", "testdata/filters", "--binding", "testdata/bindings/vnet1.xml")
		require.Equal(t, exitOK, code, stderr)
		for _, h := range headers {
			assert.Contains(t, stdout, h, backend)
		}
		assert.True(t, strings.HasPrefix(stdout, "# "), "the output starts with a header line")
	}
}
