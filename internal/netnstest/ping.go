//go:build linux

package netnstest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Ping sends one ICMP (IPv4) or ICMPv6 echo request from the namespace to dst
// and waits for the matching reply. Results are as for [Netns.ProbeTCP].
//
// It uses ICMP echo sockets (the kernel's "ping" sockets, enabled in every lab
// namespace by net.ipv4.ping_group_range), so concurrent pings never see each
// other's replies.
func (n *Netns) Ping(ctx context.Context, dst netip.Addr) error {
	dst = dst.Unmap()
	network, proto := "udp4", 1
	var typ, reply icmp.Type = ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply
	if dst.Is6() {
		network, proto = "udp6", 58
		typ, reply = ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply
	}
	dl := n.deadline(ctx)
	err := n.Do(func() error {
		c, err := icmp.ListenPacket(network, "")
		if err != nil {
			return setupError{fmt.Errorf("open ICMP echo socket: %w", err)}
		}
		defer c.Close()
		if err := c.SetDeadline(dl); err != nil {
			return err
		}
		// The kernel sets the identifier to the socket's port; seq and
		// data tell this probe's reply apart.
		seq, data := int(rand.Uint32()&0xffff), nonce(16)
		req, err := (&icmp.Message{Type: typ, Body: &icmp.Echo{Seq: seq, Data: data}}).Marshal(nil)
		if err != nil {
			return err
		}
		to := &net.UDPAddr{IP: dst.AsSlice(), Zone: dst.Zone()}
		if _, err := c.WriteTo(req, to); err != nil {
			return err
		}
		buf := make([]byte, 1500)
		for {
			m, from, err := c.ReadFrom(buf)
			if err != nil {
				return err
			}
			msg, err := icmp.ParseMessage(proto, buf[:m])
			if err != nil || msg.Type != reply {
				continue
			}
			e, ok := msg.Body.(*icmp.Echo)
			if !ok || e.Seq != seq || !bytes.Equal(e.Data, data) {
				continue
			}
			if ua, ok := from.(*net.UDPAddr); !ok || !ua.IP.Equal(to.IP) {
				return fmt.Errorf("echo reply from %v, want %v", from, dst)
			}
			return nil
		}
	})
	return probeError("icmp", n.label(), dst.String(), err)
}
