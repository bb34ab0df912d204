package cli

import (
	"flag"
	"io"
	"strings"
)

// newFlagSet returns a flag set for cmd that reports errors instead of exiting.
// Go's flag package accepts both -name and --name, and --name=value as well as
// --name value, which is the GNU style the CLI documents.
func newFlagSet(cmd string) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args into fs, allowing positional arguments between flags
// (ouraexport import a.zip b.csv --out DIR). It returns the positional
// arguments in order. A "--" ends the flags.
func parseFlags(cmd string, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, usagef(cmd, "help requested")
			}
			msg := err.Error()
			if f, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
				msg = "unknown flag " + f
			}
			return nil, usagef(cmd, "%s", msg)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// listFlag is a comma-separated list flag; it may also be repeated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// noArgs rejects positional arguments for commands that take none.
func noArgs(cmd string, pos []string) error {
	if len(pos) > 0 {
		return usagef(cmd, "unexpected argument %q", pos[0])
	}
	return nil
}
