package conntrack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Flow is one tracked connection.
type Flow struct {
	// Proto is the IP protocol number.
	Proto uint8
	// Orig is the original direction's source and destination.
	OrigSrc, OrigDst netip.AddrPort
	// Reply is the reply direction's source and destination.
	ReplySrc, ReplyDst netip.AddrPort
	// Zone and Mark are the conntrack zone and mark.
	Zone uint16
	Mark uint32
}

// Involves reports whether any of the flow's addresses is one of addrs.
func (f Flow) Involves(addrs ...netip.Addr) bool {
	for _, a := range addrs {
		a = a.Unmap()
		if f.OrigSrc.Addr() == a || f.OrigDst.Addr() == a || f.ReplySrc.Addr() == a || f.ReplyDst.Addr() == a {
			return true
		}
	}
	return false
}

// Table lists and deletes tracked connections.
type Table interface {
	// List returns the tracked connections of both address families.
	List(ctx context.Context) ([]Flow, error)
	// DeleteInvolving deletes every connection that has one of addrs as an
	// original or reply address, and returns how many it deleted.
	DeleteInvolving(ctx context.Context, addrs ...netip.Addr) (int, error)
}

// Netlink is a Table that talks to the kernel over netlink, in the network
// namespace of its handle (nil: the calling thread's).
type Netlink struct {
	// Handle is the netlink handle to use; nil uses the calling thread's
	// network namespace.
	Handle *netlink.Handle
}

var families = []netlink.InetFamily{unix.AF_INET, unix.AF_INET6}

func (n Netlink) handle() (*netlink.Handle, func(), error) {
	if n.Handle != nil {
		return n.Handle, func() {}, nil
	}
	h, err := netlink.NewHandle(unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, nil, fmt.Errorf("open conntrack netlink socket: %w", err)
	}
	return h, h.Close, nil
}

// List implements Table.
func (n Netlink) List(ctx context.Context) ([]Flow, error) {
	h, done, err := n.handle()
	if err != nil {
		return nil, err
	}
	defer done()
	var out []Flow
	for _, fam := range families {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		flows, err := h.ConntrackTableList(netlink.ConntrackTable, fam)
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			return nil, fmt.Errorf("list conntrack table: %w", err)
		}
		for _, f := range flows {
			out = append(out, flowOf(f))
		}
	}
	return out, nil
}

// DeleteInvolving implements Table.
func (n Netlink) DeleteInvolving(ctx context.Context, addrs ...netip.Addr) (int, error) {
	if len(addrs) == 0 {
		return 0, nil
	}
	h, done, err := n.handle()
	if err != nil {
		return 0, err
	}
	defer done()
	filter := involvesFilter(slices.Clone(addrs))
	total := 0
	for _, fam := range families {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := h.ConntrackDeleteFilters(netlink.ConntrackTable, fam, filter)
		total += int(n)
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			return total, fmt.Errorf("delete conntrack entries: %w", err)
		}
	}
	return total, nil
}

type involvesFilter []netip.Addr

func (f involvesFilter) MatchConntrackFlow(flow *netlink.ConntrackFlow) bool {
	return flowOf(flow).Involves(f...)
}

func flowOf(f *netlink.ConntrackFlow) Flow {
	return Flow{
		Proto:    f.Forward.Protocol,
		OrigSrc:  addrPort(f.Forward.SrcIP, f.Forward.SrcPort),
		OrigDst:  addrPort(f.Forward.DstIP, f.Forward.DstPort),
		ReplySrc: addrPort(f.Reverse.SrcIP, f.Reverse.SrcPort),
		ReplyDst: addrPort(f.Reverse.DstIP, f.Reverse.DstPort),
		Zone:     f.Zone,
		Mark:     f.Mark,
	}
}

func addrPort(ip net.IP, port uint16) netip.AddrPort {
	a, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(a.Unmap(), port)
}
