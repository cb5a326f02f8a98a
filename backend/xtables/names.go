package xtables

import (
	"fmt"
	"strconv"
)

// maxChainName is the longest chain name both ebtables-nft and iptables
// accept (XT_EXTENSION_MAXNAMELEN - 1; legacy ebtables would take 31).
const maxChainName = 28

// side is the traffic direction an ebtables chain sees, from the VM's view.
type side uint8

const (
	// sideFrom is frames sent by the VM (libvirt's I chains, PREROUTING -i).
	sideFrom side = iota
	// sideTo is frames sent to the VM (libvirt's O chains, POSTROUTING -o).
	sideTo
)

// ipChain is one of the three per-binding iptables chains.
type ipChain uint8

const (
	// chainFI holds traffic forwarded from the VM.
	chainFI ipChain = iota
	// chainFO holds traffic forwarded to the VM.
	chainFO
	// chainHI holds traffic from the VM to the host.
	chainHI
)

// baseChain is one of the four shared iptables chains.
type baseChain uint8

const (
	baseIn baseChain = iota
	baseOut
	baseInPost
	baseHostIn
)

var baseChains = []baseChain{baseIn, baseOut, baseInPost, baseHostIn}

// namer builds every chain name. Two generations (0 and 1) of per-binding
// chains alternate, so a new ruleset can be built beside the one in force
// and switched to in one transaction. Generation 0 uses libvirt's final
// letters (I, O, FI, FO, HI), generation 1 libvirt's temporary ones (J, P,
// FJ, FP, HJ).
type namer struct {
	// libvirt selects libvirt's exact names; otherwise names carry our prefix.
	libvirt bool
}

const projectPrefix = "gnwf"

var (
	ebLetters = [2][]string{{"I", "O"}, {"J", "P"}}                 // [gen][side]
	ipLetters = [2][]string{{"FI", "FO", "HI"}, {"FJ", "FP", "HJ"}} // [gen][ipChain]
	baseNames = [...]string{baseIn: "in", baseOut: "out", baseInPost: "in-post", baseHostIn: "host-in"}
)

func (n namer) prefix() string {
	if n.libvirt {
		return "libvirt"
	}
	return projectPrefix
}

// ebRoot names a binding's ebtables root chain: libvirt-I-vnet0 or gnwf-I-vnet0.
func (n namer) ebRoot(s side, gen uint8, port string) string {
	return n.prefix() + "-" + ebLetters[gen][s] + "-" + port
}

// ebSub names a binding's ebtables sub-chain for the filter chain name
// (the graph's chain at index idx). libvirt: I-vnet0-arp-mac, which must fit
// 28 characters or the binding is refused (libvirt fails too). Ours: the
// root chain's name, ':' and the filter chain name (gnwf-I-vnet0:arp-mac) —
// ':' cannot occur in a port device, so names of different ports never
// collide — or the chain's index (gnwf-I-vnet0:3) when the name would be too
// long. Sharing the root chain's name keeps a binding's chains together in
// sorted order, which keeps the restore tools' chain list walks short (see
// txn).
func (n namer) ebSub(s side, gen uint8, port, chain string, idx int) (string, error) {
	if n.libvirt {
		name := ebLetters[gen][s] + "-" + port + "-" + chain
		if len(name) > maxChainName {
			return "", fmt.Errorf("ebtables chain name %q is longer than %d characters (port device plus filter chain name too long for libvirt's naming)", name, maxChainName)
		}
		return name, nil
	}
	root := n.ebRoot(s, gen, port)
	name := root + ":" + chain
	if len(name) > maxChainName {
		name = root + ":" + strconv.Itoa(idx)
	}
	if len(name) > maxChainName {
		return "", fmt.Errorf("ebtables chain name %q is longer than %d characters", name, maxChainName)
	}
	return name, nil
}

// ip names a binding's iptables chain: FI-vnet0 or gnwf-FI-vnet0.
func (n namer) ip(c ipChain, gen uint8, port string) string {
	name := ipLetters[gen][c] + "-" + port
	if n.libvirt {
		return name
	}
	return projectPrefix + "-" + name
}

// base names a shared iptables chain: libvirt-in or gnwf-in.
func (n namer) base(b baseChain) string { return n.prefix() + "-" + baseNames[b] }
