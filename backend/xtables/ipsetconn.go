package xtables

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
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
	add(name string, p netip.Prefix) error
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

// netlinkIPSetConn is the default ipsetConn: a netlink handle whose socket
// was opened in the calling thread's network namespace, so every request
// of one Sets call reaches the same namespace even if the goroutine moves
// to another thread.
type netlinkIPSetConn struct{ h *netlink.Handle }

func openNetlinkIPSets() (ipsetConn, error) {
	h, err := netlink.NewHandle(unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, fmt.Errorf("opening a netfilter netlink socket: %w", err)
	}
	if err := h.SetSocketTimeout(netlinkTimeout); err != nil {
		h.Close()
		return nil, fmt.Errorf("setting the netlink socket timeout: %w", err)
	}
	return netlinkIPSetConn{h}, nil
}

// guard turns a panic of the netlink library into an error: its ipset code
// asserts that every failure is a syscall.Errno, which a short or malformed
// reply breaks.
func guard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("netlink ipset request failed: %v", r)
	}
}

func (c netlinkIPSetConn) header(name string) (h setHeader, ok bool, err error) {
	defer guard(&err)
	res, err := c.h.IpsetList(name)
	if errors.Is(err, unix.ENOENT) {
		return setHeader{}, false, nil
	}
	if err != nil {
		return setHeader{}, false, err
	}
	return toHeader(res), true, nil
}

func (c netlinkIPSetConn) headers() (hs []setHeader, err error) {
	defer guard(&err)
	res, err := c.h.IpsetListAll()
	if err != nil {
		return nil, err
	}
	// A set with many members comes in several messages, each with the
	// set's name; keep one header per name.
	seen := map[string]bool{}
	for i := range res {
		if !seen[res[i].SetName] {
			seen[res[i].SetName] = true
			hs = append(hs, toHeader(&res[i]))
		}
	}
	return hs, nil
}

func toHeader(r *netlink.IPSetResult) setHeader {
	return setHeader{name: r.SetName, typ: r.TypeName, family: setFamily(r.Family), maxElem: r.MaxElements}
}

func (c netlinkIPSetConn) create(name string, family setFamily) (err error) {
	defer guard(&err)
	return c.h.IpsetCreate(name, setType, netlink.IpsetCreateOptions{Family: uint8(family), MaxElements: ownedMaxElem})
}

func (c netlinkIPSetConn) add(name string, p netip.Prefix) (err error) {
	defer guard(&err)
	return c.h.IpsetAdd(name, &netlink.IPSetEntry{IP: net.IP(p.Addr().AsSlice()), CIDR: uint8(p.Bits())})
}

func (c netlinkIPSetConn) swap(a, b string) (err error) {
	defer guard(&err)
	return c.h.IpsetSwap(a, b)
}

func (c netlinkIPSetConn) destroy(name string) (err error) {
	defer guard(&err)
	return c.h.IpsetDestroy(name)
}

func (c netlinkIPSetConn) close() { c.h.Close() }
