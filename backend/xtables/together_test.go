package xtables

import (
	"os"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/netnstest"
)

// netnsOfThread names the network namespace of the calling thread.
func netnsOfThread(t *testing.T) string {
	link, err := os.Readlink("/proc/thread-self/ns/net")
	require.NoError(t, err)
	return link
}

// TestKernelTogetherRunsInTheCallersNamespace: every fn runs on a thread in
// the network namespace of the thread that called together, here a lab's
// host namespace, never the test process's own.
func TestKernelTogetherRunsInTheCallersNamespace(t *testing.T) {
	lab := netnstest.New(t)
	if lab == nil {
		t.SkipNow()
	}
	own := netnsOfThread(t)
	var seen [4]string
	var ran atomic.Int32
	require.NoError(t, lab.Do(func() error {
		want := netnsOfThread(t)
		require.NotEqual(t, own, want)
		fns := make([]func(), len(seen))
		for i := range fns {
			fns[i] = func() { seen[i] = netnsOfThread(t); ran.Add(1) }
		}
		if err := together(fns...); err != nil {
			return err
		}
		for i := range seen {
			assert.Equal(t, want, seen[i], "fn %d", i)
		}
		return nil
	}))
	assert.EqualValues(t, len(seen), ran.Load())
	assert.Equal(t, own, netnsOfThread(t), "the caller's thread is where it was")
}

func TestTogetherWithoutNamespaces(t *testing.T) {
	var n atomic.Int32
	require.NoError(t, together())
	require.NoError(t, together(func() { n.Add(1) }))
	require.NoError(t, together(func() { n.Add(1) }, func() { n.Add(1) }, func() { n.Add(1) }))
	assert.EqualValues(t, 4, n.Load())
}
