package xtables

import (
	"crypto/sha256"
	"encoding/binary"
)

// ruleLine is one rule of a chain, generation-neutral: its match arguments
// (already validated script words) and what it does.
type ruleLine struct {
	args []string
	// verdict is the target ("ACCEPT", "DROP", …) or "" for a rule without
	// one (a counter-only rule, used for nwfilter's continue on iptables).
	verdict string
	// jump, when > 0, makes the rule jump to chains[jump-1] of the same
	// binding instead of taking verdict.
	jump int
}

// chainBody is one per-binding chain before it is given a generation's name.
type chainBody struct {
	// side is the traffic an ebtables chain sees.
	side side
	// ip is which iptables chain this is (iptables and ip6tables only).
	ip ipChain
	// sub is the filter chain name of an ebtables sub-chain, "" for a root
	// chain; subIdx is its index in the graph's Ethernet chains.
	sub    string
	subIdx int
	rules  []ruleLine
}

// bindingRules is what one tool installs for one binding.
type bindingRules struct {
	port   string
	chains []chainBody
	// fp fingerprints chains; equal fingerprints mean equal rulesets.
	fp [32]byte
}

// empty reports whether the binding needs nothing from this tool.
func (r *bindingRules) empty() bool { return r == nil || len(r.chains) == 0 }

// fingerprint hashes the generation-neutral content of the chains.
func (r *bindingRules) fingerprint() {
	h := sha256.New()
	var n [8]byte
	word := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	for _, c := range r.chains {
		word(c.sub)
		word(string([]byte{byte(c.side), byte(c.ip)}))
		binary.LittleEndian.PutUint64(n[:], uint64(c.subIdx))
		h.Write(n[:])
		for _, l := range c.rules {
			for _, a := range l.args {
				word(a)
			}
			word(l.verdict)
			binary.LittleEndian.PutUint64(n[:], uint64(l.jump)+1<<40)
			h.Write(n[:])
		}
		word("\x00end")
	}
	copy(r.fp[:], h.Sum(nil))
}
