package conntrack_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/conntrack"
	"github.com/gonwfilter/gonwfilter/internal/netnstest"
)

// TestNetlinkTableDeletesAVMsFlows opens a TCP connection from a VM to the
// lab's host, finds it in the host namespace's conntrack table and deletes
// every flow of the VM's address.
func TestNetlinkTableDeletesAVMsFlows(t *testing.T) {
	netnstest.Require(t, "iptables")
	lab := netnstest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	vm, err := lab.AddVM(ctx, netnstest.VMConfig{})
	require.NoError(t, err)

	// Conntrack only runs in a namespace once a rule needs it.
	_, stderr, err := lab.Run(ctx, "iptables", "-A", "INPUT", "-m", "conntrack", "--ctstate", "NEW,ESTABLISHED", "-j", "ACCEPT")
	require.NoError(t, err, stderr)
	ln, err := lab.ListenTCP(8022)
	require.NoError(t, err)
	defer ln.Close()
	require.NoError(t, vm.ProbeTCP(ctx, netip.AddrPortFrom(lab.IPv4(), 8022)))

	table := conntrack.Netlink{}
	var flows []conntrack.Flow
	require.NoError(t, lab.Do(func() (err error) { flows, err = table.List(ctx); return err }))
	var found bool
	for _, f := range flows {
		if f.Involves(vm.IPv4()) && f.OrigDst.Port() == 8022 {
			found = true
			assert.Equal(t, uint8(6), f.Proto)
			assert.Equal(t, vm.IPv4(), f.OrigSrc.Addr())
		}
	}
	require.True(t, found, "the VM's connection is tracked: %v", flows)

	var deleted int
	require.NoError(t, lab.Do(func() (err error) { deleted, err = table.DeleteInvolving(ctx, vm.IPv4()); return err }))
	assert.GreaterOrEqual(t, deleted, 1)
	require.NoError(t, lab.Do(func() (err error) { flows, err = table.List(ctx); return err }))
	for _, f := range flows {
		assert.False(t, f.Involves(vm.IPv4()), "flow %+v survived", f)
	}
}

// TestSysctlSeesTheCallersNamespace reads the bridge-netfilter switch inside
// the lab's host namespace, where the harness turned it on.
func TestSysctlSeesTheCallersNamespace(t *testing.T) {
	lab := netnstest.New(t)
	lab.RequireBridgeNF(t)
	var on bool
	require.NoError(t, lab.Do(func() (err error) {
		on, err = conntrack.Sysctl{}.Enabled(conntrack.BridgeNFCallIPTables)
		return err
	}))
	assert.True(t, on)
}
