//go:build linux

package netnstest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"time"
)

// neighPoll is how often ResolveNeighbor looks at the neighbour table.
const neighPoll = 10 * time.Millisecond

// ResolveNeighbor tests ARP (IPv4) or neighbour discovery (IPv6) from the
// namespace's default device ([Netns.Dev]) to dst: it deletes any neighbour
// entry for dst, makes the kernel resolve it again by sending one UDP datagram
// to dst's discard port (9), and waits until the entry is resolved. It
// returns the resolved MAC, or an [ErrBlocked] error when the entry is still
// unresolved (no ARP/NDP answer) at the deadline.
//
// Calls on the same namespace are serialised, since each one flushes the
// entry the others wait for.
func (n *Netns) ResolveNeighbor(ctx context.Context, dst netip.Addr) (net.HardwareAddr, error) {
	dst = dst.Unmap()
	n.neighMu.Lock()
	defer n.neighMu.Unlock()
	dl := n.deadline(ctx)
	ctx, cancel := context.WithDeadline(ctx, dl)
	defer cancel()
	to := dst.String()
	if err := ipCmd(ctx, "-n", n.name, "neigh", "flush", "to", to, "dev", n.dev); err != nil {
		return nil, err
	}
	err := n.Do(func() error {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 9)))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("netnstest neighbour probe"))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("netnstest: neighbour probe %s -> %s: send: %w", n.label(), to, err)
	}
	var last string
	for {
		e, err := n.neighbour(ctx, dst)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return nil, err
		}
		last = "no entry"
		if e != nil {
			last = fmt.Sprintf("entry %s %v", e.Lladdr, e.State)
			if e.resolved() {
				mac, err := net.ParseMAC(e.Lladdr)
				if err != nil {
					return nil, fmt.Errorf("netnstest: neighbour %s: %w", to, err)
				}
				return mac, nil
			}
			if slices.Contains(e.State, "FAILED") {
				break
			}
		}
		if sleepCtx(ctx, neighPoll) != nil {
			break
		}
	}
	return nil, &BlockedError{Probe: "neighbour", From: n.label() + "/" + n.dev, To: to,
		Err: fmt.Errorf("not resolved by %s: %s", dl.Format(time.TimeOnly+".000"), last)}
}

type neighEntry struct {
	Dst    string   `json:"dst"`
	Lladdr string   `json:"lladdr"`
	State  []string `json:"state"`
}

func (e *neighEntry) resolved() bool {
	return e.Lladdr != "" && slices.ContainsFunc(e.State, func(s string) bool {
		switch s {
		case "REACHABLE", "STALE", "DELAY", "PROBE", "PERMANENT", "NOARP":
			return true
		}
		return false
	})
}

// neighbour returns the neighbour entry for dst on the default device, or nil.
func (n *Netns) neighbour(ctx context.Context, dst netip.Addr) (*neighEntry, error) {
	out, err := exec.CommandContext(ctx, "ip", "-n", n.name, "-j", "neigh", "show", "to", dst.String(), "dev", n.dev).Output()
	if err != nil {
		return nil, fmt.Errorf("netnstest: ip -n %s neigh show: %w", n.name, err)
	}
	var entries []neighEntry
	if err := json.Unmarshal(out, &entries); err != nil {
		return nil, fmt.Errorf("netnstest: parse ip -j neigh output %q: %w", out, err)
	}
	for _, e := range entries {
		if a, err := netip.ParseAddr(e.Dst); err == nil && a == dst {
			return &e, nil
		}
	}
	return nil, nil
}
