package main

import (
	"context"
	"flag"

	"github.com/gonwfilter/gonwfilter/nwfilter"
)

var xmlCommand = &command{
	name:     "xml",
	synopsis: "xml FILE",
	summary:  "print the normalized XML of a <filter> or <filterbinding> document",
	details: `Parses FILE strictly and prints it in normalized form: canonical attribute
order and values, explicit priorities, no comments. Errors are printed as
FILE:LINE:COL: message (exit 1).`,
	define: func(_ *flag.FlagSet, out output) func(context.Context, []string) error {
		return func(_ context.Context, args []string) error {
			if len(args) != 1 {
				return usageErrorf("xml needs exactly one FILE")
			}
			doc, err := readDocument(args[0])
			if err != nil {
				return err
			}
			if doc.Filter != nil {
				_, err = out.stdout.Write(nwfilter.FormatFilter(doc.Filter))
			} else {
				_, err = out.stdout.Write(nwfilter.FormatBinding(doc.Binding))
			}
			return err
		}
	},
}
