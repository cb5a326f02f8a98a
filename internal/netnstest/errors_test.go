//go:build linux

package netnstest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestProbeErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		err               error
		blocked, rejected bool
	}{
		{fmt.Errorf("read: %w", os.ErrDeadlineExceeded), true, false},
		{fmt.Errorf("dial: %w", context.DeadlineExceeded), true, false},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true, true},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), true, true},
		{fmt.Errorf("dial: %w", syscall.EHOSTUNREACH), true, true},
		{fmt.Errorf("write: %w", syscall.EPERM), true, true},
		{setupError{fmt.Errorf("socket: %w", syscall.EACCES)}, false, false},
		{context.Canceled, false, false},
		{errors.New("echo mismatch"), false, false},
	} {
		err := probeError("tcp", "vm1", "192.0.2.12:80", tc.err)
		assert.Equal(t, tc.blocked, errors.Is(err, ErrBlocked), "%v", tc.err)
		assert.ErrorIs(t, err, tc.err, "the cause stays in the chain")
		var b *BlockedError
		if errors.As(err, &b) {
			assert.Equal(t, tc.rejected, b.Rejected, "%v", tc.err)
			assert.Contains(t, err.Error(), "tcp probe vm1 -> 192.0.2.12:80 blocked")
		}
	}
	assert.NoError(t, probeError("tcp", "vm1", "x", nil))
}
