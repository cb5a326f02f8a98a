package nwfilter

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"libvirt.org/go/libvirtxml"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// TestLibvirtXMLRoundTrip converts our goldens to libvirtxml, through its
// marshaller and unmarshaller, and back: what libvirtxml can carry must come
// back unchanged.
func TestLibvirtXMLRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/filters/*.xml")
	require.NoError(t, err)
	builtins, err := filepath.Glob("builtin/*.xml")
	require.NoError(t, err)
	carried := 0
	for _, file := range append(files, builtins...) {
		f := mustParseFile(t, file)
		lf, err := ToLibvirtXML(f)
		if err != nil {
			assert.ErrorIs(t, err, ErrNotRepresentable, file)
			continue
		}
		carried++
		text, err := lf.Marshal()
		require.NoError(t, err, file)
		var back libvirtxml.NWFilter
		require.NoError(t, back.Unmarshal(text), file)
		g, err := FromLibvirtXML(&back)
		require.NoError(t, err, "%s\n%s", file, text)
		assert.Equal(t, string(FormatFilter(f)), string(FormatFilter(g)), file)
	}
	assert.Greater(t, carried, 30)
}

func TestToLibvirtXMLRefusesWhatItCannotCarry(t *testing.T) {
	for name, doc := range map[string]string{
		"filter priority 0":  `<filter name='x' chain='ipv4' priority='0'/>`,
		"rule priority 0":    `<filter name='x'><rule action='drop' direction='in' priority='0'/></filter>`,
		"tcp-ipv6 flags":     `<filter name='x'><rule action='drop' direction='in'><tcp-ipv6 flags='SYN/SYN'/></rule></filter>`,
		"mixed negation":     `<filter name='x'><rule action='drop' direction='in'><tcp dscp='1'/><tcp match='no' srcipaddr='1.2.3.4'/></rule></filter>`,
		"negation + comment": `<filter name='x'><rule action='drop' direction='in'><tcp match='no' dscp='1'/><tcp match='no' comment='c'/></rule></filter>`,
	} {
		f, err := ParseFilter([]byte(doc), "")
		require.NoError(t, err, name)
		_, err = ToLibvirtXML(f)
		if name == "negation + comment" {
			assert.NoError(t, err, "comments are never negated, so they do not mix")
			continue
		}
		assert.ErrorIs(t, err, ErrNotRepresentable, name)
	}
	_, err := BindingToLibvirtXML(&Binding{PortDev: "v", LinkDev: "eth0"})
	assert.ErrorIs(t, err, ErrNotRepresentable)
	_, err = BindingToLibvirtXML(&Binding{PortDev: "v", Backend: BackendNFTables})
	assert.ErrorIs(t, err, ErrNotRepresentable)
}

func TestFromLibvirtXMLChecksValues(t *testing.T) {
	// libvirtxml itself accepts all of these. (A bad hex value such as
	// dstportstart='0xZZ' cannot be caught here: libvirtxml's unmarshaller
	// drops the attribute and swallows the error.)
	for name, doc := range map[string]string{
		"bad decimal":    `<filter name='x'><rule action='drop' direction='in'><tcp dstportstart='70000'/></rule></filter>`,
		"bad var":        `<filter name='x'><rule action='drop' direction='in'><tcp srcipaddr='$A[x]'/></rule></filter>`,
		"bad action":     `<filter name='x'><rule action='allow' direction='in'/></filter>`,
		"bad statematch": `<filter name='x'><rule action='drop' direction='in' statematch='no'/></filter>`,
		"two protocols":  `<filter name='x'><rule action='drop' direction='in'><tcp/><udp/></rule></filter>`,
		"lone mask":      `<filter name='x'><rule action='drop' direction='in'><tcp srcipmask='8'/></rule></filter>`,
		"bad match":      `<filter name='x'><rule action='drop' direction='in'><stp match='maybe' type='1'/></rule></filter>`,
		"empty negation": `<filter name='x'><rule action='drop' direction='in'><udp match='no'/></rule></filter>`,
		"bad chain":      `<filter name='x' chain='bogus'/>`,
		"bad name":       `<filter name='a b'/>`,
		"bad uuid":       `<filter name='x'><uuid>nope</uuid></filter>`,
		"bad param":      `<filter name='x'><filterref filter='y'><parameter name='A' value='x y'/></filterref></filter>`,
		"bad priority":   `<filter name='x' chain='mac' priority='2000'/>`,
	} {
		var lf libvirtxml.NWFilter
		require.NoError(t, lf.Unmarshal(doc), name)
		_, err := FromLibvirtXML(&lf)
		assert.Error(t, err, name)
	}

	// Hex values arrive in Uint with an empty Str when built in code.
	port := uint(0x16)
	lf := &libvirtxml.NWFilter{Name: "x", Entries: []libvirtxml.NWFilterEntry{{Rule: &libvirtxml.NWFilterRule{
		Action: "accept", Direction: "in",
		TCP: &libvirtxml.NWFilterRuleTCP{NWFilterRuleCommonPort: libvirtxml.NWFilterRuleCommonPort{
			DstPortStart: libvirtxml.NWFilterField{Uint: &port}}},
	}}}}
	f, err := FromLibvirtXML(lf)
	require.NoError(t, err)
	assert.Equal(t, "0x16", f.Entries[0].Rule.Attrs[0].Value.String())
	assert.Equal(t, DefaultRulePriority, f.Entries[0].Rule.Priority, "libvirtxml cannot say 0, so 0 reads as the default")
	assert.Equal(t, "root", f.Chain)

	_, err = FromLibvirtXML(&libvirtxml.NWFilter{Name: "x", Entries: []libvirtxml.NWFilterEntry{{}}})
	assert.Error(t, err, "an entry with neither rule nor filterref")
}

func TestBindingLibvirtXML(t *testing.T) {
	b, err := ParseBinding([]byte(validBinding), "")
	require.NoError(t, err)
	b.LinkDev, b.Backend = "", ""
	lb, err := BindingToLibvirtXML(b)
	require.NoError(t, err)
	text, err := lb.Marshal()
	require.NoError(t, err)
	var back libvirtxml.NWFilterBinding
	require.NoError(t, back.Unmarshal(text))
	got, err := BindingFromLibvirtXML(&back)
	require.NoError(t, err)
	assert.Equal(t, string(FormatBinding(b)), string(FormatBinding(got)))

	for name, lb := range map[string]*libvirtxml.NWFilterBinding{
		"empty":    {},
		"bad port": {PortDev: &libvirtxml.NWFilterBindingPortDev{Name: "a/b"}, MAC: &libvirtxml.NWFilterBindingMAC{Address: "1:2:3:4:5:6"}, FilterRef: &libvirtxml.NWFilterBindingFilterRef{Filter: "f"}},
		"bad mac":  {PortDev: &libvirtxml.NWFilterBindingPortDev{Name: "v"}, MAC: &libvirtxml.NWFilterBindingMAC{Address: "x"}, FilterRef: &libvirtxml.NWFilterBindingFilterRef{Filter: "f"}},
		"owner":    {Owner: &libvirtxml.NWFilterBindingOwner{Name: "vm"}, PortDev: &libvirtxml.NWFilterBindingPortDev{Name: "v"}, MAC: &libvirtxml.NWFilterBindingMAC{Address: "1:2:3:4:5:6"}, FilterRef: &libvirtxml.NWFilterBindingFilterRef{Filter: "f"}},
		"param":    {PortDev: &libvirtxml.NWFilterBindingPortDev{Name: "v"}, MAC: &libvirtxml.NWFilterBindingMAC{Address: "1:2:3:4:5:6"}, FilterRef: &libvirtxml.NWFilterBindingFilterRef{Filter: "f", Parameters: []libvirtxml.NWFilterBindingFilterParam{{Name: "", Value: "1"}}}},
	} {
		_, err := BindingFromLibvirtXML(lb)
		assert.Error(t, err, name)
	}
}

// TestLibvirtXMLCarriesEveryAttributeButOne checks, attribute by attribute,
// what libvirtxml's types can hold: everything except tcp-ipv6 flags.
func TestLibvirtXMLCarriesEveryAttributeButOne(t *testing.T) {
	for proto := ir.ProtoMAC; proto <= ir.ProtoAllv6; proto++ {
		for _, spec := range AttrSpecs(proto) {
			sample := sampleValues[spec.Kind]
			doc := ruleDoc(fmt.Sprintf("<%s %s %s='%s'/>", proto, companions(proto, spec), spec.Name, sample.valid))
			f, err := ParseFilter(doc, "")
			require.NoError(t, err)
			lf, err := ToLibvirtXML(f)
			if proto == ir.ProtoTCPv6 && spec.Name == "flags" {
				assert.ErrorIs(t, err, ErrNotRepresentable)
				continue
			}
			require.NoError(t, err, "%s/@%s", proto, spec.Name)
			g, err := FromLibvirtXML(lf)
			require.NoError(t, err, "%s/@%s", proto, spec.Name)
			assert.Equal(t, string(FormatFilter(f)), string(FormatFilter(g)), "%s/@%s", proto, spec.Name)
		}
	}
}
