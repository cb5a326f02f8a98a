//go:build linux

package netnstest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// EnvKernelTests is the environment variable that controls kernel tests:
// unset or empty runs them when possible and skips them otherwise, "require"
// makes every reason to skip a test failure, "skip" skips them always.
const EnvKernelTests = "GONWFILTER_KERNEL_TESTS"

// Require skips the test, with a message saying why, unless the process can
// run kernel tests: it must be root, find the ip tool and every extra tool
// named in tools (for example "nft" or "iptables-restore") in PATH, and the
// kernel must support named network namespaces, veth pairs, Linux bridges and
// AF_PACKET sockets (checked once per process by building and deleting a
// throwaway namespace). See [EnvKernelTests] for turning skips into failures.
func Require(t testing.TB, tools ...string) {
	t.Helper()
	requireKernel(t, tools)
}

// requireKernel is Require, reporting whether t may go on (always, unless t
// is a fake whose Skipf and Fatalf return).
func requireKernel(t testing.TB, tools []string) bool {
	t.Helper()
	switch mode := os.Getenv(EnvKernelTests); mode {
	case "", "require":
	case "skip":
		t.Skipf("netnstest: kernel tests disabled by %s=skip", EnvKernelTests)
		return false
	default:
		t.Fatalf("netnstest: %s=%q: want \"require\", \"skip\" or empty", EnvKernelTests, mode)
		return false
	}
	if err := checkKernelTests(os.Geteuid(), tools); err != nil {
		unavailable(t, err.Error())
		return false
	}
	return true
}

// unavailable skips t with msg, or fails it when kernel tests are required.
func unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(EnvKernelTests) == "require" {
		t.Fatalf("%s (fatal because %s=require)", msg, EnvKernelTests)
		return
	}
	t.Skipf("%s (set %s=require to fail instead of skipping)", msg, EnvKernelTests)
}

// checkKernelTests returns why kernel tests cannot run as user euid, or nil.
func checkKernelTests(euid int, tools []string) error {
	if euid != 0 {
		return fmt.Errorf("netnstest: kernel tests need root, running as uid %d", euid)
	}
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("netnstest: kernel tests need the %s tool: %w", tool, err)
		}
	}
	kernelOnce.Do(func() { kernelErr = probeKernel() })
	return kernelErr
}

var (
	kernelOnce sync.Once
	kernelErr  error
)

// probeKernel builds a namespace with a bridge, a veth pair and an AF_PACKET
// socket, then deletes it.
func probeKernel() (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	name := Prefix + newLabID() + "-probe"
	if err := addNetns(ctx, name); err != nil {
		return fmt.Errorf("netnstest: kernel tests need named network namespaces: %w", err)
	}
	defer func() {
		if derr := deleteNetns(context.WithoutCancel(ctx), name); derr != nil && err == nil {
			err = derr
		}
	}()
	if err := ipCmd(ctx, "-n", name, "link", "add", "br0", "type", "bridge"); err != nil {
		return fmt.Errorf("netnstest: kernel tests need Linux bridges: %w", err)
	}
	if err := ipCmd(ctx, "-n", name, "link", "add", "p0", "type", "veth", "peer", "name", "p1"); err != nil {
		return fmt.Errorf("netnstest: kernel tests need veth pairs: %w", err)
	}
	h, err := netns.GetFromName(name)
	if err != nil {
		return fmt.Errorf("netnstest: open netns %s: %w", name, err)
	}
	n := &Netns{name: name, handle: h}
	defer h.Close()
	return n.Do(func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("netnstest: kernel tests need AF_PACKET sockets: %w", err)
		}
		return unix.Close(fd)
	})
}
