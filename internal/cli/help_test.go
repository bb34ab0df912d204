package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// commandPaths are the command lines of every command a user can run, the
// program's own ([]) first.
func commandPaths() [][]string {
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				walk(sub, append(slices.Clone(path), sub.Name()))
			}
		}
	}
	walk(NewCommand(Streams{Out: io.Discard, Err: io.Discard}), nil)
	return paths
}

// runOut runs a command line and returns its standard output and error.
func runOut(args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	err := Main(context.Background(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return out.String(), errb.String(), err
}

// TestHelp: every command's --help and 'help <command>' print the same
// text, on standard output: the usage line, the description, the flags
// and the notes, with the exit status of the commands that do something.
func TestHelp(t *testing.T) {
	root := NewCommand(Streams{Out: io.Discard, Err: io.Discard})
	paths := commandPaths()
	if len(paths) < 15 {
		t.Fatalf("only %d commands: %q", len(paths), paths)
	}
	for _, path := range paths {
		t.Run(strings.Join(append([]string{"ouraexport"}, path...), " "), func(t *testing.T) {
			flag, stderr, err := runOut(append(slices.Clone(path), "--help")...)
			if err != nil || stderr != "" {
				t.Fatalf("--help: %v %q", err, stderr)
			}
			help, stderr, err := runOut(append([]string{"help"}, path...)...)
			if err != nil || stderr != "" {
				t.Fatalf("help: %v %q", err, stderr)
			}
			if flag != help {
				t.Errorf("--help and help differ:\n%s\n---\n%s", flag, help)
			}
			c, _, err := root.Find(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(help, "Usage: "+c.UseLine()+"\n") || !strings.Contains(help, strings.TrimSpace(c.Long)) {
				t.Errorf("help lacks the usage or the description:\n%s", help)
			}
			if notes := c.Annotations[NotesAnnotation]; !strings.Contains(help, notes) {
				t.Errorf("help lacks the notes %q", notes)
			}
			if len(path) > 0 && path[0] != "completion" && path[0] != "version" && !strings.Contains(help, "\nExit status: ") {
				t.Errorf("help does not give the exit status:\n%s", help)
			}
			c.LocalFlags().VisitAll(func(f *pflag.Flag) {
				if !f.Hidden && f.Name != "help" && !strings.Contains(help, "--"+f.Name) {
					t.Errorf("help lacks --%s", f.Name)
				}
			})
		})
	}
	// The program's help lists the commands; without a command it goes
	// to standard error, and the exit status is 2.
	help, _, _ := runOut("help")
	for _, want := range []string{"\n  export      export your complete Oura history", "\n  completion  ", "-v, --version", "Run 'ouraexport help <command>' for its flags."} {
		if !strings.Contains(help, want) {
			t.Errorf("ouraexport help lacks %q:\n%s", want, help)
		}
	}
	out, stderr, err := runOut()
	var ue *UsageError
	if out != "" || stderr != help || !errors.As(err, &ue) || err.Error() != "no command given (see 'ouraexport help')" {
		t.Errorf("no command: %q %v; stderr:\n%s", out, err, stderr)
	}
}

func TestVersionFlag(t *testing.T) {
	cmd, _, err1 := runOut("version")
	flag, _, err2 := runOut("--version")
	short, _, err3 := runOut("-v")
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatal(err1, err2, err3)
	}
	if want := "ouraexport " + version() + " ("; !strings.HasPrefix(cmd, want) || strings.Count(cmd, "\n") != 1 {
		t.Errorf("version printed %q, want a line starting %q", cmd, want)
	}
	if flag != cmd || short != cmd {
		t.Errorf("--version printed %q and -v %q, version %q", flag, short, cmd)
	}
}

// TestFlagsDocumented: every flag says what it does, and every flag that
// takes a value names it (which also decides its completion).
func TestFlagsDocumented(t *testing.T) {
	root := NewCommand(Streams{Out: io.Discard, Err: io.Discard})
	forEachCommand(root, func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden {
				return
			}
			if strings.TrimSpace(f.Usage) == "" {
				t.Errorf("%s --%s has no description", c.CommandPath(), f.Name)
			}
			if takesValue := f.NoOptDefVal == ""; takesValue != (flagArg(f) != "") {
				t.Errorf("%s --%s: value name %q, but it takes a value: %v", c.CommandPath(), f.Name, flagArg(f), takesValue)
			}
		})
	})
}

// TestFlagErrors: a command line with a flag or command that does not
// exist, or a value a flag refuses, is a usage error of one line naming it
// as typed and the help to read.
func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--api-urll", "x"}, "unknown flag --api-urll; did you mean --api-url? (see 'ouraexport help export')"},
		{[]string{"export", "--api-urll=x"}, "unknown flag --api-urll; did you mean --api-url? (see 'ouraexport help export')"},
		{[]string{"export", "--frobnicate"}, "unknown flag --frobnicate (see 'ouraexport help export')"},
		{[]string{"export", "-out", "x"}, "unknown flag -out: long flags take two dashes, --out (see 'ouraexport help export')"},
		{[]string{"export", "-dry-run"}, "unknown flag -dry-run: long flags take two dashes, --dry-run (see 'ouraexport help export')"},
		{[]string{"export", "-x"}, "unknown flag -x (see 'ouraexport help export')"},
		{[]string{"-version"}, "unknown flag -version: long flags take two dashes, --version (see 'ouraexport help')"},
		{[]string{"--bogus"}, "unknown flag --bogus (see 'ouraexport help')"},
		{[]string{"auth", "login", "--client-idd", "x"}, "unknown flag --client-idd; did you mean --client-id? (see 'ouraexport help auth login')"},
		{[]string{"auth", "status", "--tokn-file", "x"}, "unknown flag --tokn-file; did you mean --token-file? (see 'ouraexport help auth status')"},
		{[]string{"export", "--token", "s3cr3t"}, "--token: a token is never taken as a flag value (it would show in the process list); use --token-file FILE or $OURA_TOKEN (see 'ouraexport help export')"},
		{[]string{"export", "--token=s3cr3t"}, "--token: a token is never taken as a flag value"},
		{[]string{"auth", "login", "--client-secret", "s3cr3t"}, "--client-secret: the client secret is never taken as a flag value"},
		{[]string{"export", "--workers", "four"}, `invalid value "four" for --workers: want an integer (see 'ouraexport help export')`},
		{[]string{"export", "--quiet=maybe"}, `invalid value "maybe" for --quiet: want true or false`},
		{[]string{"export", "--request-timeout", "soon"}, `invalid value "soon" for --request-timeout: want a duration such as 90s, 5m or 2h`},
		{[]string{"sandbox", "--fault-rate", "lots"}, `invalid value "lots" for --fault-rate: want a number (see 'ouraexport help sandbox')`},
		{[]string{"export", "--out"}, "flag needs an argument: --out (see 'ouraexport help export')"},
		{[]string{"exprot"}, `unknown command "exprot"; did you mean "export"? (see 'ouraexport help')`},
		{[]string{"exprot", "--out", "x"}, `unknown command "exprot"; did you mean "export"? (see 'ouraexport help')`},
		{[]string{"frobnicate"}, `unknown command "frobnicate" (see 'ouraexport help')`},
		{[]string{"help", "exprot"}, `unknown command "exprot"; did you mean "export"? (see 'ouraexport help')`},
		{[]string{"help", "auth", "whoami"}, `unknown command "auth whoami" (see 'ouraexport help')`},
		{[]string{"export", "extra"}, `unexpected argument "extra" (see 'ouraexport help export')`},
		{[]string{"version", "extra"}, `unexpected argument "extra" (see 'ouraexport help version')`},
		{[]string{"completion"}, "name the shell: bash, zsh, fish or powershell (see 'ouraexport help completion')"},
		{[]string{"completion", "tcsh"}, `unknown shell "tcsh": choose bash, zsh, fish or powershell (see 'ouraexport help completion')`},
		{[]string{"completion", "bash", "extra"}, `unexpected argument "extra" (see 'ouraexport help completion bash')`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, stderr, err := runOut(tc.args...)
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.HasPrefix(Message(err), tc.want) {
				t.Errorf("got %v, want a usage error %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error repeats the secret: %v", err)
			}
			if out != "" || stderr != "" {
				t.Errorf("printed %q and %q besides the error", out, stderr)
			}
		})
	}
}

// TestGNUFlags: --name VALUE and --name=VALUE, lists comma-separated and
// repeated, positional arguments between flags, and -- ending the flags.
func TestGNUFlags(t *testing.T) {
	o, err := parseExportFlags([]string{"--out=/tmp/x", "--format", "csv", "--format=archive,parquet", "--collections", "sleep, heartrate",
		"--collections=daily_sleep", "--workers=2", "--quiet", "--dry-run=false"})
	if err != nil {
		t.Fatal(err)
	}
	if o.out != "/tmp/x" || o.workers != 2 || !o.quiet || o.dryRun {
		t.Errorf("parsed %+v", o)
	}
	if got, want := o.formats, []string{"csv", "archive", "parquet"}; !slices.Equal(got, want) {
		t.Errorf("formats %q, want %q", got, want)
	}
	if got, want := o.collections, []string{"sleep", "heartrate", "daily_sleep"}; !slices.Equal(got, want) {
		t.Errorf("collections %q, want %q", got, want)
	}
	i, err := parseImportFlags([]string{"a.zip", "--out", "/tmp/y", "b.csv", "--format=csv", "c.json", "--", "--d.json", "-e"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := i.files, []string{"a.zip", "b.csv", "c.json", "--d.json", "-e"}; !slices.Equal(got, want) || i.out != "/tmp/y" || !slices.Equal(i.formats, []string{"csv"}) {
		t.Errorf("files %q (want %q), out %q, formats %q", got, want, i.out, i.formats)
	}
}

// TestCompletionDirectives asks the program what a shell should complete
// (the request cobra's scripts make) where the answer is up to the shell:
// files, folders, or nothing.
func TestCompletionDirectives(t *testing.T) {
	const (
		files   = ":0"
		nothing = ":4"
		folders = ":16"
	)
	for _, tc := range []struct {
		args []string
		want string // the directive, and values that must be offered
		vals []string
	}{
		{[]string{"export", "--token-file", ""}, files, nil},
		{[]string{"export", "--config", ""}, files, nil},
		{[]string{"export", "--accounts", ""}, files, nil},
		{[]string{"export", "--encrypt-passphrase-file", ""}, files, nil},
		{[]string{"export", "--out", ""}, folders, nil},
		{[]string{"export", "--state", ""}, folders, nil},
		{[]string{"import", "--out", ""}, folders, nil},
		{[]string{"auth", "login", "--token-file", ""}, files, nil},
		{[]string{"auth", "status", "--config", ""}, files, nil},
		{[]string{"import", ""}, files, nil},
		{[]string{"import", "a.zip", "--out", "x", ""}, files, nil},
		{[]string{"verify", ""}, files, nil},
		{[]string{"verify", "x", ""}, nothing, nil},
		{[]string{"export", ""}, nothing, nil},
		{[]string{"export", "--since", ""}, nothing, nil},
		{[]string{"export", "--api-url", ""}, nothing, nil},
		{[]string{"schema", "sleep_h"}, nothing, []string{"sleep_heart_rate", "sleep_hrv"}},
		{[]string{"help", "v"}, nothing, []string{"verify", "version"}},
		{[]string{"sandbox", "--faults", "500,"}, ":6", []string{"500,502", "500,reset"}},
		{[]string{"auth", "login", "--scopes", "dai"}, ":6", []string{"daily"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, _, err := runOut(append([]string{"__complete"}, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if got := lines[len(lines)-1]; got != tc.want {
				t.Errorf("directive %s, want %s:\n%s", got, tc.want, out)
			}
			var offered []string
			for _, l := range lines[:len(lines)-1] {
				v, _, _ := strings.Cut(l, "\t")
				offered = append(offered, v)
			}
			for _, v := range tc.vals {
				if !slices.Contains(offered, v) {
					t.Errorf("%q not offered: %q", v, offered)
				}
			}
		})
	}
}
