package sim

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func TestParsePacket(t *testing.T) {
	a := netip.MustParseAddr
	stp := ir.STPMAC
	tests := []struct {
		spec string
		want Packet
	}{
		{"dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp dport=22", Packet{
			Dir: ir.DirOut, SrcMAC: vmMAC, DstMAC: FarMAC, EtherType: EtherIPv4, Src: a("10.0.0.5"), Dst: a("10.0.0.1"),
			Proto: 6, DstPort: 22, TCPFlags: ir.TCPSyn, State: ir.StateNew, CtDir: CtOriginal,
		}},
		{"dir=in  src=10.0.0.1   dst=10.0.0.5 proto=tcp sport=22 dport=40000 state=established flags=ACK,PSH tcpopt=2,0x8", Packet{
			Dir: ir.DirIn, SrcMAC: FarMAC, DstMAC: vmMAC, EtherType: EtherIPv4, Src: a("10.0.0.1"), Dst: a("10.0.0.5"),
			Proto: 6, SrcPort: 22, DstPort: 40000, TCPFlags: ir.TCPAck | ir.TCPPsh, TCPOptions: []uint8{2, 8},
			State: ir.StateEstablished, CtDir: CtReply,
		}},
		{"dir=out src=fe80::5 dst=ff02::1 proto=icmpv6 tohost=1 dscp=46 conncount=4 state=related ctdir=original", Packet{
			Dir: ir.DirOut, ToHost: true, SrcMAC: vmMAC, DstMAC: FarMAC, EtherType: EtherIPv6, Src: a("fe80::5"), Dst: a("ff02::1"),
			Proto: 58, ICMPType: 128, DSCP: 46, ConnCount: 4, HasConnCount: true, State: ir.StateRelated, CtDir: CtOriginal,
		}},
		{"dir=out src=10.0.0.5 dst=10.0.0.1 proto=icmp type=0 code=0 state=invalid", Packet{
			Dir: ir.DirOut, SrcMAC: vmMAC, DstMAC: FarMAC, EtherType: EtherIPv4, Src: a("10.0.0.5"), Dst: a("10.0.0.1"),
			Proto: 1, State: ir.StateInvalid, CtDir: CtReply,
		}},
		{"dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp ipset=a,b.c", Packet{
			Dir: ir.DirOut, SrcMAC: vmMAC, DstMAC: FarMAC, EtherType: EtherIPv4, Src: a("10.0.0.5"), Dst: a("10.0.0.1"),
			Proto: 17, State: ir.StateNew, SetMembers: map[string][]netip.Prefix{
				"a":   {netip.MustParsePrefix("10.0.0.5/32"), netip.MustParsePrefix("10.0.0.1/32")},
				"b.c": {netip.MustParsePrefix("10.0.0.5/32"), netip.MustParsePrefix("10.0.0.1/32")},
			},
		}},
		{"dir=out eth=arp src=10.0.0.5 dst=10.0.0.1 arpop=Reply arpdmac=52:54:00:aa:bb:cc", Packet{
			Dir: ir.DirOut, SrcMAC: vmMAC, DstMAC: FarMAC, EtherType: EtherARP, Src: a("10.0.0.5"), Dst: a("10.0.0.1"),
			ARP:   ARPHeader{HType: 1, PType: EtherIPv4, Opcode: 2, SenderMAC: vmMAC, TargetMAC: peerMAC},
			State: ir.StateNew,
		}},
		{"dir=in eth=rarp src=0.0.0.0 dst=0.0.0.0 smac=52:54:00:aa:bb:cc dmac=ff:ff:ff:ff:ff:ff arphtype=0x6", Packet{
			Dir: ir.DirIn, SrcMAC: peerMAC, DstMAC: ir.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, EtherType: EtherRARP,
			Src: a("0.0.0.0"), Dst: a("0.0.0.0"),
			ARP:   ARPHeader{HType: 6, PType: EtherIPv4, Opcode: 3, SenderMAC: peerMAC, TargetMAC: ir.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
			State: ir.StateNew,
		}},
		{"dir=out vlan=100 src=10.0.0.5 dst=10.0.0.1 proto=udp", Packet{
			Dir: ir.DirOut, SrcMAC: vmMAC, DstMAC: FarMAC, EtherType: EtherIPv4, Tagged: true, VLANID: 100,
			Src: a("10.0.0.5"), Dst: a("10.0.0.1"), Proto: 17, State: ir.StateNew,
		}},
		{"dir=out eth=vlan", Packet{Dir: ir.DirOut, SrcMAC: vmMAC, DstMAC: FarMAC, Tagged: true, State: ir.StateNew}},
		{"dir=in eth=0x835", Packet{Dir: ir.DirIn, SrcMAC: FarMAC, DstMAC: vmMAC, EtherType: 0x835, State: ir.StateNew}},
		{"dir=out eth=stp stp-type=0 stp-root-addr=52:54:00:aa:bb:cc stp-root-cost=70000 stp-forward-delay=15", Packet{
			Dir: ir.DirOut, SrcMAC: vmMAC, DstMAC: stp, EtherType: EtherBPDULength, State: ir.StateNew,
			STP: STPHeader{RootAddr: peerMAC, RootCost: 70000, ForwardDelay: 15},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := ParsePacket(tt.spec, binding)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			_, err = Simulate(&ir.Graph{}, got)
			assert.NoError(t, err)
		})
	}
}

func TestParsePacketErrors(t *testing.T) {
	const ip = "dir=out src=10.0.0.5 dst=10.0.0.1 "
	tests := []struct{ spec, key, msg string }{
		{"", "dir", "required"},
		{"src=10.0.0.5 dst=10.0.0.1 proto=udp", "dir", "required"},
		{"dir=sideways src=10.0.0.5", "dir", "not in or out"},
		{"dir=out", "eth", "required when neither"},
		{"dir", "dir", "expected key=value"},
		{"dir=out =x", "", "unknown key"},
		{"dir=out color=red", "color", "unknown key"},
		{"dir=out " + strings.Repeat("k", 100), strings.Repeat("k", 32) + "…", "expected key=value"},
		{"dir=out eth=" + strings.Repeat("1", 300), "eth", "longer than 256 bytes"},
		{"dir=out dir=in", "dir", "given twice"},
		{"dir= src=10.0.0.5", "dir", "empty value"},
		{"dir=in=out", "dir", "not in or out"},
		{ip + "proto=udp src=10.0.0.6", "src", "given twice"},
		{ip, "proto", "required"},
		{ip + "proto=gre", "proto", "not a valid IP protocol"},
		{ip + "proto=256", "proto", "not a valid IP protocol"},
		{ip + "proto=icmpv6", "proto", "does not fit"},
		{"dir=out src=fe80::1 dst=fe80::2 proto=icmp", "proto", "does not fit"},
		{"dir=out src=10.0.0.5 dst=fe80::2 proto=udp", "dst", "different families"},
		{"dir=out src=10.0.0.5%eth0 dst=10.0.0.1 proto=udp", "src", "not an IP address"},
		{"dir=out src=10.0.0.256 dst=10.0.0.1 proto=udp", "src", "not an IP address"},
		{"dir=out eth=ipv6 src=10.0.0.5 dst=10.0.0.1 proto=udp", "src", "does not fit"},
		{"dir=out eth=ipv4 dst=10.0.0.1 proto=udp", "src", "required"},
		{"dir=out eth=ipv4 src=10.0.0.1 proto=udp", "dst", "required"},
		{"dir=out eth=arp src=10.0.0.5", "dst", "required"},
		{"dir=out eth=arp src=fe80::1 dst=fe80::2", "src", "does not fit"},
		{ip + "proto=udp dport=65536", "dport", "not a valid uint16"},
		{ip + "proto=udp dport=-1", "dport", "not a valid uint16"},
		{ip + "proto=udp dport=1_000", "dport", "not a valid uint16"},
		{ip + "proto=udp sport=0x", "sport", "not a valid uint16"},
		{ip + "proto=esp sport=1", "sport", "only applies to tcp"},
		{ip + "proto=udp type=8", "type", "only applies to icmp"},
		{ip + "proto=icmp type=256", "type", "not a valid uint8"},
		{ip + "proto=udp flags=SYN", "flags", "only applies to tcp"},
		{ip + "proto=tcp flags=SYN,BOGUS", "flags", "not a comma list of SYN"},
		{ip + "proto=tcp tcpopt=2,,3", "tcpopt", "not a valid uint8"},
		{ip + "proto=udp dscp=64", "dscp", "not a valid dscp"},
		{ip + "proto=udp state=closed", "state", "not a valid state list"},
		{ip + "proto=udp state=NEW,ESTABLISHED", "state", "exactly one state"},
		{ip + "proto=udp state=none", "state", "exactly one state"},
		{ip + "proto=udp ctdir=reply", "ctdir", "original direction"},
		{ip + "proto=udp state=invalid ctdir=reply", "ctdir", "no conntrack entry"},
		{ip + "proto=udp state=established ctdir=sideways", "ctdir", "not original or reply"},
		{ip + "proto=udp tohost=maybe", "tohost", "not a valid boolean"},
		{"dir=in src=10.0.0.1 dst=10.0.0.5 proto=udp tohost=1", "tohost", "only packets from the VM"},
		{ip + "proto=udp conncount=4294967296", "conncount", "not a valid uint32"},
		{ip + "proto=udp ipset=a,a", "ipset", "given twice"},
		{ip + "proto=udp ipset=" + strings.Repeat("x", 32), "ipset", "not a valid ipset name"},
		{ip + "proto=udp ipset=a;b", "ipset", "not a valid ipset name"},
		{ip + "proto=udp ipset=", "ipset", "empty value"},
		{ip + "proto=udp arpop=1", "arpop", "does not apply to IPv4/IPv6"},
		{"dir=out eth=arp src=10.0.0.5 dst=10.0.0.1 proto=udp", "proto", "does not apply to ARP/RARP"},
		{"dir=out eth=arp src=10.0.0.5 dst=10.0.0.1 arpop=Whatever", "arpop", "not a valid ARP opcode"},
		{"dir=out eth=arp src=10.0.0.5 dst=10.0.0.1 arpsmac=52:54:00:aa:bb", "arpsmac", "not a valid MAC address"},
		{"dir=out eth=arp src=10.0.0.5 dst=10.0.0.1 arpptype=0x10000", "arpptype", "not a valid uint16"},
		{"dir=out eth=0x835 src=10.0.0.5", "src", "does not apply to non-IP"},
		{"dir=out eth=0x835 stp-type=0", "stp-type", "does not apply to non-IP"},
		{"dir=out eth=stp stp-root-addr=01:02:03:04:05:06:07:08", "stp-root-addr", "not a valid MAC address"},
		{"dir=out eth=stp stp-type=0x100", "stp-type", "not a valid uint8"},
		{"dir=out eth=ether", "eth", "is not stp, ipv4"},
		{"dir=out eth=0x10000", "eth", "is not stp, ipv4"},
		{"dir=out eth=0x835 smac=zz:54:00:aa:bb:cc", "smac", "not a valid MAC address"},
		{"dir=out eth=0x835 dmac=00-11-22-33-44-55-66-77", "dmac", "not a valid MAC address"},
		{"dir=out eth=0x835 vlan=4096", "vlan", "VLAN id"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := ParsePacket(tt.spec, binding)
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "want a *ParseError, got %v", err)
			assert.Equal(t, tt.key, pe.Key)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

// FuzzParsePacket checks that no description makes the parser or the
// simulator panic, and that every accepted description simulates.
func FuzzParsePacket(f *testing.F) {
	for _, seed := range []string{
		"dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp dport=22",
		"dir=in eth=arp src=10.0.0.1 dst=10.0.0.5 arpop=reply",
		"dir=out eth=stp stp-type=128 stp-port=3",
		"dir=out vlan=7 eth=vlan src=fe80::1 dst=ff02::1 proto=icmpv6 type=135",
		"dir=out src=10.0.0.5 dst=10.0.0.1 proto=udp ipset=x conncount=9 tohost=1 state=related ctdir=original",
		"dir==out ==  = x=",
	} {
		f.Add(seed)
	}
	var s ruleSeq
	g := ethGraph(
		jump(subChain("arp", ir.ChainARP, s.rule(ir.ProtoARP, ir.DirInOut, ir.ActionReturn, macMatch(ir.FieldARPSrcMAC, vmMAC)))),
		entry(s.rule(ir.ProtoIP, ir.DirInOut, ir.ActionContinue, numMatch(ir.FieldIPProto, 6), numMatch(ir.FieldDstPort, 22))),
	)
	g.IP = []*ir.Rule{
		s.rule(ir.ProtoTCP, ir.DirIn, ir.ActionAccept, numMatch(ir.FieldDstPort, 22)),
		s.rule(ir.ProtoICMPv6, ir.DirOut, ir.ActionAccept, numMatch(ir.FieldICMPType, 135)),
		s.rule(ir.ProtoAll, ir.DirOut, ir.ActionDrop, ir.Match{Field: ir.FieldIPSet, IPSet: ir.IPSetRef{Name: "x"}}),
	}
	f.Fuzz(func(t *testing.T, spec string) {
		p, err := ParsePacket(spec, binding)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("%q: error %v is not a *ParseError", spec, err)
			}
			return
		}
		res, err := Simulate(g, p)
		if err != nil {
			t.Fatalf("%q parsed but does not simulate: %v", spec, err)
		}
		if !strings.HasPrefix(res.String(), "verdict: ") {
			t.Fatalf("%q: bad output %q", spec, res.String())
		}
	})
}
