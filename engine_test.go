package gonwfilter_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter"
	"github.com/gonwfilter/gonwfilter/nwfilter"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

var testMAC = ir.MAC{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

func newBinding(portDev, filter string, params ...nwfilter.Param) *nwfilter.Binding {
	return &nwfilter.Binding{
		PortDev:   portDev,
		MAC:       testMAC,
		FilterRef: nwfilter.FilterRef{Filter: filter, Params: params},
	}
}

func parseFilter(t *testing.T, doc string) *nwfilter.Filter {
	t.Helper()
	f, err := nwfilter.ParseFilter([]byte(doc), "test.xml")
	require.NoError(t, err)
	return f
}

const (
	topA = `<filter name='top-a' chain='root'>
  <filterref filter='shared'/>
  <rule action='accept' direction='out' priority='500'><all/></rule>
</filter>`
	topB = `<filter name='top-b' chain='root'>
  <rule action='drop' direction='in' priority='500'><all/></rule>
</filter>`
	sharedV1 = `<filter name='shared' chain='ipv4'>
  <rule action='drop' direction='out' priority='500'><ip dstipaddr='10.9.9.9'/></rule>
</filter>`
	sharedV2 = `<filter name='shared' chain='ipv4'>
  <rule action='drop' direction='out' priority='500'><ip dstipaddr='10.9.9.9'/></rule>
  <rule action='drop' direction='out' priority='600'><ip dstipaddr='10.8.8.8'/></rule>
</filter>`
	sharedMissingRef = `<filter name='shared' chain='ipv4'>
  <filterref filter='does-not-exist'/>
</filter>`
)

// newEngine returns an engine over a store holding top-a -> shared and top-b,
// with bindings vnet0 and vnet1 on top-a and vnet2 on top-b.
func newEngine(t *testing.T) (*gonwfilter.Engine, *fakeBackend) {
	t.Helper()
	store := nwfilter.NewStore(nwfilter.WithoutBuiltins())
	for _, doc := range []string{topA, topB, sharedV1} {
		require.NoError(t, store.Define(parseFilter(t, doc)))
	}
	be := newFakeBackend()
	e, err := gonwfilter.New(gonwfilter.Config{Store: store, Backend: be})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, e.AddBinding(ctx, newBinding("vnet0", "top-a"), newBinding("vnet1", "top-a")))
	require.NoError(t, e.AddBinding(ctx, newBinding("vnet2", "top-b")))
	return e, be
}

func portDevs(bs []nwfilter.Binding) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.PortDev)
	}
	return out
}

func TestNewNeedsBackend(t *testing.T) {
	_, err := gonwfilter.New(gonwfilter.Config{})
	assert.Error(t, err)
}

func TestNewDefaultsToBuiltins(t *testing.T) {
	e, err := gonwfilter.New(gonwfilter.Config{Backend: newFakeBackend()})
	require.NoError(t, err)
	assert.Equal(t, nwfilter.BuiltinNames(), e.Store().List())
}

func TestAddBinding(t *testing.T) {
	e, be := newEngine(t)
	assert.Equal(t, [][]string{{"vnet0", "vnet1"}, {"vnet2"}}, be.appliedCalls(), "one Apply per call")
	assert.Equal(t, []string{"vnet0", "vnet1", "vnet2"}, portDevs(e.Bindings()))
	require.NotNil(t, be.graph("vnet0"))
	assert.Equal(t, "top-a", be.graph("vnet0").Binding.Filter)
}

func TestAddBindingReplacesSamePort(t *testing.T) {
	e, be := newEngine(t)
	require.NoError(t, e.AddBinding(context.Background(), newBinding("vnet0", "top-b")))
	assert.Equal(t, []string{"vnet0", "vnet1", "vnet2"}, portDevs(e.Bindings()))
	assert.Equal(t, "top-b", e.Bindings()[0].FilterRef.Filter)
	assert.Equal(t, "top-b", be.graph("vnet0").Binding.Filter)
}

func TestAddBindingRefusals(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		bindings []*nwfilter.Binding
		wantErr  string
	}{
		{"missing filter", []*nwfilter.Binding{newBinding("vnet5", "nope")}, "nope"},
		{"one bad of two", []*nwfilter.Binding{newBinding("vnet5", "top-b"), newBinding("vnet6", "nope")}, "vnet6"},
		{"same port twice", []*nwfilter.Binding{newBinding("vnet5", "top-b"), newBinding("vnet5", "top-a")}, "given twice"},
		{"nil binding", []*nwfilter.Binding{nil}, "nil binding"},
		{"other backend", []*nwfilter.Binding{{PortDev: "vnet5", MAC: testMAC, Backend: "nftables",
			FilterRef: nwfilter.FilterRef{Filter: "top-b"}}}, `asks for backend "nftables"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, be := newEngine(t)
			before := len(be.appliedCalls())
			err := e.AddBinding(ctx, tt.bindings...)
			require.Error(t, err)
			assert.ErrorContains(t, err, tt.wantErr)
			assert.Len(t, be.appliedCalls(), before, "nothing is applied")
			assert.Equal(t, []string{"vnet0", "vnet1", "vnet2"}, portDevs(e.Bindings()))
		})
	}
}

func TestAddBindingApplyFails(t *testing.T) {
	e, be := newEngine(t)
	be.failApply = errors.New("boom")
	err := e.AddBinding(context.Background(), newBinding("vnet5", "top-b"))
	require.ErrorContains(t, err, "boom")
	assert.Equal(t, []string{"vnet0", "vnet1", "vnet2"}, portDevs(e.Bindings()))
}

func TestBindingsAreCopies(t *testing.T) {
	e, _ := newEngine(t)
	b := newBinding("vnet7", "top-b", nwfilter.Param{Name: "IP", Value: "10.0.0.2"})
	require.NoError(t, e.AddBinding(context.Background(), b))
	b.FilterRef.Params[0].Value = "10.6.6.6"
	got := e.Bindings()
	got[3].FilterRef.Params[0].Value = "10.7.7.7"
	assert.Equal(t, "10.0.0.2", e.Bindings()[3].FilterRef.Params[0].Value)
}

func TestRemoveBinding(t *testing.T) {
	e, be := newEngine(t)
	ctx := context.Background()
	require.NoError(t, e.RemoveBinding(ctx, "vnet1"))
	assert.Equal(t, [][]string{{"vnet1"}}, be.teardowns)
	assert.Equal(t, []string{"vnet0", "vnet2"}, portDevs(e.Bindings()))
	assert.ErrorIs(t, e.RemoveBinding(ctx, "vnet1"), gonwfilter.ErrBindingNotFound)
}

func TestDefineFilterUpdatesUsersInOneApply(t *testing.T) {
	e, be := newEngine(t)
	before := be.graph("vnet0").Dump()
	require.NoError(t, e.DefineFilter(context.Background(), parseFilter(t, sharedV2)))
	calls := be.appliedCalls()
	assert.Equal(t, []string{"vnet0", "vnet1"}, calls[len(calls)-1], "the users of shared, in one Apply; vnet2 untouched")
	assert.NotEqual(t, before, be.graph("vnet0").Dump())
	assert.Len(t, calls, 3)

	// Redefining with the same content changes no graph, so nothing is applied.
	require.NoError(t, e.DefineFilter(context.Background(), parseFilter(t, sharedV2)))
	assert.Len(t, be.appliedCalls(), 3)

	// A filter no binding uses is just stored.
	require.NoError(t, e.DefineFilter(context.Background(), parseFilter(t, `<filter name='unused' chain='root'><filterref filter='later'/></filter>`)))
	assert.Len(t, be.appliedCalls(), 3)
	assert.Contains(t, e.Store().List(), "unused")
}

func TestDefineFilterRefusedWhenAUserStopsCompiling(t *testing.T) {
	e, be := newEngine(t)
	before := be.appliedCalls()
	err := e.DefineFilter(context.Background(), parseFilter(t, sharedMissingRef))
	require.Error(t, err)
	assert.ErrorIs(t, err, nwfilter.ErrFilterNotFound)
	assert.ErrorContains(t, err, "vnet0")
	assert.Equal(t, before, be.appliedCalls(), "nothing applied")
	got, err := e.Store().Lookup("shared")
	require.NoError(t, err)
	assert.Len(t, got.Entries, 1, "the store keeps the old definition")
	assert.Nil(t, got.Entries[0].Ref)
}

func TestDefineFilterRefusesCycle(t *testing.T) {
	e, be := newEngine(t)
	before := be.appliedCalls()
	err := e.DefineFilter(context.Background(), parseFilter(t, `<filter name='shared' chain='ipv4'><filterref filter='top-a'/></filter>`))
	require.Error(t, err)
	assert.Equal(t, before, be.appliedCalls())
}

func TestDefineFilterRollsBackWhenApplyFails(t *testing.T) {
	e, be := newEngine(t)
	old := be.graph("vnet0")
	be.failApply = errors.New("kernel says no")
	ctx := context.Background()

	err := e.DefineFilter(ctx, parseFilter(t, sharedV2))
	require.ErrorContains(t, err, "kernel says no")
	got, err := e.Store().Lookup("shared")
	require.NoError(t, err)
	assert.Len(t, got.Entries, 1, "store rolled back to the old shared")

	// After the backend recovers, a reconcile changes nothing.
	be.failApply = nil
	require.NoError(t, e.Reconcile(ctx))
	assert.Equal(t, old.Dump(), be.graph("vnet0").Dump())
}

func TestDefineFilterRollsBackTopLevelFilter(t *testing.T) {
	e, be := newEngine(t)
	be.failApply = errors.New("no")
	require.Error(t, e.DefineFilter(context.Background(), parseFilter(t, `<filter name='top-b' chain='root'><filterref filter='shared'/></filter>`)))
	got, err := e.Store().Lookup("top-b")
	require.NoError(t, err)
	require.Len(t, got.Entries, 1)
	assert.Nil(t, got.Entries[0].Ref, "top-b is back to its old definition")
}

func TestUndefineFilter(t *testing.T) {
	e, _ := newEngine(t)
	ctx := context.Background()
	err := e.UndefineFilter(ctx, "shared")
	require.ErrorIs(t, err, gonwfilter.ErrFilterInUse)
	var inUse *gonwfilter.FilterInUseError
	require.ErrorAs(t, err, &inUse)
	assert.Equal(t, []string{"vnet0", "vnet1"}, inUse.PortDevs)

	require.NoError(t, e.RemoveBinding(ctx, "vnet0"))
	require.NoError(t, e.RemoveBinding(ctx, "vnet1"))
	require.NoError(t, e.UndefineFilter(ctx, "shared"))
	assert.NotContains(t, e.Store().List(), "shared")
	assert.ErrorIs(t, e.UndefineFilter(ctx, "shared"), nwfilter.ErrFilterNotFound)
}

func TestReconcile(t *testing.T) {
	e, be := newEngine(t)
	require.NoError(t, e.Reconcile(context.Background()))
	calls := be.appliedCalls()
	assert.Equal(t, []string{"vnet0", "vnet1", "vnet2"}, calls[len(calls)-1], "every binding in one Apply")

	// A store changed behind the engine's back is picked up.
	require.NoError(t, e.Store().Define(parseFilter(t, sharedV2)))
	before := be.graph("vnet0").Dump()
	require.NoError(t, e.Reconcile(context.Background()))
	assert.NotEqual(t, before, be.graph("vnet0").Dump())

	// A binding that no longer compiles keeps its rules and is reported.
	require.NoError(t, e.Store().Define(parseFilter(t, sharedMissingRef)))
	installed := be.graph("vnet0")
	err := e.Reconcile(context.Background())
	require.ErrorIs(t, err, nwfilter.ErrFilterNotFound)
	assert.Same(t, installed, be.graph("vnet0"))
}

func TestRender(t *testing.T) {
	e, _ := newEngine(t)
	s, err := e.Render()
	require.NoError(t, err)
	require.Len(t, s.Sections, 3)
	assert.Equal(t, "fake vnet0", s.Sections[0].Tool)
}

func TestExplain(t *testing.T) {
	e, _ := newEngine(t)
	_, err := e.Explain("vnet9", "dir=out proto=tcp src=10.0.0.2 dst=10.0.0.9 dport=22")
	assert.ErrorIs(t, err, gonwfilter.ErrBindingNotFound)

	_, err = e.Explain("vnet0", "nonsense")
	assert.Error(t, err)

	res, err := e.Explain("vnet2", "dir=in proto=tcp src=10.0.0.9 dst=10.0.0.2 sport=40000 dport=22 state=new")
	require.NoError(t, err)
	assert.Contains(t, res.String(), "verdict: drop")
}

func TestEngineConcurrentUse(t *testing.T) {
	e, _ := newEngine(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dev := fmt.Sprintf("tap%d", i)
			for range 20 {
				assert.NoError(t, e.AddBinding(ctx, newBinding(dev, "top-a")))
				_ = e.Bindings()
				_, _ = e.Explain(dev, "dir=out proto=tcp src=10.0.0.2 dst=10.0.0.9 dport=22")
				assert.NoError(t, e.DefineFilter(ctx, parseFilter(t, sharedV2)))
				assert.NoError(t, e.RemoveBinding(ctx, dev))
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, []string{"vnet0", "vnet1", "vnet2"}, portDevs(e.Bindings()))
}
