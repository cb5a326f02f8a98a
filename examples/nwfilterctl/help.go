package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

const overviewHead = `nwfilterctl inspects, tests and installs libvirt network filters (nwfilter)
without libvirt.

Usage:
`

const bindingHelp = `A BINDING says which filter applies to which VM port. Give it either as
  --binding FILE      a <filterbinding> document (render and apply take several)
or on the command line as
  --filter NAME --portdev IF --mac MAC [--param NAME=VALUE]...
                      repeat --param with one NAME to give a list value
Filters come from the 24 built-in libvirt filters, plus
  --filters-dir DIR   every DIR/*.xml, e.g. /etc/libvirt/nwfilter, loaded over them
`

const overviewTail = `
Exit status: 0 success, 1 validation failure or failed operation,
2 usage error or unreadable input. Errors name FILE:LINE:COL where known.

Run 'nwfilterctl help SUBCOMMAND' or 'nwfilterctl SUBCOMMAND --help' for details.
`

func writeOverview(w io.Writer) {
	io.WriteString(w, overviewHead)
	for _, c := range commands {
		fmt.Fprintf(w, "  nwfilterctl %s\n      %s\n", c.synopsis, c.summary)
	}
	io.WriteString(w, "  nwfilterctl help [SUBCOMMAND]\n\n")
	io.WriteString(w, bindingHelp)
	io.WriteString(w, overviewTail)
}

func writeCommandHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "usage: nwfilterctl %s\n\n%s\n", c.synopsis, strings.TrimSpace(c.details))
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.define(fs, output{stdout: io.Discard, stderr: io.Discard})
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			io.WriteString(w, "\nFlags:\n")
			first = false
		}
		arg, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  %s\n      %s\n", strings.TrimSpace("--"+f.Name+" "+arg), usage)
	})
}

func runHelp(args []string, out output) int {
	switch len(args) {
	case 0:
		writeOverview(out.stdout)
		return exitOK
	case 1:
		if c := lookupCommand(args[0]); c != nil {
			writeCommandHelp(out.stdout, c)
			return exitOK
		}
		fmt.Fprintf(out.stderr, "nwfilterctl help: unknown subcommand %q\n", args[0])
	default:
		fmt.Fprintln(out.stderr, "usage: nwfilterctl help [SUBCOMMAND]")
	}
	return exitUsage
}
