package xtables

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// together runs fns at the same time and waits for all of them. The tools
// they start must land in the network namespace of the calling thread (a
// process inherits the namespace of the thread that starts it), so the
// first fn runs on the calling goroutine and each other one on a thread of
// its own that first joins that namespace; a thread that cannot join runs
// nothing and its error is returned. Such threads are never handed back to
// the Go scheduler: they end with their goroutine.
func together(fns ...func()) error {
	if len(fns) == 0 {
		return nil
	}
	if len(fns) == 1 {
		fns[0]()
		return nil
	}
	// Opened on the calling thread: the namespace the tools must run in.
	ns, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return fmt.Errorf("xtables: network namespace of the calling thread: %w", err)
	}
	defer ns.Close()
	var target unix.Stat_t
	if err := unix.Fstat(int(ns.Fd()), &target); err != nil {
		return fmt.Errorf("xtables: network namespace of the calling thread: %w", err)
	}
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns[1:] {
		wg.Go(func() {
			runtime.LockOSThread() // not undone: see above
			if err := joinNetns(int(ns.Fd()), target); err != nil {
				errs[i+1] = err
				return
			}
			fn()
		})
	}
	fns[0]()
	wg.Wait()
	return errors.Join(errs...)
}

// joinNetns moves the calling (locked) thread into the network namespace
// open as fd, whose identity is target, unless it is there already (which
// needs no privilege).
func joinNetns(fd int, target unix.Stat_t) error {
	var cur unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &cur); err != nil {
		return fmt.Errorf("xtables: network namespace of a worker thread: %w", err)
	}
	if cur.Dev == target.Dev && cur.Ino == target.Ino {
		return nil
	}
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("xtables: joining the caller's network namespace: %w", err)
	}
	return nil
}
