package sim

import (
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// iptablesTargets are the iptables targets libvirt writes for each instance
// verdict; a continue rule has none.
var iptablesTargets = [...]string{
	ir.VerdictAccept: "ACCEPT", ir.VerdictReturn: "RETURN", ir.VerdictDrop: "DROP", ir.VerdictReject: "REJECT",
}

// instanceText describes an IP-layer instance for a trace, in libvirt's
// iptables terms, e.g. "swapped, state ESTABLISHED, ctdir reply, -j RETURN".
func instanceText(in *ir.Instance) string {
	var parts []string
	if in.Swapped {
		parts = append(parts, "swapped")
	}
	if in.State != 0 {
		neg := ""
		if in.StateNegate {
			neg = "!"
		}
		parts = append(parts, "state "+neg+in.State.String())
	}
	if in.CtDir != ir.ConnDirAny {
		parts = append(parts, "ctdir "+in.CtDir.String())
	}
	if in.Connlimit {
		parts = append(parts, "connlimit")
	}
	if t := iptablesTargets[in.Verdict]; t != "" {
		parts = append(parts, "-j "+t)
	} else {
		parts = append(parts, "no target")
	}
	return strings.Join(parts, ", ")
}
