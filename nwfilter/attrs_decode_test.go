package nwfilter

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// sampleValues gives, per Kind, a valid value, its canonical form and an
// invalid value.
var sampleValues = map[Kind]struct{ valid, canonical, invalid string }{
	KindUint8:      {"0x1F", "0x1f", "256"},
	KindUint16:     {"65535", "65535", "65536"},
	KindUint32:     {"4294967295", "4294967295", "4294967296"},
	KindMAC:        {"52:54:0:AB:cd:1", "52:54:00:ab:cd:01", "52:54:00:ab:cd"},
	KindMACMask:    {"ff:ff:ff:ff:ff:0", "ff:ff:ff:ff:ff:00", "ff:00:ff:00:00:00"},
	KindIPv4:       {"10.0.0.1", "10.0.0.1", "10.0.0.256"},
	KindIPv4Mask:   {"255.255.255.0", "24", "255.0.255.0"},
	KindIPv6:       {"FE80::0:1", "fe80::1", "1.2.3.4"},
	KindIPv6Mask:   {"ffff:ffff::", "32", "129"},
	KindBool:       {"yes", "true", "maybe"},
	KindComment:    {"hello, world", "hello, world", strings.Repeat("x", 257)},
	KindState:      {"new,Established", "NEW,ESTABLISHED", "NEW,FOO"},
	KindTCPFlags:   {"syn,ack/SYN", "SYN,ACK/SYN", "SYN"},
	KindIPSetName:  {"my set.1", "my set.1", "bad/name"},
	KindIPSetFlags: {"src,DST", "src,dst", "src,src,src,src,src,src,src"},
	KindDSCP:       {"0x3f", "0x3f", "64"},
	KindConnlimit:  {"100", "100", "0x10"},
	KindEtherType:  {"IPv4", "ipv4", "0x5ff"},
	KindVLANEncap:  {"0x3c", "0x3c", "0x3b"},
	KindVLANID:     {"4095", "4095", "4096"},
	KindARPOpcode:  {"request_reverse", "Request_Reverse", "Bogus"},
	KindIPProtocol: {"UDP", "udp", "256"},
}

// ruleDoc wraps one protocol element in a filter with one rule.
func ruleDoc(elements ...string) []byte {
	return []byte("<filter name='t'>\n  <rule action='accept' direction='in'>\n    " +
		strings.Join(elements, "\n    ") + "\n  </rule>\n</filter>\n")
}

// companions returns the attributes that attr needs to be valid on proto:
// its base attributes and, on ip/ipv6, the protocol its ports or ICMP fields
// need.
func companions(proto ir.Protocol, spec AttrSpec) string {
	var out []string
	for base, ok := baseOf(proto, spec); ok; base, ok = baseOf(proto, base) {
		out = append(out, fmt.Sprintf("%s='%s'", base.Name, sampleValues[base.Kind].valid))
	}
	if proto == ir.ProtoIP || proto == ir.ProtoIPv6 {
		switch spec.Field {
		case ir.FieldSrcPort, ir.FieldDstPort:
			out = append(out, "protocol='tcp'")
		case ir.FieldICMPType, ir.FieldICMPCode:
			out = append(out, "protocol='icmpv6'")
		}
	}
	return strings.Join(out, " ")
}

// TestEveryAttribute checks a valid value, a variable and an invalid value
// for every attribute of every protocol element.
func TestEveryAttribute(t *testing.T) {
	count := 0
	for proto := ir.ProtoMAC; proto <= ir.ProtoAllv6; proto++ {
		specs := AttrSpecs(proto)
		require.NotEmpty(t, specs, proto.String())
		for _, spec := range specs {
			count++
			sample, ok := sampleValues[spec.Kind]
			require.True(t, ok, "no sample for kind %s", spec.Kind)
			extra := companions(proto, spec)
			elem := func(value string) string {
				return fmt.Sprintf("<%s %s %s='%s'/>", proto, extra, spec.Name, value)
			}
			t.Run(proto.String()+"/"+spec.Name, func(t *testing.T) {
				f, err := ParseFilter(ruleDoc(elem(sample.valid)), "t.xml")
				require.NoError(t, err)
				a := attrNamed(f.Entries[0].Rule, spec.Name)
				require.NotNil(t, a)
				assert.Equal(t, sample.canonical, a.Value.String())

				_, err = ParseFilter(ruleDoc(elem(sample.invalid)), "t.xml")
				var pe *ParseError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, "filter/rule[1]/"+proto.String()+"/@"+spec.Name, pe.Path)
				assert.Equal(t, 3, pe.Line)
				var le *LiteralError
				require.ErrorAs(t, err, &le)

				f, err = ParseFilter(ruleDoc(elem("$V[@2]")), "t.xml")
				require.NoError(t, err)
				a = attrNamed(f.Entries[0].Rule, spec.Name)
				if spec.Kind == KindComment {
					assert.Nil(t, a.Value.Var, "comments are literal text")
					return
				}
				require.NotNil(t, a.Value.Var)
				assert.Equal(t, VarRef{Name: "V", Iterator: 2}, *a.Value.Var)
			})
		}
	}
	assert.Greater(t, count, 300)
}

func attrNamed(r *Rule, name string) *Attr {
	for i := range r.Attrs {
		if r.Attrs[i].Name == name {
			return &r.Attrs[i]
		}
	}
	return nil
}

func TestVariableForms(t *testing.T) {
	f, err := ParseFilter(ruleDoc(`<tcp srcipaddr='$IP' dstipaddr='$ADDR[3]' srcportstart='$P[@1]'/>`), "")
	require.NoError(t, err)
	r := f.Entries[0].Rule
	assert.Equal(t, VarRef{Name: "IP"}, *attrNamed(r, "srcipaddr").Value.Var)
	assert.Equal(t, VarRef{Name: "ADDR", Index: 3, HasIndex: true}, *attrNamed(r, "dstipaddr").Value.Var)
	assert.Equal(t, VarRef{Name: "P", Iterator: 1}, *attrNamed(r, "srcportstart").Value.Var)

	for _, bad := range []string{"$", "$A-B", "$A[", "$A[x]", "$A[@1001]", "$A[-1]"} {
		_, err := ParseFilter(ruleDoc(`<tcp srcipaddr='`+bad+`'/>`), "")
		assert.Error(t, err, bad)
	}
}
