package nwfilter

import "github.com/gonwfilter/gonwfilter/nwfilter/ir"

// Part says which part of an ir.Match (or of the rule) an attribute sets.
type Part uint8

// Parts.
const (
	// PartValue is the match's main value: an address, MAC, number or range start.
	PartValue Part = iota
	// PartMask is an address or MAC mask.
	PartMask
	// PartEnd is a range end (port end, -hi, typeend, …, ipto).
	PartEnd
	// PartSetFlags is ipsetflags.
	PartSetFlags
	// PartComment, PartState and PartConnlimit set rule-level properties and
	// have Field ir.FieldInvalid.
	PartComment
	PartState
	PartConnlimit
)

// AttrSpec describes one attribute a protocol element accepts.
type AttrSpec struct {
	// Name is the XML attribute name.
	Name string
	// Kind is the value type.
	Kind Kind
	// Field and Part say where the value goes in the rule graph.
	Field ir.Field
	Part  Part
}

func a(name string, k Kind, f ir.Field, p Part) AttrSpec {
	return AttrSpec{Name: name, Kind: k, Field: f, Part: p}
}

var (
	attrComment = a("comment", KindComment, ir.FieldInvalid, PartComment)

	attrsL2 = []AttrSpec{
		a("srcmacaddr", KindMAC, ir.FieldSrcMAC, PartValue),
		a("srcmacmask", KindMACMask, ir.FieldSrcMAC, PartMask),
		a("dstmacaddr", KindMAC, ir.FieldDstMAC, PartValue),
		a("dstmacmask", KindMACMask, ir.FieldDstMAC, PartMask),
	}

	attrsPorts = []AttrSpec{
		a("srcportstart", KindUint16, ir.FieldSrcPort, PartValue),
		a("srcportend", KindUint16, ir.FieldSrcPort, PartEnd),
		a("dstportstart", KindUint16, ir.FieldDstPort, PartValue),
		a("dstportend", KindUint16, ir.FieldDstPort, PartEnd),
	}
)

func join(groups ...[]AttrSpec) []AttrSpec {
	var out []AttrSpec
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// attrsIPCommon is the attribute group every IP-layer element shares, for
// addresses of kind addr/mask.
func attrsIPCommon(addr, mask Kind) []AttrSpec {
	return []AttrSpec{
		a("srcmacaddr", KindMAC, ir.FieldSrcMAC, PartValue),
		a("srcipaddr", addr, ir.FieldSrcIP, PartValue),
		a("srcipmask", mask, ir.FieldSrcIP, PartMask),
		a("dstipaddr", addr, ir.FieldDstIP, PartValue),
		a("dstipmask", mask, ir.FieldDstIP, PartMask),
		a("srcipfrom", addr, ir.FieldSrcIPRange, PartValue),
		a("srcipto", addr, ir.FieldSrcIPRange, PartEnd),
		a("dstipfrom", addr, ir.FieldDstIPRange, PartValue),
		a("dstipto", addr, ir.FieldDstIPRange, PartEnd),
		a("dscp", KindDSCP, ir.FieldDSCP, PartValue),
		a("connlimit-above", KindConnlimit, ir.FieldInvalid, PartConnlimit),
		a("state", KindState, ir.FieldInvalid, PartState),
		a("ipset", KindIPSetName, ir.FieldIPSet, PartValue),
		a("ipsetflags", KindIPSetFlags, ir.FieldIPSet, PartSetFlags),
	}
}

func attrsSTPRange(name string, k Kind, f ir.Field) []AttrSpec {
	return []AttrSpec{a(name, k, f, PartValue), a(name+"-hi", k, f, PartEnd)}
}

func attrsARP() []AttrSpec {
	return join(attrsL2, []AttrSpec{
		a("hwtype", KindUint16, ir.FieldARPHType, PartValue),
		a("protocoltype", KindUint16, ir.FieldARPPType, PartValue),
		a("opcode", KindARPOpcode, ir.FieldARPOpcode, PartValue),
		a("arpsrcmacaddr", KindMAC, ir.FieldARPSrcMAC, PartValue),
		a("arpdstmacaddr", KindMAC, ir.FieldARPDstMAC, PartValue),
		a("arpsrcipaddr", KindIPv4, ir.FieldARPSrcIP, PartValue),
		a("arpsrcipmask", KindIPv4Mask, ir.FieldARPSrcIP, PartMask),
		a("arpdstipaddr", KindIPv4, ir.FieldARPDstIP, PartValue),
		a("arpdstipmask", KindIPv4Mask, ir.FieldARPDstIP, PartMask),
		a("gratuitous", KindBool, ir.FieldARPGratuitous, PartValue),
		attrComment,
	})
}

func attrsL4(addr, mask Kind, extra ...AttrSpec) []AttrSpec {
	return join(attrsIPCommon(addr, mask), extra, []AttrSpec{attrComment})
}

var (
	attrsICMPTypeCode = []AttrSpec{
		a("type", KindUint8, ir.FieldICMPType, PartValue),
		a("code", KindUint8, ir.FieldICMPCode, PartValue),
	}
	attrsTCPExtra = []AttrSpec{
		a("option", KindUint8, ir.FieldTCPOption, PartValue),
		a("flags", KindTCPFlags, ir.FieldTCPFlags, PartValue),
	}
)

// attrTable lists, per protocol element, the attributes it accepts in the
// canonical order the writer uses.
var attrTable = map[ir.Protocol][]AttrSpec{
	ir.ProtoMAC: join(attrsL2, []AttrSpec{
		a("protocolid", KindEtherType, ir.FieldEtherType, PartValue),
		attrComment,
	}),
	ir.ProtoVLAN: join(attrsL2, []AttrSpec{
		a("vlanid", KindVLANID, ir.FieldVLANID, PartValue),
		a("encap-protocol", KindVLANEncap, ir.FieldVLANEncap, PartValue),
		attrComment,
	}),
	ir.ProtoSTP: join(
		attrsL2[:2],
		[]AttrSpec{
			a("type", KindUint8, ir.FieldSTPType, PartValue),
			a("flags", KindUint8, ir.FieldSTPFlags, PartValue),
		},
		attrsSTPRange("root-priority", KindUint16, ir.FieldSTPRootPriority),
		[]AttrSpec{
			a("root-address", KindMAC, ir.FieldSTPRootAddr, PartValue),
			a("root-address-mask", KindMACMask, ir.FieldSTPRootAddr, PartMask),
		},
		attrsSTPRange("root-cost", KindUint32, ir.FieldSTPRootCost),
		attrsSTPRange("sender-priority", KindUint16, ir.FieldSTPSenderPriority),
		[]AttrSpec{
			a("sender-address", KindMAC, ir.FieldSTPSenderAddr, PartValue),
			a("sender-address-mask", KindMACMask, ir.FieldSTPSenderAddr, PartMask),
		},
		attrsSTPRange("port", KindUint16, ir.FieldSTPPort),
		attrsSTPRange("age", KindUint16, ir.FieldSTPMsgAge),
		attrsSTPRange("max-age", KindUint16, ir.FieldSTPMaxAge),
		attrsSTPRange("hello-time", KindUint16, ir.FieldSTPHelloTime),
		attrsSTPRange("forward-delay", KindUint16, ir.FieldSTPForwardDelay),
		[]AttrSpec{attrComment},
	),
	ir.ProtoARP:  attrsARP(),
	ir.ProtoRARP: attrsARP(),
	ir.ProtoIP: join(attrsL2, []AttrSpec{
		a("srcipaddr", KindIPv4, ir.FieldSrcIP, PartValue),
		a("srcipmask", KindIPv4Mask, ir.FieldSrcIP, PartMask),
		a("dstipaddr", KindIPv4, ir.FieldDstIP, PartValue),
		a("dstipmask", KindIPv4Mask, ir.FieldDstIP, PartMask),
		a("protocol", KindIPProtocol, ir.FieldIPProto, PartValue),
	}, attrsPorts, []AttrSpec{
		a("dscp", KindDSCP, ir.FieldDSCP, PartValue),
		attrComment,
	}),
	ir.ProtoIPv6: join(attrsL2, []AttrSpec{
		a("srcipaddr", KindIPv6, ir.FieldSrcIP, PartValue),
		a("srcipmask", KindIPv6Mask, ir.FieldSrcIP, PartMask),
		a("dstipaddr", KindIPv6, ir.FieldDstIP, PartValue),
		a("dstipmask", KindIPv6Mask, ir.FieldDstIP, PartMask),
		a("protocol", KindIPProtocol, ir.FieldIPProto, PartValue),
	}, attrsPorts, []AttrSpec{
		a("type", KindUint8, ir.FieldICMPType, PartValue),
		a("typeend", KindUint8, ir.FieldICMPType, PartEnd),
		a("code", KindUint8, ir.FieldICMPCode, PartValue),
		a("codeend", KindUint8, ir.FieldICMPCode, PartEnd),
		attrComment,
	}),

	ir.ProtoTCP:     attrsL4(KindIPv4, KindIPv4Mask, join(attrsPorts, attrsTCPExtra)...),
	ir.ProtoUDP:     attrsL4(KindIPv4, KindIPv4Mask, attrsPorts...),
	ir.ProtoSCTP:    attrsL4(KindIPv4, KindIPv4Mask, attrsPorts...),
	ir.ProtoICMP:    attrsL4(KindIPv4, KindIPv4Mask, attrsICMPTypeCode...),
	ir.ProtoIGMP:    attrsL4(KindIPv4, KindIPv4Mask),
	ir.ProtoESP:     attrsL4(KindIPv4, KindIPv4Mask),
	ir.ProtoAH:      attrsL4(KindIPv4, KindIPv4Mask),
	ir.ProtoUDPLite: attrsL4(KindIPv4, KindIPv4Mask),
	ir.ProtoAll:     attrsL4(KindIPv4, KindIPv4Mask),

	// libvirt's C table lacks tcp-ipv6 flags although its schema and
	// documentation list them; we accept them. It also types dstipto as IPv4
	// on the -ipv6 elements; we type it IPv6.
	ir.ProtoTCPv6:     attrsL4(KindIPv6, KindIPv6Mask, join(attrsPorts, attrsTCPExtra)...),
	ir.ProtoUDPv6:     attrsL4(KindIPv6, KindIPv6Mask, attrsPorts...),
	ir.ProtoSCTPv6:    attrsL4(KindIPv6, KindIPv6Mask, attrsPorts...),
	ir.ProtoICMPv6:    attrsL4(KindIPv6, KindIPv6Mask, attrsICMPTypeCode...),
	ir.ProtoESPv6:     attrsL4(KindIPv6, KindIPv6Mask),
	ir.ProtoAHv6:      attrsL4(KindIPv6, KindIPv6Mask),
	ir.ProtoUDPLitev6: attrsL4(KindIPv6, KindIPv6Mask),
	ir.ProtoAllv6:     attrsL4(KindIPv6, KindIPv6Mask),
}

// AttrSpecs returns the attributes protocol element p accepts, in canonical
// order. The slice must not be modified.
func AttrSpecs(p ir.Protocol) []AttrSpec { return attrTable[p] }

// LookupAttr returns the spec of attribute name on protocol element p.
func LookupAttr(p ir.Protocol, name string) (AttrSpec, bool) {
	for _, s := range attrTable[p] {
		if s.Name == name {
			return s, true
		}
	}
	return AttrSpec{}, false
}

// ProtocolByElement returns the protocol of an element name such as "tcp-ipv6".
func ProtocolByElement(name string) (ir.Protocol, bool) {
	for p := ir.ProtoMAC; p <= ir.ProtoAllv6; p++ {
		if p.String() == name {
			return p, true
		}
	}
	return 0, false
}
