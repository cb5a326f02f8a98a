//go:build linux

package netnstest

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"time"
)

// linkReadyTimeout bounds the wait for new links to become operational; the
// kernel applies carrier changes asynchronously (linkwatch, under the RTNL
// lock), which can take long while other namespaces are being torn down.
const linkReadyTimeout = 10 * time.Second

type linkState struct {
	Operstate string `json:"operstate"`
	Qdisc     string `json:"qdisc"`
	Linkinfo  struct {
		SlaveData struct {
			State string `json:"state"`
		} `json:"info_slave_data"`
	} `json:"linkinfo"`
}

// ready reports whether the link passes traffic: operationally up, its
// queueing discipline activated (until then it is "noop", which drops every
// packet), and, for a bridge port, forwarding (until then the bridge drops
// the port's frames).
func (s linkState) ready(bridgePort bool) bool {
	return s.Operstate == "UP" && s.Qdisc != "noop" &&
		(!bridgePort || s.Linkinfo.SlaveData.State == "forwarding")
}

// waitLinkReady waits until dev in namespace ns is ready; see linkState.ready.
func waitLinkReady(ctx context.Context, ns, dev string, bridgePort bool) error {
	ctx, cancel := context.WithTimeout(ctx, linkReadyTimeout)
	defer cancel()
	var last []byte
	for {
		out, err := exec.CommandContext(ctx, "ip", "-n", ns, "-j", "-d", "link", "show", "dev", dev).Output()
		if err == nil {
			last = out
			var states []linkState
			if err := json.Unmarshal(out, &states); err != nil {
				return fmt.Errorf("netnstest: parse ip -j link output %q: %w", out, err)
			}
			if len(states) == 1 && states[0].ready(bridgePort) {
				return nil
			}
		}
		if sleepCtx(ctx, 2*time.Millisecond) != nil {
			return fmt.Errorf("netnstest: link %s in netns %s not ready after %v: %s", dev, ns, linkReadyTimeout, last)
		}
	}
}
