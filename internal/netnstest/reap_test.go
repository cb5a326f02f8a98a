//go:build linux

package netnstest

import (
	"context"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReapStale(t *testing.T) {
	Require(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	deadPID := strconv.Itoa(dead.Process.Pid)
	names := map[string]bool{ // name: should be reaped
		Prefix + deadPID + "-abc123-host":  true,
		Prefix + deadPID + "-abc123-vm-x1": true,
		Prefix + "1-abc123-host":           false, // owner (pid 1) alive
		Prefix + deadPID + "-manual":       false, // not a harness name
		Prefix + "nft-" + deadPID:          false,
	}
	for name := range names {
		require.NoError(t, addNetns(ctx, name))
		t.Cleanup(func() { _ = deleteNetns(context.Background(), name) })
	}

	reaped, err := ReapStale(ctx)
	require.NoError(t, err)
	left, err := listNetns(Prefix)
	require.NoError(t, err)
	for name, stale := range names {
		if stale {
			assert.Contains(t, reaped, name)
			assert.NotContains(t, left, name)
		} else {
			assert.NotContains(t, reaped, name)
			assert.Contains(t, left, name)
		}
	}
}

func TestOwnerPID(t *testing.T) {
	for name, want := range map[string]int{
		"gnft-4711-3fa9c1-host":     4711,
		"gnft-4711-3fa9c1-vm-vm1":   4711,
		"gnft-4711-3fa9c1-probe":    4711,
		"gnft-4711-3fa9c1-other":    0,
		"gnft-4711-3FA9C1-host":     0,
		"gnft-nft-a":                0,
		"gnft-0-3fa9c1-host":        0,
		"other-4711-3fa9c1-host":    0,
		"gnft-4711-3fa9c1-host-foo": 0,
	} {
		pid, ok := ownerPID(name)
		assert.Equal(t, want != 0, ok, name)
		assert.Equal(t, want, pid, name)
	}
}
