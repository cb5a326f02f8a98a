package nwfilter

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// literalCase is one ParseLiteral input; want is the canonical text, "" for
// an invalid input.
type literalCase struct {
	kind Kind
	in   string
	want string
}

var literalCases = []literalCase{
	// Unsigned numbers: decimal first, then 0x hex, range-checked.
	{KindUint8, "0", "0"},
	{KindUint8, "255", "255"},
	{KindUint8, "256", ""},
	{KindUint8, "0xff", "0xff"},
	{KindUint8, "0XFF", "0xff"},
	{KindUint8, "0x0ff", "0xff"},
	{KindUint8, "0x100", ""},
	{KindUint8, "007", "7"},
	{KindUint8, "ff", ""},
	{KindUint8, "0x", ""},
	{KindUint8, "-1", ""},
	{KindUint8, "+1", ""},
	{KindUint8, " 1", ""},
	{KindUint8, "", ""},
	{KindUint16, "65535", "65535"},
	{KindUint16, "65536", ""},
	{KindUint16, "0xffff", "0xffff"},
	{KindUint16, "0x10000", ""},
	{KindUint32, "4294967295", "4294967295"},
	{KindUint32, "4294967296", ""},
	{KindUint32, "0xFFFFFFFF", "0xffffffff"},
	{KindUint32, "0x100000000", ""},
	{KindUint32, "99999999999999999999999", ""},

	// MACs: 1–2 hex digits per octet, printed lower-case with 2 digits.
	{KindMAC, "52:54:00:AB:cd:ef", "52:54:00:ab:cd:ef"},
	{KindMAC, "1:2:3:a:b:c", "01:02:03:0a:0b:0c"},
	{KindMAC, "001:2:3:4:5:6", ""},
	{KindMAC, "1:2:3:4:5", ""},
	{KindMAC, "1:2:3:4:5:6:7", ""},
	{KindMAC, "1:2:3:4:5:", ""},
	{KindMAC, "01-02-03-04-05-06", ""},
	{KindMAC, "g:2:3:4:5:6", ""},
	{KindMACMask, "ff:ff:ff:00:00:00", "ff:ff:ff:00:00:00"},
	{KindMACMask, "FF:FE:0:0:0:0", "ff:fe:00:00:00:00"},
	{KindMACMask, "0:0:0:0:0:0", "00:00:00:00:00:00"},
	{KindMACMask, "ff:ff:ff:ff:ff:ff", "ff:ff:ff:ff:ff:ff"},
	{KindMACMask, "ff:ff:00:ff:00:00", ""},
	{KindMACMask, "0f:00:00:00:00:00", ""},
	{KindMACMask, "ff:fd:00:00:00:00", ""},

	// Addresses: canonical text, family checked, no zones.
	{KindIPv4, "10.1.2.3", "10.1.2.3"},
	{KindIPv4, "10.1.2.256", ""},
	{KindIPv4, "010.1.2.3", ""},
	{KindIPv4, "10.1.2", ""},
	{KindIPv4, "::1", ""},
	{KindIPv6, "2001:DB8:0::1", "2001:db8::1"},
	{KindIPv6, "::", "::"},
	{KindIPv6, "::ffff:1.2.3.4", "::ffff:1.2.3.4"},
	{KindIPv6, "fe80::1%eth0", ""},
	{KindIPv6, "1.2.3.4", ""},
	{KindIPv6, "2001:db8::g", ""},

	// Masks: a prefix length or a contiguous netmask, printed as the length.
	{KindIPv4Mask, "0", "0"},
	{KindIPv4Mask, "32", "32"},
	{KindIPv4Mask, "33", ""},
	{KindIPv4Mask, "255.255.255.0", "24"},
	{KindIPv4Mask, "255.255.254.0", "23"},
	{KindIPv4Mask, "255.255.255.255", "32"},
	{KindIPv4Mask, "0.0.0.0", "0"},
	{KindIPv4Mask, "255.255.0.255", ""},
	{KindIPv4Mask, "255.255.253.0", ""},
	{KindIPv4Mask, "-1", ""},
	{KindIPv4Mask, "1234", ""},
	{KindIPv4Mask, "ffff::", ""},
	{KindIPv6Mask, "128", "128"},
	{KindIPv6Mask, "129", ""},
	{KindIPv6Mask, "64", "64"},
	{KindIPv6Mask, "ffff:ffff:ffff:ffff::", "64"},
	{KindIPv6Mask, "ffff:fff0::", "28"},
	{KindIPv6Mask, "ffff::ffff", ""},
	{KindIPv6Mask, "255.255.255.0", ""},

	// Booleans: libvirt's true words, the matching false words, nothing else.
	{KindBool, "true", "true"},
	{KindBool, "1", "true"},
	{KindBool, "yes", "true"},
	{KindBool, "false", "false"},
	{KindBool, "0", "false"},
	{KindBool, "no", "false"},
	{KindBool, "maybe", ""},
	{KindBool, "", ""},

	// Comments: up to 256 bytes of printable text.
	{KindComment, "allow ssh & <friends>", "allow ssh & <friends>"},
	{KindComment, "", ""},
	{KindComment, strings.Repeat("é", 128), strings.Repeat("é", 128)},
	{KindComment, strings.Repeat("x", 257), ""},
	{KindComment, "two\nlines", ""},
	{KindComment, "bad \xff utf8", ""},
	{KindComment, "$NOT_A_VAR", "$NOT_A_VAR"},

	// States: case-insensitive, canonical order, NONE overrides.
	{KindState, "NEW", "NEW"},
	{KindState, "established,new", "NEW,ESTABLISHED"},
	{KindState, "RELATED,INVALID", "RELATED,INVALID"},
	{KindState, "NEW,NONE", "NONE"},
	{KindState, "none", "NONE"},
	{KindState, "NEW,", ""},
	{KindState, "", ""},
	{KindState, "NEW,FOO", ""},

	// TCP flags: MASK/FLAGS, ALL and NONE collapse.
	{KindTCPFlags, "SYN,ACK/SYN", "SYN,ACK/SYN"},
	{KindTCPFlags, "ack,syn/ack", "SYN,ACK/ACK"},
	{KindTCPFlags, "ALL/NONE", "ALL/NONE"},
	{KindTCPFlags, "NONE/NONE", "NONE/NONE"},
	{KindTCPFlags, "all/syn,fin", "ALL/SYN,FIN"},
	{KindTCPFlags, "SYN,ACK,URG,PSH,FIN,RST/RST", "ALL/RST"},
	{KindTCPFlags, "SYN/ACK", ""},
	{KindTCPFlags, "SYN", ""},
	{KindTCPFlags, "SYN/SYN/SYN", ""},
	{KindTCPFlags, "FOO/SYN", ""},
	{KindTCPFlags, "/", ""},

	// ipset names and flags.
	{KindIPSetName, "my set_1.2:+-", "my set_1.2:+-"},
	{KindIPSetName, strings.Repeat("s", 31), strings.Repeat("s", 31)},
	{KindIPSetName, strings.Repeat("s", 32), ""},
	{KindIPSetName, "", ""},
	{KindIPSetName, "a/b", ""},
	{KindIPSetFlags, "src", "src"},
	{KindIPSetFlags, "SRC,dst", "src,dst"},
	{KindIPSetFlags, "src,dst,src,dst,src,dst", "src,dst,src,dst,src,dst"},
	{KindIPSetFlags, "src,dst,src,dst,src,dst,src", ""},
	{KindIPSetFlags, "src,,dst", ""},
	{KindIPSetFlags, "", ""},
	{KindIPSetFlags, "both", ""},

	// Bounded numbers.
	{KindDSCP, "63", "63"},
	{KindDSCP, "0x3f", "0x3f"},
	{KindDSCP, "64", ""},
	{KindDSCP, "0x40", ""},
	{KindConnlimit, "65535", "65535"},
	{KindConnlimit, "65536", ""},
	{KindConnlimit, "0x10", ""},
	{KindVLANID, "0", "0"},
	{KindVLANID, "4095", "4095"},
	{KindVLANID, "0xfff", "0xfff"},
	{KindVLANID, "4096", ""},

	// Numbers with names.
	{KindEtherType, "ARP", "arp"},
	{KindEtherType, "Rarp", "rarp"},
	{KindEtherType, "ipv4", "ipv4"},
	{KindEtherType, "IPv6", "ipv6"},
	{KindEtherType, "vlan", "vlan"},
	{KindEtherType, "0x600", "0x600"},
	{KindEtherType, "1536", "1536"},
	{KindEtherType, "0x0835", "0x835"},
	{KindEtherType, "0x5ff", ""},
	{KindEtherType, "0x10000", ""},
	{KindEtherType, "ipx", ""},
	{KindVLANEncap, "0x3c", "0x3c"},
	{KindVLANEncap, "60", "60"},
	{KindVLANEncap, "59", ""},
	{KindVLANEncap, "IPV4", "ipv4"},
	{KindARPOpcode, "request", "Request"},
	{KindARPOpcode, "REPLY", "Reply"},
	{KindARPOpcode, "request_reverse", "Request_Reverse"},
	{KindARPOpcode, "Reply_Reverse", "Reply_Reverse"},
	{KindARPOpcode, "drarp_request", "DRARP_Request"},
	{KindARPOpcode, "DRARP_Reply", "DRARP_Reply"},
	{KindARPOpcode, "drarp_error", "DRARP_Error"},
	{KindARPOpcode, "inarp_request", "InARP_Request"},
	{KindARPOpcode, "arp_nak", "ARP_NAK"},
	{KindARPOpcode, "9", "9"},
	{KindARPOpcode, "0xffff", "0xffff"},
	{KindARPOpcode, "65536", ""},
	{KindARPOpcode, "Bogus", ""},
	{KindIPProtocol, "TCP", "tcp"},
	{KindIPProtocol, "udp", "udp"},
	{KindIPProtocol, "udplite", "udplite"},
	{KindIPProtocol, "esp", "esp"},
	{KindIPProtocol, "ah", "ah"},
	{KindIPProtocol, "icmp", "icmp"},
	{KindIPProtocol, "igmp", "igmp"},
	{KindIPProtocol, "sctp", "sctp"},
	{KindIPProtocol, "ICMPv6", "icmpv6"},
	{KindIPProtocol, "0x11", "0x11"},
	{KindIPProtocol, "255", "255"},
	{KindIPProtocol, "256", ""},
	{KindIPProtocol, "dccp", ""},
}

func TestParseLiteral(t *testing.T) {
	for _, c := range literalCases {
		t.Run(c.kind.String()+"/"+c.in, func(t *testing.T) {
			lit, err := ParseLiteral(c.kind, c.in)
			if c.want == "" {
				require.Error(t, err)
				var le *LiteralError
				require.ErrorAs(t, err, &le)
				assert.Equal(t, c.kind, le.Kind)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, lit.String())
			// The canonical text parses back to the same literal.
			again, err := ParseLiteral(c.kind, lit.String())
			require.NoError(t, err)
			assert.Equal(t, lit, again)
		})
	}
}

func TestParseLiteralValues(t *testing.T) {
	lit, err := ParseLiteral(KindEtherType, "ipv6")
	require.NoError(t, err)
	assert.Equal(t, uint32(0x86dd), lit.Num)
	assert.True(t, lit.Named)

	lit, err = ParseLiteral(KindARPOpcode, "InARP_Request")
	require.NoError(t, err)
	assert.Equal(t, uint32(8), lit.Num)

	lit, err = ParseLiteral(KindIPv4Mask, "255.255.255.192")
	require.NoError(t, err)
	assert.Equal(t, 26, lit.Bits)

	lit, err = ParseLiteral(KindTCPFlags, "SYN,ACK/SYN")
	require.NoError(t, err)
	assert.Equal(t, ir.TCPFlags{Mask: ir.TCPSyn | ir.TCPAck, Set: ir.TCPSyn}, lit.Flags)

	lit, err = ParseLiteral(KindState, "NEW,NONE")
	require.NoError(t, err)
	assert.Equal(t, ir.StateNone, lit.State)

	lit, err = ParseLiteral(KindIPSetFlags, "dst,src")
	require.NoError(t, err)
	assert.Equal(t, []ir.SetDir{ir.SetDst, ir.SetSrc}, lit.SetDirs)
}

func TestLiteralErrorMessages(t *testing.T) {
	for _, c := range []struct {
		kind Kind
		in   string
		want string
	}{
		{KindDSCP, "300", `"300" is not a valid dscp: must be 0–63`},
		{KindUint8, "0x100", `"0x100" is not a valid uint8: must be 0–255`},
		{KindUint16, "0xZZ", `"0xZZ" is not a valid uint16: expected hex digits after 0x`},
		{KindMACMask, "ff:00:ff:00:00:00", `"ff:00:ff:00:00:00" is not a valid MAC mask: mask bits must be contiguous ones`},
		{KindIPv4, "::1", `"::1" is not a valid IPv4 address: must be an IPv4 address, not IPv6`},
		{KindComment, strings.Repeat("c", 300), `"` + strings.Repeat("c", 64) + `…" is not a valid comment: longer than 256 bytes`},
		{KindTCPFlags, "SYN/ACK", `"SYN/ACK" is not a valid TCP flags value: flags ACK are not in the mask, so the rule could never match`},
	} {
		_, err := ParseLiteral(c.kind, c.in)
		require.Error(t, err)
		assert.Equal(t, c.want, err.Error())
	}
}

func TestParseLiteralRejectsHugeInput(t *testing.T) {
	_, err := ParseLiteral(KindState, strings.Repeat("NEW,", 1<<20))
	var le *LiteralError
	require.True(t, errors.As(err, &le))
	assert.Equal(t, "too long", le.Reason)
}

func TestKindString(t *testing.T) {
	for k := KindUint8; k <= KindIPProtocol; k++ {
		assert.NotContains(t, k.String(), "kind(")
	}
	assert.Equal(t, "kind(99)", Kind(99).String())
}
