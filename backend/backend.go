// Package backend defines what every firewall backend shares: the Backend
// interface, scripts, capability reports, the exec seam and typed errors.
//
// A backend installs ir.Graphs (one per binding, keyed by port device) in the
// network namespace of the calling thread. Implementations live in the
// sub-packages xtables and nftables.
package backend

import (
	"context"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Backend installs rule graphs on the host.
//
// Every method that changes the host is atomic per call: either all of the
// change is in force afterwards, or none of it is and the previous rules stay
// in force. Implementations are safe for concurrent use.
type Backend interface {
	// Name returns the backend's name, e.g. "xtables" or "nftables".
	Name() string
	// Probe reports what the kernel and tools can do for this backend.
	Probe(ctx context.Context) (Capabilities, error)
	// Render returns the text the backend would load to install gs from
	// scratch. It has no side effects.
	Render(gs ...*ir.Graph) (Script, error)
	// Apply installs or updates the bindings of gs (keyed by port device).
	// Bindings not named in gs are left as they are. Re-applying an
	// unchanged graph changes nothing.
	Apply(ctx context.Context, gs ...*ir.Graph) error
	// Teardown removes everything installed for the named port devices.
	// Shared structures go when the last binding goes.
	Teardown(ctx context.Context, portDevs ...string) error
}

// Script is a backend's text form of a ruleset, as fed to its tools.
type Script struct {
	// Sections are the script's parts, in the order they are fed to the tools.
	Sections []Section
}

// Section is the input of one tool, e.g. iptables-restore.
type Section struct {
	// Tool names the program the text is fed to, e.g. "ebtables-restore".
	Tool string
	// Text is the program's input.
	Text string
}

// String returns every section under a header line "# <tool>".
func (s Script) String() string {
	var b strings.Builder
	for _, sec := range s.Sections {
		b.WriteString("# ")
		b.WriteString(sec.Tool)
		b.WriteByte('\n')
		b.WriteString(sec.Text)
		if sec.Text != "" && !strings.HasSuffix(sec.Text, "\n") {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
