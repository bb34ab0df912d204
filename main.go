// Command ouraexport takes a person's complete Oura Ring history out of the
// Oura Cloud API (v2, and v1 where a server still answers it), maps every
// collection onto one documented schema, and writes Parquet, CSV and a
// GDPR-style JSON archive. It also imports the files people already saved.
//
// Run "ouraexport help" for the commands.
package main

// The man pages in docs/man come from the same definitions as --help.
//go:generate go run ./internal/tools/mangen docs/man

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/ouraexport/ouraexport/internal/cli"
)

// Exit codes, as documented in the README.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitPartial     = 3
	exitAuth        = 4
	exitInterrupted = 130
)

// memoryLimit is the default soft memory limit of the process.
const memoryLimit = 128 << 20

func main() {
	// A soft memory limit makes the garbage collector work harder before the
	// heap doubles past what is live: an export streams, and its live heap
	// is well under this. GOMEMLIMIT overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and maps its outcome to an exit code. It is
// the only place where errors become exit codes and the one-line message a
// user sees.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := cli.Main(ctx, args, cli.Streams{In: stdin, Out: stdout, Err: stderr})
	code := exitCode(ctx, err)
	if err != nil && !errors.Is(err, cli.ErrReported) {
		fmt.Fprintf(stderr, "ouraexport: %s\n", cli.Message(err))
	}
	return code
}

func exitCode(ctx context.Context, err error) int {
	var usage *cli.UsageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage):
		return exitUsage
	case errors.Is(err, cli.ErrBadInput):
		return exitUsage
	case errors.Is(err, cli.ErrAuthNeeded):
		return exitAuth
	case errors.Is(err, cli.ErrPartial):
		return exitPartial
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return exitInterrupted
	default:
		return exitFailed
	}
}
