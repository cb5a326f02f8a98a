package nftables

import (
	"fmt"
	"log/slog"
	"math/bits"

	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/backend"
)

// ConntrackPath says how stateful IP-layer rules reach connection tracking.
type ConntrackPath uint8

const (
	// ConntrackAuto probes the kernel in New: bridge-family conntrack when
	// nf_conntrack_bridge works, else the br_netfilter path.
	ConntrackAuto ConntrackPath = iota
	// ConntrackBridge keeps every rule in the bridge table; IP-layer chains hang
	// off the bridge forward and input hooks and dispatch on the port device.
	// It needs nf_conntrack_bridge.
	ConntrackBridge
	// ConntrackBrNetfilter puts IP-layer chains in an inet table. br_netfilter
	// passes bridged IP traffic through the inet forward and input hooks, where
	// iifname and oifname name the bridge, not the port, so the bridge table
	// writes the input and output port ids into a packet-mark field that the
	// inet chains dispatch on (see MarkMask).
	ConntrackBrNetfilter
)

var conntrackPathNames = [...]string{"auto", "bridge", "br_netfilter"}

// String returns "auto", "bridge" or "br_netfilter".
func (p ConntrackPath) String() string {
	if int(p) < len(conntrackPathNames) {
		return conntrackPathNames[p]
	}
	return fmt.Sprintf("conntrackpath(%d)", p)
}

// DefaultTable is the name of the tables the backend owns when Options.Table
// is empty: "bridge gonwfilter" and, on the br_netfilter path, "inet gonwfilter".
const DefaultTable = "gonwfilter"

// DefaultMarkMask is the packet-mark field used on the br_netfilter path when
// Options.MarkMask is zero: bits 4–29, that is 13 bits of input-port id and
// 13 bits of output-port id (8191 bindings).
const DefaultMarkMask uint32 = 0x3ffffff0

// DefaultConnlimitSetSize bounds the per-rule source-address sets that count
// connections for connlimit-above.
const DefaultConnlimitSetSize = 65535

// Options configure a Backend.
type Options struct {
	// NFT runs nft transactions. It must have no default family and table
	// (knftables.New("", "") or knftables.NewFake("", "")): the backend spans
	// a bridge and an inet table. nil (the default, and the fast choice)
	// means the backend sends scripts itself, through Transport, folded so
	// that nft 1.0.x need not read every chain in the namespace before
	// adding a binding (see "Speed" in the package documentation); it still
	// uses knftables.New("", "") to check and list. When NFT is given,
	// transactions go through it as knftables writes them.
	NFT knftables.Interface
	// Transport selects how scripts reach the kernel when NFT is nil: the
	// nft program (the default) or, experimentally, libnftables.
	Transport Transport
	// TableNFT returns an Interface bound to one of the backend's tables
	// (family and Table), used only to list that table, once, when a Backend
	// adopts what an earlier process installed (see "Adoption" in the package
	// documentation). nil means a read-only view of NFT's tables when NFT is
	// a *knftables.Fake, else knftables.New(family, table).
	TableNFT func(family knftables.Family, table string) (knftables.Interface, error)
	// Table names the tables the backend owns (default DefaultTable). It must
	// be a plain nft identifier. Never share it with anything else: a Backend
	// adopts what it finds there, and replaces it wholesale when it cannot.
	Table string
	// Conntrack selects the conntrack path; ConntrackAuto probes.
	Conntrack ConntrackPath
	// MarkMask is the packet-mark field the br_netfilter path owns: one
	// contiguous run of an even number of bits; the lower half carries the
	// input-port id, the upper half the output-port id. Zero means
	// DefaultMarkMask. Other mark bits are preserved.
	MarkMask uint32
	// ConntrackDirection adds libvirt's older "ct direction original|reply"
	// match to the default state matches of in and out accept rules, so a
	// rule letting the VM open connections matches only connections it
	// opened. Off by default, like current libvirt and the xtables backend.
	ConntrackDirection bool
	// ConnlimitSetSize bounds each connlimit-above counting set (default
	// DefaultConnlimitSetSize source addresses).
	ConnlimitSetSize uint32
	// IPSets reads kernel ipsets that rules reference but SetMembers never
	// defined. nil means netlink in the calling thread's network namespace.
	IPSets IPSetReader
	// Exec runs nft (see NFT) and "nft --version" for Probe (default
	// backend.OSExec).
	Exec backend.Execer
	// Logger receives debug and warning messages (default slog.Default()).
	Logger *slog.Logger
}

// markField is the split of Options.MarkMask into the two port-id fields.
type markField struct {
	mask    uint32 // whole field
	inShift uint   // lowest bit of the input-port id
	width   uint   // bits per id
}

func newMarkField(mask uint32) (markField, error) {
	if mask == 0 {
		mask = DefaultMarkMask
	}
	shift := uint(bits.TrailingZeros32(mask))
	n := uint(bits.OnesCount32(mask))
	if mask>>shift != 1<<n-1 {
		return markField{}, fmt.Errorf("mark mask 0x%08x: %w: bits must be contiguous", mask, ErrInvalidOption)
	}
	if n < 2 || n%2 != 0 {
		return markField{}, fmt.Errorf("mark mask 0x%08x: %w: need an even number of bits (two port ids)", mask, ErrInvalidOption)
	}
	return markField{mask: mask, inShift: shift, width: n / 2}, nil
}

// maxID is the largest port id the field holds.
func (m markField) maxID() uint32 { return 1<<m.width - 1 }

// inMask and outMask select the input- and output-port id fields.
func (m markField) inMask() uint32  { return m.maxID() << m.inShift }
func (m markField) outMask() uint32 { return m.maxID() << (m.inShift + m.width) }

// inValue and outValue place id in its field.
func (m markField) inValue(id uint32) uint32  { return id << m.inShift }
func (m markField) outValue(id uint32) uint32 { return id << (m.inShift + m.width) }
