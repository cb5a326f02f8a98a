//go:build linux

package netnstest

import (
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// threadNetns stores the network namespace of the calling thread in ns.
func threadNetns(ns *string) error {
	var err error
	*ns, err = os.Readlink("/proc/thread-self/ns/net")
	return err
}

// outsideNetns returns the namespace of a fresh locked thread outside Do.
func outsideNetns(t *testing.T) string {
	t.Helper()
	ch := make(chan string)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		ns, _ := os.Readlink("/proc/thread-self/ns/net")
		ch <- ns
	}()
	return <-ch
}

func TestDo(t *testing.T) {
	lab := New(t)
	vm, err := lab.AddVM(t.Context(), VMConfig{})
	require.NoError(t, err)
	outside := outsideNetns(t)

	var inHost, inVM string
	require.NoError(t, lab.Do(func() error { return threadNetns(&inHost) }))
	require.NoError(t, vm.Do(func() error { return threadNetns(&inVM) }))
	assert.NotEqual(t, outside, inHost)
	assert.NotEqual(t, outside, inVM)
	assert.NotEqual(t, inHost, inVM)

	t.Run("errors pass through", func(t *testing.T) {
		want := os.ErrClosed
		assert.ErrorIs(t, vm.Do(func() error { return want }), want)
	})
	t.Run("panics are re-raised in the caller", func(t *testing.T) {
		assert.PanicsWithValue(t, "boom", func() { _ = vm.Do(func() error { panic("boom") }) })
	})
	t.Run("Goexit is an error, not a hang", func(t *testing.T) {
		err := vm.Do(func() error { runtime.Goexit(); return nil })
		assert.ErrorContains(t, err, "Goexit")
	})
	t.Run("threads are restored", func(t *testing.T) {
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() { _ = vm.Do(func() error { return nil }) })
		}
		wg.Wait()
		for range 20 {
			assert.Equal(t, outside, outsideNetns(t))
		}
		var here string
		require.NoError(t, threadNetns(&here))
		assert.Equal(t, outside, here)
	})
	t.Run("commands run in the namespace", func(t *testing.T) {
		out, _, err := lab.Run(t.Context(), "ip", "-br", "link", "show", "dev", "br0")
		require.NoError(t, err)
		assert.Contains(t, out, "br0")
		_, stderr, err := vm.Run(t.Context(), "ip", "link", "show", "dev", "br0")
		assert.Error(t, err, "a VM has no br0")
		assert.Contains(t, stderr, "br0")
	})
}

func TestSysctl(t *testing.T) {
	t.Parallel()
	lab := New(t)
	require.NoError(t, lab.SetSysctl("net.ipv4.ip_forward", "1"))
	v, err := lab.Sysctl("net.ipv4.ip_forward")
	require.NoError(t, err)
	assert.Equal(t, "1", v)
	// Only the lab's namespace changed: a fresh namespace still has 0.
	vm, err := lab.AddVM(t.Context(), VMConfig{})
	require.NoError(t, err)
	v, err = vm.Sysctl("net.ipv4.ip_forward")
	require.NoError(t, err)
	assert.Equal(t, "0", v)

	for _, key := range []string{"kernel.hostname", "net/../kernel/hostname", "net.ipv4/../../kernel"} {
		assert.ErrorContains(t, lab.SetSysctl(key, "x"), "only net.*", key)
	}
}
