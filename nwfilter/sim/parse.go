package sim

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// FarMAC is the MAC address ParsePacket gives the side of a frame that is not
// the VM (the source of frames to the VM, the destination of frames from it)
// when smac or dmac is not given: a locally administered unicast address.
var FarMAC = ir.MAC{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}

// ParseError is a bad packet description. Key names the offending key.
type ParseError struct {
	// Key is the key whose value is bad (or the bad key itself).
	Key string
	// Err says what is wrong.
	Err error
}

// Error names the packet key and says what is wrong with its value.
func (e *ParseError) Error() string { return fmt.Sprintf("packet key %q: %v", e.Key, e.Err) }

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

func keyErr(key, format string, args ...any) error {
	return &ParseError{Key: key, Err: fmt.Errorf(format, args...)}
}

// frameKind groups frames by the keys that apply to them.
type frameKind uint8

const (
	frameOther frameKind = iota
	frameIP
	frameARP
	frameSTP
)

var frameKindNames = [...]string{frameOther: "non-IP", frameIP: "IPv4/IPv6", frameARP: "ARP/RARP", frameSTP: "STP"}

// keyKinds lists every key and the frame kinds it applies to (none: all).
var keyKinds = map[string][]frameKind{
	"dir": nil, "eth": nil, "smac": nil, "dmac": nil, "vlan": nil,
	"src": {frameIP, frameARP}, "dst": {frameIP, frameARP},
	"proto": {frameIP}, "sport": {frameIP}, "dport": {frameIP}, "type": {frameIP}, "code": {frameIP},
	"flags": {frameIP}, "tcpopt": {frameIP}, "dscp": {frameIP}, "state": {frameIP}, "ctdir": {frameIP},
	"tohost": {frameIP}, "conncount": {frameIP}, "ipset": {frameIP},
	"arpop": {frameARP}, "arpsmac": {frameARP}, "arpdmac": {frameARP}, "arphtype": {frameARP}, "arpptype": {frameARP},
	"stp-type": {frameSTP}, "stp-flags": {frameSTP}, "stp-root-priority": {frameSTP}, "stp-root-addr": {frameSTP},
	"stp-root-cost": {frameSTP}, "stp-sender-priority": {frameSTP}, "stp-sender-addr": {frameSTP},
	"stp-port": {frameSTP}, "stp-msg-age": {frameSTP}, "stp-max-age": {frameSTP},
	"stp-hello-time": {frameSTP}, "stp-forward-delay": {frameSTP},
}

// ParsePacket parses a packet description: space-separated key=value pairs.
// Values are written as in the filter language (numbers decimal or 0x hex,
// names case-insensitive, see nwfilter.ParseLiteral). b supplies the VM's MAC
// address. Keys:
//
//	dir        in|out (required; in = towards the VM)
//	eth        stp, an ether type name (ipv4, ipv6, arp, rarp, vlan) or a
//	           number 0–65535 (below 0x600: an 802.3 length); default from
//	           the family of src/dst
//	smac dmac  Ethernet addresses; default: the binding's MAC on the VM
//	           side, FarMAC on the other (stp: dmac 01:80:c2:00:00:00)
//	vlan       VLAN id 0–4095: the frame is 802.1Q-tagged and eth names
//	           the encapsulated type (eth=vlan alone: tagged, VLAN 0,
//	           payload type from src/dst)
//	src dst    IP addresses (required for IP and ARP frames); for ARP and
//	           RARP the sender and target protocol addresses
//	proto      IP protocol name (tcp, udp, udplite, sctp, icmp, icmpv6,
//	           igmp, esp, ah) or number (required for IP packets)
//	sport dport  ports (tcp, udp, udplite, sctp, dccp; default 0)
//	type code  ICMP type and code (default: echo request, code 0)
//	flags      TCP flags: comma list of SYN, ACK, FIN, RST, PSH, URG, or
//	           ALL or NONE (default SYN for state new, ACK otherwise)
//	tcpopt     comma list of the TCP option kinds present
//	dscp       0–63 (default 0)
//	state      new|established|related|invalid (default new)
//	ctdir      original|reply (default original for new, else reply); only
//	           looked at with Options.ConntrackDirection
//	tohost     boolean: a packet from the VM addressed to the host
//	conncount  connections connlimit counts for the source (default unknown)
//	ipset      comma list of set names that contain both src and dst
//	arpop      ARP opcode name (Request, Reply, Request_Reverse, …) or
//	           number (default Request for arp, Request_Reverse for rarp)
//	arpsmac arpdmac  ARP sender/target hardware address (default smac/dmac)
//	arphtype arpptype  ARP hardware/protocol type (default 1 / 0x0800)
//	stp-type stp-flags stp-root-priority stp-root-addr stp-root-cost
//	stp-sender-priority stp-sender-addr stp-port stp-msg-age stp-max-age
//	stp-hello-time stp-forward-delay   BPDU fields (eth=stp; default 0)
//
// Unknown, repeated or inapplicable keys and bad values are *ParseError
// errors naming the key.
func ParsePacket(spec string, b ir.Binding) (Packet, error) {
	kv := map[string]string{}
	for _, tok := range strings.Fields(spec) {
		k, v, ok := strings.Cut(tok, "=")
		if !ok {
			return Packet{}, keyErr(clip(tok), "expected key=value")
		}
		if _, known := keyKinds[k]; !known {
			return Packet{}, keyErr(clip(k), "unknown key")
		}
		if len(v) > maxValueLen {
			return Packet{}, keyErr(k, "value longer than %d bytes", maxValueLen)
		}
		if _, dup := kv[k]; dup {
			return Packet{}, keyErr(k, "given twice")
		}
		if v == "" {
			return Packet{}, keyErr(k, "empty value")
		}
		kv[k] = v
	}
	ps := &packetParser{kv: kv, bind: b}
	return ps.parse()
}

// packetParser turns the checked key/value pairs into a Packet.
type packetParser struct {
	kv   map[string]string
	bind ir.Binding
	p    Packet
}

func (ps *packetParser) parse() (Packet, error) {
	p := &ps.p
	steps := []func() error{ps.dir, ps.frame, ps.macs, ps.applicable}
	for _, step := range steps {
		if err := step(); err != nil {
			return Packet{}, err
		}
	}
	p.State = ir.StateNew
	var err error
	switch ps.kind() {
	case frameIP:
		err = ps.ipFields()
	case frameARP:
		err = ps.arpFields()
	case frameSTP:
		err = ps.stpFields()
	}
	if err != nil {
		return Packet{}, err
	}
	return *p, nil
}

func (ps *packetParser) dir() error {
	switch v := ps.kv["dir"]; v {
	case "in":
		ps.p.Dir = ir.DirIn
	case "out":
		ps.p.Dir = ir.DirOut
	case "":
		return keyErr("dir", "required (in: towards the VM, out: from the VM)")
	default:
		return keyErr("dir", "%q is not in or out", v)
	}
	return nil
}

// frame sets the ether type, the VLAN tag and the IP/ARP addresses.
func (ps *packetParser) frame() error {
	p := &ps.p
	for _, k := range []string{"src", "dst"} {
		if v, ok := ps.kv[k]; ok {
			a, err := netip.ParseAddr(v)
			if err != nil || a.Zone() != "" {
				return keyErr(k, "%q is not an IP address", v)
			}
			if k == "src" {
				p.Src = a
			} else {
				p.Dst = a
			}
		}
	}
	if p.Src.IsValid() && p.Dst.IsValid() && p.Src.Is4() != p.Dst.Is4() {
		return keyErr("dst", "%s and src %s are of different families", p.Dst, p.Src)
	}
	family := uint16(0)
	if a := p.Src; a.IsValid() || p.Dst.IsValid() {
		if !a.IsValid() {
			a = p.Dst
		}
		family = EtherIPv6
		if a.Is4() {
			family = EtherIPv4
		}
	}

	if v, given := ps.kv["eth"]; !given {
		if family == 0 {
			return keyErr("eth", "required when neither src nor dst is given")
		}
		p.EtherType = family
	} else if err := ps.etherType(v); err != nil {
		return err
	}
	if p.EtherType == EtherVLAN {
		p.Tagged, p.EtherType = true, family
	}
	if _, ok := ps.kv["vlan"]; ok {
		p.Tagged = true
	}
	return ps.number("vlan", nwfilter.KindVLANID, func(n uint32) { p.VLANID = uint16(n) })
}

// etherType parses eth: stp, a name or number of the filter language's ether
// type kind, or a smaller number (an 802.3 length).
func (ps *packetParser) etherType(v string) error {
	if v == "stp" {
		ps.p.EtherType = EtherBPDULength
		return nil
	}
	l, err := nwfilter.ParseLiteral(nwfilter.KindEtherType, v)
	if err != nil {
		if n, err16 := nwfilter.ParseLiteral(nwfilter.KindUint16, v); err16 == nil {
			l, err = n, nil
		}
	}
	if err != nil {
		return keyErr("eth", "%q is not stp, ipv4, ipv6, arp, rarp, vlan or a number 0–65535", v)
	}
	ps.p.EtherType = uint16(l.Num)
	return nil
}

func (ps *packetParser) kind() frameKind {
	switch t := ps.p.EtherType; {
	case t == EtherIPv4 || t == EtherIPv6:
		return frameIP
	case t == EtherARP || t == EtherRARP:
		return frameARP
	case ps.kv["eth"] == "stp":
		return frameSTP
	}
	return frameOther
}

// applicable rejects keys that do not apply to the frame's kind.
func (ps *packetParser) applicable() error {
	kind := ps.kind()
	for _, k := range sortedKeys(ps.kv) {
		if kinds := keyKinds[k]; kinds != nil && !slices.Contains(kinds, kind) {
			return keyErr(k, "does not apply to %s frames (ether type 0x%04x)", frameKindNames[kind], ps.p.EtherType)
		}
	}
	if kind == frameIP || kind == frameARP {
		if !ps.p.Src.IsValid() {
			return keyErr("src", "required for %s frames", frameKindNames[kind])
		}
		if !ps.p.Dst.IsValid() {
			return keyErr("dst", "required for %s frames", frameKindNames[kind])
		}
		wantV4 := ps.p.EtherType != EtherIPv6
		if ps.p.Src.Is4() != wantV4 {
			return keyErr("src", "%s does not fit ether type 0x%04x", ps.p.Src, ps.p.EtherType)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// macs sets the Ethernet addresses and their defaults.
func (ps *packetParser) macs() error {
	p := &ps.p
	vm, far := &p.SrcMAC, &p.DstMAC
	if p.Dir == ir.DirIn {
		vm, far = far, vm
	}
	*vm, *far = ps.bind.MAC, FarMAC
	if ps.kind() == frameSTP {
		p.DstMAC = ir.STPMAC
	}
	return firstErr(ps.mac("smac", &p.SrcMAC), ps.mac("dmac", &p.DstMAC))
}

// literal parses key as a literal of kind k, if given.
func (ps *packetParser) literal(key string, k nwfilter.Kind, set func(nwfilter.Literal)) error {
	v, ok := ps.kv[key]
	if !ok {
		return nil
	}
	l, err := nwfilter.ParseLiteral(k, v)
	if err != nil {
		return &ParseError{Key: key, Err: err}
	}
	set(l)
	return nil
}

// mac parses key into dst if given.
func (ps *packetParser) mac(key string, dst *ir.MAC) error {
	return ps.literal(key, nwfilter.KindMAC, func(l nwfilter.Literal) { *dst = l.MAC })
}

// number parses key as a number of kind k, if given.
func (ps *packetParser) number(key string, k nwfilter.Kind, set func(uint32)) error {
	return ps.literal(key, k, func(l nwfilter.Literal) { set(l.Num) })
}

// maxValueLen bounds a value; no valid value is longer.
const maxValueLen = 256

// clip shortens s to about 32 bytes for an error message, at a rune start.
func clip(s string) string {
	for i := range s {
		if i >= 32 {
			return s[:i] + "…"
		}
	}
	return s
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
