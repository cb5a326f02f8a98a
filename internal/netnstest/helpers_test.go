//go:build linux

package netnstest

import (
	"context"
	"os"
	"os/exec"
	"testing"
)

// runSelf runs one test of this test binary in a child process with extra
// environment variables and returns its combined output.
func runSelf(ctx context.Context, t *testing.T, test string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+test+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
