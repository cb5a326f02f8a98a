//go:build linux

package main

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netns"

	"github.com/gonwfilter/gonwfilter/backend"
)

// inThrowawayNetns runs fn on a locked thread switched into a new, unnamed
// network namespace, which disappears when the thread leaves it. Processes
// fn starts inherit the namespace.
func inThrowawayNetns(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		ns, err := netns.New() // creates the namespace and switches this thread into it
		if err != nil {
			errc <- fmt.Errorf("creating a network namespace (are you root?): %w", err)
			return
		}
		err = fn()
		ns.Close()
		if serr := netns.Set(orig); serr != nil {
			// The thread stays locked and dies with this goroutine.
			errc <- fmt.Errorf("switching back: %w (after: %v)", serr, err)
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

// childCPU returns the CPU time used so far by waited-for child processes.
func childCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countingExec counts the processes a backend runs and times them per tool.
type countingExec struct {
	backend.Execer
	mu    sync.Mutex
	n     int
	tools map[string]toolTime
}

// toolTime is what the runs of one program took.
type toolTime struct {
	runs int
	d    time.Duration
}

func (c *countingExec) Run(ctx context.Context, cmd backend.Command) ([]byte, error) {
	start := time.Now()
	out, err := c.Execer.Run(ctx, cmd)
	d := time.Since(start)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if c.tools == nil {
		c.tools = map[string]toolTime{}
	}
	t := c.tools[cmd.Path]
	t.runs, t.d = t.runs+1, t.d+d
	c.tools[cmd.Path] = t
	return out, err
}

func (c *countingExec) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// perTool returns the time spent per program so far.
func (c *countingExec) perTool() map[string]toolTime {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.tools)
}
