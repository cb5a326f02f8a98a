//go:build linux

package netnstest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// htons converts a 16-bit value to network byte order, as AF_PACKET wants
// its protocol numbers.
func htons(v uint16) uint16 { return v<<8 | v>>8 }

// SendFrame sends the frame unchanged out of device dev of the namespace
// ("" means [Netns.Dev]) through an AF_PACKET socket, bypassing the
// namespace's own IP stack and firewall. From a VM's eth0 the frame enters
// the bridge through the VM's port device, as a frame from a guest would.
func (n *Netns) SendFrame(ctx context.Context, dev string, f Frame) error {
	b, err := f.Build()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dev = n.devOr(dev)
	var ifindex int
	err = n.Do(func() error {
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			return err
		}
		ifindex = ifi.Index
		return nil
	})
	if err == nil {
		err = n.sendOn(ifindex, b)
	}
	if err != nil {
		return fmt.Errorf("netnstest: send frame from %s/%s: %w", n.label(), dev, err)
	}
	return nil
}

// sendOn sends frame b out of the device with index ifindex.
func (n *Netns) sendOn(ifindex int, b []byte) error {
	rc, err := n.sendSocket()
	if err != nil {
		return err
	}
	sa := &unix.SockaddrLinklayer{
		Ifindex:  ifindex,
		Protocol: htons(binary.BigEndian.Uint16(b[12:14])),
		Halen:    6,
	}
	copy(sa.Addr[:], b[:6])
	var serr error
	err = rc.Control(func(fd uintptr) { serr = unix.Sendto(int(fd), b, 0, sa) })
	return errors.Join(err, serr)
}

// sendSocket returns the namespace's AF_PACKET socket for sending, opened on
// first use and kept until cleanup: closing a packet socket waits for an RCU
// grace period (several milliseconds), too slow to pay per frame.
func (n *Netns) sendSocket() (syscall.RawConn, error) {
	n.sendMu.Lock()
	defer n.sendMu.Unlock()
	if n.sendFD == nil {
		var fd int
		err := n.Do(func() (err error) {
			fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0) // protocol 0: send only
			return err
		})
		if err != nil {
			return nil, err
		}
		f := os.NewFile(uintptr(fd), "packet-send")
		if n.lab != nil {
			if err := n.lab.track(f); err != nil {
				_ = f.Close()
				return nil, err
			}
		}
		n.sendFD = f
	}
	return n.sendFD.SyscallConn()
}

// Capture receives the frames arriving at one device of a namespace, from
// the moment [Netns.StartCapture] returns. The lab closes it at cleanup.
type Capture struct {
	ns  *Netns
	dev string
	f   *os.File
	rc  syscall.RawConn
	mu  sync.Mutex // one Wait at a time
}

// captureBuf is the capture socket's receive buffer, enough for the frames
// that arrive while a test is busy elsewhere.
const captureBuf = 4 << 20

// StartCapture opens an AF_PACKET socket on device dev of the namespace
// ("" means [Netns.Dev]) that sees every frame the device receives. Frames
// the device sends are ignored.
//
// Where it looks matters: on a VM's eth0 it sees what the bridge delivered to
// the VM; on br0 in the host namespace, what the bridge passed up to the host
// (after the bridge's input filtering, before the IP stack's); on a port
// device, what the VM sent, before any filtering by the bridge.
func (n *Netns) StartCapture(ctx context.Context, dev string) (*Capture, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dev = n.devOr(dev)
	var fd int
	err := n.Do(func() error {
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			return err
		}
		// Protocol 0 now and ETH_P_ALL at bind: a socket created with a
		// protocol would receive from every device until bound, and
		// rebinding it waits for an RCU grace period.
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, captureBuf); err != nil {
			unix.Close(fd)
			return err
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
			unix.Close(fd)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("netnstest: capture on %s/%s: %w", n.label(), dev, err)
	}
	c := &Capture{ns: n, dev: dev, f: os.NewFile(uintptr(fd), "packet:"+dev)}
	if c.rc, err = c.f.SyscallConn(); err != nil {
		_ = c.f.Close()
		return nil, err
	}
	if n.lab != nil {
		if err := n.lab.track(c); err != nil {
			_ = c.f.Close()
			return nil, err
		}
	}
	return c, nil
}

// Wait reads the captured frames until one satisfies match, and reports
// whether one did before the deadline (the lab's probe timeout, or ctx's
// deadline if earlier). Frames read are consumed. It returns an error only
// when capturing failed or ctx was cancelled.
func (c *Capture) Wait(ctx context.Context, match func(frame []byte) bool) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.f.SetReadDeadline(c.ns.deadline(ctx)); err != nil {
		return false, err
	}
	stop := context.AfterFunc(ctx, func() { _ = c.f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, 64<<10)
	for {
		var n int
		var from unix.Sockaddr
		var rerr error
		err := c.rc.Read(func(fd uintptr) bool {
			n, from, rerr = unix.Recvfrom(int(fd), buf, 0)
			return !errors.Is(rerr, unix.EAGAIN)
		})
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			if errors.Is(ctx.Err(), context.Canceled) {
				return false, ctx.Err()
			}
			return false, nil
		case err != nil:
			return false, err
		case rerr != nil:
			return false, fmt.Errorf("netnstest: capture on %s/%s: %w", c.ns.label(), c.dev, rerr)
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		if match(buf[:n]) {
			return true, nil
		}
	}
}

// Close closes the capture socket.
func (c *Capture) Close() error {
	if c.ns.lab != nil {
		c.ns.lab.untrack(c)
	}
	return c.f.Close()
}

// MatchFrame returns a match function for [Capture.Wait] that accepts a frame
// identical to sent, allowing trailing padding.
func MatchFrame(sent []byte) func([]byte) bool {
	return func(got []byte) bool { return bytes.HasPrefix(got, sent) }
}

// DeliverFrame sends f from from's default device ([Netns.Dev]) and reports
// whether the same frame arrived at to's default device in time. This is how
// a test shows that a spoofed frame is dropped: it is not delivered, while the
// same frame with the real source is.
//
// The wait is the lab's probe timeout, or the time left until ctx's deadline
// if that is shorter, measured from when the frame is sent, so a slow
// setup on a loaded machine does not eat into it. A frame that is not
// delivered costs the whole wait; pass a ctx with a short deadline for
// negative checks.
func DeliverFrame(ctx context.Context, from, to *Netns, f Frame) (bool, error) {
	b, err := f.Build()
	if err != nil {
		return false, err
	}
	wait := time.Until(to.deadline(ctx))
	if wait <= 0 {
		return false, fmt.Errorf("netnstest: deliver frame: %w", context.DeadlineExceeded)
	}
	setup := context.WithoutCancel(ctx)
	c, err := to.StartCapture(setup, "")
	if err != nil {
		return false, err
	}
	// Closing waits for an RCU grace period; the caller need not.
	defer func() { go c.Close() }()
	if err := from.SendFrame(setup, "", RawFrame(b)); err != nil {
		return false, err
	}
	waitCtx, cancel := context.WithTimeout(setup, wait)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			cancel()
		}
	})
	defer stop()
	ok, err := c.Wait(waitCtx, MatchFrame(b))
	if err != nil && ctx.Err() != nil {
		return false, ctx.Err()
	}
	return ok, err
}
