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

// Sysctl reads a network sysctl of the namespace, key in dotted form
// ("net.ipv4.ip_forward"). Only keys below "net." are accepted.
func (n *Netns) Sysctl(key string) (string, error) {
	path, err := sysctlPath(key)
	if err != nil {
		return "", err
	}
	var v []byte
	err = n.Do(func() error {
		v, err = os.ReadFile(path)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("netnstest: read %s in netns %s: %w", key, n.name, err)
	}
	return strings.TrimSpace(string(v)), nil
}

// SetSysctl writes a network sysctl of the namespace, key in dotted form.
// Only keys below "net." are accepted; the kernel refuses writes from a child
// namespace to the few of those that are global.
func (n *Netns) SetSysctl(key, value string) error {
	path, err := sysctlPath(key)
	if err != nil {
		return err
	}
	err = n.Do(func() error {
		// /proc/sys/net resolves through the opening thread's namespace.
		return os.WriteFile(path, []byte(value), 0o644)
	})
	if err != nil {
		return fmt.Errorf("netnstest: set %s=%s in netns %s: %w", key, value, n.name, err)
	}
	return nil
}

func sysctlPath(key string) (string, error) {
	if !strings.HasPrefix(key, "net.") || strings.Contains(key, "/") || strings.Contains(key, "..") {
		return "", fmt.Errorf("netnstest: sysctl %q: only net.* keys of a harness namespace may be used", key)
	}
	return "/proc/sys/" + strings.ReplaceAll(key, ".", "/"), nil
}

func commandLine(name string, args []string) string {
	return strings.TrimSpace(name + " " + strings.Join(args, " "))
}
