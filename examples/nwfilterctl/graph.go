package main

import (
	"context"
	"flag"
	"io"
)

var graphCommand = &command{
	name:     "graph",
	synopsis: "graph BINDING",
	summary:  "print the compiled rule graph of a binding",
	details: `Compiles the binding's filter tree with its variables and prints the rule
graph every backend installs: the Ethernet-layer chains in evaluation order
and the IP-layer rules, each rule with the filter it came from. A binding
that does not compile (a missing filter or variable, say) exits 1.`,
	define: func(fs *flag.FlagSet, out output) func(context.Context, []string) error {
		var bf bindingFlags
		bf.register(fs, false)
		return func(_ context.Context, args []string) error {
			g, err := compileOne(&bf, args)
			if err != nil {
				return err
			}
			_, err = io.WriteString(out.stdout, g.Dump())
			return err
		}
	},
}
