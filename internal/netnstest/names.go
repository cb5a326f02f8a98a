//go:build linux

package netnstest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// Prefix starts the name of every namespace the harness creates. The full
// name is "gnft-<pid>-<6 hex digits>-<role>", where pid is the creating
// process and role is "host", "vm-<name>" or "probe", for example
// "gnft-4711-3fa9c1-vm-vm1".
const Prefix = "gnft-"

// netnsDir is where "ip netns" keeps its named namespaces.
const netnsDir = "/var/run/netns"

// harnessName matches exactly the names the harness gives; submatch 1 is the
// pid. Other names with Prefix (other tools use it too) are never touched.
var harnessName = regexp.MustCompile(`^` + Prefix + `([1-9][0-9]*)-[0-9a-f]{6}-(host|probe|vm-[A-Za-z0-9][A-Za-z0-9_.-]*)$`)

// newLabID returns "<pid>-<6 hex digits>", unique among this process's labs.
func newLabID() string {
	return fmt.Sprintf("%d-%06x", os.Getpid(), rand.Uint32()&0xffffff)
}

// ReapStale deletes namespaces left behind by crashed or killed test runs and
// returns their names. It deletes a namespace only when its name has exactly
// the harness's form (see [Prefix]) and the process that created it (the pid
// in the name) no longer exists. Namespaces of live processes are never
// touched, whatever their age, so concurrent test binaries cannot delete
// each other's labs, and names of any other form are left alone even when
// they start with [Prefix]. (A pid reused by an unrelated process keeps a
// leftover alive until that process ends; that costs a few kernel objects,
// never correctness.)
//
// [New] calls ReapStale once per process.
func ReapStale(ctx context.Context) ([]string, error) {
	names, err := listNetns(Prefix)
	if err != nil {
		return nil, fmt.Errorf("netnstest: reap: %w", err)
	}
	var reaped []string
	var errs []error
	for _, name := range names {
		pid, ok := ownerPID(name)
		if !ok || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		if err := deleteNetns(ctx, name); err != nil {
			errs = append(errs, err)
			continue
		}
		reaped = append(reaped, name)
	}
	return reaped, errors.Join(errs...)
}

// ownerPID returns the pid in a name of the harness's form.
func ownerPID(name string) (int, bool) {
	m := harnessName.FindStringSubmatch(name)
	if m == nil {
		return 0, false
	}
	pid, err := strconv.Atoi(m[1])
	return pid, err == nil
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// listNetns returns the names of the named namespaces that have prefix.
func listNetns(prefix string) ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

func addNetns(ctx context.Context, name string) error {
	return ipCmd(ctx, "netns", "add", name)
}

func deleteNetns(ctx context.Context, name string) error {
	return ipCmd(ctx, "netns", "delete", name)
}

// ipCmd runs the ip tool from iproute2. Callers always pass "-n <netns>" or
// operate on "ip netns" itself, so it never changes the caller's namespace.
func ipCmd(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("netnstest: %s: %w: %s", commandLine("ip", args), err, strings.TrimSpace(string(out)))
	}
	return nil
}
