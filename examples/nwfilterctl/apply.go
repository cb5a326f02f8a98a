package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/gonwfilter/gonwfilter"
)

var applyCommand = &command{
	name:     "apply",
	synopsis: "apply [--backend xtables|nftables] [--libvirt-names] [--conntrack PATH] [--netns NAME] BINDING...",
	summary:  "install the bindings' rules on this host, all in one go",
	details: `Compiles the bindings and installs them with one atomic backend change: all
of them are in force afterwards, or none is and the previous rules stay. A
binding replaces what was installed on its port device. Needs root (or
CAP_NET_ADMIN).

Without --backend, the backend is the one the bindings' <backend> elements ask
for, else nftables when the capability probe finds it usable, else xtables.
With --netns NAME everything runs inside the network namespace NAME (as
listed by 'ip netns'), and the host's own rules are not touched.

Each run is a new process: both backends adopt what earlier runs installed,
so bindings a run is not given stay as they are. Runs that change the same
network namespace wait for each other (a lock file in $GONWFILTER_LOCK_DIR,
default /run/gonwfilter).`,
	define: func(fs *flag.FlagSet, out output) func(context.Context, []string) error {
		var (
			bf    bindingFlags
			be    backendFlags
			netns netnsFlag
		)
		bf.register(fs, true)
		be.register(fs, true)
		be.registerConntrack(fs)
		netns.register(fs)
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected argument %q", args[0])
			}
			store, bindings, err := bf.load()
			if err != nil {
				return err
			}
			return netns.change(ctx, func() error {
				b, err := be.open(ctx, bindings)
				if err != nil {
					return err
				}
				eng, err := gonwfilter.New(gonwfilter.Config{Store: store, Backend: b})
				if err != nil {
					return err
				}
				if err := eng.AddBinding(ctx, bindings...); err != nil {
					return err
				}
				var devs []string
				for _, bd := range bindings {
					devs = append(devs, bd.PortDev)
				}
				fmt.Fprintf(out.stdout, "applied %d binding(s) with the %s: %s\n", len(devs), describe(b), strings.Join(devs, ", "))
				return nil
			})
		}
	},
}
