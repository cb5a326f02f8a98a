//go:build linux

package netnstest

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// twoVMs returns a lab with two default VMs.
func twoVMs(t *testing.T) (*Lab, *VM, *VM) {
	t.Helper()
	lab := New(t)
	vm1, err := lab.AddVM(t.Context(), VMConfig{})
	require.NoError(t, err)
	vm2, err := lab.AddVM(t.Context(), VMConfig{})
	require.NoError(t, err)
	return lab, vm1, vm2
}

func TestLabLayout(t *testing.T) {
	t.Parallel()
	lab := New(t)
	vm, err := lab.AddVM(t.Context(), VMConfig{
		Name:    "web",
		PortDev: "vnet7",
		MAC:     net.HardwareAddr{0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc},
		IPv4:    netip.MustParsePrefix("192.0.2.77/24"),
		IPv6:    netip.MustParsePrefix("2001:db8::77/64"),
	})
	require.NoError(t, err)

	assert.True(t, strings.HasPrefix(lab.Name(), Prefix) && strings.HasSuffix(lab.Name(), "-host"), lab.Name())
	assert.True(t, strings.HasPrefix(vm.Name(), Prefix) && strings.HasSuffix(vm.Name(), "-vm-web"), vm.Name())
	assert.Equal(t, "eth0", vm.Dev())
	assert.Equal(t, "br0", lab.Dev())
	assert.Equal(t, netip.MustParseAddr("192.0.2.77"), vm.IPv4())
	assert.Equal(t, netip.MustParseAddr("2001:db8::1"), lab.IPv6())

	ctx := t.Context()
	out, _, err := vm.Run(ctx, "ip", "-br", "addr", "show", "dev", "eth0")
	require.NoError(t, err)
	assert.Contains(t, out, "192.0.2.77/24")
	assert.Contains(t, out, "2001:db8::77/64")
	assert.NotContains(t, out, "tentative")
	out, _, err = vm.Run(ctx, "ip", "-br", "link", "show", "dev", "eth0")
	require.NoError(t, err)
	assert.Contains(t, out, "52:54:00:aa:bb:cc")
	out, _, err = lab.Run(ctx, "ip", "-d", "link", "show", "dev", "vnet7")
	require.NoError(t, err)
	assert.Contains(t, out, "master br0")
	assert.Contains(t, out, "fe:54:00:aa:bb:cc")
	assert.Contains(t, out, "state UP")

	// Defaults follow the ordinal.
	vm2, err := lab.AddVM(ctx, VMConfig{})
	require.NoError(t, err)
	c := vm2.Config()
	assert.Equal(t, "vm2", c.Name)
	assert.Equal(t, "vnet1", c.PortDev)
	assert.Equal(t, "52:54:00:00:00:02", c.MAC.String())
	assert.Equal(t, "192.0.2.12/24", c.IPv4.String())
	assert.Equal(t, "2001:db8::c/64", c.IPv6.String())
	assert.Len(t, lab.VMs(), 2)

	_, err = lab.AddVM(ctx, VMConfig{Name: "web", PortDev: "vnet9"})
	assert.ErrorContains(t, err, "already used")
	_, err = lab.AddVM(ctx, VMConfig{PortDev: "much-too-long-name"})
	assert.ErrorContains(t, err, "bad port device")
}

// ourPrefix is the name prefix of this process's namespaces; other tools and
// test binaries may create namespaces with Prefix at the same time.
var ourPrefix = Prefix + strconv.Itoa(os.Getpid()) + "-"

func TestCleanupRemovesNamespaces(t *testing.T) {
	Require(t)
	before, err := listNetns(ourPrefix)
	require.NoError(t, err)
	var names []string
	t.Run("lab", func(t *testing.T) {
		lab, vm1, vm2 := twoVMs(t)
		names = []string{lab.Name(), vm1.Name(), vm2.Name()}
		// Open sockets must not keep anything listed either.
		_, err := vm2.ListenTCP(80)
		require.NoError(t, err)
		during, err := listNetns(ourPrefix)
		require.NoError(t, err)
		assert.Subset(t, during, names)
	})
	after, err := listNetns(ourPrefix)
	require.NoError(t, err)
	for _, n := range names {
		assert.NotContains(t, after, n)
		assert.NoFileExists(t, netnsDir+"/"+n)
	}
	assert.ElementsMatch(t, before, after)
}

func TestCleanupAfterPanic(t *testing.T) {
	if os.Getenv("NETNSTEST_PANIC_CHILD") == "1" {
		lab := New(t)
		_, err := lab.AddVM(t.Context(), VMConfig{})
		require.NoError(t, err)
		os.Stdout.WriteString("LAB " + lab.Name() + "\n")
		panic("deliberate panic to test cleanup")
	}
	Require(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	out, _ := runSelf(ctx, t, "TestCleanupAfterPanic", "NETNSTEST_PANIC_CHILD=1")
	require.Contains(t, out, "deliberate panic")
	_, rest, ok := strings.Cut(out, "LAB ")
	require.True(t, ok, out)
	host, _, _ := strings.Cut(rest, "\n")
	labID := strings.TrimSuffix(host, "-host")
	left, err := listNetns(labID)
	require.NoError(t, err)
	assert.Empty(t, left, "namespaces of a panicking test must be deleted")
}
