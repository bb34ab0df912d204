package config

import (
	"os"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// listFlag collects the items of a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
func (l *listFlag) Type() string       { return "LIST" }

// FuzzParse feeds arbitrary config files, as TOML and as JSON, through the
// whole of parse (go-toml or encoding/json, then our keys and kinds). An error is one line naming the
// file; a config that parses applies to the command's flags without an
// error, each flag taking its setting's value, and never sets a secret.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"out = \"/data/oura\"\nformat = [\"parquet\", 'csv']\nworkers = 8\nquiet = true\nsince = 2024-01-01\n",
		"collections = \"sleep, ,daily_sleep,\"\nlookback = -1_0\n", "client_secret = \"s\"\n", "outt = 1\n", "workers = \"8\"\n",
		"format = [\n\"a\",\n]\n", "quiet = yes\n", "out = \"a\" x\n", "[section]\nout = \"x\"\n", "out = '''x'''\n",
		"workers = 9223372036854775808\n", "workers = 0x10\n", "out = \"\\u0000\"\n", "scopes = []\n", "\xef\xbb\xbfout = \"x\"\r\n",
	} {
		f.Add(false, []byte(s))
	}
	for _, s := range []string{
		`{"out": "x", "workers": 4, "quiet": true, "format": ["csv", "parquet"], "collections": "a,b", "since": "2024-01-01"}`,
		`{"client_secret": "s"}`, `{"workers": 1e3}`, `{"workers": 9223372036854775807}`, `{"workers": -9223372036854775808}`,
		`{"format": []}`, `{"out": "a\nb"}`, `{"outt": 1}`, `{}`, `{"quiet": "true"}`, `{"format": "a,,b"}`,
	} {
		f.Add(true, []byte(s))
	}
	for _, k := range keys {
		if os.Getenv(k.Env) != "" {
			f.Skipf("$%s is set: the environment would hide the file", k.Env)
		}
	}
	f.Fuzz(func(t *testing.T, isJSON bool, data []byte) {
		path := "/etc/ouraexport/config.toml"
		if isJSON {
			path = "/etc/ouraexport/config.json"
		}
		c, err := parse(path, data)
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, path) {
				t.Fatalf("error %q", msg)
			}
			return
		}
		fs := pflag.NewFlagSet("export", pflag.ContinueOnError)
		for _, k := range keys {
			name := strings.ReplaceAll(k.Name, "_", "-")
			switch k.Kind {
			case Int:
				fs.Int(name, 0, "")
			case Bool:
				fs.Bool(name, false, "")
			case List:
				fs.Var(&listFlag{}, name, "")
			default:
				fs.String(name, "", "")
			}
		}
		if err := c.ApplyFlags(fs); err != nil {
			t.Fatalf("a config that parses does not apply: %v", err)
		}
		for _, k := range keys {
			want, ok := c.Lookup(k.Name)
			if ok && !strings.HasPrefix(c.Source(k.Name), path) {
				t.Fatalf("%s comes from %q", k.Name, c.Source(k.Name))
			}
			got := flagValue(fs, k.Name)
			if !ok && (k.Kind == Int || k.Kind == Bool) {
				got = "" // the flag's default, 0 or false
			}
			if k.Secret {
				if got != "" {
					t.Fatalf("the secret %s was set on a flag", k.Name)
				}
				continue
			}
			if got != want {
				t.Fatalf("flag %s = %q, setting %q", k.Name, got, want)
			}
		}
	})
}

func flagValue(fs *pflag.FlagSet, name string) string {
	return fs.Lookup(strings.ReplaceAll(name, "_", "-")).Value.String()
}
