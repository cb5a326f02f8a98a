package gonwfilter_test

import (
	"context"
	"fmt"
	"strings"

	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter"
	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/backend/nftables"
	"github.com/gonwfilter/gonwfilter/nwfilter"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// printApplies wraps a backend so that Apply only says which bindings it
// would install: examples run without root.
type printApplies struct{ backend.Backend }

func (p printApplies) Apply(_ context.Context, gs ...*ir.Graph) error {
	var devs []string
	for _, g := range gs {
		devs = append(devs, g.Binding.PortDev)
	}
	fmt.Printf("apply %s\n", strings.Join(devs, " "))
	return nil
}

// newDryRunEngine returns an engine whose nftables backend only prints what
// it would apply.
func newDryRunEngine() *gonwfilter.Engine {
	be, err := nftables.New(nftables.Options{NFT: knftables.NewFake("", ""), Conntrack: nftables.ConntrackBrNetfilter})
	if err != nil {
		panic(err)
	}
	engine, err := gonwfilter.New(gonwfilter.Config{Backend: printApplies{be}})
	if err != nil {
		panic(err)
	}
	return engine
}

func ExampleEngine() {
	be, err := nftables.New(nftables.Options{NFT: knftables.NewFake("", ""), Conntrack: nftables.ConntrackBrNetfilter})
	if err != nil {
		panic(err)
	}
	engine, err := gonwfilter.New(gonwfilter.Config{Backend: printApplies{be}})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for i, ip := range []string{"10.0.0.2", "10.0.0.3"} {
		err := engine.AddBinding(ctx, &nwfilter.Binding{
			PortDev: fmt.Sprintf("vnet%d", i),
			MAC:     ir.MAC{0x52, 0x54, 0x00, 0x00, 0x00, byte(i + 1)},
			FilterRef: nwfilter.FilterRef{
				Filter: "clean-traffic",
				Params: []nwfilter.Param{{Name: "IP", Value: ip}},
			},
		})
		if err != nil {
			panic(err)
		}
	}
	for _, b := range engine.Bindings() {
		fmt.Println(b.PortDev, b.FilterRef.Filter)
	}
	// Output:
	// apply vnet0
	// apply vnet1
	// vnet0 clean-traffic
	// vnet1 clean-traffic
}

func ExampleEngine_DefineFilter() {
	engine := newDryRunEngine()
	ctx := context.Background()
	mac := ir.MAC{0x52, 0x54, 0x00, 0x00, 0x00, 0x01}
	err := engine.AddBinding(ctx,
		&nwfilter.Binding{PortDev: "vnet0", MAC: mac, FilterRef: nwfilter.FilterRef{Filter: "no-mac-spoofing"}},
		&nwfilter.Binding{PortDev: "vnet1", MAC: mac, FilterRef: nwfilter.FilterRef{Filter: "allow-arp"}},
	)
	if err != nil {
		panic(err)
	}

	// Redefining allow-arp re-installs the one binding that uses it.
	f, err := nwfilter.ParseFilter([]byte(`<filter name='allow-arp' chain='arp'>
  <rule action='accept' direction='out' priority='500'/>
</filter>`), "allow-arp.xml")
	if err != nil {
		panic(err)
	}
	if err := engine.DefineFilter(ctx, f); err != nil {
		panic(err)
	}
	// Output:
	// apply vnet0 vnet1
	// apply vnet1
}

func ExampleEngine_Explain() {
	engine := newDryRunEngine()
	err := engine.AddBinding(context.Background(), &nwfilter.Binding{
		PortDev: "vnet0",
		MAC:     ir.MAC{0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
		FilterRef: nwfilter.FilterRef{
			Filter: "clean-traffic",
			Params: []nwfilter.Param{{Name: "IP", Value: "10.0.0.2"}},
		},
	})
	if err != nil {
		panic(err)
	}
	// A packet from a spoofed source address.
	res, err := engine.Explain("vnet0", "dir=out proto=tcp src=10.0.0.66 dst=10.0.0.9 sport=40000 dport=22 state=new")
	if err != nil {
		panic(err)
	}
	verdict, _, _ := strings.Cut(res.String(), "\n")
	fmt.Println(verdict)
	// Output:
	// apply vnet0
	// verdict: drop
}
