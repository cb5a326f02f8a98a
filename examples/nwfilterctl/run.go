package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

// Exit codes.
const (
	exitOK    = 0 // success
	exitFail  = 1 // a document did not validate or an operation failed
	exitUsage = 2 // usage error or input that could not be read
)

// output is where a command writes.
type output struct {
	stdout, stderr io.Writer
}

// command is one subcommand.
type command struct {
	name     string
	synopsis string // the usage line after "nwfilterctl "
	summary  string // one line for the overview
	details  string // what it does, for "help NAME"
	// define registers the command's flags on fs and returns the function
	// that runs it with the remaining arguments once fs has parsed its own.
	define func(fs *flag.FlagSet, out output) func(ctx context.Context, args []string) error
}

// commands in the order the overview lists them.
var commands = []*command{
	listCommand, validateCommand, xmlCommand, graphCommand, simulateCommand,
	renderCommand, applyCommand, teardownCommand,
}

func lookupCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// run runs nwfilterctl with args (without the program name) and returns the
// exit code.
func run(args []string, stdout, stderr io.Writer) int {
	out := output{stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		writeOverview(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return runHelp(args[1:], out)
	}
	cmd := lookupCommand(args[0])
	if cmd == nil {
		fmt.Fprintf(stderr, "nwfilterctl: unknown subcommand %q\n\n", args[0])
		writeOverview(stderr)
		return exitUsage
	}
	fs := newFlagSet(cmd, stderr)
	runCmd := cmd.define(fs, out)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeCommandHelp(stdout, cmd)
			return exitOK
		}
		// The flag package has printed the error.
		fmt.Fprintf(stderr, "usage: nwfilterctl %s\nrun 'nwfilterctl help %s' for details\n", cmd.synopsis, cmd.name)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return report(stderr, cmd, runCmd(ctx, fs.Args()))
}

func newFlagSet(cmd *command, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // run prints the usage on errors, and help on --help
	return fs
}

// report prints err and returns the exit code it stands for.
func report(stderr io.Writer, cmd *command, err error) int {
	if err == nil {
		return exitOK
	}
	msg := strings.TrimRight(err.Error(), "\n")
	fmt.Fprintln(stderr, msg)
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.code == exitUsage && ee.usage {
			fmt.Fprintf(stderr, "usage: nwfilterctl %s\n", cmd.synopsis)
		}
		return ee.code
	}
	return exitFail
}

// exitError carries the exit code for an error.
type exitError struct {
	code  int
	usage bool // print the synopsis after the error
	err   error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a command line that does not fit the synopsis.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, usage: true, err: fmt.Errorf(format, args...)}
}

// badInput marks err as input that could not be read: exit code 2.
func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitUsage, err: err}
}
