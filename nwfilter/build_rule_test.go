package nwfilter

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/golden"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func TestRuleFeaturesGolden(t *testing.T) {
	out, in, inout := ir.DirOut, ir.DirIn, ir.DirInOut
	res := mapResolver{}.add(filter("features", "",
		rule(t, ir.ActionAccept, out, 100, ir.ProtoTCP, "dstportstart=22", "srcipaddr=$IP", "comment=ssh out"),
		rule(t, ir.ActionDrop, in, 110, ir.ProtoTCP, "dstportstart=23"),
		rule(t, ir.ActionReject, in, 120, ir.ProtoUDP, "dstportstart=69"),
		rule(t, ir.ActionReturn, out, 130, ir.ProtoICMP, "type=8", "code=0"),
		rule(t, ir.ActionContinue, inout, 140, ir.ProtoAll),
		statematchOff(rule(t, ir.ActionAccept, out, 150, ir.ProtoUDP, "dstportstart=53")),
		rule(t, ir.ActionAccept, in, 160, ir.ProtoTCP, "dstportstart=80", "state=NEW,ESTABLISHED"),
		rule(t, ir.ActionDrop, in, 170, ir.ProtoTCP, "!state=INVALID"),
		rule(t, ir.ActionDrop, in, 180, ir.ProtoTCP, "dstportstart=25", "connlimit-above=10"),
		rule(t, ir.ActionDrop, in, 190, ir.ProtoTCP, "ipset=blocked"),
		rule(t, ir.ActionDrop, in, 200, ir.ProtoUDP, "ipset=pairs", "ipsetflags=src,dst"),
		rule(t, ir.ActionAccept, out, 210, ir.ProtoTCPv6, "srcipaddr=$IPV6", "dstportstart=443", "dstportend=444"),
		rule(t, ir.ActionAccept, out, 220, ir.ProtoTCP, "srcipfrom=10.0.0.1", "srcipto=10.0.0.9", "dstipfrom=10.1.0.1"),
		rule(t, ir.ActionAccept, out, 230, ir.ProtoTCP, "!dstipaddr=10.0.0.0", "dstipmask=8", "flags=SYN,ACK/SYN"),
		rule(t, ir.ActionDrop, out, 240, ir.ProtoMAC, "!srcmacaddr=52:54:00:00:00:00", "srcmacmask=ff:ff:ff:00:00:00", "protocolid=ipv6"),
		rule(t, ir.ActionDrop, out, 250, ir.ProtoIPv6, "protocol=icmpv6", "type=133", "typeend=136", "code=0"),
		rule(t, ir.ActionAccept, out, 260, ir.ProtoIP, "protocol=udp", "srcportstart=68", "dstportstart=67", "dstportend=68", "dscp=10"),
		rule(t, ir.ActionAccept, out, 270, ir.ProtoVLAN, "vlanid=100", "encap-protocol=arp"),
		rule(t, ir.ActionDrop, out, 280, ir.ProtoSTP, "type=0x80", "root-priority=10", "root-priority-hi=20"),
		rule(t, ir.ActionAccept, out, 290, ir.ProtoARP, "opcode=Request", "gratuitous=true", "arpdstipaddr=10.0.0.0", "arpdstipmask=24"),
	))
	b := binding(t, "features", "IP=10.0.0.2", "IPV6=fd00::2")
	b.LinkDev = "eth0"
	g, err := Compile(res, b, CompileOptions{})
	require.NoError(t, err)
	golden.Check(t, filepath.Join("testdata", "graph", "features"+".txt"), []byte(g.Dump()))

	// Spot-check the typed values behind the dump.
	tcp := g.IP[0]
	assert.Equal(t, "ssh out", tcp.Comment)
	assert.True(t, tcp.StateMatch)
	require.Len(t, tcp.Matches, 2)
	assert.Equal(t, ir.FieldSrcIP, tcp.Matches[0].Field, "matches are in field order")
	assert.Equal(t, "10.0.0.2/32", tcp.Matches[0].Prefix.String())
	assert.Equal(t, ir.FieldDstPort, tcp.Matches[1].Field)
	assert.Equal(t, uint32(22), tcp.Matches[1].Hi, "a single port has Hi == Lo")
	assert.False(t, tcp.Matches[1].HasHi)
}

// compileOne compiles a one-rule filter and returns the rule or the error.
func compileOne(t *testing.T, e Entry, params ...string) (*ir.Rule, error) {
	t.Helper()
	g, err := Compile(mapResolver{}.add(filter("f", "", e)), binding(t, "f", params...), CompileOptions{})
	if err != nil {
		return nil, err
	}
	if len(g.IP) > 0 {
		return g.IP[0], nil
	}
	return g.Ethernet[0].Entries[0].Rule, nil
}

func TestRuleMaskAndEndInheritBaseNegation(t *testing.T) {
	r, err := compileOne(t, rule(t, ir.ActionDrop, ir.DirOut, 500, ir.ProtoUDP,
		"!srcipaddr=10.1.2.3", "srcipmask=255.255.0.0", "!srcportstart=1000", "srcportend=2000"))
	require.NoError(t, err)
	require.Len(t, r.Matches, 2)
	assert.Equal(t, "srcip!=10.1.0.0/16", r.Matches[0].String(), "mask is applied and the prefix canonical")
	assert.Equal(t, "srcport!=1000-2000", r.Matches[1].String())
}

func TestRuleOrphanPartsIgnored(t *testing.T) {
	// libvirt ignores a mask, range end or ipsetflags without its base value.
	r, err := compileOne(t, rule(t, ir.ActionDrop, ir.DirOut, 500, ir.ProtoUDP,
		"srcipmask=16", "dstportend=80", "ipsetflags=dst"))
	require.NoError(t, err)
	assert.Empty(t, r.Matches)
}

func TestRuleICMPCodeWithoutTypeDropped(t *testing.T) {
	r, err := compileOne(t, rule(t, ir.ActionDrop, ir.DirOut, 500, ir.ProtoICMP, "code=3"))
	require.NoError(t, err)
	assert.Empty(t, r.Matches)
}

func TestRuleErrorsKnownOnlyAfterSubstitution(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rule   Entry
		params []string
		attr   string
		msg    string
	}{
		{"port end below start",
			rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoTCP, "dstportstart=$LO", "dstportend=$HI"),
			[]string{"LO=100", "HI=99"}, "dstportend", "range end 99 is below its start 100"},
		{"ip range reversed",
			rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoTCP, "srcipfrom=10.0.0.9", "srcipto=$TO"),
			[]string{"TO=10.0.0.1"}, "srcipto", "below its start"},
		{"ports without a port protocol",
			rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoIP, "protocol=$P", "dstportstart=80"),
			[]string{"P=icmp"}, "dstportstart", "ports can only be matched"},
		{"ports without protocol",
			rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoIPv6, "srcportstart=80"),
			nil, "srcportstart", "ports can only be matched"},
		{"ipv6 icmp type without icmpv6",
			rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoIPv6, "protocol=$P", "type=133"),
			[]string{"P=udp"}, "type", "only be matched with protocol icmpv6"},
		{"stp source mac inout",
			rule(t, ir.ActionDrop, ir.DirInOut, 500, ir.ProtoSTP, "srcmacaddr=$MAC"),
			nil, "srcmacaddr", "cannot have direction inout"},
		{"stp range reversed",
			rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoSTP, "port=$A", "port-hi=$B"),
			[]string{"A=5", "B=4"}, "port-hi", "below its start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compileOne(t, tc.rule, tc.params...)
			var re *RuleError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tc.attr, re.Attr)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestRulePortsWithSCTPAllowed(t *testing.T) {
	r, err := compileOne(t, rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoIP, "protocol=$P", "dstportstart=80"), "P=132")
	require.NoError(t, err)
	assert.Equal(t, "ip ipproto=132 dstport=80", r.String()[len("out accept prio=500 "):len("out accept prio=500 ip ipproto=132 dstport=80")])
}

func TestRuleUnknownAttributeIsAnError(t *testing.T) {
	e := rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoTCP)
	e.Rule.Attrs = append(e.Rule.Attrs, Attr{Name: "vlanid", Value: Value{Lit: Literal{Kind: KindVLANID, Num: 3}}})
	_, err := compileOne(t, e)
	var re *RuleError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "vlanid", re.Attr)
}
