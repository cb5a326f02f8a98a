//go:build linux

package netnstest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTB records Skipf and Fatalf instead of ending the test.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Skipf(format string, args ...any)  { f.skipped = fmt.Sprintf(format, args...) }
func (f *fakeTB) Fatalf(format string, args ...any) { f.fatal = fmt.Sprintf(format, args...) }

func TestRequire(t *testing.T) {
	for _, tc := range []struct {
		env, tool      string
		skipped, fatal string // substrings; "" means not called
	}{
		{env: "", tool: "", skipped: "", fatal: ""},
		{env: "require", tool: "", skipped: "", fatal: ""},
		{env: "skip", tool: "", skipped: "disabled by GONWFILTER_KERNEL_TESTS=skip"},
		{env: "bogus", tool: "", fatal: `GONWFILTER_KERNEL_TESTS="bogus"`},
		{env: "", tool: "no-such-tool-gnft", skipped: "need the no-such-tool-gnft tool"},
		{env: "require", tool: "no-such-tool-gnft", fatal: "need the no-such-tool-gnft tool"},
	} {
		t.Run(tc.env+"/"+tc.tool, func(t *testing.T) {
			Require(t) // the rows without a missing tool need a capable machine
			t.Setenv(EnvKernelTests, tc.env)
			f := &fakeTB{TB: t}
			var tools []string
			if tc.tool != "" {
				tools = []string{tc.tool}
			}
			Require(f, tools...)
			checkCalled(t, "skip", f.skipped, tc.skipped)
			checkCalled(t, "fatal", f.fatal, tc.fatal)
			if tc.env == "require" && f.fatal != "" {
				assert.Contains(t, f.fatal, "GONWFILTER_KERNEL_TESTS=require")
			}
			if tc.env == "" && f.skipped != "" {
				assert.Contains(t, f.skipped, "set GONWFILTER_KERNEL_TESTS=require")
			}
		})
	}
}

func checkCalled(t *testing.T, what, got, want string) {
	t.Helper()
	if want == "" {
		assert.Empty(t, got, "%s should not be called", what)
	} else {
		assert.Contains(t, got, want, what)
	}
}

func TestCheckKernelTestsNeedsRoot(t *testing.T) {
	err := checkKernelTests(1000, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "need root, running as uid 1000")
}
