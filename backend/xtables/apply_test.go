package xtables

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/internal/kerneltest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func TestApplyRunsOneRestorePerToolAndNothingWhenUnchanged(t *testing.T) {
	ctx := context.Background()
	b, fe := newFake(Options{SkipProbe: true})
	g := kerneltest.CleanTrafficLike("vnet0", vmMAC, "10.0.0.2")
	tcp := kerneltest.TCPServer("vnet1", vmMAC2, 22, true)

	require.NoError(t, b.Apply(ctx, g, tcp))
	restores := byTool(fe.restores())
	require.Len(t, restores, 2, "ebtables and iptables; no IPv6 rules, so no ip6tables run")
	assert.True(t, strings.HasPrefix(restores[0], "ebtables-restore\n*nat\n"))
	assert.True(t, strings.HasPrefix(restores[1], "iptables-restore\n*filter\n"))
	assert.Equal(t, []string{"vnet0", "vnet1"}, b.Installed())

	n := fe.count()
	require.NoError(t, b.Apply(ctx, kerneltest.CleanTrafficLike("vnet0", vmMAC, "10.0.0.2"), tcp))
	assert.Equal(t, n, fe.count(), "re-applying unchanged graphs must run no process")
}

func TestApplyUpdateSwapsGenerationsAndTouchesOnlyItsBinding(t *testing.T) {
	ctx := context.Background()
	b, fe := newFake(Options{SkipProbe: true})
	require.NoError(t, b.Apply(ctx, kerneltest.CleanTrafficLike("vnet0", vmMAC, "10.0.0.2"), kerneltest.TCPServer("vnet1", vmMAC2, 22, true)))
	before := len(fe.restores())

	require.NoError(t, b.Apply(ctx, kerneltest.TCPServer("vnet1", vmMAC2, 80, true)))
	restores := fe.restores()[before:]
	require.Len(t, restores, 1, "only iptables changes")
	checkGolden(t, "update-vnet1", restores[0])

	before = len(fe.restores())
	require.NoError(t, b.Apply(ctx, kerneltest.TCPServer("vnet1", vmMAC2, 22, true)))
	restores = fe.restores()[before:]
	require.Len(t, restores, 1)
	assert.Contains(t, restores[0], ":gnwf-FI-vnet1 - [0:0]", "back to generation 0")
	assert.Contains(t, restores[0], "-X gnwf-FJ-vnet1")
	assert.NotContains(t, restores[0], "vnet0")
}

func TestTeardownRemovesBindingAndSharedChainsWithTheLast(t *testing.T) {
	ctx := context.Background()
	b, fe := newFake(Options{SkipProbe: true})
	require.NoError(t, b.Apply(ctx, kerneltest.CleanTrafficLike("vnet0", vmMAC, "10.0.0.2"), kerneltest.TCPServer("vnet1", vmMAC2, 22, true), kerneltest.TCPServer("vnet2", vmMAC2, 22, true)))

	before := len(fe.restores())
	require.NoError(t, b.Teardown(ctx, "vnet1"))
	first := fe.restores()[before:]
	require.Len(t, first, 1)
	assert.NotContains(t, first[0], "-D FORWARD", "vnet2 still uses the shared chains")

	before = len(fe.restores())
	require.NoError(t, b.Teardown(ctx, "vnet0", "vnet2", "unknown0"))
	checkGolden(t, "teardown-last", strings.Join(byTool(fe.restores()[before:]), ""))
	assert.Empty(t, b.Installed())

	before = fe.count()
	require.NoError(t, b.Teardown(ctx, "vnet0"))
	assert.Equal(t, before, fe.count(), "tearing down nothing runs nothing")
}

func TestApplyFailureRevertsTheOtherTools(t *testing.T) {
	ctx := context.Background()
	b, fe := newFake(Options{SkipProbe: true})
	old := kerneltest.CleanTrafficLike("vnet0", vmMAC, "10.0.0.2")
	old.IP = kerneltest.TCPServer("vnet0", vmMAC, 22, true).IP
	require.NoError(t, b.Apply(ctx, old))

	fe.respond = func(c backend.Command) ([]byte, error) {
		if c.Path == "iptables-restore" {
			return nil, &backend.ExecError{Cmd: c.String(), ExitCode: 1, Stderr: "injected failure", Err: errors.New("exit status 1")}
		}
		return nil, nil
	}
	before := len(fe.restores())
	changed := kerneltest.CleanTrafficLike("vnet0", vmMAC, "10.0.0.3")
	changed.IP = kerneltest.TCPServer("vnet0", vmMAC, 80, true).IP
	err := b.Apply(ctx, changed)
	require.Error(t, err)
	var ee *backend.ExecError
	require.ErrorAs(t, err, &ee)

	runs := fe.restores()[before:]
	require.Len(t, runs, 3, "ebtables (new) and iptables (failed) together, then ebtables (revert)")
	first := runs[0]
	if !strings.HasPrefix(first, "ebtables-restore") {
		first = runs[1]
	}
	assert.Contains(t, first, ":gnwf-J-vnet0 RETURN")
	assert.True(t, strings.HasPrefix(runs[2], "ebtables-restore"))
	assert.Contains(t, runs[2], ":gnwf-I-vnet0 RETURN", "revert rebuilds the old rules under the old names")
	assert.Contains(t, runs[2], "10.0.0.2")
	assert.Contains(t, runs[2], "-X gnwf-J-vnet0")

	// The recorded state is the old one again: re-applying it runs nothing.
	fe.respond = nil
	n := fe.count()
	require.NoError(t, b.Apply(ctx, old))
	assert.Equal(t, n, fe.count())
}

func TestRevertRunsEvenWhenTheContextIsCancelled(t *testing.T) {
	b, fe := newFake(Options{SkipProbe: true})
	require.NoError(t, b.Apply(context.Background(), kerneltest.CleanTrafficLike("vnet0", vmMAC, "10.0.0.2")))
	ctx, cancel := context.WithCancel(context.Background())
	g := kerneltest.CleanTrafficLike("vnet0", vmMAC, "10.0.0.3")
	g.IP = kerneltest.TCPServer("vnet0", vmMAC, 22, true).IP
	fe.respond = func(c backend.Command) ([]byte, error) {
		if c.Path == "iptables-restore" {
			cancel() // the caller gives up while iptables runs
			return nil, context.Canceled
		}
		return nil, nil
	}
	require.ErrorIs(t, b.Apply(ctx, g), context.Canceled)
	last := len(fe.cmds) - 1
	assert.Equal(t, "ebtables-restore", fe.cmds[last].Path, "ebtables was reverted")
	assert.NoError(t, fe.ctxErrs[last], "with a live context")
	assert.Contains(t, string(fe.cmds[last].Stdin), "10.0.0.2")
}

func TestApplyRefusesMissingIPSetBeforeRunningAnything(t *testing.T) {
	ctx := context.Background()
	b, fe := newFake(Options{SkipProbe: true, IPSets: fakeSets{"other"}})
	g := kerneltest.NewGraph("vnet0", vmMAC).Rule(kerneltest.R(ir.ProtoAll, ir.DirIn, ir.ActionDrop, kerneltest.IPSet("blocklist"))).Graph()
	n := fe.count()
	err := b.Apply(ctx, g)
	var me *MissingIPSetError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "blocklist", me.Name)
	assert.Empty(t, fe.restores())
	assert.Equal(t, n+1, fe.count(), "only adoption's ebtables-save ran")
}

func TestApplyReportsMissingFeatures(t *testing.T) {
	ctx := context.Background()
	b, fe := newFake(Options{})
	fe.respond = func(c backend.Command) ([]byte, error) {
		if c.Path == "iptables-restore" && len(c.Args) == 1 && c.Args[0] == "--test" && strings.Contains(string(c.Stdin), "connlimit") {
			return nil, &backend.ExecError{Cmd: c.String(), ExitCode: 2, Stderr: "Couldn't load match `connlimit'"}
		}
		if strings.HasSuffix(c.Args[len(c.Args)-1], "--version") {
			return []byte("iptables v1.8.9 (nf_tables)\n"), nil
		}
		return nil, nil
	}
	b.opts.readFile = func(string) ([]byte, error) { return []byte("1\n"), nil }
	r := kerneltest.R(ir.ProtoTCP, ir.DirOut, ir.ActionAccept)
	r.ConnlimitAbove = 2
	r.Origin = ir.Origin{Filter: "limits", Index: 3}
	g := kerneltest.NewGraph("vnet0", vmMAC).Rule(r).Graph()
	err := b.Apply(ctx, g)
	var fe2 *backend.FeatureError
	require.ErrorAs(t, err, &fe2)
	assert.Equal(t, FeatureConnlimit, fe2.Feature)
	assert.Equal(t, "limits", fe2.Rule.Filter)
	assert.ErrorIs(t, err, backend.ErrFeatureMissing)
	assert.Empty(t, fe.restores())

	caps, err := b.Probe(ctx)
	require.NoError(t, err)
	assert.True(t, caps.Has(FeaturePhysdev))
	assert.False(t, caps.Has(FeatureConnlimit))
	assert.True(t, caps.Has(FeatureBridgeNFIPTables))
	for _, tl := range caps.Tools {
		assert.Equal(t, "nf_tables", tl.Variant, tl.Name)
	}
}

func TestAdoptionTakesOverChainsLeftByAPreviousProcess(t *testing.T) {
	ctx := context.Background()
	// A first process installs two bindings; its restore inputs become
	// the "kernel" the second process reads back.
	first, fe1 := newFake(Options{SkipProbe: true})
	require.NoError(t, first.Apply(ctx, kerneltest.CleanTrafficLike("vnet0", vmMAC, "10.0.0.2"), kerneltest.TCPServer("vnet1", vmMAC2, 22, true)))
	require.NoError(t, first.Apply(ctx, kerneltest.TCPServer("vnet1", vmMAC2, 80, true))) // vnet1 now on generation 1
	saved := map[string]string{
		"ebtables-save": restoredAsSave(fe1.restores(), "ebtables-restore"),
		"iptables-save": restoredAsSave(fe1.restores(), "iptables-restore"),
	}

	second, fe2 := newFake(Options{SkipProbe: true, Introspect: fakeIntrospect{chains: []string{"INPUT", "gnwf-in"}}})
	fe2.respond = func(c backend.Command) ([]byte, error) { return []byte(saved[c.Path]), nil }
	require.NoError(t, second.Teardown(ctx, "vnet1"))
	runs := fe2.restores()
	require.Len(t, runs, 1)
	checkGolden(t, "adopt-teardown", runs[0])
	assert.Equal(t, []string{"vnet0"}, second.Installed())

	// The dispatch chains were adopted too: an update links into them
	// without declaring them again.
	require.NoError(t, second.Apply(ctx, kerneltest.CleanTrafficLike("vnet0", vmMAC, "10.0.0.3")))
	runs = fe2.restores()
	require.Len(t, runs, 2, "ebtables only")
	assert.Contains(t, runs[1], "-A gnwf-D-pre-04 -i vnet0 -j gnwf-J-vnet0\n")
	assert.Contains(t, runs[1], "-D gnwf-D-pre-04 -i vnet0 -j gnwf-I-vnet0\n")
	assert.NotContains(t, runs[1], ":gnwf-D-")
}

// restoredAsSave replays restore inputs into a crude save listing: the
// chains and rules that exist after them (enough for adoption's parser).
func restoredAsSave(runs []string, tool string) string {
	type rule struct{ chain, args string }
	var chains []string
	var rules []rule
	for _, run := range runs {
		lines := strings.Split(run, "\n")
		if lines[0] != tool {
			continue
		}
		for _, l := range lines[1:] {
			f := strings.SplitN(l, " ", 3)
			switch {
			case strings.HasPrefix(l, ":"):
				name := strings.Fields(l[1:])[0]
				if !contains(chains, name) {
					chains = append(chains, name)
				}
			case f[0] == "-A" && len(f) == 3:
				rules = append(rules, rule{f[1], f[2]})
			case f[0] == "-I" && len(f) == 3:
				rules = append(rules, rule{f[1], strings.SplitN(f[2], " ", 2)[1]})
			case f[0] == "-D" && len(f) == 3:
				for i, r := range rules {
					if r.chain == f[1] && r.args == f[2] {
						rules = append(rules[:i], rules[i+1:]...)
						break
					}
				}
			case f[0] == "-X":
				for i, c := range chains {
					if c == f[1] {
						chains = append(chains[:i], chains[i+1:]...)
						break
					}
				}
			}
		}
	}
	table := "*filter\n"
	if tool == "ebtables-restore" {
		table = "*nat\n"
	}
	var b strings.Builder
	b.WriteString(table)
	for _, c := range chains {
		b.WriteString(":" + c + " ACCEPT\n")
	}
	for _, r := range rules {
		if contains(chains, r.chain) || r.chain == "FORWARD" || r.chain == "INPUT" || strings.HasSuffix(r.chain, "ROUTING") {
			b.WriteString("-A " + r.chain + " " + r.args + "\n")
		}
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestResyncRereadsTheKernelAndReinstallsOnNextApply(t *testing.T) {
	ctx := context.Background()
	b, fe := newFake(Options{SkipProbe: true, Introspect: fakeIntrospect{chains: []string{"gnwf-in"}}})
	g := kerneltest.CleanTrafficLike("vnet0", vmMAC, "10.0.0.2")
	g.IP = kerneltest.TCPServer("vnet0", vmMAC, 22, true).IP
	require.NoError(t, b.Apply(ctx, g))
	saved := map[string]string{
		"ebtables-save": restoredAsSave(fe.restores(), "ebtables-restore"),
		"iptables-save": restoredAsSave(fe.restores(), "iptables-restore"),
	}
	fe.respond = func(c backend.Command) ([]byte, error) { return []byte(saved[c.Path]), nil }
	require.NoError(t, b.Resync(ctx))
	assert.Equal(t, []string{"vnet0"}, b.Installed())

	before := len(fe.restores())
	require.NoError(t, b.Apply(ctx, g))
	runs := byTool(fe.restores()[before:])
	require.Len(t, runs, 2, "adopted chains have no fingerprint: reinstalled once")
	assert.Contains(t, runs[0], ":gnwf-J-vnet0 RETURN")
	assert.Contains(t, runs[0], "-X gnwf-I-vnet0")
	assert.Contains(t, runs[1], "-X gnwf-FI-vnet0")
}

func TestClosedBackendChangesNothing(t *testing.T) {
	ctx := context.Background()
	b, fe := newFake(Options{SkipProbe: true})
	require.NoError(t, b.Apply(ctx, kerneltest.CleanTrafficLike("vnet0", vmMAC, "10.0.0.2")))
	require.NoError(t, b.Close())
	n := fe.count()
	assert.ErrorIs(t, b.Apply(ctx, kerneltest.CleanTrafficLike("vnet1", vmMAC2, "10.0.0.3")), backend.ErrClosed)
	assert.ErrorIs(t, b.Teardown(ctx, "vnet0"), backend.ErrClosed)
	assert.Equal(t, n, fe.count(), "no tool ran")
}
