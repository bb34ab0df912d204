package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ouraexport/ouraexport/internal/suggest"
)

// listFlag is a comma-separated list flag; it may also be repeated, each
// use adding its items. Its Type is pflag's name for repeatable lists, so
// that shell completion offers the flag again after it was given.
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

func (l *listFlag) Type() string { return "stringSlice" }

// refusedError is the error of a flag that is never accepted (see refuse).
type refusedError struct{ why string }

func (e *refusedError) Error() string { return e.why }

// refuse defines flag name as one that is never accepted, such as --token:
// giving it is a usage error saying why, and what to do instead. The flag
// is hidden from the help and from completion.
func refuse(fs *pflag.FlagSet, name, why string) {
	fs.Func(name, why, func(string) error { return &refusedError{why} })
	if err := fs.MarkHidden(name); err != nil {
		panic(err)
	}
}

// noArgs rejects positional arguments for commands that take none.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef(cmdName(c), "unexpected argument %q", args[0])
	}
	return nil
}

// cmdName is c's name in messages and in 'ouraexport help <name>': its
// path without the program's name ("auth login"), "" for the program.
func cmdName(c *cobra.Command) string {
	return strings.TrimSpace(strings.TrimPrefix(c.CommandPath(), c.Root().Name()))
}

// flagErrors returns the function that turns a command line whose flags
// a command could not parse into a usage error (flagError), for the command
// line args (nil if unknown).
func flagErrors(args []string) func(*cobra.Command, error) error {
	return func(c *cobra.Command, err error) error { return flagError(c, err, args) }
}

// flagError is the usage error for the command line args whose flags c
// could not parse. It names the flag as it was typed and suggests the flag
// meant: "unknown flag --api-urll; did you mean --api-url?".
func flagError(c *cobra.Command, err error, args []string) error {
	if !c.HasParent() && c.Flags().NArg() > 0 {
		// ouraexport exprot --out x: the command is the mistake.
		return unknownCommand(c, c.Flags().Arg(0))
	}
	name := cmdName(c)
	var (
		missing *pflag.NotExistError
		invalid *pflag.InvalidValueError
		refused *refusedError
	)
	switch {
	case errors.As(err, &missing):
		return unknownFlag(c, missing, args)
	case errors.As(err, &invalid) && errors.As(err, &refused):
		// The value is not repeated: it may be a secret.
		return usagef(name, "--%s: %s", invalid.GetFlag().Name, refused.why)
	case errors.As(err, &invalid):
		f := invalid.GetFlag()
		return usagef(name, "invalid value %q for --%s: %s", invalid.GetValue(), f.Name, wantValue(f, errors.Unwrap(invalid)))
	}
	return usagef(name, "%v", err)
}

// unknownFlag says that the flag of e does not exist. A long flag written
// with one dash (-out, parsed as the short flags o, u and t) is told so.
func unknownFlag(c *cobra.Command, e *pflag.NotExistError, args []string) error {
	name := cmdName(c)
	if rest := e.GetSpecifiedShortnames(); rest != "" {
		group, _, _ := strings.Cut(typedShorts(args, rest), "=")
		if len(group) > 1 && c.Flags().Lookup(group) != nil {
			return usagef(name, "unknown flag -%s: long flags take two dashes, --%s", group, group)
		}
		return usagef(name, "unknown flag -%s", group)
	}
	typed := e.GetSpecifiedName()
	var names []string
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	if s := suggest.Closest(typed, names, 3); s != "" {
		return usagef(name, "unknown flag --%s; did you mean --%s?", typed, s)
	}
	return usagef(name, "unknown flag --%s", typed)
}

// typedShorts returns the group of short flags, as typed without its dash,
// that ends in rest: pflag reports the part of -abc from the flag it does
// not know on (bc), after the flags it knew (a).
func typedShorts(args []string, rest string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.HasSuffix(a, rest) {
			return a[1:]
		}
	}
	return rest
}

// wantValue says what flag f takes, for a value it refused with err.
func wantValue(f *pflag.Flag, err error) string {
	switch f.Value.Type() {
	case "int", "int64":
		return "want an integer"
	case "float64":
		return "want a number"
	case "duration":
		return "want a duration such as 90s, 5m or 2h"
	case "bool":
		return "want true or false"
	}
	return err.Error()
}

// unknownCommand is the usage error for a command that does not exist,
// with the nearest one if there is one.
func unknownCommand(root *cobra.Command, name string) error {
	if s := root.SuggestionsFor(name); len(s) > 0 {
		return usagef("", "unknown command %q; did you mean %q?", name, s[0])
	}
	return usagef("", "unknown command %q", name)
}

// argAnnotation is the flag annotation naming the flag's value in the help.
const argAnnotation = "ouraexport_arg"

// flagArgs names the values of flags of fs in the help, "--out DIR": each
// spec is name=VALUE. The value's name also says how a shell completes it:
// DIR completes folders, FILE and PATH files, anything else nothing unless
// the flag has completions of its own (see completion.go).
func flagArgs(fs *pflag.FlagSet, specs ...string) {
	for _, spec := range specs {
		name, arg, ok := strings.Cut(spec, "=")
		if !ok {
			panic(fmt.Sprintf("flagArgs: %q is not name=VALUE", spec))
		}
		if err := fs.SetAnnotation(name, argAnnotation, []string{arg}); err != nil {
			panic(err)
		}
	}
}

// flagArg returns the name of f's value in the help, "" for a flag that
// takes none.
func flagArg(f *pflag.Flag) string {
	if a := f.Annotations[argAnnotation]; len(a) == 1 {
		return a[0]
	}
	return ""
}
