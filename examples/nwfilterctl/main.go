// Command nwfilterctl inspects, tests and installs libvirt network filters
// without libvirt: it lists and validates filters, prints the normalized XML
// and the compiled rule graph of a binding, simulates packets against it,
// renders the firewall scripts a backend would load, and applies or removes
// them (optionally inside a named network namespace).
//
// Run "nwfilterctl help" for usage.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
