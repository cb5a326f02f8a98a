//go:build linux

package netnstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// maxStreamErrors is how many errors a StreamResult keeps.
const maxStreamErrors = 10

// Stream runs one probe over and over on its own goroutine, for tests that
// change the firewall while traffic flows (for example: a flow that every
// version of the ruleset allows must never be blocked during 50 updates).
// Several streams may run at once; all probes are safe for concurrent use.
//
// To catch a single dropped packet, give each probe a deadline below the
// protocol's first retransmission (1 s for a TCP SYN), e.g. with
// context.WithTimeout inside the probe function; otherwise a retransmission
// can hide the drop.
type Stream struct {
	stop chan struct{}
	done chan struct{}

	mu  sync.Mutex
	res StreamResult
}

// StreamResult counts the outcomes of a stream's probes.
type StreamResult struct {
	Delivered int // probes that returned nil
	Blocked   int // probes whose error matched ErrBlocked
	Failed    int // probes that failed otherwise
	// Errors holds the first errors (blocked or failed), each prefixed with
	// the time since the stream started.
	Errors []error
}

// Total returns the number of probes run.
func (r StreamResult) Total() int { return r.Delivered + r.Blocked + r.Failed }

// String summarises the result.
func (r StreamResult) String() string {
	return fmt.Sprintf("%d probes: %d delivered, %d blocked, %d failed; first errors: %v",
		r.Total(), r.Delivered, r.Blocked, r.Failed, r.Errors)
}

// StartStream starts calling probe(ctx) in a loop, pausing interval between
// calls, until [Stream.Stop] or until ctx is done. For example:
//
//	s := netnstest.StartStream(ctx, 10*time.Millisecond, func(ctx context.Context) error {
//		return vm1.ProbeTCP(ctx, netip.AddrPortFrom(vm2.IPv4(), 80))
//	})
//	... update the firewall ...
//	res := s.Stop()
//	require.Zero(t, res.Blocked+res.Failed, res.String())
func StartStream(ctx context.Context, interval time.Duration, probe func(context.Context) error) *Stream {
	s := &Stream{stop: make(chan struct{}), done: make(chan struct{})}
	start := time.Now()
	go func() {
		defer close(s.done)
		for {
			select {
			case <-s.stop:
				return
			case <-ctx.Done():
				return
			default:
			}
			err := probe(ctx)
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return // cancelled under the probe: not an outcome
			}
			s.record(time.Since(start), err)
			select {
			case <-s.stop:
				return
			case <-ctx.Done():
				return
			case <-time.After(interval):
			}
		}
	}()
	return s
}

func (s *Stream) record(at time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err == nil:
		s.res.Delivered++
		return
	case errors.Is(err, ErrBlocked):
		s.res.Blocked++
	default:
		s.res.Failed++
	}
	if len(s.res.Errors) < maxStreamErrors {
		s.res.Errors = append(s.res.Errors, fmt.Errorf("after %v: %w", at.Round(time.Millisecond), err))
	}
}

// Stop waits for the probe in flight to finish, stops the stream and returns
// its result. It may be called more than once.
func (s *Stream) Stop() StreamResult {
	s.mu.Lock()
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.mu.Unlock()
	<-s.done
	return s.Result()
}

// Result returns the counts so far, while the stream runs or after it stopped.
func (s *Stream) Result() StreamResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.res
	r.Errors = append([]error(nil), s.res.Errors...)
	return r
}
