package nftables_test

import (
	"context"
	"fmt"
	"strings"

	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/backend/nftables"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// A binding that lets the VM on vnet0 reach anything and be reached on TCP
// port 22, rendered for the br_netfilter path. knftables.NewFake stands in
// for nft; with a real knftables.New("", "") Apply loads the same text.
func ExampleBackend_Render() {
	b, err := nftables.New(nftables.Options{NFT: knftables.NewFake("", ""), Conntrack: nftables.ConntrackBrNetfilter})
	if err != nil {
		panic(err)
	}
	g := &ir.Graph{
		Binding: ir.Binding{PortDev: "vnet0"},
		IP: []*ir.Rule{
			{Protocol: ir.ProtoTCP, Direction: ir.DirIn, Action: ir.ActionAccept, StateMatch: true,
				Matches: []ir.Match{{Field: ir.FieldDstPort, Lo: 22, Hi: 22}}},
			{Protocol: ir.ProtoAll, Direction: ir.DirOut, Action: ir.ActionAccept, StateMatch: true},
			{Protocol: ir.ProtoAll, Direction: ir.DirInOut, Action: ir.ActionDrop},
		},
	}
	s, err := b.Render(g)
	if err != nil {
		panic(err)
	}
	// Rules go out in one block per chain, map elements with their map's
	// declaration: nft then needs no list of the namespace's chains.
	fmt.Print(s.Sections[0].Text[strings.Index(s.Sections[0].Text, "add chain bridge gonwfilter markto/vnet0"):])
	// The same graph applied twice sends nothing the second time.
	_ = b.Apply(context.Background(), g)

	// Output:
	// add chain bridge gonwfilter markto/vnet0 {
	//	meta mark set meta mark & 0xc001ffff | 0x00020000
	// }
	// add chain inet gonwfilter fo/vnet0 {
	//	meta nfproto ipv4 meta l4proto 6 th dport 22 ct state new,established accept
	//	meta nfproto ipv4 ct state established accept
	//	meta nfproto ipv4 drop
	// }
	// add chain inet gonwfilter fi/vnet0 {
	//	meta nfproto ipv4 meta l4proto 6 th sport 22 ct state established return
	//	meta nfproto ipv4 ct state new,established return
	//	meta nfproto ipv4 drop
	// }
	// add chain bridge gonwfilter from/vnet0 {
	//	meta mark set meta mark & 0xfffe000f | 0x00000010
	// }
	// add map bridge gonwfilter l2-from { type ifname : verdict ; elements = { "vnet0" : jump from/vnet0 } ; }
	// add map inet gonwfilter fi { type mark : verdict ; elements = { 0x00000010 : jump fi/vnet0 } ; }
	// add map inet gonwfilter fo { type mark : verdict ; elements = { 0x00020000 : jump fo/vnet0 } ; }
	// add map inet gonwfilter hi { type mark : verdict ; elements = { 0x00000010 : jump fi/vnet0 } ; }
	// add map bridge gonwfilter mark-to { type ifname : verdict ; elements = { "vnet0" : jump markto/vnet0 } ; }
	// add map bridge gonwfilter port-ids { type ifname : mark ; elements = { "vnet0" : 0x00000001 } ; }
}
