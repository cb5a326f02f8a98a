package nwfilter

import (
	"math"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Limits of the value language.
const (
	// MaxCommentLen is the longest comment in bytes. libvirt silently cuts
	// longer comments; ParseLiteral rejects them instead.
	MaxCommentLen = 256
	// MaxIPSetNameLen is the longest ipset name.
	MaxIPSetNameLen = 31
	// MaxIPSetFlags is the largest number of ipsetflags entries.
	MaxIPSetFlags = 6
	// maxLiteralLen bounds every literal; no valid literal is longer.
	maxLiteralLen = 1024
)

// ParseLiteral parses text as a literal of kind k (the value table of
// libvirt's nwfilter language) and returns it in typed form. Variable
// references are not literals: see ParseVarRef.
//
// Where libvirt is lax, ParseLiteral is strict: numbers are decimal or 0x hex
// (no bare hex, signs or spaces); booleans must be true/1/yes or false/0/no;
// comments longer than MaxCommentLen bytes are rejected rather than cut, and
// so are empty ones and those holding control characters; TCP flags must be a subset of their mask.
// Errors are *LiteralError.
func ParseLiteral(k Kind, text string) (Literal, error) {
	bad := func(reason string) (Literal, error) {
		return Literal{}, &LiteralError{Kind: k, Text: text, Reason: reason}
	}
	if len(text) > maxLiteralLen {
		return bad("too long")
	}
	l := Literal{Kind: k}
	var reason string
	switch k {
	case KindUint8:
		reason = l.parseNum(text, math.MaxUint8)
	case KindUint16:
		reason = l.parseNum(text, math.MaxUint16)
	case KindUint32:
		reason = l.parseNum(text, math.MaxUint32)
	case KindDSCP:
		reason = l.parseNum(text, 63)
	case KindVLANID:
		reason = l.parseNum(text, 4095)
	case KindConnlimit:
		reason = l.parseDecimal(text, math.MaxUint16)
	case KindMAC:
		l.MAC, reason = parseMAC(text)
	case KindMACMask:
		l.MAC, reason = parseMAC(text)
		if reason == "" && !contiguous(l.MAC[:]) {
			reason = "mask bits must be contiguous ones"
		}
	case KindIPv4, KindIPv6:
		l.Addr, reason = parseAddr(text, k == KindIPv6)
	case KindIPv4Mask:
		l.Bits, reason = parseMask(text, false)
	case KindIPv6Mask:
		l.Bits, reason = parseMask(text, true)
	case KindBool:
		l.Bool, reason = parseBool(text)
	case KindComment:
		l.Str, reason = text, checkComment(text)
	case KindState:
		l.State, reason = parseState(text)
	case KindTCPFlags:
		l.Flags, reason = parseTCPFlags(text)
	case KindIPSetName:
		l.Str, reason = text, checkIPSetName(text)
	case KindIPSetFlags:
		l.SetDirs, reason = parseSetDirs(text)
	case KindEtherType:
		reason = l.parseNamedNum(text, etherTypeNames, math.MaxUint16)
		if reason == "" && l.Num < 0x600 {
			reason = "a number must be at least 0x600"
		}
	case KindVLANEncap:
		reason = l.parseNamedNum(text, etherTypeNames, math.MaxUint16)
		if reason == "" && l.Num < 0x3c {
			reason = "a number must be at least 0x3c"
		}
	case KindARPOpcode:
		reason = l.parseNamedNum(text, arpOpcodeNames, math.MaxUint16)
	case KindIPProtocol:
		reason = l.parseNamedNum(text, ipProtocolNames, math.MaxUint8)
	default:
		reason = "unknown value kind"
	}
	if reason != "" {
		return bad(reason)
	}
	return l, nil
}

// parseNum reads a decimal or 0x-hex number no larger than max.
func (l *Literal) parseNum(text string, max uint64) string {
	if h, ok := strings.CutPrefix(text, "0x"); ok {
		return l.setNum(h, 16, max, true)
	}
	if h, ok := strings.CutPrefix(text, "0X"); ok {
		return l.setNum(h, 16, max, true)
	}
	return l.setNum(text, 10, max, false)
}

// parseDecimal reads a decimal number no larger than max.
func (l *Literal) parseDecimal(text string, max uint64) string {
	return l.setNum(text, 10, max, false)
}

func (l *Literal) setNum(digits string, base int, max uint64, hex bool) string {
	if digits == "" || !allDigits(digits, base) {
		if hex {
			return "expected hex digits after 0x"
		}
		return "must be a decimal number or 0x followed by hex digits"
	}
	n, err := strconv.ParseUint(digits, base, 64)
	if err != nil || n > max {
		return "must be 0–" + strconv.FormatUint(max, 10)
	}
	l.Num, l.Hex = uint32(n), hex
	return ""
}

func allDigits(s string, base int) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= '0' && c <= '9' || base == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')
		if !ok {
			return false
		}
	}
	return true
}

// namedNum is one name of a number-with-names kind.
type namedNum struct {
	name string
	num  uint32
}

var (
	etherTypeNames = []namedNum{
		{"arp", 0x0806}, {"rarp", 0x8035}, {"ipv4", 0x0800}, {"ipv6", 0x86dd}, {"vlan", 0x8100},
	}
	arpOpcodeNames = []namedNum{
		{"Request", 1}, {"Reply", 2}, {"Request_Reverse", 3}, {"Reply_Reverse", 4},
		{"DRARP_Request", 5}, {"DRARP_Reply", 6}, {"DRARP_Error", 7}, {"InARP_Request", 8},
		{"ARP_NAK", 9},
	}
	ipProtocolNames = []namedNum{
		{"tcp", 6}, {"udp", 17}, {"udplite", 136}, {"esp", 50}, {"ah", 51},
		{"icmp", 1}, {"igmp", 2}, {"sctp", 132}, {"icmpv6", 58},
	}
)

// parseNamedNum reads a name (case-insensitive) or a number no larger than max.
func (l *Literal) parseNamedNum(text string, names []namedNum, max uint64) string {
	for _, n := range names {
		if strings.EqualFold(text, n.name) {
			l.Num, l.Named = n.num, true
			return ""
		}
	}
	if reason := l.parseNum(text, max); reason != "" {
		list := make([]string, len(names))
		for i, n := range names {
			list[i] = n.name
		}
		return "must be one of " + strings.Join(list, ", ") + " or a number 0–" + strconv.FormatUint(max, 10)
	}
	return ""
}

// nameOf returns the canonical name of num in names.
func nameOf(names []namedNum, num uint32) string {
	for _, n := range names {
		if n.num == num {
			return n.name
		}
	}
	return ""
}

func parseMAC(text string) (ir.MAC, string) {
	const want = "must be six colon-separated groups of 1–2 hex digits"
	var m ir.MAC
	parts := strings.Split(text, ":")
	if len(parts) != len(m) {
		return m, want
	}
	for i, p := range parts {
		if len(p) < 1 || len(p) > 2 || !allDigits(p, 16) {
			return m, want
		}
		v, _ := strconv.ParseUint(p, 16, 8)
		m[i] = byte(v)
	}
	return m, ""
}

// contiguous reports whether b, read as one big-endian bit string, is some
// ones followed only by zeros.
func contiguous(b []byte) bool {
	seenZero := false
	for _, x := range b {
		switch {
		case seenZero && x != 0:
			return false
		case x == 0xff:
		case bits.LeadingZeros8(^x)+bits.TrailingZeros8(x) == 8:
			seenZero = true
		default:
			return false
		}
	}
	return true
}

func parseAddr(text string, v6 bool) (netip.Addr, string) {
	a, err := netip.ParseAddr(text)
	switch {
	case err != nil:
		if v6 {
			return a, "must be an IPv6 address"
		}
		return a, "must be a dotted-quad IPv4 address"
	case a.Zone() != "":
		return netip.Addr{}, "a zone (%…) is not allowed"
	case v6 && !a.Is6():
		return netip.Addr{}, "must be an IPv6 address, not IPv4"
	case !v6 && !a.Is4():
		return netip.Addr{}, "must be an IPv4 address, not IPv6"
	}
	return a, ""
}

// parseMask reads a prefix length or a netmask with contiguous ones.
func parseMask(text string, v6 bool) (int, string) {
	maxBits := 32
	if v6 {
		maxBits = 128
	}
	if text != "" && len(text) <= 3 && allDigits(text, 10) {
		n, _ := strconv.Atoi(text)
		if n > maxBits {
			return 0, "a prefix length must be 0–" + strconv.Itoa(maxBits)
		}
		return n, ""
	}
	a, reason := parseAddr(text, v6)
	if reason != "" {
		return 0, "must be a prefix length 0–" + strconv.Itoa(maxBits) + " or a netmask"
	}
	b := a.AsSlice()
	if !contiguous(b) {
		return 0, "netmask bits must be contiguous ones"
	}
	n := 0
	for _, x := range b {
		n += bits.OnesCount8(x)
	}
	return n, ""
}

func parseBool(text string) (bool, string) {
	switch text {
	case "true", "1", "yes":
		return true, ""
	case "false", "0", "no":
		return false, ""
	}
	return false, "must be true, 1, yes, false, 0 or no"
}

func checkComment(text string) string {
	if len(text) > MaxCommentLen {
		return "longer than " + strconv.Itoa(MaxCommentLen) + " bytes"
	}
	if text == "" {
		return "must not be empty"
	}
	if !utf8.ValidString(text) {
		return "not valid UTF-8"
	}
	if hasControl(text) {
		return "control characters are not allowed"
	}
	return ""
}

// hasControl reports whether s holds a control character or a code point
// that XML cannot carry.
func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == 0xfffe || r == 0xffff {
			return true
		}
	}
	return false
}

// bitByName finds the single bit in first..last whose String is name
// (case-insensitive).
func bitByName[B interface {
	~uint8
	String() string
}](name string, first, last B) (B, bool) {
	for b := first; b != 0 && b <= last; b <<= 1 {
		if strings.EqualFold(name, b.String()) {
			return b, true
		}
	}
	return 0, false
}

func parseState(text string) (ir.ConnState, string) {
	var s ir.ConnState
	for item := range strings.SplitSeq(text, ",") {
		bit, ok := bitByName(item, ir.StateNew, ir.StateNone)
		if !ok {
			return 0, "must be a comma list of NEW, ESTABLISHED, RELATED, INVALID or NONE"
		}
		s |= bit
	}
	if s&ir.StateNone != 0 {
		s = ir.StateNone
	}
	return s, ""
}

func parseTCPFlags(text string) (ir.TCPFlags, string) {
	mask, set, ok := strings.Cut(text, "/")
	if !ok {
		return ir.TCPFlags{}, "must be MASK/FLAGS"
	}
	var f ir.TCPFlags
	var reason string
	if f.Mask, reason = parseFlagList(mask); reason != "" {
		return f, reason
	}
	if f.Set, reason = parseFlagList(set); reason != "" {
		return f, reason
	}
	if f.Set&^f.Mask != 0 {
		return f, "flags " + (f.Set &^ f.Mask).String() + " are not in the mask, so the rule could never match"
	}
	return f, ""
}

func parseFlagList(text string) (ir.TCPFlag, string) {
	const want = "each side must be ALL, NONE or a comma list of SYN, ACK, URG, PSH, FIN, RST"
	switch {
	case strings.EqualFold(text, "ALL"):
		return ir.TCPAll, ""
	case strings.EqualFold(text, "NONE"):
		return 0, ""
	}
	var f ir.TCPFlag
	for item := range strings.SplitSeq(text, ",") {
		bit, ok := bitByName(item, ir.TCPFin, ir.TCPUrg)
		if !ok {
			return 0, want
		}
		f |= bit
	}
	return f, ""
}

func checkIPSetName(text string) string {
	if text == "" || len(text) > MaxIPSetNameLen {
		return "must be 1–" + strconv.Itoa(MaxIPSetNameLen) + " characters"
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("_.:+ -", c) >= 0
		if !ok {
			return "only A-Z a-z 0-9 and _ . : + - space are allowed"
		}
	}
	return ""
}

func parseSetDirs(text string) ([]ir.SetDir, string) {
	const want = "must be 1–6 comma-separated src or dst"
	items := strings.Split(text, ",")
	if len(items) > MaxIPSetFlags {
		return nil, want
	}
	dirs := make([]ir.SetDir, len(items))
	for i, item := range items {
		switch strings.ToLower(item) {
		case "src":
			dirs[i] = ir.SetSrc
		case "dst":
			dirs[i] = ir.SetDst
		default:
			return nil, want
		}
	}
	return dirs, ""
}
