//go:build linux

package netnstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"
)

// nonce returns n random bytes that mark one probe's traffic.
func nonce(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b
}

// ProbeTCP connects from the namespace to dst, which must run a
// [Netns.ListenTCP] echo server, sends a random line and waits for its echo.
// It returns nil when the echo came back, an [ErrBlocked] error when the
// connection or the echo was dropped or refused before the deadline (the
// lab's probe timeout, or ctx's deadline if earlier), and another error when
// the probe itself failed.
func (n *Netns) ProbeTCP(ctx context.Context, dst netip.AddrPort) error {
	dl := n.deadline(ctx)
	err := n.Do(func() error {
		d := net.Dialer{Deadline: dl}
		c, err := d.DialContext(ctx, "tcp", dst.String())
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.SetDeadline(dl); err != nil {
			return err
		}
		return echo(c, nonce(16))
	})
	return probeError("tcp", n.label(), dst.String(), err)
}

// ProbeUDP sends one datagram with a random payload from the namespace to
// dst, which must run a [Netns.ListenUDP] echo server, and waits for the echo.
// Results are as for [Netns.ProbeTCP]; an ICMP port unreachable counts as
// rejected.
func (n *Netns) ProbeUDP(ctx context.Context, dst netip.AddrPort) error {
	dl := n.deadline(ctx)
	err := n.Do(func() error {
		// A connected socket, so ICMP errors are reported to it.
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dst))
		if err != nil {
			return setupError{err}
		}
		defer c.Close()
		if err := c.SetDeadline(dl); err != nil {
			return err
		}
		return echo(c, nonce(16))
	})
	return probeError("udp", n.label(), dst.String(), err)
}

// echo writes msg to c and reads it back.
func echo(c io.ReadWriter, msg []byte) error {
	if _, err := c.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return fmt.Errorf("echo mismatch: sent %x, got %x", msg, got)
	}
	return nil
}

// sleepCtx sleeps for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
