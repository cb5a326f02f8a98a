package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter"
)

var teardownCommand = &command{
	name:     "teardown",
	synopsis: "teardown [--backend xtables|nftables] [--libvirt-names] [--netns NAME] --portdev IF...",
	summary:  "remove everything installed for the port devices",
	details: `Removes the rules the backend installed for each --portdev (repeatable);
shared structures go with the last binding. Give the same --backend and
--libvirt-names as when applying. Needs root (or CAP_NET_ADMIN).`,
	define: func(fs *flag.FlagSet, out output) func(context.Context, []string) error {
		var (
			be       backendFlags
			netns    netnsFlag
			portDevs stringList
		)
		be.register(fs, true)
		netns.register(fs)
		fs.Var(&portDevs, "portdev", "a port device `IF` to clean up (repeatable)")
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected argument %q", args[0])
			}
			if len(portDevs) == 0 {
				return usageErrorf("teardown needs --portdev IF")
			}
			for _, dev := range portDevs {
				if err := nwfilter.ValidatePortDev(dev); err != nil {
					return badInput(err)
				}
			}
			return netns.change(ctx, func() error {
				b, err := be.open(ctx, nil)
				if err != nil {
					return err
				}
				if err := b.Teardown(ctx, portDevs...); err != nil {
					return err
				}
				fmt.Fprintf(out.stdout, "removed the rules of %s with the %s\n", strings.Join(portDevs, ", "), describe(b))
				return nil
			})
		}
	},
}
