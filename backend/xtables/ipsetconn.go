package xtables

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// ipsetConn is the kernel's ipset interface as the Sets methods use it,
// bound to one network namespace: the calling thread's when it was opened.
// The default talks netlink; tests use a fake that records the calls.
type ipsetConn interface {
	// header returns the named set's header; ok is false when it does not
	// exist.
	header(name string) (h setHeader, ok bool, err error)
	// headers returns every set's header.
	headers() ([]setHeader, error)
	// create makes an empty hash:net set of family with ownedMaxElem.
	create(name string, family setFamily) error
	// add adds members in one request; on failure, the ones before the
	// failing member may have been added.
	add(name string, members []netip.Prefix) error
	// swap exchanges the contents of two sets (ipset swap).
	swap(a, b string) error
	destroy(name string) error
	close()
}

// setHeader is what the Sets methods need to know about a kernel ipset.
type setHeader struct {
	name    string
	typ     string
	family  setFamily
	maxElem uint32
}

// setFamily is an ipset family: the kernel's NFPROTO_IPV4/IPV6, which
// equal AF_INET/AF_INET6.
type setFamily uint8

const (
	familyInet  setFamily = unix.AF_INET
	familyInet6 setFamily = unix.AF_INET6
)

func (f setFamily) String() string {
	switch f {
	case familyInet:
		return "inet"
	case familyInet6:
		return "inet6"
	}
	return fmt.Sprintf("family %d", uint8(f))
}

// netlinkTimeout bounds each netlink exchange, so a wedged kernel reply
// cannot hang a caller.
const netlinkTimeout = 10 * time.Second

// netlinkIPSetConn is the default ipsetConn. Its netlink sockets are opened
// in the calling thread's network namespace, so every request of one Sets
// call reaches the same namespace even if the goroutine moves to another
// thread. Sets are created, swapped and destroyed with the netlink
// library's ipset functions. Two requests are built here and sent on a
// socket of our own, for speed: listing headers (the library lists every
// member too, about a second for 20,000 members, where the kernel can send
// the headers alone) and adding members (the library sends one message per
// member; the kernel takes many in one, as "ipset restore" sends them).
type netlinkIPSetConn struct {
	h   *netlink.Handle
	own *nl.SocketHandle
}

func openNetlinkIPSets() (ipsetConn, error) {
	h, err := netlink.NewHandle(unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, fmt.Errorf("opening a netfilter netlink socket: %w", err)
	}
	if err := h.SetSocketTimeout(netlinkTimeout); err != nil {
		h.Close()
		return nil, fmt.Errorf("setting the netlink socket timeout: %w", err)
	}
	s, err := nl.GetNetlinkSocketAt(netns.None(), netns.None(), unix.NETLINK_NETFILTER)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("opening a netfilter netlink socket: %w", err)
	}
	tv := unix.NsecToTimeval(netlinkTimeout.Nanoseconds())
	if err := errors.Join(s.SetSendTimeout(&tv), s.SetReceiveTimeout(&tv)); err != nil {
		s.Close()
		h.Close()
		return nil, fmt.Errorf("setting the netlink socket timeout: %w", err)
	}
	return netlinkIPSetConn{h: h, own: &nl.SocketHandle{Socket: s}}, nil
}

// guard turns a panic of the netlink library into an error: its ipset code
// asserts that every failure is a syscall.Errno, which a short or malformed
// reply breaks.
func guard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("netlink ipset request failed: %v", r)
	}
}

// ipsetFlagListHeader asks IPSET_CMD_LIST for set headers without members
// (IPSET_FLAG_LIST_HEADER in linux/netfilter/ipset/ip_set.h).
const ipsetFlagListHeader = 1 << 2

// request starts an ipset request for cmd on our own socket.
func (c netlinkIPSetConn) request(cmd int, name string) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(cmd|unix.NFNL_SUBSYS_IPSET<<8, nl.GetIpsetFlags(cmd))
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_NETFILTER: c.own}
	req.AddData(&nl.Nfgenmsg{NfgenFamily: unix.AF_NETLINK, Version: nl.NFNETLINK_V0})
	req.AddData(nl.NewRtAttr(nl.IPSET_ATTR_PROTOCOL, nl.Uint8Attr(nl.IPSET_PROTOCOL)))
	if name != "" {
		req.AddData(nl.NewRtAttr(nl.IPSET_ATTR_SETNAME, nl.ZeroTerminated(name)))
	}
	return req
}

// execute runs req and names ipset's private error codes.
func execute(req *nl.NetlinkRequest) ([][]byte, error) {
	msgs, err := req.Execute(unix.NETLINK_NETFILTER, 0)
	if errno, ok := err.(syscall.Errno); ok && errno >= nl.IPSET_ERR_PRIVATE {
		err = nl.IPSetError(errno)
	}
	return msgs, err
}

// listHeaders lists the named set's header, or every set's when name is "".
func (c netlinkIPSetConn) listHeaders(name string) ([]setHeader, error) {
	req := c.request(nl.IPSET_CMD_LIST, name)
	req.AddData(&nl.Uint32Attribute{Type: nl.IPSET_ATTR_FLAGS | nl.NLA_F_NET_BYTEORDER, Value: ipsetFlagListHeader})
	msgs, err := execute(req)
	if err != nil {
		return nil, err
	}
	out := make([]setHeader, 0, len(msgs))
	for _, msg := range msgs {
		h, err := parseHeader(msg)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// parseHeader reads a set header from one IPSET_CMD_LIST reply message.
func parseHeader(msg []byte) (setHeader, error) {
	var h setHeader
	if len(msg) < nl.SizeofNfgenmsg {
		return h, errors.New("short ipset list reply")
	}
	attrs, err := nl.ParseRouteAttr(msg[nl.SizeofNfgenmsg:])
	if err != nil {
		return h, fmt.Errorf("parsing an ipset list reply: %w", err)
	}
	for _, a := range attrs {
		switch a.Attr.Type & nl.NLA_TYPE_MASK {
		case nl.IPSET_ATTR_SETNAME:
			h.name = nl.BytesToString(a.Value)
		case nl.IPSET_ATTR_TYPENAME:
			h.typ = nl.BytesToString(a.Value)
		case nl.IPSET_ATTR_FAMILY:
			if len(a.Value) > 0 {
				h.family = setFamily(a.Value[0])
			}
		case nl.IPSET_ATTR_DATA:
			data, err := nl.ParseRouteAttr(a.Value)
			if err != nil {
				return h, fmt.Errorf("parsing an ipset list reply: %w", err)
			}
			for _, d := range data {
				if d.Attr.Type&nl.NLA_TYPE_MASK == nl.IPSET_ATTR_MAXELEM && len(d.Value) == 4 {
					h.maxElem = binary.BigEndian.Uint32(d.Value)
				}
			}
		}
	}
	if h.name == "" {
		return h, errors.New("ipset list reply without a set name")
	}
	return h, nil
}

func (c netlinkIPSetConn) header(name string) (setHeader, bool, error) {
	hs, err := c.listHeaders(name)
	switch {
	case errors.Is(err, unix.ENOENT):
		return setHeader{}, false, nil
	case err != nil:
		return setHeader{}, false, err
	case len(hs) != 1 || hs[0].name != name:
		return setHeader{}, false, fmt.Errorf("ipset list of %q answered with %d sets", name, len(hs))
	}
	return hs[0], true, nil
}

func (c netlinkIPSetConn) headers() ([]setHeader, error) { return c.listHeaders("") }

func (c netlinkIPSetConn) create(name string, family setFamily) (err error) {
	defer guard(&err)
	return c.h.IpsetCreate(name, setType, netlink.IpsetCreateOptions{Family: uint8(family), MaxElements: ownedMaxElem})
}

func (c netlinkIPSetConn) add(name string, members []netip.Prefix) error {
	req := c.request(nl.IPSET_CMD_ADD, name)
	adt := nl.NewRtAttr(nl.IPSET_ATTR_ADT|int(nl.NLA_F_NESTED), nil)
	for _, p := range members {
		data := adt.AddRtAttr(nl.IPSET_ATTR_DATA|int(nl.NLA_F_NESTED), nil)
		addr := nl.IPSET_ATTR_IPADDR_IPV4
		if p.Addr().Is6() {
			addr = nl.IPSET_ATTR_IPADDR_IPV6
		}
		data.AddRtAttr(nl.IPSET_ATTR_IP|int(nl.NLA_F_NESTED), nil).AddRtAttr(addr|int(nl.NLA_F_NET_BYTEORDER), p.Addr().AsSlice())
		data.AddRtAttr(nl.IPSET_ATTR_CIDR, nl.Uint8Attr(uint8(p.Bits())))
	}
	req.AddData(adt)
	// The kernel takes a batch (IPSET_ATTR_ADT) only with a line number.
	req.AddData(&nl.Uint32Attribute{Type: nl.IPSET_ATTR_LINENO | nl.NLA_F_NET_BYTEORDER, Value: 0})
	_, err := execute(req)
	return err
}

func (c netlinkIPSetConn) swap(a, b string) (err error) {
	defer guard(&err)
	return c.h.IpsetSwap(a, b)
}

func (c netlinkIPSetConn) destroy(name string) (err error) {
	defer guard(&err)
	return c.h.IpsetDestroy(name)
}

func (c netlinkIPSetConn) close() {
	c.own.Close()
	c.h.Close()
}
