// Package cli holds the ouraexport commands: flag parsing, configuration and
// the wiring of the engine, the sinks and the sandbox. main maps the errors
// it returns to exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Streams are the standard streams a command reads and writes.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Error classes main maps to exit codes. Commands wrap them with %w.
var (
	// ErrBadInput marks input the user must fix (exit 2): a bad file, a bad date, a bad archive.
	ErrBadInput = errors.New("bad input")
	// ErrPartial marks a run where some collections or accounts could not be exported (exit 3).
	ErrPartial = errors.New("partial export")
	// ErrAuthNeeded marks a missing, expired or revoked login (exit 4).
	ErrAuthNeeded = errors.New("authentication needed")
	// ErrReported marks an error whose message the command already printed.
	ErrReported = errors.New("reported")
)

// UsageError is a command line that cannot be run as given (exit 2).
type UsageError struct {
	Cmd string // the command, "" for the top level
	Msg string
}

func (e *UsageError) Error() string {
	if e.Cmd == "" {
		return e.Msg + " (see 'ouraexport help')"
	}
	return e.Msg + " (see 'ouraexport help " + e.Cmd + "')"
}

func usagef(cmd, format string, args ...any) error {
	return &UsageError{Cmd: cmd, Msg: fmt.Sprintf(format, args...)}
}

// Message is the one line shown for err: its text, with the classification
// sentinels (which only steer the exit code) left out.
func Message(err error) string {
	msg := err.Error()
	for _, s := range []error{ErrBadInput, ErrPartial, ErrAuthNeeded, ErrReported} {
		msg = strings.ReplaceAll(msg, ": "+s.Error(), "")
		msg = strings.TrimPrefix(msg, s.Error()+": ")
	}
	return strings.ReplaceAll(msg, "\n", " ")
}

// Main runs the command line args.
func Main(ctx context.Context, args []string, s Streams) error {
	root := NewCommand(s)
	root.SetFlagErrorFunc(flagErrors(args))
	// A nil slice would make cobra read os.Args.
	root.SetArgs(append([]string{}, args...))
	return root.ExecuteContext(ctx)
}
