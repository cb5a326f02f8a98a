package nwfilter

import (
	"testing"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// cleanTraffic builds libvirt's clean-traffic tree as Go values (the same
// filters, chains, priorities and rules as nwfilter/builtin), so ordering
// tests do not depend on the XML decoder.
func cleanTraffic(t testing.TB) mapResolver {
	acc, drop, ret := ir.ActionAccept, ir.ActionDrop, ir.ActionReturn
	in, out, inout := ir.DirIn, ir.DirOut, ir.DirInOut
	return mapResolver{}.add(
		filter("clean-traffic", "root",
			ref("no-mac-spoofing"),
			ref("no-ip-spoofing"),
			rule(t, acc, out, -650, ir.ProtoMAC, "protocolid=ipv4"),
			ref("allow-incoming-ipv4"),
			ref("no-arp-spoofing"),
			rule(t, acc, inout, -500, ir.ProtoMAC, "protocolid=arp"),
			ref("no-other-l2-traffic"),
			ref("qemu-announce-self"),
		),
		withPrio(filter("no-mac-spoofing", "mac",
			rule(t, ret, out, 500, ir.ProtoMAC, "srcmacaddr=$MAC"),
			rule(t, drop, out, 500, ir.ProtoMAC),
		), -800),
		withPrio(filter("no-ip-spoofing", "ipv4-ip",
			rule(t, ret, out, 100, ir.ProtoIP, "srcipaddr=0.0.0.0", "protocol=udp"),
			rule(t, ret, out, 500, ir.ProtoIP, "srcipaddr=$IP"),
			rule(t, drop, out, 1000, ir.ProtoNone),
		), -710),
		filter("allow-incoming-ipv4", "ipv4",
			rule(t, acc, in, 500, ir.ProtoNone),
		),
		filter("no-arp-spoofing", "root",
			ref("no-arp-mac-spoofing"),
			ref("no-arp-ip-spoofing"),
		),
		withPrio(filter("no-arp-mac-spoofing", "arp-mac",
			rule(t, ret, out, 350, ir.ProtoARP, "arpsrcmacaddr=$MAC"),
			rule(t, drop, out, 1000, ir.ProtoNone),
		), -520),
		withPrio(filter("no-arp-ip-spoofing", "arp-ip",
			rule(t, ret, out, 400, ir.ProtoARP, "arpsrcipaddr=$IP"),
			rule(t, drop, out, 1000, ir.ProtoNone),
		), -510),
		filter("no-other-l2-traffic", "",
			rule(t, drop, inout, 1000, ir.ProtoNone),
		),
		filter("qemu-announce-self", "root",
			rule(t, acc, out, 500, ir.ProtoMAC, "protocolid=0x835"),
			ref("qemu-announce-self-rarp"),
			ref("no-other-rarp-traffic"),
		),
		filter("qemu-announce-self-rarp", "rarp",
			rule(t, acc, out, 500, ir.ProtoRARP, "opcode=Request_Reverse",
				"srcmacaddr=$MAC", "dstmacaddr=ff:ff:ff:ff:ff:ff",
				"arpsrcmacaddr=$MAC", "arpdstmacaddr=$MAC",
				"arpsrcipaddr=0.0.0.0", "arpdstipaddr=0.0.0.0"),
			rule(t, acc, in, 500, ir.ProtoRARP, "opcode=Request_Reverse",
				"dstmacaddr=ff:ff:ff:ff:ff:ff",
				"arpsrcmacaddr=$MAC", "arpdstmacaddr=$MAC",
				"arpsrcipaddr=0.0.0.0", "arpdstipaddr=0.0.0.0"),
		),
		filter("no-other-rarp-traffic", "rarp",
			rule(t, drop, inout, 1000, ir.ProtoNone),
		),
	)
}
