package xtables

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// tokenKind says what a caller-supplied string is used as in a script.
type tokenKind uint8

const (
	// tokPortDev is a port device: a match value (-i, --physdev-in) and part
	// of chain names.
	tokPortDev tokenKind = iota
	// tokChainName is a filter's chain name (e.g. "arp-mac"), part of an
	// ebtables sub-chain name.
	tokChainName
	// tokSetName is an ipset name.
	tokSetName
	// tokComment is a rule comment (iptables only).
	tokComment
)

var tokenKindNames = [...]string{
	tokPortDev: "port device", tokChainName: "chain name", tokSetName: "ipset name", tokComment: "comment",
}

// Limits of the strings that reach a script.
const (
	maxPortDev   = 15  // IFNAMSIZ - 1
	maxChainPart = 16  // chain prefix (≤ 4) + suffix (≤ 12)
	maxSetName   = 31  // IPSET_MAXNAMELEN - 1
	maxComment   = 255 // XT_MAX_COMMENT_LEN - 1
)

// TokenError reports a name or comment that cannot be written into a
// restore script safely.
type TokenError struct {
	// What is "port device", "chain name", "ipset name" or "comment".
	What string
	// Value is the offending string (quoted with %q when printed).
	Value string
	// Reason says what is wrong with it.
	Reason string
}

// Error names the kind of token, the value and the reason.
func (e *TokenError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.What, e.Value, e.Reason)
}

// token is the one place where a caller-supplied string becomes script text.
// Names are validated against a strict character set (no quoting needed, no
// option look-alikes); comments are length-limited, refused when they hold
// control characters or invalid UTF-8, and returned double-quoted with " and
// \ escaped the way iptables-restore reads them. Comments longer than 255
// bytes are cut at a character boundary (iptables' limit).
func token(kind tokenKind, s string) (string, error) {
	fail := func(reason string) (string, error) {
		return "", &TokenError{What: tokenKindNames[kind], Value: s, Reason: reason}
	}
	switch kind {
	case tokComment:
		if !utf8.ValidString(s) {
			return fail("not valid UTF-8")
		}
		for _, c := range s {
			if c < 0x20 || c == 0x7f {
				return fail(fmt.Sprintf("control character %U is not allowed", c))
			}
		}
		if len(s) > maxComment {
			cut := maxComment
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			s = s[:cut]
		}
		var b strings.Builder
		b.Grow(len(s) + 2)
		b.WriteByte('"')
		for i := 0; i < len(s); i++ {
			if s[i] == '"' || s[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i])
		}
		b.WriteByte('"')
		return b.String(), nil
	case tokPortDev, tokChainName, tokSetName:
		limit := maxPortDev
		switch kind {
		case tokChainName:
			limit = maxChainPart
		case tokSetName:
			limit = maxSetName
		}
		switch {
		case s == "":
			return fail("empty")
		case len(s) > limit:
			return fail(fmt.Sprintf("longer than %d bytes", limit))
		case s[0] == '-' || s[0] == '!':
			return fail("must not start with '-' or '!'")
		case kind == tokPortDev && (s == "." || s == ".."):
			return fail("not a valid interface name")
		}
		for i := 0; i < len(s); i++ {
			if !tokenByteOK(kind, s[i]) {
				return fail(fmt.Sprintf("character %q is not allowed", s[i]))
			}
		}
		return s, nil
	}
	return "", fmt.Errorf("internal error: unknown token kind %d", kind)
}

// tokenByteOK says whether c may appear in a name of the given kind. Port
// devices are limited to [A-Za-z0-9_.-] (so ':' can separate them from a
// chain name, and '+' — an xtables interface wildcard — is refused); chain
// names add ':'; ipset names add ':' and '+' as libvirt allows (libvirt also
// allows a space, which we refuse).
func tokenByteOK(kind tokenKind, c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == '-':
		return true
	case c == ':':
		return kind == tokChainName || kind == tokSetName
	case c == '+':
		return kind == tokSetName
	}
	return false
}
