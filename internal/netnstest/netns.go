//go:build linux

package netnstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Netns is one network namespace created by the harness: the lab's host
// namespace or a VM's namespace. Its methods are safe for concurrent use.
type Netns struct {
	name    string         // name under /var/run/netns
	short   string         // "host" or the VM's name, for messages
	dev     string         // default device for frames and neighbours
	handle  netns.NsHandle // open for the namespace's whole life
	timeout time.Duration  // default probe timeout
	lab     *Lab
	neighMu sync.Mutex // serialises ResolveNeighbor
	sendMu  sync.Mutex
	sendFD  *os.File // AF_PACKET socket for SendFrame, opened on first use
	nlMu    sync.Mutex
	nl      *netlink.Handle // rtnetlink in the namespace, opened on first use

	v4, v6 netip.Prefix     // addresses on dev
	mac    net.HardwareAddr // dev's MAC
}

// Name returns the namespace's name as listed by "ip netns list".
func (n *Netns) Name() string { return n.name }

// Dev returns the namespace's default device: "br0" in the host namespace,
// "eth0" in a VM. Methods that take a device name use it when given "".
func (n *Netns) Dev() string { return n.dev }

// IPv4 returns the IPv4 address of the namespace's default device [Netns.Dev].
func (n *Netns) IPv4() netip.Addr { return n.v4.Addr() }

// IPv6 returns the IPv6 address of the namespace's default device [Netns.Dev].
func (n *Netns) IPv6() netip.Addr { return n.v6.Addr() }

// MAC returns the MAC address of the namespace's default device [Netns.Dev].
func (n *Netns) MAC() net.HardwareAddr { return slices.Clone(n.mac) }

// label names the namespace in probe errors.
func (n *Netns) label() string {
	if n.short != "" {
		return n.short
	}
	return n.name
}

func (n *Netns) devOr(dev string) string {
	if dev == "" {
		return n.dev
	}
	return dev
}

// Do runs fn on an OS thread switched into the namespace and returns fn's
// error. Sockets opened and processes started by fn (on its own goroutine)
// belong to the namespace; goroutines started by fn do not.
//
// fn runs on a fresh goroutine whose thread is locked and switched back to the
// caller's namespace afterwards; if switching back fails, the thread is
// discarded rather than reused. A panic in fn is re-raised in the caller's
// goroutine after the thread is restored. fn must not call t.FailNow (or
// testify's require) since that would only end fn's goroutine: Do reports it
// as an error instead.
func (n *Netns) Do(fn func() error) error {
	type result struct {
		err      error
		panicked bool
		panicVal any
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("netnstest: get current netns: %w", err)}
			return
		}
		if err := netns.Set(n.handle); err != nil {
			_ = orig.Close()
			runtime.UnlockOSThread() // setns failed: the thread is unchanged
			done <- result{err: fmt.Errorf("netnstest: enter netns %s: %w", n.name, err)}
			return
		}
		var res result
		returned := false
		defer func() {
			if err := netns.Set(orig); err != nil {
				// Leave the thread locked: the runtime ends it with this goroutine.
				res.err = errors.Join(res.err, fmt.Errorf("netnstest: leave netns %s: %w", n.name, err))
			} else {
				runtime.UnlockOSThread()
			}
			_ = orig.Close()
			if !returned && !res.panicked {
				res.err = errors.Join(res.err, fmt.Errorf("netnstest: function run in netns %s called runtime.Goexit (t.FailNow or require inside Do?)", n.name))
			}
			done <- res
		}()
		defer func() {
			if v := recover(); v != nil {
				res.panicked, res.panicVal = true, v
			}
		}()
		res.err = fn()
		returned = true
	}()
	res := <-done
	if res.panicked {
		panic(res.panicVal)
	}
	return res.err
}

// netlink returns the namespace's rtnetlink handle, opened on first use and
// closed at cleanup.
func (n *Netns) netlink() (*netlink.Handle, error) {
	n.nlMu.Lock()
	defer n.nlMu.Unlock()
	if n.nl != nil {
		return n.nl, nil
	}
	h, err := netlink.NewHandleAt(n.handle)
	if err != nil {
		return nil, fmt.Errorf("netnstest: netlink in netns %s: %w", n.name, err)
	}
	if n.lab != nil {
		if err := n.lab.track(handleCloser{h}); err != nil {
			h.Close()
			return nil, err
		}
	}
	n.nl = h
	return h, nil
}

// handleCloser closes a netlink handle as an io.Closer.
type handleCloser struct{ h *netlink.Handle }

func (c handleCloser) Close() error {
	c.h.Close()
	return nil
}

// Run runs the command name with args inside the namespace and returns its
// standard output and standard error. A non-zero exit is an error that quotes
// the command and its standard error.
func (n *Netns) Run(ctx context.Context, name string, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	err = n.Do(func() error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		return cmd.Run()
	})
	if err != nil {
		err = fmt.Errorf("netnstest: %s in netns %s: %w: %s", commandLine(name, args), n.name, err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), errOut.String(), err
}

func commandLine(name string, args []string) string {
	return strings.TrimSpace(name + " " + strings.Join(args, " "))
}
