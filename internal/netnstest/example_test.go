//go:build linux

package netnstest_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/gonwfilter/gonwfilter/internal/netnstest"
)

// A kernel test of a firewall backend: two VMs on the lab's bridge, rules
// applied in the host namespace, probes that must get through and probes
// that must not.
func Example() {
	var t *testing.T // the test's *testing.T
	ctx := t.Context()

	lab := netnstest.New(t) // skips unless the machine can run kernel tests
	vm1, err := lab.AddVM(ctx, netnstest.VMConfig{Name: "vm1", PortDev: "vnet0"})
	if err != nil {
		t.Fatal(err)
	}
	vm2, err := lab.AddVM(ctx, netnstest.VMConfig{Name: "vm2", PortDev: "vnet1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vm2.ListenTCP(80); err != nil {
		t.Fatal(err)
	}

	// Apply the rules inside the host namespace, as libvirt would on a host.
	if err := lab.Do(func() error { return nil /* backend.Apply(ctx, graphs...) */ }); err != nil {
		t.Fatal(err)
	}

	// Allowed traffic gets through...
	if err := vm1.ProbeTCP(ctx, netip.AddrPortFrom(vm2.IPv4(), 80)); err != nil {
		t.Error(err)
	}
	// ...and spoofed frames do not. Expected-blocked probes wait for their
	// whole deadline, so keep it short.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	spoofed := netnstest.UDPFrame{
		SrcMAC: vm1.MAC(), DstMAC: vm2.MAC(),
		Src: netip.MustParseAddrPort("192.0.2.99:4000"), // not vm1's address
		Dst: netip.AddrPortFrom(vm2.IPv4(), 4000),
	}
	if delivered, err := netnstest.DeliverFrame(short, vm1.Netns, vm2.Netns, spoofed); err != nil || delivered {
		t.Errorf("spoofed frame delivered=%v, err=%v", delivered, err)
	}
	if err := vm1.Ping(short, netip.MustParseAddr("192.0.2.200")); !errors.Is(err, netnstest.ErrBlocked) {
		t.Errorf("ping of a missing address: %v", err)
	}
}
