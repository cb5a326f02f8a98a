//go:build linux

package netnstest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// BridgeName is the name of the lab's bridge in the host namespace.
const BridgeName = "br0"

// DefaultProbeTimeout bounds every probe whose context has no earlier
// deadline; see [WithProbeTimeout]. It is generous so that traffic that is
// allowed gets through even on a loaded machine (a TCP probe includes one SYN
// retransmission at 1 s). Probes of traffic expected to be blocked wait for
// the whole timeout, so give them a context with a short deadline.
const DefaultProbeTimeout = 2 * time.Second

// Addresses of the host's bridge; VMs get 192.0.2.11, .12, ... and
// 2001:db8::b, ::c, ... unless configured otherwise (see [VMConfig]). Both
// are documentation prefixes, and they exist only inside the lab.
var (
	DefaultHostIPv4 = netip.MustParsePrefix("192.0.2.1/24")
	DefaultHostIPv6 = netip.MustParsePrefix("2001:db8::1/64")
)

// bridgeMAC is fixed so that adding ports never changes the bridge's address
// under the VMs' neighbour caches (a bridge otherwise takes its ports' lowest MAC).
var bridgeMAC = net.HardwareAddr{0x02, 0x67, 0x6e, 0x66, 0x00, 0x01}

// Lab is a virtual network for one test: a host namespace (the embedded
// [Netns]) with bridge br0, and the VMs added with [Lab.AddVM]. Everything is
// deleted when the test ends. Its methods are safe for concurrent use.
type Lab struct {
	*Netns // the host namespace

	t      testing.TB
	id     string
	v4, v6 netip.Prefix
	brnf   BridgeNF

	mu         sync.Mutex
	closed     bool
	namespaces []*Netns // creation order; deleted in reverse
	vms        []*VM
	vmCount    int             // VMs requested so far, for defaults
	reserved   map[string]bool // "vm:<name>", "dev:<port dev>"
	closers    []io.Closer
}

// Option configures [New].
type Option func(*labOptions)

type labOptions struct {
	timeout time.Duration
}

// WithProbeTimeout sets how long a probe waits for an answer, and so how long
// a probe of blocked traffic takes, when its context has no earlier deadline.
// Default: [DefaultProbeTimeout].
func WithProbeTimeout(d time.Duration) Option {
	return func(o *labOptions) { o.timeout = d }
}

var reapOnce sync.Once

// New creates a lab for t: it calls [Require], reaps stale namespaces of
// earlier runs once per process ([ReapStale]), creates the host namespace with
// its bridge and registers a t.Cleanup that deletes every namespace of the
// lab. A setup failure fails the test.
func New(t testing.TB, opts ...Option) *Lab {
	t.Helper()
	if !requireKernel(t, nil) {
		return nil
	}
	o := labOptions{timeout: DefaultProbeTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeout <= 0 {
		t.Fatalf("netnstest: bad lab options: probe timeout %v", o.timeout)
		return nil
	}
	reapOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		reaped, err := ReapStale(ctx)
		if len(reaped) > 0 {
			t.Logf("netnstest: reaped stale namespaces %v", reaped)
		}
		if err != nil {
			t.Logf("netnstest: reaping stale namespaces: %v", err)
		}
	})

	l := &Lab{t: t, id: newLabID(), v4: DefaultHostIPv4, v6: DefaultHostIPv6}
	t.Cleanup(l.cleanup)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	host, err := l.newNetns(ctx, "host", BridgeName, o.timeout)
	if err != nil {
		t.Fatalf("%v", err)
		return nil
	}
	l.Netns = host
	host.v4, host.v6, host.mac = DefaultHostIPv4, DefaultHostIPv6, bridgeMAC
	if err := l.setupHost(ctx); err != nil {
		t.Fatalf("netnstest: set up host netns %s: %v", host.name, err)
		return nil
	}
	return l
}

// newNetns creates and opens a namespace of the lab, registered for deletion
// before anything else can fail.
func (l *Lab) newNetns(ctx context.Context, role, dev string, timeout time.Duration) (*Netns, error) {
	name := Prefix + l.id + "-" + role
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errors.New("netnstest: lab already cleaned up")
	}
	if err := addNetns(ctx, name); err != nil {
		return nil, err
	}
	short := strings.TrimPrefix(role, "vm-")
	n := &Netns{name: name, short: short, dev: dev, handle: netns.None(), timeout: timeout, lab: l}
	l.namespaces = append(l.namespaces, n)
	h, err := netns.GetFromName(name)
	if err != nil {
		return nil, fmt.Errorf("netnstest: open netns %s: %w", name, err)
	}
	n.handle = h
	return n, nil
}

// baseSysctls are set in every lab namespace before its links exist: no IPv6
// duplicate address detection, so addresses work at once, and ICMP echo
// sockets for root, so Ping needs no raw socket.
var baseSysctls = [][2]string{
	{"net.ipv6.conf.all.accept_dad", "0"},
	{"net.ipv6.conf.default.accept_dad", "0"},
	{"net.ipv4.ping_group_range", "0 2147483647"},
}

func (n *Netns) setBase(ctx context.Context) error {
	for _, kv := range baseSysctls {
		if err := n.SetSysctl(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return ipCmd(ctx, "-n", n.name, "link", "set", "lo", "up")
}

func (l *Lab) setupHost(ctx context.Context) error {
	h := l.Netns
	if err := h.setBase(ctx); err != nil {
		return err
	}
	steps := [][]string{
		// No STP, no multicast snooping: ports forward at once and
		// multicast (NDP) is flooded whatever MLD reports were seen.
		{"link", "add", BridgeName, "address", bridgeMAC.String(), "type", "bridge", "stp_state", "0", "mcast_snooping", "0"},
		{"addr", "add", l.v4.String(), "dev", BridgeName},
		{"addr", "add", l.v6.String(), "dev", BridgeName, "nodad"},
		{"link", "set", BridgeName, "up"},
	}
	for _, s := range steps {
		if err := ipCmd(ctx, append([]string{"-n", h.name}, s...)...); err != nil {
			return err
		}
	}
	brnf, err := h.setupBridgeNF()
	if err != nil {
		return err
	}
	l.brnf = brnf
	return nil
}

// Prefixes returns the host's bridge addresses with their subnets.
func (l *Lab) Prefixes() (v4, v6 netip.Prefix) { return l.v4, l.v6 }

// Bridge returns the name of the lab's bridge in the host namespace.
func (l *Lab) Bridge() string { return BridgeName }

// VMs returns the lab's VMs in the order they were added.
func (l *Lab) VMs() []*VM {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.vms)
}

// track registers c to be closed at cleanup, before the namespaces go.
func (l *Lab) track(c io.Closer) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("netnstest: lab already cleaned up")
	}
	l.closers = append(l.closers, c)
	return nil
}

func (l *Lab) untrack(c io.Closer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i := slices.Index(l.closers, c); i >= 0 {
		l.closers = slices.Delete(l.closers, i, i+1)
	}
}

func (l *Lab) cleanup() {
	l.mu.Lock()
	l.closed = true
	closers, namespaces := l.closers, l.namespaces
	l.closers, l.namespaces = nil, nil
	l.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if l.t.Failed() && l.Netns != nil && l.Netns.handle.IsOpen() {
		l.logState(ctx)
	}
	for _, c := range slices.Backward(closers) {
		_ = c.Close()
	}
	for _, n := range slices.Backward(namespaces) {
		if n.handle.IsOpen() {
			_ = n.handle.Close()
		}
		if err := deleteNetns(ctx, n.name); err != nil {
			l.t.Errorf("netnstest: cleanup: %v", err)
		}
	}
}

// logState logs the host namespace's links and ruleset to help debug a
// failed test.
func (l *Lab) logState(ctx context.Context) {
	cmds := [][]string{{"ip", "-br", "link"}, {"ip", "-br", "addr"}}
	if _, err := exec.LookPath("nft"); err == nil {
		cmds = append(cmds, []string{"nft", "list", "ruleset"})
	}
	for _, c := range cmds {
		out, errOut, err := l.Run(ctx, c[0], c[1:]...)
		if err != nil {
			out = err.Error()
		}
		l.t.Logf("netnstest: test failed; in host netns %s: %s:\n%s%s", l.name, commandLine(c[0], c[1:]), out, errOut)
	}
}
