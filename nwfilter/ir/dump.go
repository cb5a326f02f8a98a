package ir

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// Dump returns a readable, deterministic text form of the graph: a header
// line with the binding, then each Ethernet chain with its entries (jumps
// shown with the guard that limits them to the sub-chain's protocol), then the
// IP-layer rules. Equal graphs give equal dumps; tests use dumps as goldens.
func (g *Graph) Dump() string {
	var b strings.Builder
	b.WriteString("binding portdev=")
	b.WriteString(g.Binding.PortDev)
	if g.Binding.LinkDev != "" {
		b.WriteString(" linkdev=")
		b.WriteString(g.Binding.LinkDev)
	}
	b.WriteString(" mac=")
	b.WriteString(g.Binding.MAC.String())
	b.WriteString(" filter=")
	b.WriteString(g.Binding.Filter)
	b.WriteString(" iplearning=")
	b.WriteString(g.Binding.IPLearning)
	b.WriteByte('\n')
	if len(g.Ethernet) == 0 {
		b.WriteString("ethernet: no rules\n")
	}
	for _, c := range g.Ethernet {
		b.WriteString("chain ")
		b.WriteString(c.Name)
		b.WriteString(" kind=")
		b.WriteString(c.Kind.String())
		b.WriteString(" prio=")
		b.WriteString(strconv.Itoa(c.Priority))
		b.WriteByte('\n')
		for _, e := range c.Entries {
			b.WriteString("  ")
			if e.Jump != nil {
				b.WriteString(e.Jump.JumpString())
			} else {
				b.WriteString(e.Rule.String())
			}
			b.WriteByte('\n')
		}
	}
	if len(g.IP) == 0 {
		b.WriteString("ip: no rules\n")
	} else {
		b.WriteString("ip\n")
	}
	for _, r := range g.IP {
		b.WriteString("  ")
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Fingerprint returns a stable digest of the graph (SHA-256 of its Dump, in
// hex). Backends compare fingerprints to skip re-installing an unchanged
// binding.
func (g *Graph) Fingerprint() string {
	sum := sha256.Sum256([]byte(g.Dump()))
	return hex.EncodeToString(sum[:])
}

// JumpString describes a jump into c with its guard, as dumps and simulator
// traces show it, e.g. "jump ipv4-ip prio=-710 if ethertype=0x0800".
func (c *Chain) JumpString() string {
	s := "jump " + c.Name + " prio=" + strconv.Itoa(c.Priority)
	if et, ok := c.Kind.EtherType(); ok {
		return s + " if ethertype=" + hex16(uint32(et))
	}
	if c.Kind == ChainSTP {
		return s + " if dstmac=" + STPMAC.String()
	}
	return s + " (every frame)"
}

// String returns the rule on one line, as dumps and simulator traces show it,
// e.g. "out accept prio=500 tcp dstport=22 srcip=10.0.0.2/32
// state=NEW,ESTABLISHED # from myfilter rule 3.0" (the origin is filter,
// rule index and instance).
func (r *Rule) String() string {
	var b strings.Builder
	b.WriteString(r.Direction.String())
	b.WriteByte(' ')
	b.WriteString(r.Action.String())
	b.WriteString(" prio=")
	b.WriteString(strconv.Itoa(r.Priority))
	b.WriteByte(' ')
	b.WriteString(r.Protocol.String())
	for _, m := range r.Matches {
		b.WriteByte(' ')
		b.WriteString(m.String())
	}
	if r.State != 0 {
		b.WriteString(" state")
		b.WriteString(eqOp(r.StateNegate))
		b.WriteString(r.State.String())
	}
	if r.ConnlimitAbove != 0 {
		b.WriteString(" connlimit-above")
		b.WriteString(eqOp(r.ConnlimitNegate))
		b.WriteString(strconv.Itoa(int(r.ConnlimitAbove)))
	}
	if !r.StateMatch {
		b.WriteString(" statematch=false")
	}
	if r.Comment != "" {
		b.WriteString(" comment=")
		b.WriteString(strconv.Quote(r.Comment))
	}
	b.WriteString(" # from ")
	b.WriteString(r.Origin.Filter)
	b.WriteString(" rule ")
	b.WriteString(strconv.Itoa(r.Origin.Index))
	b.WriteByte('.')
	b.WriteString(strconv.Itoa(r.Origin.Instance))
	return b.String()
}

// String returns the match as field=value (field!=value when negated), e.g.
// "srcip=10.0.0.0/8", "dstport=1024-65535", "srcmac!=52:54:00:00:00:01",
// "srcmac=52:54:00:00:00:00/ff:ff:ff:00:00:00", "ethertype=0x0800",
// "tcpflags=SYN,ACK/SYN" (mask/set), "ipset=blocked(src,dst)".
func (m Match) String() string {
	return m.Field.String() + eqOp(m.Negate) + m.valueString()
}

func (m Match) valueString() string {
	switch m.Field {
	case FieldSrcMAC, FieldDstMAC, FieldARPSrcMAC, FieldARPDstMAC, FieldSTPRootAddr, FieldSTPSenderAddr:
		if m.HasMACMask {
			return m.MAC.String() + "/" + m.MACMask.String()
		}
		return m.MAC.String()
	case FieldSrcIP, FieldDstIP, FieldARPSrcIP, FieldARPDstIP:
		return m.Prefix.String()
	case FieldSrcIPRange, FieldDstIPRange:
		return m.From.String() + "-" + m.To.String()
	case FieldARPGratuitous:
		return strconv.FormatBool(m.Bool)
	case FieldTCPFlags:
		return m.TCPFlags.Mask.String() + "/" + m.TCPFlags.Set.String()
	case FieldIPSet:
		dirs := make([]string, len(m.IPSet.Dirs))
		for i, d := range m.IPSet.Dirs {
			dirs[i] = "src"
			if d == SetDst {
				dirs[i] = "dst"
			}
		}
		return m.IPSet.Name + "(" + strings.Join(dirs, ",") + ")"
	case FieldEtherType, FieldVLANEncap, FieldARPPType:
		return m.rangeString(hex16)
	}
	return m.rangeString(func(n uint32) string { return strconv.FormatUint(uint64(n), 10) })
}

// rangeString prints Lo, or Lo-Hi when the rule gave a range.
func (m Match) rangeString(format func(uint32) string) string {
	if m.HasHi || m.Hi != m.Lo {
		return format(m.Lo) + "-" + format(m.Hi)
	}
	return format(m.Lo)
}

func hex16(n uint32) string {
	s := strconv.FormatUint(uint64(n), 16)
	for len(s) < 4 {
		s = "0" + s
	}
	return "0x" + s
}

func eqOp(negate bool) string {
	if negate {
		return "!="
	}
	return "="
}
