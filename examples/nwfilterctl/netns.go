package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"strings"

	"github.com/vishvananda/netns"
)

// netnsFlag is --netns.
type netnsFlag struct {
	name string
}

func (n *netnsFlag) register(fs *flag.FlagSet) {
	fs.StringVar(&n.name, "netns", "", "run inside the network namespace `NAME` (see 'ip netns list')")
}

// change runs fn inside the namespace the flag names, if any, holding that
// namespace's lock (see lockNetns).
func (n *netnsFlag) change(ctx context.Context, fn func() error) error {
	return inNetns(n.name, func() error {
		unlock, err := lockNetns(ctx)
		if err != nil {
			return err
		}
		defer unlock()
		return fn()
	})
}

// inNetns runs fn with the calling goroutine locked to an OS thread that is
// switched into the named network namespace, so that the sockets fn opens and
// the tools it runs (which inherit the thread's namespace) act there. The
// thread is switched back afterwards. An empty name runs fn where we are.
func inNetns(name string, fn func() error) error {
	if name == "" {
		return fn()
	}
	if name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return badInput(fmt.Errorf("--netns %q: not a namespace name", name))
	}
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns: current namespace: %w", err)
	}
	defer orig.Close()
	target, err := netns.GetFromName(name)
	if err != nil {
		runtime.UnlockOSThread()
		return badInput(fmt.Errorf("--netns %q: %w", name, err))
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("--netns %q: enter: %w", name, err)
	}
	defer func() {
		// A thread that cannot go back stays locked, so the runtime ends it
		// with this goroutine instead of reusing it.
		if err := netns.Set(orig); err == nil {
			runtime.UnlockOSThread()
		}
	}()
	return fn()
}
