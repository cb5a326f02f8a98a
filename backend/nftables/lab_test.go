package nftables

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"
)

// A tiny namespace lab for this package's kernel tests: host namespace with
// bridge br0 (10.9.0.1/24) and two VM namespaces whose veth peers are ports
// va and vb of br0. It is replaced by internal/netnstest once that lands.

var labSeq atomic.Int32

type lab struct {
	host, a, b string
}

const (
	hostIP = "10.9.0.1"
	vmAIP  = "10.9.0.2"
	vmBIP  = "10.9.0.3"
)

func requireKernel(t *testing.T) {
	t.Helper()
	mode := os.Getenv("GONWFILTER_KERNEL_TESTS")
	skip := func(why string) {
		if mode == "require" {
			t.Fatalf("kernel test required but %s", why)
		}
		t.Skip("kernel test skipped: " + why)
	}
	if mode == "skip" {
		t.Skip("kernel tests disabled by GONWFILTER_KERNEL_TESTS=skip")
	}
	if os.Geteuid() != 0 {
		skip("not root")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		skip("nft not installed")
	}
}

func sh(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	require.NoError(t, err, "ip %s: %s", strings.Join(args, " "), out)
}

func newLab(t *testing.T) *lab {
	requireKernel(t)
	n := fmt.Sprintf("gnft-nft-%d-%d", os.Getpid(), labSeq.Add(1))
	l := &lab{host: n + "h", a: n + "a", b: n + "b"}
	for _, ns := range []string{l.host, l.a, l.b} {
		sh(t, "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		sh(t, "-n", ns, "link", "set", "lo", "up")
	}
	sh(t, "-n", l.host, "link", "add", "br0", "type", "bridge")
	sh(t, "-n", l.host, "link", "set", "br0", "up")
	sh(t, "-n", l.host, "addr", "add", hostIP+"/24", "dev", "br0")
	for port, vm := range map[string]string{"va": l.a, "vb": l.b} {
		sh(t, "-n", l.host, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", vm)
		sh(t, "-n", l.host, "link", "set", port, "master", "br0", "up")
		sh(t, "-n", vm, "link", "set", "eth0", "address", map[string]string{"va": "52:54:00:00:00:0a", "vb": "52:54:00:00:00:0b"}[port])
		sh(t, "-n", vm, "link", "set", "eth0", "up")
	}
	sh(t, "-n", l.a, "addr", "add", vmAIP+"/24", "dev", "eth0")
	sh(t, "-n", l.b, "addr", "add", vmBIP+"/24", "dev", "eth0")
	// Static neighbours keep ARP out of the IP-layer tests.
	for _, nb := range [][3]string{{l.a, vmBIP, "52:54:00:00:00:0b"}, {l.b, vmAIP, "52:54:00:00:00:0a"}} {
		sh(t, "-n", nb[0], "neigh", "replace", nb[1], "lladdr", nb[2], "dev", "eth0", "nud", "permanent")
	}
	return l
}

// in runs fn on a thread switched into namespace name.
func in(t *testing.T, name string, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	orig, err := netns.Get()
	require.NoError(t, err)
	target, err := netns.GetFromName(name)
	require.NoError(t, err)
	defer target.Close()
	require.NoError(t, netns.Set(target))
	defer func() {
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		orig.Close()
	}()
	fn()
}

// listenTCP starts an echo-less TCP server in namespace ns on port.
func listenTCP(t *testing.T, ns string, port int) {
	var l net.Listener
	in(t, ns, func() {
		var err error
		l, err = net.Listen("tcp4", fmt.Sprintf(":%d", port))
		require.NoError(t, err)
	})
	t.Cleanup(func() { l.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
}

// dialTCP connects from namespace ns; it returns the connection or an error
// after a short timeout.
func dialTCP(t *testing.T, ns, addr string, port int) (net.Conn, error) {
	var c net.Conn
	var err error
	in(t, ns, func() {
		c, err = net.DialTimeout("tcp4", net.JoinHostPort(addr, fmt.Sprint(port)), dialTimeout)
	})
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// udpRefused sends a UDP datagram from ns and reports whether an ICMP port
// unreachable came back (the socket reports ECONNREFUSED).
func udpRefused(t *testing.T, ns, addr string, port int) bool {
	var refused bool
	in(t, ns, func() {
		c, err := net.Dial("udp4", net.JoinHostPort(addr, fmt.Sprint(port)))
		require.NoError(t, err)
		defer c.Close()
		_, _ = c.Write([]byte("x"))
		_ = c.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
		_, err = c.Read(make([]byte, 1))
		refused = err != nil && strings.Contains(err.Error(), "refused")
	})
	return refused
}

// newKernelBackend creates a real Backend inside the lab's host namespace.
func (l *lab) backend(t *testing.T, path ConntrackPath) *Backend {
	var b *Backend
	in(t, l.host, func() {
		var err error
		b, err = New(Options{Conntrack: path})
		require.NoError(t, err)
	})
	return b
}

func (l *lab) apply(t *testing.T, b *Backend, fn func(ctx context.Context) error) {
	t.Helper()
	in(t, l.host, func() { require.NoError(t, fn(context.Background())) })
}

func (l *lab) nftList(t *testing.T) string {
	out, _ := exec.Command("ip", "netns", "exec", l.host, "nft", "list", "ruleset").CombinedOutput()
	return string(out)
}

// dialTimeout bounds a TCP connect; a dropped SYN costs this much.
var dialTimeout = 400 * time.Millisecond
