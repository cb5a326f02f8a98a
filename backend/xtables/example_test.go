package xtables_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/gonwfilter/gonwfilter/backend/xtables"
	"github.com/gonwfilter/gonwfilter/internal/kerneltest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Render shows what Apply would load, per tool, without running anything.
func ExampleBackend_Render() {
	b, err := xtables.New(xtables.Options{LibvirtNames: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	mac := kerneltest.MustMAC("52:54:00:12:34:56")
	g := kerneltest.NewGraph("vnet0", mac).
		Rule(kerneltest.R(ir.ProtoMAC, ir.DirOut, ir.ActionDrop, kerneltest.Not(kerneltest.SrcMAC(mac)))).
		Rule(kerneltest.R(ir.ProtoTCP, ir.DirIn, ir.ActionAccept, kerneltest.DstPort(22, 0))).
		Graph()
	s, err := b.Render(g)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(s.String())
	// Output:
	// # ebtables-restore
	// *nat
	// :libvirt-I-vnet0 RETURN
	// -A libvirt-I-vnet0 -s ! 52:54:00:12:34:56 -j DROP
	// -A libvirt-I-vnet0 -j ACCEPT
	// -A PREROUTING -i vnet0 -j libvirt-I-vnet0
	// # iptables-restore
	// *filter
	// :libvirt-in - [0:0]
	// :libvirt-out - [0:0]
	// :libvirt-in-post - [0:0]
	// :libvirt-host-in - [0:0]
	// -I FORWARD 1 -j libvirt-in
	// -I FORWARD 2 -j libvirt-out
	// -I FORWARD 3 -j libvirt-in-post
	// -I INPUT 1 -j libvirt-host-in
	// :HI-vnet0 - [0:0]
	// -A HI-vnet0 -p tcp --sport 22 -m conntrack --ctstate ESTABLISHED -j RETURN
	// -A libvirt-host-in -m physdev --physdev-in vnet0 -g HI-vnet0
	// :FO-vnet0 - [0:0]
	// -A FO-vnet0 -p tcp --dport 22 -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT
	// -A libvirt-out -m physdev --physdev-is-bridged --physdev-out vnet0 -g FO-vnet0
	// :FI-vnet0 - [0:0]
	// -A FI-vnet0 -p tcp --sport 22 -m conntrack --ctstate ESTABLISHED -j RETURN
	// -A libvirt-in -m physdev --physdev-in vnet0 -g FI-vnet0
	// -A libvirt-in-post -m physdev --physdev-in vnet0 -j ACCEPT
	// COMMIT
}

// SetMembers keeps a named set that rules reference with ipset='blocked'.
// It must run in the network namespace that holds the rules (and as root).
func ExampleBackend_SetMembers() {
	b, err := xtables.New(xtables.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	blocked := []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.9/32")}
	// Creates the set, or swaps in the new members atomically.
	if err := b.SetMembers(ctx, "blocked", blocked); err != nil {
		fmt.Println(err)
		return
	}
	g := kerneltest.NewGraph("vnet0", kerneltest.MustMAC("52:54:00:12:34:56")).
		Rule(kerneltest.R(ir.ProtoAll, ir.DirIn, ir.ActionDrop, kerneltest.IPSet("blocked", ir.SetSrc))).
		Graph()
	if err := b.Apply(ctx, g); err != nil {
		fmt.Println(err)
		return
	}
	// Deleting needs the rules gone first.
	var inUse *xtables.IPSetInUseError
	if err := b.DeleteSet(ctx, "blocked"); errors.As(err, &inUse) {
		fmt.Println("still used by", inUse.PortDevs)
	}
}
