package nftables

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// textKind says what a piece of outside text becomes in nft syntax.
type textKind uint8

const (
	// textIdent is part of a chain or set name. Bytes outside [A-Za-z0-9.-]
	// become _XX (hex), so the mapping is injective and never produces '/',
	// which the backend uses as the separator between name parts.
	textIdent textKind = iota
	// textIfname is an interface name, returned as a complete nft string
	// literal for map keys and ifname matches.
	textIfname
	// textComment is a rule comment, returned without quotes (knftables adds
	// them): quotes and backslashes are replaced, control characters become
	// spaces, and the text is cut to maxCommentBytes.
	textComment
)

// maxCommentBytes is nft's limit on rule comments.
const maxCommentBytes = 128

// maxIfname is the kernel's limit on interface names (IFNAMSIZ - 1).
const maxIfname = 15

// nftText is the one place where text from outside (port devices, chain and
// set names, comments) enters nft syntax. Nothing it returns can end a
// string, a statement or a block early.
func nftText(kind textKind, s string) (string, error) {
	switch kind {
	case textIdent:
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "_%02x", c)
			}
		}
		return b.String(), nil
	case textIfname:
		if s == "" || len(s) > maxIfname {
			return "", fmt.Errorf("interface name %q: %w: must be 1 to %d bytes", s, ErrUnsafeName, maxIfname)
		}
		var b strings.Builder
		b.WriteByte('"')
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c <= ' ' || c >= 0x7f || c == '/' || c == ':':
				return "", fmt.Errorf("interface name %q: %w: byte %#02x is not valid in an interface name", s, ErrUnsafeName, c)
			case c == '"' || c == '\\':
				return "", fmt.Errorf("interface name %q: %w: nft strings cannot hold %q", s, ErrUnsafeName, c)
			case c == '*':
				// A bare '*' would make a wildcard match.
				b.WriteString(`\*`)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
		return b.String(), nil
	case textComment:
		var b strings.Builder
		for _, r := range s {
			switch {
			case r == '"':
				r = '\''
			case r == '\\':
				r = '/'
			case r == utf8.RuneError || !unicode.IsPrint(r):
				r = ' '
			}
			if b.Len()+utf8.RuneLen(r) > maxCommentBytes {
				break
			}
			b.WriteRune(r)
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("nftText: unknown kind %d", kind)
}

// ident joins name parts with '/', escaping each part after the first (the
// first is always one of the backend's own fixed words).
func ident(first string, parts ...string) string {
	var b strings.Builder
	b.WriteString(first)
	for _, p := range parts {
		enc, _ := nftText(textIdent, p) // textIdent never fails
		b.WriteByte('/')
		b.WriteString(enc)
	}
	return b.String()
}
