//go:build linux

package xtables

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/internal/kerneltest"
	"github.com/gonwfilter/gonwfilter/internal/netnstest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
	"github.com/gonwfilter/gonwfilter/nwfilter/sim"
)

func TestKernel(t *testing.T) {
	netnstest.Require(t, "ebtables-restore", "iptables-restore", "ip6tables-restore", "ipset")
	variants := []struct {
		name string
		opts Options
		// only lists the cases (and "atomic-update") to run; nil runs them
		// all. Names and ctdir do not change what the other cases' rules
		// do: keep the suite short by running the cases that stress the
		// most chains, the swap and connection state.
		only []string
	}{
		{"gnwf-names", Options{}, nil},
		{"libvirt-names", Options{LibvirtNames: true}, []string{"clean-traffic", "statematch-on", "statematch-off", "ipv6", "atomic-update"}},
		{"ctdir", Options{ConntrackDirection: true}, []string{"clean-traffic", "statematch-on", "statematch-off", "ctdir", "ipv6"}},
	}
	for _, v := range variants {
		opts := []kerneltest.RunOption{kerneltest.SimOptions(sim.Options{ConntrackDirection: v.opts.ConntrackDirection})}
		if v.only != nil {
			names := []string{"atomic-update"}
			for _, c := range kerneltest.Cases() {
				names = append(names, c.Name)
			}
			for _, name := range names {
				if !slices.Contains(v.only, name) {
					opts = append(opts, kerneltest.Skip(name, "covered by gnwf-names"))
				}
			}
		}
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			kerneltest.Run(t, func(t *testing.T, _ *kerneltest.Env) backend.Backend {
				b, err := New(v.opts)
				require.NoError(t, err)
				return b
			}, opts...)
		})
	}
}

// countingExec counts runs and can make the n-th restore fail.
type countingExec struct {
	backend.Execer
	mu       sync.Mutex
	runs     int
	restores int
	failAt   int // 1-based restore number that fails; 0: none
}

func (c *countingExec) Run(ctx context.Context, cmd backend.Command) ([]byte, error) {
	c.mu.Lock()
	c.runs++
	fail := false
	if strings.HasSuffix(cmd.Path, "-restore") && (len(cmd.Args) == 0 || cmd.Args[0] != "--test") {
		c.restores++
		fail = c.restores == c.failAt
	}
	c.mu.Unlock()
	if fail {
		return nil, &backend.ExecError{Cmd: cmd.String(), ExitCode: 1, Stderr: "injected failure", Err: errors.New("injected")}
	}
	return c.Execer.Run(ctx, cmd)
}

func (c *countingExec) counts() (runs, restores int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs, c.restores
}

// snapshot lists the three tools' rules in the lab's host namespace,
// without the built-in chains and tables that nf_tables creates on first use.
func snapshot(t *testing.T, e *kerneltest.Env) string {
	var b strings.Builder
	for _, tool := range []string{"ebtables-save", "iptables-save", "ip6tables-save"} {
		out, stderr, err := e.Lab.Run(context.Background(), tool)
		require.NoError(t, err, stderr)
		for _, line := range strings.Split(out, "\n") {
			switch {
			case line == "", line == "COMMIT", strings.HasPrefix(line, "#"), strings.HasPrefix(line, "*"):
			case strings.HasPrefix(line, ":") && isBuiltin(strings.Fields(line[1:])[0]):
			default:
				b.WriteString(line + "\n")
			}
		}
	}
	return b.String()
}

func isBuiltin(chain string) bool {
	switch chain {
	case "INPUT", "FORWARD", "OUTPUT", "PREROUTING", "POSTROUTING":
		return true
	}
	return false
}

func TestKernelLifecycle(t *testing.T) {
	netnstest.Require(t, "ebtables-restore", "iptables-restore", "ip6tables-restore", "ipset")
	e := kerneltest.NewEnv(t)
	ctx := context.Background()
	ex := &countingExec{Execer: backend.OSExec{}}
	b, err := New(Options{Exec: ex})
	require.NoError(t, err)
	do := func(f func() error) error { return e.Lab.Do(f) }
	before := snapshot(t, e)

	kerneltest.ListenUDP(t, e.VM1.Netns, 7777)
	a, bb := kerneltest.UpdateGraphs(e)
	second := kerneltest.TCPServer(e.VM2.PortDev(), kerneltest.MustMAC(e.VM2.MAC().String()), 22, true)
	second.IP = append([]*ir.Rule{kerneltest.R(ir.ProtoUDP, ir.DirOut, ir.ActionAccept)}, second.IP...)
	require.NoError(t, do(func() error { return b.Apply(ctx, a, second) }))
	installed := snapshot(t, e)

	t.Run("re-apply runs nothing", func(t *testing.T) {
		runs, _ := ex.counts()
		require.NoError(t, do(func() error { return b.Apply(ctx, a, second) }))
		after, _ := ex.counts()
		assert.Equal(t, runs, after)
	})

	t.Run("failed update keeps the old rules and leaves no temporary chains", func(t *testing.T) {
		_, restores := ex.counts()
		ex.mu.Lock()
		ex.failAt = restores + 2 // ebtables succeeds, iptables fails
		ex.mu.Unlock()
		err := do(func() error { return b.Apply(ctx, bb) })
		ex.mu.Lock()
		ex.failAt = 0
		ex.mu.Unlock()
		require.Error(t, err)
		assert.Equal(t, installed, snapshot(t, e), "the previous rules are in force again, nothing else")
		kerneltest.Check(ctx, t, e, kerneltest.Probe{Name: "still allowed", Want: kerneltest.Pass, Run: func(ctx context.Context, e *kerneltest.Env) error {
			return e.VM2.ProbeUDP(ctx, netip.AddrPortFrom(e.VM1.IPv4(), 7777))
		}})
	})

	t.Run("missing ipset is refused before anything runs", func(t *testing.T) {
		g := kerneltest.NewGraph(e.VM1.PortDev(), e.MAC1()).Rule(kerneltest.R(ir.ProtoUDP, ir.DirIn, ir.ActionDrop, kerneltest.IPSet("gnwf-no-such-set"))).Graph()
		_, restores := ex.counts()
		err := do(func() error { return b.Apply(ctx, g) })
		var me *MissingIPSetError
		require.ErrorAs(t, err, &me)
		_, after := ex.counts()
		assert.Equal(t, restores, after)
		assert.Equal(t, installed, snapshot(t, e))
	})

	t.Run("a new process adopts and tears down", func(t *testing.T) {
		b2, err := New(Options{})
		require.NoError(t, err)
		require.NoError(t, do(func() error { return b2.Teardown(ctx, e.VM1.PortDev()) }))
		assert.Equal(t, []string{e.VM2.PortDev()}, b2.Installed())
		require.NoError(t, do(func() error { return b2.Teardown(ctx, e.VM2.PortDev()) }))
		assert.Equal(t, before, snapshot(t, e), "teardown leaves no residue")
	})

	t.Run("a new process takes over the layout without dispatch chains", func(t *testing.T) {
		// What a process of the previous version left: links in
		// PREROUTING/POSTROUTING, no dispatch chains.
		script, err := b.Render(a, second)
		require.NoError(t, err)
		for _, sec := range script.Sections {
			text := sec.Text
			if sec.Tool == "ebtables-restore" {
				text = withoutDispatch(text)
			}
			require.NoError(t, do(func() error {
				_, err := backend.OSExec{}.Run(ctx, backend.Command{Path: sec.Tool, Args: []string{"--noflush"}, Stdin: []byte(text)})
				return err
			}))
		}
		old := snapshot(t, e)
		require.Contains(t, old, "-A PREROUTING -i "+e.VM1.PortDev()+" -j gnwf-I-"+e.VM1.PortDev())
		require.NotContains(t, old, "gnwf-D-")

		b3, err := New(Options{})
		require.NoError(t, err)
		oldLink := "-A PREROUTING -i " + e.VM1.PortDev() + " -j gnwf-I-" + e.VM1.PortDev()
		require.NoError(t, do(func() error { return b3.Apply(ctx, second) }))
		assert.Contains(t, snapshot(t, e), oldLink, "a binding not changed keeps its link")
		assert.NotContains(t, snapshot(t, e), "gnwf-D-", "no dispatch chains without a change in ebtables")
		require.NoError(t, do(func() error { return b3.Apply(ctx, a) }))
		mixed := snapshot(t, e)
		assert.Contains(t, mixed, "-A PREROUTING -j gnwf-D-pre\n")
		assert.NotContains(t, mixed, "-A PREROUTING -i ", "the updated binding moved to the dispatch chains")
		kerneltest.Check(ctx, t, e, kerneltest.Probe{Name: "still allowed", Want: kerneltest.Pass, Run: func(ctx context.Context, e *kerneltest.Env) error {
			return e.VM2.ProbeUDP(ctx, netip.AddrPortFrom(e.VM1.IPv4(), 7777))
		}})

		require.NoError(t, do(func() error { return b3.Teardown(ctx, e.VM1.PortDev(), e.VM2.PortDev()) }))
		assert.Equal(t, before, snapshot(t, e), "teardown leaves no residue")
	})

	t.Run("a failed first apply takes the dispatch chains back out", func(t *testing.T) {
		b4, err := New(Options{Exec: ex})
		require.NoError(t, err)
		_, restores := ex.counts()
		ex.mu.Lock()
		ex.failAt = restores + 2 // ebtables succeeds, iptables fails
		ex.mu.Unlock()
		err = do(func() error { return b4.Apply(ctx, a) })
		ex.mu.Lock()
		ex.failAt = 0
		ex.mu.Unlock()
		require.Error(t, err)
		assert.Equal(t, before, snapshot(t, e), "nothing left behind")
	})
}

// withoutDispatch rewrites an ebtables-restore input into the layout of
// versions without dispatch chains: links straight in the built-in chains.
func withoutDispatch(text string) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, ":gnwf-D-"):
			continue // a dispatch chain
		case len(f) < 2:
		case f[1] == "gnwf-D-pre", f[1] == "gnwf-D-post", isBuiltin(f[1]) && f[2] == "-j":
			continue // a jump to a dispatch chain
		case strings.HasPrefix(f[1], "gnwf-D-pre-"):
			f[1] = "PREROUTING"
		case strings.HasPrefix(f[1], "gnwf-D-post-"):
			f[1] = "POSTROUTING"
		}
		b.WriteString(strings.Join(f, " ") + "\n")
	}
	return b.String()
}
