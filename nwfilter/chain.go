package nwfilter

import (
	"fmt"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// MaxChainSuffix is the longest allowed chain name after its protocol prefix.
const MaxChainSuffix = 12

var chainPrefixes = []struct {
	prefix   string
	kind     ir.ChainKind
	priority int
}{
	// Order matters only for readability: no prefix is a prefix of another
	// except "arp" of nothing and "ipv4"/"ipv6" of nothing.
	{"mac", ir.ChainMAC, -800},
	{"vlan", ir.ChainVLAN, -750},
	// libvirt documents -810 for stp but its default table has no entry, so
	// an stp chain without an explicit priority gets 0. We keep that.
	{"stp", ir.ChainSTP, 0},
	{"arp", ir.ChainARP, -500},
	{"rarp", ir.ChainRARP, -400},
	{"ipv4", ir.ChainIPv4, -700},
	{"ipv6", ir.ChainIPv6, -600},
}

// ParseChainName checks a filter's chain name and returns its kind: exactly
// "root", or a name starting with mac, vlan, stp, arp, rarp, ipv4 or ipv6
// whose whole suffix is at most 12 characters of [A-Za-z0-9_.:-].
func ParseChainName(name string) (ir.ChainKind, error) {
	if name == "root" {
		return ir.ChainRoot, nil
	}
	for _, p := range chainPrefixes {
		suffix, ok := strings.CutPrefix(name, p.prefix)
		if !ok {
			continue
		}
		if len(suffix) > MaxChainSuffix {
			return 0, fmt.Errorf("chain name %q: the part after %q is longer than %d characters", name, p.prefix, MaxChainSuffix)
		}
		for _, c := range suffix {
			if !isChainChar(c) {
				return 0, fmt.Errorf("chain name %q: character %q is not allowed (only A-Z a-z 0-9 _ . : -)", name, c)
			}
		}
		return p.kind, nil
	}
	return 0, fmt.Errorf("chain name %q: must be \"root\" or start with mac, vlan, stp, arp, rarp, ipv4 or ipv6", name)
}

func isChainChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == ':' || c == '-'
}

// DefaultChainPriority returns the priority a filter gets when it names a chain
// but no priority: mac -800, vlan -750, ipv4 -700, ipv6 -600, arp -500,
// rarp -400, root and stp 0. The name must be valid (see ParseChainName).
func DefaultChainPriority(name string) int {
	for _, p := range chainPrefixes {
		if strings.HasPrefix(name, p.prefix) {
			return p.priority
		}
	}
	return 0
}
