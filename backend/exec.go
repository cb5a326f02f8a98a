package backend

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Command is one program run.
type Command struct {
	// Path is the program, as a name to look up or an absolute path.
	Path string
	// Args are the arguments, without the program name.
	Args []string
	// Stdin is fed to the program's standard input.
	Stdin []byte
}

// String returns the command line, for logs and errors.
func (c Command) String() string {
	return strings.Join(append([]string{c.Path}, c.Args...), " ")
}

// Execer runs programs. Backends run every tool through one, so unit tests can
// record what would run without root. Processes inherit the network
// namespace of the calling thread.
type Execer interface {
	// Run runs cmd and returns its standard output. A non-zero exit is an
	// *ExecError carrying standard error.
	Run(ctx context.Context, cmd Command) ([]byte, error)
	// LookPath finds a program like exec.LookPath.
	LookPath(name string) (string, error)
}

// ExecError is a program that failed.
type ExecError struct {
	// Cmd is the command that ran, as Command.String prints it.
	Cmd string
	// ExitCode is the program's exit status, -1 when it did not exit
	// normally (not started, killed, cancelled).
	ExitCode int
	// Stderr is what the program wrote to standard error.
	Stderr string
	// Err is the error from running the program.
	Err error
}

// Error gives the command, its exit code and its trimmed standard error.
func (e *ExecError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("%s: exit %d: %s", e.Cmd, e.ExitCode, msg)
}

// Unwrap returns the underlying error from running the command.
func (e *ExecError) Unwrap() error { return e.Err }

// OSExec runs real programs.
type OSExec struct{}

// Run implements Execer.
func (OSExec) Run(ctx context.Context, c Command) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	if err := cmd.Run(); err != nil {
		code := -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return stdout.Bytes(), &ExecError{Cmd: c.String(), ExitCode: code, Stderr: stderr.String(), Err: err}
	}
	return stdout.Bytes(), nil
}

// LookPath implements Execer.
func (OSExec) LookPath(name string) (string, error) { return exec.LookPath(name) }
