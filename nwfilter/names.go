package nwfilter

import (
	"errors"
	"fmt"
	"strings"
)

// MaxFilterNameLen is the longest filter name in bytes.
const MaxFilterNameLen = 255

// ValidateFilterName checks a filter name (a <filter name> or a <filterref
// filter>). libvirt's schema says NCName; we take the practical part of that:
// 1–255 bytes of A-Z a-z 0-9 _ . -, not starting with '.' or '-'. So names are
// safe as file names and in restore scripts.
func ValidateFilterName(name string) error {
	if name == "" || len(name) > MaxFilterNameLen {
		return fmt.Errorf("filter name %q: must be 1–%d characters", truncate(name), MaxFilterNameLen)
	}
	if name[0] == '.' || name[0] == '-' {
		return fmt.Errorf("filter name %q: must not start with %q", truncate(name), name[0])
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return fmt.Errorf("filter name %q: character %q is not allowed (only A-Z a-z 0-9 _ . -)", truncate(name), rune(c))
		}
	}
	return nil
}

// MaxIfNameLen is the longest Linux interface name (IFNAMSIZ - 1).
const MaxIfNameLen = 15

// ValidateIfName checks a Linux interface name as the kernel does: 1–15
// bytes, no '/', ':' or white space, not "." or "..".
func ValidateIfName(name string) error {
	switch {
	case name == "" || len(name) > MaxIfNameLen:
		return fmt.Errorf("interface name %q: must be 1–%d bytes", truncate(name), MaxIfNameLen)
	case name == "." || name == "..":
		return fmt.Errorf("interface name %q is reserved", name)
	case strings.ContainsAny(name, "/: \t\n\r\v\f"):
		return fmt.Errorf("interface name %q: must not contain '/', ':' or white space", name)
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 0x20 || name[i] >= 0x7f {
			return fmt.Errorf("interface name %q: only printable ASCII is allowed", name)
		}
	}
	return nil
}

var errUUID = errors.New("must be 32 hex digits, optionally as 8-4-4-4-12 with dashes")

// canonicalUUID checks a UUID, given as 32 hex digits with or without the
// usual dashes, and returns it in lower-case dashed form.
func canonicalUUID(s string) (string, error) {
	hex := s
	if len(s) == 36 {
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return "", fmt.Errorf("UUID %q: %w", truncate(s), errUUID)
		}
		hex = s[:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	}
	if len(hex) != 32 || !allDigits(hex, 16) {
		return "", fmt.Errorf("UUID %q: %w", truncate(s), errUUID)
	}
	hex = strings.ToLower(hex)
	return hex[:8] + "-" + hex[8:12] + "-" + hex[12:16] + "-" + hex[16:20] + "-" + hex[20:], nil
}

// truncate shortens s for an error message.
func truncate(s string) string {
	if len(s) > maxQuotedText {
		return s[:maxQuotedText] + "…"
	}
	return s
}
