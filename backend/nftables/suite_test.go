package nftables

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/internal/kerneltest"
	"github.com/gonwfilter/gonwfilter/nwfilter/sim"
)

// TestKernelSuite plays the shared kernel case table (the same cases and
// probes as the xtables backend and the simulator) against this backend.
func TestKernelSuite(t *testing.T) {
	for _, ctdir := range []bool{false, true} {
		name := "default"
		if ctdir {
			name = "ctdir"
		}
		t.Run(name, func(t *testing.T) {
			kerneltest.Run(t, func(t *testing.T, e *kerneltest.Env) backend.Backend {
				var b *Backend
				// New probes the kernel (ConntrackAuto): do it in the lab's host.
				require.NoError(t, e.Lab.Do(func() error {
					var err error
					b, err = New(Options{ConntrackDirection: ctdir})
					return err
				}))
				t.Cleanup(func() { assert.NoError(t, b.Close()) })
				return b
			}, kerneltest.SimOptions(sim.Options{ConntrackDirection: ctdir}))
		})
	}
}
