package ir

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMatchString(t *testing.T) {
	mac := MAC{0x52, 0x54, 0, 0x12, 0x34, 0x56}
	for _, tc := range []struct {
		m    Match
		want string
	}{
		{Match{Field: FieldSrcMAC, MAC: mac}, "srcmac=52:54:00:12:34:56"},
		{Match{Field: FieldDstMAC, Negate: true, MAC: mac, MACMask: MAC{0xff, 0xff, 0xff}, HasMACMask: true}, "dstmac!=52:54:00:12:34:56/ff:ff:ff:00:00:00"},
		{Match{Field: FieldSrcIP, Prefix: netip.MustParsePrefix("10.0.0.0/8")}, "srcip=10.0.0.0/8"},
		{Match{Field: FieldARPDstIP, Prefix: netip.MustParsePrefix("fd00::2/128")}, "arp-dstip=fd00::2/128"},
		{Match{Field: FieldDstIPRange, From: netip.MustParseAddr("10.0.0.1"), To: netip.MustParseAddr("10.0.0.9")}, "dstiprange=10.0.0.1-10.0.0.9"},
		{Match{Field: FieldDstPort, Lo: 22, Hi: 22}, "dstport=22"},
		{Match{Field: FieldDstPort, Lo: 80, Hi: 80, HasHi: true}, "dstport=80-80"},
		{Match{Field: FieldSrcPort, Negate: true, Lo: 1024, Hi: 65535, HasHi: true}, "srcport!=1024-65535"},
		{Match{Field: FieldEtherType, Lo: 0x800, Hi: 0x800}, "ethertype=0x0800"},
		{Match{Field: FieldVLANEncap, Lo: 0x86dd, Hi: 0x86dd}, "vlanencap=0x86dd"},
		{Match{Field: FieldARPGratuitous, Bool: true}, "arp-gratuitous=true"},
		{Match{Field: FieldTCPFlags, TCPFlags: TCPFlags{Mask: TCPSyn | TCPAck, Set: TCPSyn}}, "tcpflags=SYN,ACK/SYN"},
		{Match{Field: FieldTCPFlags, TCPFlags: TCPFlags{Mask: TCPAll, Set: 0}}, "tcpflags=ALL/NONE"},
		{Match{Field: FieldIPSet, IPSet: IPSetRef{Name: "bad guys", Dirs: []SetDir{SetSrc, SetDst}}}, "ipset=bad guys(src,dst)"},
		{Match{Field: FieldICMPType, Lo: 133, Hi: 136, HasHi: true}, "icmptype=133-136"},
	} {
		assert.Equal(t, tc.want, tc.m.String())
	}
}

func TestRuleString(t *testing.T) {
	r := &Rule{
		Protocol: ProtoTCP, Direction: DirOut, Action: ActionAccept, Priority: 500, StateMatch: true,
		State: StateNew | StateEstablished,
		Matches: []Match{
			{Field: FieldSrcIP, Prefix: netip.MustParsePrefix("10.0.0.2/32")},
			{Field: FieldDstPort, Lo: 22, Hi: 22},
		},
		Origin: Origin{Filter: "myfilter", Index: 3},
	}
	assert.Equal(t, "out accept prio=500 tcp srcip=10.0.0.2/32 dstport=22 state=NEW,ESTABLISHED # from myfilter rule 3.0", r.String())

	r = &Rule{Protocol: ProtoUDP, Direction: DirIn, Action: ActionDrop, Priority: -10,
		ConnlimitAbove: 5, ConnlimitNegate: true, Comment: `say "hi"`, Origin: Origin{Filter: "f", Index: 0, Instance: 2}}
	assert.Equal(t, `in drop prio=-10 udp connlimit-above!=5 statematch=false comment="say \"hi\"" # from f rule 0.2`, r.String())
}

func TestDumpAndFingerprint(t *testing.T) {
	empty := &Graph{Binding: Binding{PortDev: "vnet0", Filter: "f", IPLearning: "any"}}
	assert.Equal(t, "binding portdev=vnet0 mac=00:00:00:00:00:00 filter=f iplearning=any\nethernet: no rules\nip: no rules\n", empty.Dump())

	stp := &Chain{Name: "stp-x", Kind: ChainSTP, Priority: -810}
	mac := &Chain{Name: "mac", Kind: ChainMAC, Priority: -800}
	g := &Graph{
		Binding:  empty.Binding,
		Ethernet: []*Chain{{Name: "root", Kind: ChainRoot, Entries: []Entry{{Jump: stp}, {Jump: mac}}}, stp, mac},
	}
	assert.Equal(t, `binding portdev=vnet0 mac=00:00:00:00:00:00 filter=f iplearning=any
chain root kind=root prio=0
  jump stp-x prio=-810 if dstmac=01:80:c2:00:00:00
  jump mac prio=-800 (every frame)
chain stp-x kind=stp prio=-810
chain mac kind=mac prio=-800
ip: no rules
`, g.Dump())
	assert.Len(t, g.Fingerprint(), 64)
	assert.Equal(t, g.Fingerprint(), g.Fingerprint())
	assert.NotEqual(t, empty.Fingerprint(), g.Fingerprint())
}
