package conntrack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Sysctls that matter to VM filtering.
const (
	// BridgeNFCallIPTables makes bridged IPv4 traffic traverse iptables.
	BridgeNFCallIPTables = "net.bridge.bridge-nf-call-iptables"
	// BridgeNFCallIP6Tables makes bridged IPv6 traffic traverse ip6tables.
	BridgeNFCallIP6Tables = "net.bridge.bridge-nf-call-ip6tables"
	// ConntrackMax is the table size; writable only in the initial namespace.
	ConntrackMax = "net.netfilter.nf_conntrack_max"
	// ConntrackCount is the number of tracked connections in the namespace.
	ConntrackCount = "net.netfilter.nf_conntrack_count"
)

// Sysctl reads and writes kernel parameters under /proc/sys. The values seen
// are those of the network namespace of the calling thread: paths go
// through /proc/thread-self, not /proc/self (the thread-group leader's).
type Sysctl struct {
	// Root is the sysctl tree; "" means /proc/thread-self/root/proc/sys.
	Root string
}

func (s Sysctl) path(name string) (string, error) {
	if name == "" || strings.Contains(name, "..") || strings.ContainsAny(name, " \t\n\x00") {
		return "", fmt.Errorf("sysctl name %q is not valid", name)
	}
	root := s.Root
	if root == "" {
		root = "/proc/thread-self/root/proc/sys"
	}
	return filepath.Join(root, strings.ReplaceAll(name, ".", "/")), nil
}

// Get returns the value of a sysctl such as "net.bridge.bridge-nf-call-iptables".
func (s Sysctl) Get(name string) (string, error) {
	p, err := s.path(name)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("read sysctl %s: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Set writes the value of a sysctl.
func (s Sysctl) Set(name, value string) error {
	p, err := s.path(name)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p, []byte(value), 0o644); err != nil {
		return fmt.Errorf("write sysctl %s=%s: %w", name, value, err)
	}
	return nil
}

// Enabled reports whether a boolean sysctl is "1". A missing sysctl (for
// example bridge-nf-call-iptables without br_netfilter) is false, not an error.
func (s Sysctl) Enabled(name string) (bool, error) {
	v, err := s.Get(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return v == "1", nil
}
