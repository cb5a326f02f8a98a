package main

import (
	"context"
	"flag"
	"fmt"
)

var listCommand = &command{
	name:     "list",
	synopsis: "list [--filters-dir DIR]",
	summary:  "print the name of every filter, one per line, sorted",
	details: `Prints the names of the built-in filters, plus those defined in DIR, one per
line, sorted. A file in DIR that does not parse, or whose name is not its
filter's name plus .xml, is reported and nothing is listed (exit 2).`,
	define: func(fs *flag.FlagSet, out output) func(context.Context, []string) error {
		var dir filtersDirFlag
		dir.register(fs)
		return func(_ context.Context, args []string) error {
			if len(args) > 0 {
				return usageErrorf("list takes no arguments")
			}
			store, err := dir.store()
			if err != nil {
				return err
			}
			for _, name := range store.List() {
				fmt.Fprintln(out.stdout, name)
			}
			return nil
		}
	},
}
