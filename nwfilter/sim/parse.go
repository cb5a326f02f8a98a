package sim

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// FarMAC is the MAC address ParsePacket gives the side of a frame that is not
// the VM (the source of frames to the VM, the destination of frames from it)
// when smac or dmac is not given: a locally administered unicast address.
var FarMAC = ir.MAC{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}

// ParseError is a bad packet description. Key names the offending key.
type ParseError struct {
	Key string
	Err error
}

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
// b supplies the VM's MAC address. Keys:
//
//	dir        in|out (required; in = towards the VM)
//	eth        ipv4|ipv6|arp|rarp|vlan|stp or a number (0x… or decimal);
//	           default from the family of src/dst
//	smac dmac  Ethernet addresses; default: the binding's MAC on the VM
//	           side, FarMAC on the other (stp: dmac 01:80:c2:00:00:00)
//	vlan       VLAN id 0–4095: the frame is 802.1Q-tagged and eth names
//	           the encapsulated type (eth=vlan alone: tagged, VLAN 0)
//	src dst    IP addresses (required for IP and ARP frames); for ARP and
//	           RARP the sender and target protocol addresses
//	proto      tcp|udp|udplite|sctp|dccp|icmp|icmpv6|igmp|esp|ah or 0–255
//	           (required for IP packets)
//	sport dport  ports (tcp, udp, udplite, sctp, dccp; default 0)
//	type code  ICMP type and code (default: echo request, code 0)
//	flags      TCP flags, comma list of SYN,ACK,FIN,RST,PSH,URG or NONE
//	           (default SYN for state new, ACK otherwise)
//	tcpopt     comma list of TCP option kinds present
//	dscp       0–63 (default 0)
//	state      new|established|related|invalid (default new)
//	ctdir      original|reply (default original for new, else reply)
//	tohost     0|1: a packet from the VM addressed to the host (default 0)
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
			return Packet{}, keyErr(tok, "expected key=value")
		}
		if _, known := keyKinds[k]; !known {
			return Packet{}, keyErr(k, "unknown key")
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

var etherNames = map[string]uint16{
	"ipv4": EtherIPv4, "ipv6": EtherIPv6, "arp": EtherARP, "rarp": EtherRARP, "vlan": EtherVLAN, "stp": EtherBPDULength,
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

	v, given := ps.kv["eth"]
	switch t, named := etherNames[v]; {
	case !given:
		if family == 0 {
			return keyErr("eth", "required when neither src nor dst is given")
		}
		p.EtherType = family
	case named:
		p.EtherType = t
	default:
		n, err := parseUint(v, 16)
		if err != nil {
			return keyErr("eth", "%q is not an ether type name or a 16-bit number", v)
		}
		p.EtherType = uint16(n)
	}
	if p.EtherType == EtherVLAN {
		p.Tagged, p.EtherType = true, family
	}
	if v, ok := ps.kv["vlan"]; ok {
		n, err := parseUint(v, 16)
		if err != nil || n > 4095 {
			return keyErr("vlan", "%q is not a VLAN id 0–4095", v)
		}
		p.Tagged, p.VLANID = true, uint16(n)
	}
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

// mac parses key into dst if given.
func (ps *packetParser) mac(key string, dst *ir.MAC) error {
	v, ok := ps.kv[key]
	if !ok {
		return nil
	}
	hw, err := net.ParseMAC(v)
	if err != nil || len(hw) != len(dst) {
		return keyErr(key, "%q is not a MAC address", v)
	}
	copy(dst[:], hw)
	return nil
}

// parseUint parses a decimal or 0x-hexadecimal number of at most bits bits.
func parseUint(v string, bits int) (uint64, error) {
	base := 10
	if h, ok := strings.CutPrefix(strings.ToLower(v), "0x"); ok {
		v, base = h, 16
	}
	if v == "" || strings.ContainsAny(v, "+-_") {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseUint(v, base, bits)
}

// number parses key as a number of at most bits bits, if given.
func (ps *packetParser) number(key string, bits int, dst func(uint64)) error {
	v, ok := ps.kv[key]
	if !ok {
		return nil
	}
	n, err := parseUint(v, bits)
	if err != nil {
		return keyErr(key, "%q is not a %d-bit number", v, bits)
	}
	dst(n)
	return nil
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
