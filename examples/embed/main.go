// Command embed shows how a hypervisor manager embeds gonwfilter: it builds
// an Engine over the built-in filters plus one of its own, adds two VM
// bindings, asks what becomes of an SSH connection to one VM, then redefines
// its filter to let SSH in.
//
// It runs the real xtables or nftables backend in dry-run mode, printing the
// scripts the backend would load instead of loading them, so it needs no
// root:
//
//	go run ./examples/embed                    # nftables
//	go run ./examples/embed -backend xtables
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter"
	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/backend/nftables"
	"github.com/gonwfilter/gonwfilter/backend/xtables"
	"github.com/gonwfilter/gonwfilter/nwfilter"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// webFilter is the manager's own filter: clean-traffic, plus only HTTP(S)
// from outside.
const webFilter = `<filter name='web-server' chain='root'>
  <filterref filter='clean-traffic'/>
  <rule action='accept' direction='in' priority='500'>
    <tcp dstportstart='80'/>
  </rule>
  <rule action='accept' direction='in' priority='500'>
    <tcp dstportstart='443'/>
  </rule>
  <rule action='drop' direction='in' priority='1000'>
    <all/>
  </rule>
</filter>`

func main() {
	backendName := flag.String("backend", "nftables", "xtables or nftables")
	flag.Parse()
	if err := run(context.Background(), *backendName, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, backendName string, out io.Writer) error {
	real, err := newBackend(backendName)
	if err != nil {
		return err
	}
	engine, err := gonwfilter.New(gonwfilter.Config{Backend: dryRun{Backend: real, out: out}})
	if err != nil {
		return err
	}

	web, err := nwfilter.ParseFilter([]byte(webFilter), "web-server.xml")
	if err != nil {
		return err
	}
	if err := engine.DefineFilter(ctx, web); err != nil {
		return err
	}

	// Two VMs: one with clean-traffic, one with the manager's web-server filter.
	vm1 := binding("vnet0", ir.MAC{0x52, 0x54, 0x00, 0x00, 0x00, 0x01}, "clean-traffic", "10.0.0.2")
	vm2 := binding("vnet1", ir.MAC{0x52, 0x54, 0x00, 0x00, 0x00, 0x02}, "web-server", "10.0.0.3")
	if err := engine.AddBinding(ctx, vm1, vm2); err != nil {
		return err
	}

	const ssh = "dir=in proto=tcp src=192.0.2.7 dst=10.0.0.3 sport=40000 dport=22 state=new"
	if err := explain(engine, out, ssh); err != nil {
		return err
	}

	// Let SSH in too: only vnet1 uses web-server, so only vnet1 is re-installed.
	withSSH := strings.Replace(webFilter, "<tcp dstportstart='443'/>", "<tcp dstportstart='443'/>\n  </rule>\n  <rule action='accept' direction='in' priority='500'>\n    <tcp dstportstart='22'/>", 1)
	web, err = nwfilter.ParseFilter([]byte(withSSH), "web-server.xml")
	if err != nil {
		return err
	}
	if err := engine.DefineFilter(ctx, web); err != nil {
		return err
	}
	return explain(engine, out, ssh)
}

func explain(engine *gonwfilter.Engine, out io.Writer, packet string) error {
	res, err := engine.Explain("vnet1", packet)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "== vnet1, packet %q:\n%s\n", packet, res)
	return nil
}

func binding(portDev string, mac ir.MAC, filter, ip string) *nwfilter.Binding {
	return &nwfilter.Binding{
		PortDev: portDev,
		MAC:     mac,
		FilterRef: nwfilter.FilterRef{
			Filter: filter,
			Params: []nwfilter.Param{{Name: nwfilter.VarIP, Value: ip}},
		},
	}
}

func newBackend(name string) (backend.Backend, error) {
	switch name {
	case "xtables":
		return xtables.New(xtables.Options{})
	case "nftables":
		// A fake nft: render only, no root, and the conntrack path pinned
		// instead of probed.
		return nftables.New(nftables.Options{NFT: knftables.NewFake("", ""), Conntrack: nftables.ConntrackBrNetfilter})
	}
	return nil, fmt.Errorf("unknown backend %q: want xtables or nftables", name)
}

// dryRun prints what its backend would install instead of installing it.
type dryRun struct {
	backend.Backend
	out io.Writer
}

func (d dryRun) Apply(_ context.Context, gs ...*ir.Graph) error {
	script, err := d.Render(gs...)
	if err != nil {
		return err
	}
	var devs []string
	for _, g := range gs {
		devs = append(devs, g.Binding.PortDev)
	}
	fmt.Fprintf(d.out, "== %s would install %s:\n%s", d.Name(), strings.Join(devs, ", "), script)
	return nil
}

func (d dryRun) Teardown(_ context.Context, portDevs ...string) error {
	fmt.Fprintf(d.out, "== %s would remove %s\n", d.Name(), strings.Join(portDevs, ", "))
	return nil
}
