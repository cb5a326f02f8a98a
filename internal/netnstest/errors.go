//go:build linux

package netnstest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// ErrBlocked matches (with errors.Is) every probe error that means the
// traffic did not get through: no answer before the deadline, or an active
// refusal (TCP reset, ICMP unreachable, EPERM from a local rule). Errors that
// do not match it are failures of the harness or the test setup.
var ErrBlocked = errors.New("traffic blocked")

// BlockedError is the error of a probe whose traffic did not get through.
type BlockedError struct {
	Probe    string // "tcp", "udp", "icmp", "neighbour" or "frame"
	From     string // namespace (and device) the probe was sent from
	To       string // destination
	Rejected bool   // refused actively rather than left unanswered
	Err      error  // what the probe saw
}

// Error describes the probe and what it saw.
func (e *BlockedError) Error() string {
	how := "no answer"
	if e.Rejected {
		how = "rejected"
	}
	return fmt.Sprintf("netnstest: %s probe %s -> %s blocked (%s): %v", e.Probe, e.From, e.To, how, e.Err)
}

// Is reports whether target is [ErrBlocked].
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// Unwrap returns what the probe saw.
func (e *BlockedError) Unwrap() error { return e.Err }

// setupError marks a probe error as a failure to set the probe up (for
// example EACCES from socket(2)), never a sign of blocked traffic.
type setupError struct{ err error }

func (e setupError) Error() string { return e.err.Error() }
func (e setupError) Unwrap() error { return e.err }

// blocked classifies a network error seen by a probe: a *BlockedError for
// timeouts and refusals, nil for other errors (harness failures).
func blocked(probe, from, to string, err error) *BlockedError {
	b := &BlockedError{Probe: probe, From: from, To: to, Err: err}
	var se setupError
	switch {
	case errors.As(err, &se):
		return nil
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return b
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		b.Rejected = true
		return b
	}
	return nil
}

// probeError wraps err as a *BlockedError when it means blocked traffic, and
// as a plain error naming the probe otherwise.
func probeError(probe, from, to string, err error) error {
	if err == nil {
		return nil
	}
	if b := blocked(probe, from, to, err); b != nil {
		return b
	}
	return fmt.Errorf("netnstest: %s probe %s -> %s failed: %w", probe, from, to, err)
}

// deadline returns the probe deadline: the namespace's probe timeout from now,
// or ctx's deadline if earlier.
func (n *Netns) deadline(ctx context.Context) time.Time {
	d := time.Now().Add(n.timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		return cd
	}
	return d
}
