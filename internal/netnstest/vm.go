//go:build linux

package netnstest

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
)

// VMConfig describes a VM for [Lab.AddVM]. Zero fields get defaults derived
// from the VM's ordinal n (1 for the first VM of the lab): Name "vm<n>",
// PortDev "vnet<n-1>", MAC 52:54:00:00:00:<n>, and host address n+10 in the
// lab's subnets (192.0.2.11/24 and 2001:db8::b/64 for the first VM by
// default).
type VMConfig struct {
	// Name identifies the VM in the lab and in its namespace's name:
	// letters, digits, '_', '.' and '-', at most 32 characters.
	Name string
	// PortDev is the host-side veth device, a port of br0 (libvirt's
	// vnetN): letters, digits, '_' and '-', at most 15 characters.
	PortDev string
	// MAC is the address of the VM's eth0.
	MAC net.HardwareAddr
	// IPv4 and IPv6 are the addresses of the VM's eth0 with their subnets.
	IPv4, IPv6 netip.Prefix
}

// VM is a namespace whose eth0 is linked to the lab's bridge through the port
// device [VMConfig.PortDev] in the host namespace.
type VM struct {
	*Netns
	cfg VMConfig
}

// Config returns the VM's configuration with defaults filled in.
func (v *VM) Config() VMConfig {
	c := v.cfg
	c.MAC = slices.Clone(c.MAC)
	return c
}

// PortDev returns the VM's port device in the host namespace.
func (v *VM) PortDev() string { return v.cfg.PortDev }

var vmNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)

// portDevRE matches the port device names AddVM accepts: Linux interface
// names without dots, which would not survive in a sysctl key.
var portDevRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,15}$`)

// vmDefaults fills in and checks cfg, and reserves its name and port device.
func (l *Lab) vmDefaults(c VMConfig) (VMConfig, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.vmCount++
	n := l.vmCount
	if c.Name == "" {
		c.Name = fmt.Sprintf("vm%d", n)
	}
	if c.PortDev == "" {
		c.PortDev = fmt.Sprintf("vnet%d", n-1)
	}
	if c.MAC == nil {
		c.MAC = net.HardwareAddr{0x52, 0x54, 0x00, 0x00, byte(n >> 8), byte(n)}
	}
	if !c.IPv4.IsValid() {
		c.IPv4 = netip.PrefixFrom(nthAddr(l.v4, n+10), l.v4.Bits())
	}
	if !c.IPv6.IsValid() {
		c.IPv6 = netip.PrefixFrom(nthAddr(l.v6, n+10), l.v6.Bits())
	}
	switch {
	case !vmNameRE.MatchString(c.Name):
		return c, fmt.Errorf("netnstest: bad VM name %q", c.Name)
	case !portDevRE.MatchString(c.PortDev) || c.PortDev == BridgeName:
		return c, fmt.Errorf("netnstest: bad port device name %q", c.PortDev)
	case len(c.MAC) != 6 || c.MAC[0]&1 != 0:
		return c, fmt.Errorf("netnstest: bad VM MAC %v: need a unicast Ethernet address", c.MAC)
	case !c.IPv4.Addr().Is4() || !c.IPv6.Addr().Is6() || c.IPv6.Addr().Is4In6():
		return c, fmt.Errorf("netnstest: bad VM addresses %v, %v", c.IPv4, c.IPv6)
	case l.reserved["vm:"+c.Name] || l.reserved["dev:"+c.PortDev]:
		return c, fmt.Errorf("netnstest: VM name %q or port device %q already used in this lab", c.Name, c.PortDev)
	}
	if l.reserved == nil {
		l.reserved = make(map[string]bool)
	}
	l.reserved["vm:"+c.Name], l.reserved["dev:"+c.PortDev] = true, true
	return c, nil
}

// nthAddr returns the address n after the start of p's subnet.
func nthAddr(p netip.Prefix, n int) netip.Addr {
	a := p.Masked().Addr()
	for range n {
		a = a.Next()
	}
	return a
}

// portMAC is the MAC of a VM's port device: the VM's MAC with the first byte
// 0xfe, as libvirt does, so the bridge never takes it as its own.
func portMAC(vm net.HardwareAddr) net.HardwareAddr {
	m := slices.Clone(vm)
	m[0] = 0xfe
	return m
}

// AddVM creates a VM: a namespace with lo and eth0 up, eth0 with the
// configured MAC and addresses (usable at once: no duplicate address
// detection), linked by a veth pair to the port device cfg.PortDev, which is
// up and a port of br0 in the host namespace. IPv6 is disabled on the port
// device so it adds no traffic of its own to the bridge. AddVM returns when
// eth0, the port and br0 pass traffic.
func (l *Lab) AddVM(ctx context.Context, cfg VMConfig) (*VM, error) {
	cfg, err := l.vmDefaults(cfg)
	if err != nil {
		return nil, err
	}
	ns, err := l.newNetns(ctx, "vm-"+cfg.Name, "eth0", l.timeout)
	if err != nil {
		return nil, err
	}
	ns.v4, ns.v6, ns.mac = cfg.IPv4, cfg.IPv6, slices.Clone(cfg.MAC)
	if err := ns.setBase(ctx); err != nil {
		return nil, err
	}
	host := l.name
	steps := [][]string{
		{"-n", host, "link", "add", cfg.PortDev, "address", portMAC(cfg.MAC).String(), "type", "veth",
			"peer", "name", "eth0", "address", cfg.MAC.String(), "netns", ns.name},
		{"-n", ns.name, "addr", "add", cfg.IPv4.String(), "dev", "eth0"},
		{"-n", ns.name, "addr", "add", cfg.IPv6.String(), "dev", "eth0", "nodad"},
		{"-n", ns.name, "link", "set", "eth0", "up"},
	}
	for _, s := range steps {
		if err := ipCmd(ctx, s...); err != nil {
			return nil, err
		}
	}
	if err := l.SetSysctl("net.ipv6.conf."+cfg.PortDev+".disable_ipv6", "1"); err != nil {
		return nil, err
	}
	if err := ipCmd(ctx, "-n", host, "link", "set", cfg.PortDev, "master", BridgeName, "up"); err != nil {
		return nil, err
	}
	// Links come up asynchronously: frames sent too early are dropped.
	for _, w := range []struct {
		ns, dev string
		port    bool
	}{{host, cfg.PortDev, true}, {ns.name, "eth0", false}, {host, BridgeName, false}} {
		if err := waitLinkReady(ctx, w.ns, w.dev, w.port); err != nil {
			return nil, err
		}
	}
	vm := &VM{Netns: ns, cfg: cfg}
	l.mu.Lock()
	l.vms = append(l.vms, vm)
	l.mu.Unlock()
	return vm, nil
}
