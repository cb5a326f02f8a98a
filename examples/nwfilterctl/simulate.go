package main

import (
	"context"
	"flag"
	"io"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/sim"
)

var simulateCommand = &command{
	name:     "simulate",
	synopsis: "simulate BINDING --packet SPEC",
	summary:  "show what the binding's rules do with one packet",
	details: `Evaluates one packet against the binding's compiled rule graph, as the kernel
would, and prints "verdict: accept", "verdict: drop" or "verdict: reject" on
the first line, then the rules the packet met on the way. SPEC is a list of
key=value words, for example

  --packet 'dir=out proto=tcp src=10.0.0.2 dst=10.0.0.9 sport=40000 dport=22 state=new'

where dir=out is traffic from the VM and dir=in traffic to it. Exits 0
whatever the verdict, 1 when the binding does not compile, 2 on a bad SPEC.`,
	define: func(fs *flag.FlagSet, out output) func(context.Context, []string) error {
		var bf bindingFlags
		bf.register(fs, false)
		packet := fs.String("packet", "", "the packet `SPEC`, e.g. 'dir=out proto=tcp dst=10.0.0.9 dport=22'")
		return func(_ context.Context, args []string) error {
			if *packet == "" {
				return usageErrorf("simulate needs --packet SPEC")
			}
			g, err := compileOne(&bf, args)
			if err != nil {
				return err
			}
			p, err := sim.ParsePacket(*packet, g.Binding)
			if err != nil {
				return badInput(err)
			}
			result, err := sim.Simulate(g, p)
			if err != nil {
				return badInput(err)
			}
			res := result.String()
			if !strings.HasSuffix(res, "\n") {
				res += "\n"
			}
			_, err = io.WriteString(out.stdout, res)
			return err
		}
	},
}
