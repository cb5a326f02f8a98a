package nwfilter

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// parseErrs parses a document that must fail and returns its problems.
func parseErrs(t *testing.T, doc string) ParseErrors {
	t.Helper()
	_, err := ParseDocument([]byte(doc), "t.xml")
	require.Error(t, err)
	var errs ParseErrors
	require.ErrorAs(t, err, &errs)
	return errs
}

// errLines returns one Error() line per problem.
func errLines(t *testing.T, doc string) []string {
	t.Helper()
	var out []string
	for _, e := range parseErrs(t, doc) {
		out = append(out, e.Error())
	}
	return out
}

func TestUnknownElementsAndAttributes(t *testing.T) {
	doc := `<filter name='t'>
  <rule action='drop' direction='in'>
    <tpc dstportstart='22'/>
  </rule>
  <rule action='drop' direction='in' prio='5'>
    <tcp dstport='22'/>
  </rule>
  <bogus/>
</filter>`
	assert.Equal(t, []string{
		`t.xml:3:5: filter/rule[1]/tpc: unknown element <tpc> inside <rule>`,
		`t.xml:5:38: filter/rule[2]/@prio: <rule> has no attribute "prio"`,
		`t.xml:6:10: filter/rule[2]/tcp/@dstport: <tcp> has no attribute "dstport"`,
		`t.xml:8:3: filter/bogus: unknown element <bogus> inside <filter>`,
	}, errLines(t, doc))
}

func TestErrorPositionsCountCharacters(t *testing.T) {
	doc := "<filter name='t'>\n  <rule action='drop' direction='in'><tcp comment='é€' dscp='99'/></rule>\n</filter>"
	errs := parseErrs(t, doc)
	require.Len(t, errs, 1)
	assert.Equal(t, 2, errs[0].Line)
	assert.Equal(t, 56, errs[0].Col)
	assert.Equal(t, "filter/rule[1]/tcp/@dscp", errs[0].Path)
	assert.Equal(t, `t.xml:2:56: filter/rule[1]/tcp/@dscp: "99" is not a valid dscp: must be 0–63`, errs[0].Error())
}

func TestParseErrorFormatting(t *testing.T) {
	assert.Equal(t, "f:1:2: p: m: inner", (&ParseError{File: "f", Line: 1, Col: 2, Path: "p", Msg: "m", Err: errors.New("inner")}).Error())
	assert.Equal(t, "3:4: m", (&ParseError{Line: 3, Col: 4, Msg: "m"}).Error())
	assert.Equal(t, "f: inner", (&ParseError{File: "f", Err: errors.New("inner")}).Error())
	pe := &ParseError{Err: ErrLimit}
	assert.ErrorIs(t, pe, ErrLimit)
	errs := ParseErrors{{Msg: "a"}, pe}
	assert.Equal(t, "a\nlimit exceeded", errs.Error())
	assert.ErrorIs(t, errs, ErrLimit)
}

func TestMergeSameProtocolElements(t *testing.T) {
	f, err := ParseFilter(ruleDoc(
		`<tcp dstportstart='22' comment='ssh'/>`,
		`<tcp match='no' srcipaddr='10.0.0.1'/>`,
		`<tcp srcipmask='8' match='yes'/>`,
	), "")
	require.NoError(t, err)
	r := f.Entries[0].Rule
	assert.Equal(t, ir.ProtoTCP, r.Protocol)
	var got []string
	for _, a := range r.Attrs {
		s := a.Name + "=" + a.Value.String()
		if a.Negate {
			s = "!" + s
		}
		got = append(got, s)
	}
	// Table order; the mask takes the negation of its address.
	assert.Equal(t, []string{"!srcipaddr=10.0.0.1", "!srcipmask=8", "dstportstart=22", "comment=ssh"}, got)
}

func TestRuleProtocolErrors(t *testing.T) {
	for name, c := range map[string]struct{ elems, want string }{
		"two kinds":         {`<tcp/><udp/>`, `filter/rule[1]/udp: a rule takes one kind of protocol element; <udp> follows <tcp>`},
		"attr twice":        {`<tcp dstportstart='1'/><tcp dstportstart='2'/>`, `filter/rule[1]/tcp[2]/@dstportstart: attribute "dstportstart" is given twice in this rule`},
		"bad match":         {`<tcp match='maybe' dscp='1'/>`, `filter/rule[1]/tcp/@match: match "maybe": must be yes or no`},
		"empty negation":    {`<tcp match='no'/>`, `filter/rule[1]/tcp: match='no' negates the attributes of <tcp>, not the protocol; this element has none`},
		"end without start": {`<tcp dstportend='22'/>`, `filter/rule[1]/tcp/@dstportend: dstportend needs dstportstart`},
		"mask without addr": {`<ip srcipmask='24'/>`, `filter/rule[1]/ip/@srcipmask: srcipmask needs srcipaddr`},
		"ipto without from": {`<udp srcipto='1.2.3.4'/>`, `filter/rule[1]/udp/@srcipto: srcipto needs srcipfrom`},
		"stp hi alone":      {`<stp root-cost-hi='5'/>`, `filter/rule[1]/stp/@root-cost-hi: root-cost-hi needs root-cost`},
		"flags w/o ipset":   {`<tcp ipsetflags='src'/>`, `filter/rule[1]/tcp/@ipsetflags: ipsetflags needs ipset`},
		"ip port no proto":  {`<ip dstportstart='22'/>`, `filter/rule[1]/ip/@dstportstart: dstportstart needs protocol tcp, udp, dccp (33) or sctp`},
		"ip port icmp":      {`<ip protocol='icmp' srcportstart='22'/>`, `filter/rule[1]/ip/@srcportstart: srcportstart needs protocol tcp, udp, dccp (33) or sctp, not icmp`},
		"ipv6 type on tcp":  {`<ipv6 protocol='tcp' type='1'/>`, `filter/rule[1]/ipv6/@type: type needs protocol icmpv6, not tcp`},
		"text in element":   {`<tcp>x</tcp>`, `filter/rule[1]/tcp: <tcp> takes no text`},
		"child in element":  {`<tcp><udp/></tcp>`, `filter/rule[1]/tcp/udp: unknown element <udp> inside <tcp>`},
		"none element":      {`<none/>`, `filter/rule[1]/none: unknown element <none> inside <rule>`},
		"icmp code alone":   {`<icmp code='0'/>`, `filter/rule[1]/icmp/@code: code needs type`},
		"ipv6 code alone":   {`<ipv6 protocol='icmpv6' code='0'/>`, `filter/rule[1]/ipv6/@code: code needs type`},
		"negated dstport":   {`<tcp match='no' dstportstart='22'/>`, `filter/rule[1]/tcp/@dstportstart: libvirt gives dstportstart the match state of srcportstart (match='no' only if srcportstart has it), so it would read this rule differently; use a separate rule`},
		"dstport vs sport":  {`<udp match='no' srcportstart='1'/><udp dstportstart='22'/>`, `filter/rule[1]/udp[2]/@dstportstart: libvirt gives dstportstart the match state of srcportstart (match='no' only if srcportstart has it), so it would read this rule differently; use a separate rule`},
	} {
		t.Run(name, func(t *testing.T) {
			errs := parseErrs(t, string(ruleDoc(c.elems)))
			require.NotEmpty(t, errs)
			e := *errs[0]
			e.File, e.Line, e.Col = "", 0, 0
			assert.Equal(t, c.want, e.Error())
		})
	}
}

func TestDependentNegation(t *testing.T) {
	f, err := ParseFilter(ruleDoc(`<icmp type='8'/>`, `<icmp match='no' code='0'/>`), "")
	require.NoError(t, err)
	assert.False(t, attrNamed(f.Entries[0].Rule, "code").Negate, "code takes the negation of type, as in libvirt")

	f, err = ParseFilter(ruleDoc(`<sctp-ipv6 match='no' srcportstart='1' dstportstart='22'/>`, `<sctp-ipv6 dstportend='23'/>`), "")
	require.NoError(t, err)
	for _, a := range f.Entries[0].Rule.Attrs {
		assert.True(t, a.Negate, a.Name)
	}
}

func TestPortProtocols(t *testing.T) {
	for _, proto := range []string{"tcp", "udp", "33", "sctp", "0x6", "$PROTO"} {
		_, err := ParseFilter(ruleDoc(`<ip protocol='`+proto+`' dstportstart='22' dstportend='23'/>`), "")
		assert.NoError(t, err, proto)
	}
	_, err := ParseFilter(ruleDoc(`<ipv6 protocol='icmpv6' type='1' typeend='4' code='0' codeend='$C'/>`), "")
	assert.NoError(t, err)
}

func TestRuleAttributes(t *testing.T) {
	doc := `<filter name='t'>
  <rule action='reject' direction='inout'/>
  <rule action='continue' direction='out' priority='-1000' statematch='FALSE'/>
  <rule action='return' direction='in' priority='1000' statematch='1'/>
</filter>`
	f, err := ParseFilter([]byte(doc), "t.xml")
	require.NoError(t, err)
	require.Len(t, f.Entries, 3)
	r := f.Entries[0].Rule
	assert.Equal(t, Rule{Action: ir.ActionReject, Direction: ir.DirInOut, Priority: 500, StateMatch: true,
		Pos: Pos{File: "t.xml", Line: 2, Col: 3}}, *r)
	assert.Equal(t, -1000, f.Entries[1].Rule.Priority)
	assert.False(t, f.Entries[1].Rule.StateMatch)
	assert.True(t, f.Entries[2].Rule.StateMatch)

	bad := `<filter name='t'>
  <rule/>
  <rule action='allow' direction='up' priority='1001' statematch='no'/>
  <rule action='drop' direction='in' priority='five'/>
</filter>`
	assert.Equal(t, []string{
		`t.xml:2:3: filter/rule[1]: <rule> needs a action attribute`,
		`t.xml:2:3: filter/rule[1]: <rule> needs a direction attribute`,
		`t.xml:3:9: filter/rule[2]/@action: action "allow": must be accept, drop, reject, return or continue`,
		`t.xml:3:24: filter/rule[2]/@direction: direction "up": must be in, out or inout`,
		`t.xml:3:39: filter/rule[2]/@priority: priority "1001": must be a decimal number from -1000 to 1000`,
		`t.xml:3:55: filter/rule[2]/@statematch: statematch "no": must be true, 1, false or 0`,
		`t.xml:4:38: filter/rule[3]/@priority: priority "five": must be a decimal number from -1000 to 1000`,
	}, errLines(t, bad))
}

func TestFilterRoot(t *testing.T) {
	for _, c := range []struct {
		attrs    string
		chain    string
		priority int
	}{
		{`name='a'`, "root", 0},
		{`name='a' priority='77'`, "root", 0}, // like libvirt: ignored without chain
		{`name='a' chain='root' priority='77'`, "root", 77},
		{`name='a' chain='mac'`, "mac", -800},
		{`name='a' chain='vlan'`, "vlan", -750},
		{`name='a' chain='ipv4-ip'`, "ipv4-ip", -700},
		{`name='a' chain='ipv6'`, "ipv6", -600},
		{`name='a' chain='arp-mac'`, "arp-mac", -500},
		{`name='a' chain='rarp'`, "rarp", -400},
		{`name='a' chain='stp'`, "stp", 0},
		{`name='a' chain='ipv4' priority='0'`, "ipv4", 0},
		{`name='a' chain='mac' priority='-1000'`, "mac", -1000},
	} {
		f, err := ParseFilter([]byte(`<filter `+c.attrs+`/>`), "")
		require.NoError(t, err, c.attrs)
		assert.Equal(t, c.chain, f.Chain, c.attrs)
		assert.Equal(t, c.priority, f.Priority, c.attrs)
	}

	f, err := ParseFilter([]byte("<filter name='x'>\n  <uuid> 0123456789ABCDEF0123456789abcdef </uuid>\n</filter>"), "")
	require.NoError(t, err)
	assert.Equal(t, "01234567-89ab-cdef-0123-456789abcdef", f.UUID)

	bad := `<filter chain='ipv4x-toolongsuffix' priority='-1001'>
  <uuid>not-a-uuid</uuid>
  <uuid>01234567-89ab-cdef-0123-456789abcdef</uuid>
  text
</filter>`
	assert.Equal(t, []string{
		`t.xml:1:1: filter: <filter> needs a name attribute`,
		`t.xml:1:9: filter/@chain: chain name "ipv4x-toolongsuffix": the part after "ipv4" is longer than 12 characters`,
		`t.xml:1:37: filter/@priority: priority "-1001": must be a decimal number from -1000 to 1000`,
		`t.xml:2:3: filter/uuid[1]: UUID "not-a-uuid": must be 32 hex digits, optionally as 8-4-4-4-12 with dashes`,
		`t.xml:3:3: filter/uuid[2]: <filter> has more than one <uuid>`,
		`t.xml:4:3: filter: <filter> takes no text`,
	}, errLines(t, bad))

	for _, name := range []string{"", "-a", ".a", "a b", "a/b", "a:b", strings.Repeat("n", 256)} {
		_, err := ParseFilter([]byte(`<filter name='`+name+`'/>`), "")
		assert.Error(t, err, name)
	}
	for _, name := range []string{"a", "clean-traffic", "no_ip.spoof-2", "1st", strings.Repeat("n", 255)} {
		_, err := ParseFilter([]byte(`<filter name='`+name+`'/>`), "")
		assert.NoError(t, err, name)
	}
}

func TestFilterRefs(t *testing.T) {
	doc := `<filter name='t'>
  <filterref filter='a'/>
  <rule action='drop' direction='in'/>
  <filterref filter='b'>
    <parameter name='IP' value='10.0.0.1'/>
    <parameter name='IP' value='10.0.0.2'/>
    <parameter name='PORT' value='80'/>
  </filterref>
</filter>`
	f, err := ParseFilter([]byte(doc), "t.xml")
	require.NoError(t, err)
	require.Len(t, f.Entries, 3)
	assert.Equal(t, &FilterRef{Filter: "a", Pos: Pos{"t.xml", 2, 3}}, f.Entries[0].Ref)
	assert.NotNil(t, f.Entries[1].Rule)
	assert.Equal(t, []Param{{"IP", "10.0.0.1"}, {"IP", "10.0.0.2"}, {"PORT", "80"}}, f.Entries[2].Ref.Params)

	bad := `<filter name='t'>
  <filterref>
    <parameter name='A-B' value='x y'/>
    <parameter value='1'/>
    <param name='A' value='1'/>
  </filterref>
</filter>`
	assert.Equal(t, []string{
		`t.xml:2:3: filter/filterref[1]: <filterref> needs a filter attribute`,
		`t.xml:3:16: filter/filterref[1]/parameter[1]/@name: variable name "A-B": must be letters, digits and _`,
		`t.xml:3:27: filter/filterref[1]/parameter[1]/@value: variable value "x y": must be letters, digits and _ . :`,
		`t.xml:4:5: filter/filterref[1]/parameter[2]: <parameter> needs a name attribute`,
		`t.xml:5:5: filter/filterref[1]/param: unknown element <param> inside <filterref>`,
	}, errLines(t, bad))
}

const validBinding = `<filterbinding>
  <owner>
    <name>vm-1</name>
    <uuid>C7A5FDBD-CDAF-9455-926A-D65C16DB1809</uuid>
  </owner>
  <portdev name='vnet0'/>
  <linkdev name='eth0'/>
  <mac address='52:54:00:7b:35:93'/>
  <filterref filter='clean-traffic'>
    <parameter name='IP' value='10.0.0.5'/>
  </filterref>
  <backend name='nftables'/>
</filterbinding>
`

func TestBinding(t *testing.T) {
	b, err := ParseBinding([]byte(validBinding), "b.xml")
	require.NoError(t, err)
	assert.Equal(t, &Binding{
		Owner:     Owner{Name: "vm-1", UUID: "c7a5fdbd-cdaf-9455-926a-d65c16db1809"},
		PortDev:   "vnet0",
		LinkDev:   "eth0",
		MAC:       ir.MAC{0x52, 0x54, 0, 0x7b, 0x35, 0x93},
		FilterRef: FilterRef{Filter: "clean-traffic", Params: []Param{{"IP", "10.0.0.5"}}, Pos: Pos{"b.xml", 9, 3}},
		Backend:   "nftables",
	}, b)

	_, err = ParseBinding([]byte(`<filterbinding><portdev name='v'/><mac address='1:2:3:4:5:6'/><filterref filter='f'/></filterbinding>`), "")
	assert.NoError(t, err, "owner, linkdev and backend are optional")

	bad := `<filterbinding x='1'>
  <owner><name/></owner>
  <portdev name='vnet0/1'/>
  <portdev name='vnet1'/>
  <linkdev name='a-very-long-interface'/>
  <mac address='52:54:00'/>
  <backend name='ebtables'/>
  <vm/>
</filterbinding>`
	assert.Equal(t, []string{
		`t.xml:1:1: filterbinding: <filterbinding> needs a <filterref> element`,
		`t.xml:1:16: filterbinding/@x: <filterbinding> has no attribute "x"`,
		`t.xml:2:3: filterbinding/owner: <owner> needs both <name> and <uuid>`,
		`t.xml:2:10: filterbinding/owner/name: owner name must be 1–256 bytes`,
		`t.xml:3:12: filterbinding/portdev[1]/@name: interface name "vnet0/1": must not contain '/', ':' or white space`,
		`t.xml:4:3: filterbinding/portdev[2]: <filterbinding> has more than one <portdev>`,
		`t.xml:5:12: filterbinding/linkdev/@name: interface name "a-very-long-interface": must be 1–15 bytes`,
		`t.xml:6:8: filterbinding/mac/@address: "52:54:00" is not a valid MAC address: must be six colon-separated groups of 1–2 hex digits`,
		`t.xml:7:12: filterbinding/backend/@name: backend "ebtables": must be iptables or nftables`,
		`t.xml:8:3: filterbinding/vm: unknown element <vm> inside <filterbinding>`,
	}, errLines(t, bad))
}

func TestIfNames(t *testing.T) {
	for _, ok := range []string{"vnet0", "a", "tap-x.1_2", strings.Repeat("i", 15)} {
		assert.NoError(t, ValidateIfName(ok), ok)
	}
	for _, bad := range []string{"", ".", "..", "a b", "a:b", "a/b", strings.Repeat("i", 16), "a\x01"} {
		assert.Error(t, ValidateIfName(bad), bad)
	}
}

func TestDocumentRoots(t *testing.T) {
	doc, err := ParseDocument([]byte(validBinding), "")
	require.NoError(t, err)
	assert.NotNil(t, doc.Binding)
	assert.Nil(t, doc.Filter)

	doc, err = ReadDocument(strings.NewReader(`<filter name='x'/>`), "")
	require.NoError(t, err)
	assert.Equal(t, "x", doc.Filter.Name)

	_, err = ParseFilter([]byte(validBinding), "b.xml")
	assert.EqualError(t, err, `b.xml:1:1: filterbinding: root element must be <filter>, not <filterbinding>`)
	_, err = ParseBinding([]byte(`<filter name='x'/>`), "")
	assert.EqualError(t, err, `1:1: filter: root element must be <filterbinding>, not <filter>`)
	_, err = ParseDocument([]byte(`<domain/>`), "")
	assert.EqualError(t, err, `1:1: domain: root element must be <filter> or <filterbinding>, not <domain>`)
}

func TestXMLLevel(t *testing.T) {
	ok := map[string]string{
		"declaration and comments": "<?xml version='1.0' encoding='UTF-8'?>\n<!-- c -->\n<filter name='x'><!-- inner --></filter>\n<!-- after -->\n",
		"byte order mark":          "\xef\xbb\xbf<filter name='x'/>",
		"entities":                 "<filter name='x'><rule action='drop' direction='in'><tcp comment='a &amp; b &#x41; &quot;'/></rule></filter>",
		"cdata uuid":               "<filter name='x'><uuid><![CDATA[01234567-89ab-cdef-0123-456789abcdef]]></uuid></filter>",
	}
	for name, doc := range ok {
		_, err := ParseDocument([]byte(doc), "")
		assert.NoError(t, err, name)
	}
	bad := map[string]string{
		"truncated":      "<filter name='x'><rule action='drop' direction='in'>",
		"mismatched":     "<filter name='x'></rule>",
		"empty":          "",
		"only comment":   "<!-- nothing -->",
		"two roots":      "<filter name='x'/><filter name='y'/>",
		"text outside":   "<filter name='x'/>junk",
		"doctype":        "<!DOCTYPE filter [<!ENTITY a 'aaaa'>]><filter name='&a;'/>",
		"undefined ent":  "<filter name='&a;'/>",
		"namespace":      "<filter xmlns='urn:x' name='x'/>",
		"prefix":         "<n:filter xmlns:n='urn:x' name='x'/>",
		"prefixed attr":  "<filter xmlns:n='urn:x' n:name='x'/>",
		"dup attribute":  "<filter name='x' name='y'/>",
		"latin1":         "<?xml version='1.0' encoding='ISO-8859-1'?><filter name='x'/>",
		"unquoted":       "<filter name=x/>",
		"bad utf8":       "<filter name='\xff'/>",
		"nul":            "<filter name='x\x00'/>",
		"root not elem":  "text",
		"lonely closing": "</filter>",
	}
	for name, doc := range bad {
		start := time.Now()
		_, err := ParseDocument([]byte(doc), "")
		assert.Error(t, err, name)
		assert.Less(t, time.Since(start), time.Second, name)
	}
	_, err := ParseDocument([]byte("<filter name='x'>\n  <rule action='drop'"), "t.xml")
	assert.ErrorIs(t, err, ErrSyntax)
	assert.EqualError(t, err, `t.xml:2:22: filter: malformed XML: unexpected EOF`)
}

func TestTruncatedInputIsQuick(t *testing.T) {
	full := FormatFilter(mustParseFile(t, "testdata/filters/every-protocol.xml"))
	start := time.Now()
	for i := range len(full) - 1 { // the final newline is optional
		_, err := ParseDocument(full[:i], "")
		require.Error(t, err, "prefix of %d bytes", i)
	}
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("<a>", 20) + strings.Repeat("</a>", 20)
	many := "<filter name='x'>" + strings.Repeat("<rule action='drop' direction='in'/>", 50) + "</filter>"
	attrs := "<filter name='x'><rule action='drop' direction='in'><tcp" + strings.Repeat(" a1='1' a2='2' a3='3'", 3) + "/></rule></filter>"
	params := "<filter name='x'><filterref filter='y'>" + strings.Repeat("<parameter name='A' value='1'/>", 11) + "</filterref></filter>"
	for name, c := range map[string]struct {
		lim Limits
		doc string
	}{
		"bytes":    {Limits{MaxBytes: 10}, "<filter name='x'/>"},
		"depth":    {Limits{}, deep},
		"elements": {Limits{MaxElements: 10}, many},
		"attrs":    {Limits{MaxAttrs: 5}, attrs},
		"value":    {Limits{MaxValueLen: 8}, "<filter name='abcdefghi'/>"},
		"text":     {Limits{MaxValueLen: 8}, "<filter name='x'><uuid>0123456789</uuid></filter>"},
		"params":   {Limits{MaxParams: 10}, params},
		"errors":   {Limits{MaxErrors: 5}, strings.Replace(many, "drop", "nope", -1)},
	} {
		t.Run(name, func(t *testing.T) {
			p := &Parser{Limits: c.lim}
			_, err := p.ParseDocument([]byte(c.doc), "")
			require.ErrorIs(t, err, ErrLimit)
			var errs ParseErrors
			require.ErrorAs(t, err, &errs)
			assert.LessOrEqual(t, len(errs), 6)
		})
	}
	p := &Parser{Limits: Limits{MaxBytes: 10}}
	_, err := p.ReadDocument(strings.NewReader(strings.Repeat(" ", 100)), "r.xml")
	assert.ErrorIs(t, err, ErrLimit)
	assert.Equal(t, 4<<20, DefaultLimits().MaxBytes)
}

func TestManyErrorsStayCheap(t *testing.T) {
	doc := "<filter name='x'>" + strings.Repeat("<rule action='nope' direction='in'/>", 50_000) + "</filter>"
	start := time.Now()
	errs := parseErrs(t, doc)
	assert.Less(t, time.Since(start), 3*time.Second)
	require.Len(t, errs, DefaultLimits().MaxErrors+1)
	assert.ErrorIs(t, errs[len(errs)-1], ErrLimit)
	assert.Equal(t, "filter/rule[100]/@action", errs[99].Path)
}

func TestNestingErrors(t *testing.T) {
	for doc, want := range map[string]string{
		"<filter name='x'>\n  <rule action='drop' direction='in'>\n</filter>": `t.xml:3:1: filter/rule[1]: malformed XML: unexpected end element </filter>`,
		"<filter name='x'>\n  <rule action='drop' direction='in'>\n":          `t.xml:3:1: filter/rule[1]: malformed XML: unexpected EOF`,
		"</filter>":                    `t.xml:1:1: malformed XML: unexpected end element </filter>`,
		"<filter name='x'></n:filter>": `t.xml:1:18: filter: malformed XML: unexpected end element </n:filter>`,
	} {
		_, err := ParseDocument([]byte(doc), "t.xml")
		assert.ErrorIs(t, err, ErrSyntax, doc)
		assert.EqualError(t, err, want, doc)
	}
}
