package sim

import (
	"fmt"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// formatRule describes a rule for traces: action, direction, protocol and
// matches, e.g. "accept in tcp dstport=22".
//
// It stays private until ir's own dump formatter lands.
func formatRule(r *ir.Rule) string {
	parts := []string{r.Action.String(), r.Direction.String(), r.Protocol.String()}
	for i := range r.Matches {
		parts = append(parts, formatMatch(&r.Matches[i]))
	}
	if !r.StateMatch {
		parts = append(parts, "statematch=false")
	}
	if r.State != 0 {
		parts = append(parts, "state"+neq(r.StateNegate)+r.State.String())
	}
	if r.ConnlimitAbove != 0 {
		parts = append(parts, fmt.Sprintf("connlimit-above%s%d", neq(r.ConnlimitNegate), r.ConnlimitAbove))
	}
	return strings.Join(parts, " ")
}

func neq(negate bool) string {
	if negate {
		return "!="
	}
	return "="
}

func formatMatch(m *ir.Match) string {
	return m.Field.String() + neq(m.Negate) + matchValue(m)
}

func matchValue(m *ir.Match) string {
	switch m.Field {
	case ir.FieldSrcMAC, ir.FieldDstMAC, ir.FieldARPSrcMAC, ir.FieldARPDstMAC,
		ir.FieldSTPRootAddr, ir.FieldSTPSenderAddr:
		if m.HasMACMask {
			return m.MAC.String() + "/" + m.MACMask.String()
		}
		return m.MAC.String()
	case ir.FieldSrcIP, ir.FieldDstIP, ir.FieldARPSrcIP, ir.FieldARPDstIP:
		if m.Prefix.IsSingleIP() {
			return m.Prefix.Addr().String()
		}
		return m.Prefix.String()
	case ir.FieldSrcIPRange, ir.FieldDstIPRange:
		return m.From.String() + "-" + m.To.String()
	case ir.FieldEtherType, ir.FieldVLANEncap, ir.FieldARPPType:
		return fmt.Sprintf("0x%04x", m.Lo)
	case ir.FieldARPGratuitous:
		return fmt.Sprint(m.Bool)
	case ir.FieldTCPFlags:
		return m.TCPFlags.Mask.String() + "/" + m.TCPFlags.Set.String()
	case ir.FieldIPSet:
		dirs := make([]string, len(m.IPSet.Dirs))
		for i, d := range m.IPSet.Dirs {
			dirs[i] = map[ir.SetDir]string{ir.SetSrc: "src", ir.SetDst: "dst"}[d]
		}
		return m.IPSet.Name + "/" + strings.Join(dirs, ",")
	}
	if m.HasHi || m.Hi > m.Lo {
		return fmt.Sprintf("%d-%d", m.Lo, m.Hi)
	}
	return fmt.Sprint(m.Lo)
}
