//go:build linux

package netnstest

import (
	"fmt"
	"os"
	"strings"
)

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
