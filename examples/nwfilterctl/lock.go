package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// lockDir holds one lock file per network namespace that nwfilterctl
// changes: $GONWFILTER_LOCK_DIR, or /run/gonwfilter. All runs that may
// change one namespace must use the same directory.
var lockDir = cmp.Or(os.Getenv("GONWFILTER_LOCK_DIR"), "/run/gonwfilter")

// lockNetns takes the lock of the calling thread's network namespace,
// waiting for ctx, so that two nwfilterctl runs never change one
// namespace's rules at the same time: each adopts what the kernel holds and
// then changes it, which another run in between would make stale (two
// bindings could get the same port id). The lock goes with the returned
// function, or with the process.
func lockNetns(ctx context.Context) (unlock func(), err error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
		return nil, fmt.Errorf("lock: network namespace: %w", err)
	}
	if err := os.MkdirAll(lockDir, 0o700); err != nil {
		return nil, fmt.Errorf("lock: %w (set GONWFILTER_LOCK_DIR to a writable directory)", err)
	}
	path := filepath.Join(lockDir, fmt.Sprintf("netns-%d-%d.lock", st.Dev, st.Ino))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing the file drops the lock
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: another nwfilterctl is changing this namespace: %w", path, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
