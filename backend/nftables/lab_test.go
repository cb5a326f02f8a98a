package nftables

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/internal/netnstest"
)

// lab is a netnstest lab with two VMs: a on port va, b on port vb.
type lab struct {
	*netnstest.Lab
	a, b *netnstest.VM
}

var (
	macVMA = net.HardwareAddr{0x52, 0x54, 0, 0, 0, 0x0a}
	macVMB = net.HardwareAddr{0x52, 0x54, 0, 0, 0, 0x0b}
)

func newLab(t *testing.T) *lab {
	t.Helper()
	nl := netnstest.New(t)
	if nl == nil {
		t.SkipNow()
	}
	l := &lab{Lab: nl}
	var err error
	ctx := context.Background()
	l.a, err = nl.AddVM(ctx, netnstest.VMConfig{Name: "a", PortDev: "va", MAC: macVMA})
	require.NoError(t, err)
	l.b, err = nl.AddVM(ctx, netnstest.VMConfig{Name: "b", PortDev: "vb", MAC: macVMB})
	require.NoError(t, err)
	return l
}

// dialTimeout bounds a TCP connect; a dropped SYN costs this much.
var dialTimeout = 400 * time.Millisecond

// listenTCP starts an echo server in vm on port.
func listenTCP(t *testing.T, n *netnstest.Netns, port uint16) {
	t.Helper()
	ln, err := n.ListenTCP(port)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
}

// dialTCP connects from n to dst:port and keeps the connection open until
// the test ends.
func dialTCP(t *testing.T, n *netnstest.Netns, dst netip.Addr, port uint16, timeout time.Duration) error {
	var c net.Conn
	err := n.Do(func() error {
		var err error
		c, err = net.DialTimeout("tcp", netip.AddrPortFrom(dst, port).String(), timeout)
		return err
	})
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return err
}

// udpRefused sends a UDP datagram from n and reports whether an ICMP port
// unreachable came back (the connected socket reports ECONNREFUSED).
func udpRefused(t *testing.T, n *netnstest.Netns, dst netip.Addr, port uint16) bool {
	var refused bool
	require.NoError(t, n.Do(func() error {
		c, err := net.Dial("udp", netip.AddrPortFrom(dst, port).String())
		if err != nil {
			return err
		}
		defer c.Close()
		_, _ = c.Write([]byte("x"))
		_ = c.SetReadDeadline(time.Now().Add(dialTimeout))
		_, err = c.Read(make([]byte, 1))
		refused = err != nil && strings.Contains(err.Error(), "refused")
		return nil
	}))
	return refused
}

// backend creates a real Backend inside the lab's host namespace.
func (l *lab) backend(t *testing.T, path ConntrackPath) *Backend {
	t.Helper()
	var b *Backend
	require.NoError(t, l.Do(func() error {
		var err error
		b, err = New(Options{Conntrack: path})
		return err
	}))
	t.Cleanup(func() { assert.NoError(t, b.Close()) })
	return b
}

// apply runs fn in the host namespace.
func (l *lab) apply(t *testing.T, fn func(ctx context.Context) error) {
	t.Helper()
	require.NoError(t, l.Do(func() error { return fn(context.Background()) }))
}

func (l *lab) nftList(t *testing.T) string {
	out, _, err := l.Run(context.Background(), "nft", "list", "ruleset")
	require.NoError(t, err)
	return out
}
