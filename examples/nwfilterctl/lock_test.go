package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLockNetnsExcludesASecondHolder(t *testing.T) {
	lockDir = t.TempDir()
	unlock, err := lockNetns(context.Background())
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = lockNetns(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "held by the first")

	got := make(chan error, 1)
	go func() {
		u, err := lockNetns(context.Background())
		if err == nil {
			u()
		}
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	unlock()
	select {
	case err := <-got:
		assert.NoError(t, err, "the waiter gets the lock once it is released")
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter never got the lock")
	}
}
