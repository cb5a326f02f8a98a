package sim

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonwfilter/gonwfilter/internal/golden"
	"github.com/gonwfilter/gonwfilter/nwfilter"
)

// TestTraceGolden pins the rendered traces of a few packets through the
// compiled clean-traffic filter plus a few IP-layer rules.
func TestTraceGolden(t *testing.T) {
	const pingAndSSH = `<filter name='ping-ssh'>
  <filterref filter='clean-traffic'/>
  <rule action='accept' direction='in'><tcp dstportstart='22'/></rule>
  <rule action='accept' direction='out'><icmp type='8'/></rule>
  <rule action='drop' direction='inout' priority='1000'><all/></rule>
</filter>`
	g := compileFor(t, builtins(t, pingAndSSH), "ping-ssh", nwfilter.Param{Name: "IP", Value: "10.0.0.5"})
	var b strings.Builder
	for _, spec := range []string{
		"dir=out src=10.0.0.5 dst=192.0.2.1 proto=icmp",
		"dir=out src=10.0.0.5 dst=192.0.2.1 proto=icmp type=0 state=established",
		"dir=in src=192.0.2.1 dst=10.0.0.5 proto=tcp dport=22",
		"dir=out tohost=1 src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=22 dport=50000 state=established",
		"dir=out src=10.0.0.6 dst=192.0.2.1 proto=udp",
		"dir=out eth=arp src=10.0.0.5 dst=10.0.0.1 arpsmac=52:54:00:aa:bb:cc",
		"dir=in eth=rarp src=0.0.0.0 dst=0.0.0.0 dmac=ff:ff:ff:ff:ff:ff arpsmac=52:54:00:12:34:56 arpdmac=52:54:00:12:34:56",
		"dir=out vlan=5 src=10.0.0.5 dst=192.0.2.1 proto=udp",
	} {
		b.WriteString("$ " + spec + "\n")
		b.WriteString(simulate(t, g, spec).String())
		b.WriteString("\n")
	}
	// A packet from port 22 on a connection the VM opened (say, before the
	// filter was applied): the ssh rule's ESTABLISHED instance passes it,
	// unless it carries libvirt's older ctdir match (reply only).
	const fromSSH = "dir=out src=10.0.0.5 dst=192.0.2.1 proto=tcp sport=22 dport=40000 state=established ctdir=original"
	for _, ctdir := range []bool{false, true} {
		fmt.Fprintf(&b, "$ %s (ConntrackDirection %t)\n", fromSSH, ctdir)
		b.WriteString(simulateWith(t, g, fromSSH, Options{ConntrackDirection: ctdir}).String())
		b.WriteString("\n")
	}
	golden.Check(t, filepath.Join("testdata", "traces.golden"), []byte(b.String()))
}
