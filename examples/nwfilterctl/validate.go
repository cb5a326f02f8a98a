package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
)

var validateCommand = &command{
	name:     "validate",
	synopsis: "validate FILE...",
	summary:  "check that each FILE is a valid <filter> or <filterbinding> document",
	details: `Parses each FILE strictly, as a <filter> or <filterbinding> document, and
prints "FILE: ok (...)" for each valid one. Every error is printed as
FILE:LINE:COL: message. Exits 0 when every file is valid, 1 when one is not,
2 when a file cannot be read.

References to other filters are not followed: use graph to check a binding's
whole filter tree.`,
	define: func(_ *flag.FlagSet, out output) func(context.Context, []string) error {
		return func(_ context.Context, files []string) error {
			if len(files) == 0 {
				return usageErrorf("validate needs at least one FILE")
			}
			var errs []error
			for _, file := range files {
				doc, err := readDocument(file)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				switch {
				case doc.Filter != nil:
					fmt.Fprintf(out.stdout, "%s: ok (filter %s)\n", file, doc.Filter.Name)
				case doc.Binding != nil:
					fmt.Fprintf(out.stdout, "%s: ok (filterbinding %s)\n", file, doc.Binding.PortDev)
				}
			}
			return errors.Join(errs...)
		}
	},
}
