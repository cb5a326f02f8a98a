//go:build linux

package netnstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// neighPoll is how often ResolveNeighbor looks at the neighbour table.
const neighPoll = 5 * time.Millisecond

// ResolveNeighbor tests ARP (IPv4) or neighbour discovery (IPv6) from the
// namespace's default device ([Netns.Dev]) to dst: it deletes any neighbour
// entry for dst, makes the kernel resolve it again by sending one UDP datagram
// to dst's discard port (9), and waits until the entry is resolved. It
// returns the resolved MAC, or an [ErrBlocked] error when the entry is still
// unresolved (no ARP/NDP answer) at the deadline (the lab's probe timeout, or
// ctx's deadline if earlier, counted from the moment the datagram is sent).
//
// Calls on the same namespace are serialised, since each one deletes the
// entry the others wait for.
func (n *Netns) ResolveNeighbor(ctx context.Context, dst netip.Addr) (net.HardwareAddr, error) {
	dst = dst.Unmap()
	n.neighMu.Lock()
	defer n.neighMu.Unlock()
	h, err := n.netlink()
	if err != nil {
		return nil, err
	}
	link, err := h.LinkByName(n.dev)
	if err != nil {
		return nil, fmt.Errorf("netnstest: neighbour probe %s: %w", n.label(), err)
	}
	query := netlink.Neigh{LinkIndex: link.Attrs().Index, Family: netlink.FAMILY_V4, IP: dst.AsSlice()}
	if dst.Is6() {
		query.Family = netlink.FAMILY_V6
	}
	if err := h.NeighDel(&query); err != nil && !errors.Is(err, unix.ENOENT) {
		return nil, fmt.Errorf("netnstest: neighbour probe %s: forget %s: %w", n.label(), dst, err)
	}

	ctx, cancel := context.WithDeadline(ctx, n.deadline(ctx))
	defer cancel()
	err = n.Do(func() error {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 9)))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("netnstest neighbour probe"))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("netnstest: neighbour probe %s -> %s: send: %w", n.label(), dst, err)
	}
	last := "no entry"
	for {
		e, err := findNeigh(h, query)
		switch {
		case errors.Is(err, netlink.ErrDumpInterrupted):
		case err != nil:
			return nil, fmt.Errorf("netnstest: neighbour probe %s: list: %w", n.label(), err)
		case e != nil:
			last = fmt.Sprintf("entry %v, state %#x", e.HardwareAddr, e.State)
			if e.State&nudResolved != 0 && len(e.HardwareAddr) == 6 {
				return e.HardwareAddr, nil
			}
		}
		if e != nil && e.State&netlink.NUD_FAILED != 0 || sleepCtx(ctx, neighPoll) != nil {
			break
		}
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil, ctx.Err()
	}
	return nil, &BlockedError{Probe: "neighbour", From: n.label() + "/" + n.dev, To: dst.String(),
		Err: fmt.Errorf("not resolved: %s", last)}
}

// nudResolved are the neighbour states that hold a usable link-layer address.
const nudResolved = netlink.NUD_REACHABLE | netlink.NUD_STALE | netlink.NUD_DELAY |
	netlink.NUD_PROBE | netlink.NUD_PERMANENT | netlink.NUD_NOARP

// findNeigh returns the entry matching q's link, family and address, or nil.
func findNeigh(h *netlink.Handle, q netlink.Neigh) (*netlink.Neigh, error) {
	list, err := h.NeighList(q.LinkIndex, q.Family)
	for i := range list {
		if list[i].IP.Equal(q.IP) {
			return &list[i], err
		}
	}
	return nil, err
}
