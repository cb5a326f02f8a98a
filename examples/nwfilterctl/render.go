package main

import (
	"context"
	"flag"
	"io"
)

var renderCommand = &command{
	name:     "render",
	synopsis: "render --backend xtables|nftables [--libvirt-names] [--conntrack PATH] BINDING...",
	summary:  "print the firewall scripts a backend would load for the bindings",
	details: `Prints the scripts the backend loads to install the bindings from scratch,
each under a header line naming the tool it is fed to: "# ebtables-restore",
"# iptables-restore" and "# ip6tables-restore" for xtables, "# nft" for
nftables. Nothing is changed on the host and no root is needed. A binding
that does not compile exits 1.

The nftables script depends on how stateful rules reach conntrack (see
--conntrack). With the default, auto, render probes the kernel as apply
would when nft can run here (root), and renders the br_netfilter path when
it cannot.`,
	define: func(fs *flag.FlagSet, out output) func(context.Context, []string) error {
		var (
			bf bindingFlags
			be backendFlags
		)
		bf.register(fs, true)
		be.register(fs, false)
		be.registerConntrack(fs)
		return func(_ context.Context, args []string) error {
			b, err := be.renderer()
			if err != nil {
				return err
			}
			graphs, err := compileAllArgs(&bf, args)
			if err != nil {
				return err
			}
			script, err := b.Render(graphs...)
			if err != nil {
				return err
			}
			_, err = io.WriteString(out.stdout, script.String())
			return err
		}
	},
}
