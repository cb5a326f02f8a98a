//go:build linux

package netnstest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
)

// BridgeNF says whether br_netfilter passes the lab bridge's traffic to the
// iptables, ip6tables and arptables hooks of the host namespace (its
// bridge-nf-call-* switches). Without it, iptables rules (physdev, conntrack)
// never see bridged VM traffic; ebtables and nft bridge-family rules do not
// need it.
//
// Since Linux 5.3 the switches are per network namespace, and a new namespace
// starts with all three on. New switches them on in the lab's host namespace
// and reads them back. On older kernels they are global, so the harness only
// reads them and never writes them, since that would change the machine's
// own namespace.
type BridgeNF struct {
	// PerNetns: the switches are per namespace and were set in the host
	// namespace; false means the global values were only read.
	PerNetns bool
	// IPTables, IP6Tables, ARPTables: bridged IPv4, IPv6 and ARP frames
	// traverse the corresponding hooks.
	IPTables, IP6Tables, ARPTables bool
}

var bridgeNFKeys = [3]string{
	"net.bridge.bridge-nf-call-iptables",
	"net.bridge.bridge-nf-call-ip6tables",
	"net.bridge.bridge-nf-call-arptables",
}

// BridgeNF reports the state of br_netfilter for the lab's bridge.
func (l *Lab) BridgeNF() BridgeNF { return l.brnf }

// RequireBridgeNF skips t (or fails it, see [EnvKernelTests]) unless bridged
// IPv4 and IPv6 traffic of the lab traverses the iptables and ip6tables hooks.
func (l *Lab) RequireBridgeNF(t testing.TB) {
	t.Helper()
	if b := l.brnf; !b.IPTables || !b.IP6Tables {
		unavailable(t, fmt.Sprintf("netnstest: bridged traffic does not reach iptables/ip6tables (br_netfilter %+v)", b))
	}
}

// setupBridgeNF switches br_netfilter on in the host namespace if its
// switches are per namespace, and reports the state.
func (n *Netns) setupBridgeNF() (BridgeNF, error) {
	var b BridgeNF
	vals := [3]*bool{&b.IPTables, &b.IP6Tables, &b.ARPTables}
	_, err := n.Sysctl(bridgeNFKeys[0])
	switch {
	case err == nil:
		b.PerNetns = true
		for i, key := range bridgeNFKeys {
			if err := n.SetSysctl(key, "1"); err != nil {
				return b, err
			}
			v, err := n.Sysctl(key)
			if err != nil {
				return b, err
			}
			*vals[i] = v == "1"
		}
	case errors.Is(err, fs.ErrNotExist):
		// Global switches (or no br_netfilter): read them where the test
		// process runs, never write them.
		for i, key := range bridgeNFKeys {
			path, _ := sysctlPath(key)
			v, err := os.ReadFile(path)
			if err == nil {
				*vals[i] = strings.TrimSpace(string(v)) == "1"
			}
		}
	default:
		return b, err
	}
	return b, nil
}
