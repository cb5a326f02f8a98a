package nwfilter

import (
	"fmt"
	"strconv"
)

// Reserved variable names with a meaning of their own.
const (
	VarMAC            = "MAC"
	VarIP             = "IP"
	VarIPv6           = "IPV6"
	VarDHCPServer     = "DHCPSERVER"
	VarDHCPServerV6   = "DHCPSERVERV6"
	VarCtrlIPLearning = "CTRL_IP_LEARNING"
)

// MaxIterator is the largest iterator id in $NAME[@N].
const MaxIterator = 1000

// ValidVarName reports whether s is a valid variable name ([A-Za-z0-9_]+).
func ValidVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ValidVarValue reports whether s is a valid variable value ([A-Za-z0-9_.:]+).
func ValidVarValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// String returns the reference as written: $NAME, $NAME[N] or $NAME[@N].
func (r VarRef) String() string {
	switch {
	case r.HasIndex:
		return "$" + r.Name + "[" + strconv.Itoa(r.Index) + "]"
	case r.Iterator != 0:
		return "$" + r.Name + "[@" + strconv.Itoa(r.Iterator) + "]"
	}
	return "$" + r.Name
}

// ParseVarRef parses a variable reference such as $IP, $IP[2] or $IP[@1].
func ParseVarRef(s string) (VarRef, error) {
	if len(s) < 2 || s[0] != '$' {
		return VarRef{}, fmt.Errorf("variable reference %q: must be $NAME, $NAME[N] or $NAME[@N]", s)
	}
	body := s[1:]
	name, rest := body, ""
	for i := 0; i < len(body); i++ {
		if body[i] == '[' {
			name, rest = body[:i], body[i:]
			break
		}
	}
	if !ValidVarName(name) {
		return VarRef{}, fmt.Errorf("variable reference %q: name must be letters, digits and _", s)
	}
	ref := VarRef{Name: name}
	if rest == "" {
		return ref, nil
	}
	if len(rest) < 3 || rest[len(rest)-1] != ']' {
		return VarRef{}, fmt.Errorf("variable reference %q: unterminated [", s)
	}
	inner := rest[1 : len(rest)-1]
	iter := inner != "" && inner[0] == '@'
	if iter {
		inner = inner[1:]
	}
	if inner == "" || len(inner) > 5 {
		return VarRef{}, fmt.Errorf("variable reference %q: bad index", s)
	}
	n, err := strconv.Atoi(inner)
	if err != nil || n < 0 || inner[0] == '+' {
		return VarRef{}, fmt.Errorf("variable reference %q: index must be a non-negative decimal number", s)
	}
	if iter {
		if n > MaxIterator {
			return VarRef{}, fmt.Errorf("variable reference %q: iterator id above %d", s, MaxIterator)
		}
		ref.Iterator = n
	} else {
		ref.Index, ref.HasIndex = n, true
	}
	return ref, nil
}
