// Package cli holds the ouraexport commands: flag parsing, configuration and
// the wiring of the engine, the sinks and the sandbox. main maps the errors
// it returns to exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
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

// command is one subcommand.
type command struct {
	summary string
	usage   string
	run     func(ctx context.Context, args []string, s Streams) error
}

func commands() map[string]command {
	return map[string]command{
		"auth":    {summary: "log in to Oura with OAuth2, show the login, or log out", usage: authUsage, run: runAuth},
		"import":  {summary: "turn files saved from Oura (v1 JSON, trends CSV, web downloads, Membership Hub zips, archives) into the same outputs", usage: importUsage, run: runImport},
		"export":  {summary: "export your complete Oura history to Parquet, CSV and a JSON archive", usage: exportUsage, run: runExport},
		"report":  {summary: "write the HTML report of an export: coverage calendar, gaps, trends, files", usage: reportUsage, run: runReport},
		"sandbox": {summary: "serve a local emulator of the Oura API (v2, v1, OAuth2) with synthetic histories", usage: sandboxUsage, run: runSandbox},
		"schema":  {summary: "describe the unified tables: columns, types, units, time zones and source fields", usage: schemaUsage, run: runSchema},
		"verify":  {summary: "re-hash and re-read an export or archive and reconcile it with its manifest", usage: verifyUsage, run: runVerify},
		"version": {summary: "print the version", usage: "ouraexport version", run: runVersion},
	}
}

// Main runs the command line args.
func Main(ctx context.Context, args []string, s Streams) error {
	cmds := commands()
	if len(args) == 0 {
		printHelp(s.Err, cmds)
		return usagef("", "no command given")
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			if c, ok := cmds[rest[0]]; ok {
				fmt.Fprintln(s.Out, c.usage)
				return nil
			}
			return usagef("", "unknown command %q", rest[0])
		}
		printHelp(s.Out, cmds)
		return nil
	case "--version", "-version":
		name = "version"
	}
	c, ok := cmds[name]
	if !ok {
		return usagef("", "unknown command %q", name)
	}
	return c.run(ctx, rest, s)
}

func printHelp(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "ouraexport: your complete Oura Ring history, out and verified.")
	fmt.Fprintln(w, "\nUsage: ouraexport <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'ouraexport help <command>' for its flags.")
}
