package config

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestParseTOML(t *testing.T) {
	src := "\ufeff# nightly export\n" +
		"out = \"/data/oura\"   # where\n" +
		"format = [\"parquet\",\n  'csv', # second\n]\n" +
		"collections = \"sleep, daily_sleep\"\r\n" +
		"workers = 8\n" +
		"lookback = 1_4\n" +
		"quiet = true\n" +
		"since = 2024-01-01\n" +
		"\n\t\n" +
		"log_format = \"j\\u0073on\"\n" +
		"api_url = 'C:\\no\\escapes'\n"
	c, err := parse("config.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ key, want string }{
		{"out", "/data/oura"},
		{"format", "parquet,csv"},
		{"collections", "sleep,daily_sleep"},
		{"workers", "8"},
		{"lookback", "14"},
		{"quiet", "true"},
		{"since", "2024-01-01"},
		{"log_format", "json"},
		{"api_url", `C:\no\escapes`},
	} {
		t.Run(tc.key, func(t *testing.T) {
			t.Setenv(mustKey(t, tc.key).Env, "")
			got, ok := c.Lookup(tc.key)
			if !ok || got != tc.want {
				t.Errorf("Lookup(%q) = %q, %v; want %q", tc.key, got, ok, tc.want)
			}
		})
	}
	if src := c.Source("workers"); src != "config.toml: line 7" {
		t.Errorf("Source(workers) = %q", src)
	}
}

func mustKey(t *testing.T, name string) Key {
	t.Helper()
	k, ok := lookupKey(name)
	if !ok {
		t.Fatalf("no key %q", name)
	}
	return k
}

// TestParseTOMLValid: TOML that the old hand-written subset refused and
// go-toml decodes, read as the settings it names.
func TestParseTOMLValid(t *testing.T) {
	for _, tc := range []struct{ name, src, key, want string }{
		{"quoted key", "\"out\" = \"x\"\n", "out", "x"},
		{"hex", "workers = 0x10\n", "workers", "16"},
		{"multi-line string", "out = \"\"\"\nabc\"\"\"\n", "out", "abc"},
		{"multi-line literal", "out = '''a\\b'''\n", "out", `a\b`},
		{"array of one line", "scopes = [ ]\n", "scopes", ""},
		{"crlf", "quiet = true\r\nworkers = 3\r\n", "workers", "3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parse("c.toml", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			t.Setenv(mustKey(t, tc.key).Env, "")
			if got, ok := c.Lookup(tc.key); !ok || got != tc.want {
				t.Errorf("Lookup(%q) = %q, %v; want %q", tc.key, got, ok, tc.want)
			}
		})
	}
}

func TestParseTOMLErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		// Our mapping: keys and the types of their values.
		{"unknown key", "wokers = 4\n", `c.toml: line 1: unknown key "wokers" (did you mean "workers"?)`},
		{"unknown key far", "colour = \"red\"\n", `unknown key "colour"`},
		{"unknown key later", "out = \"x\"\n\n# c\nworkres = 2\n", `line 4: unknown key "workres" (did you mean "workers"?)`},
		{"plural", "formats = [\"csv\"]\n", `did you mean "format"`},
		{"table", "out = \"x\"\n[export]\nout = \"y\"\n", `line 2: unknown key "export"`},
		{"array table", "[[out]]\n", "line 1: out must be a string, not an array"},
		{"table of a key", "workers = 2\n[out]\n", "line 2: out must be a string, not a table"},
		{"dotted", "a.b = 1\n", `line 1: unknown key "a"`},
		{"dotted known", "out.dir = \"x\"\n", "out must be a string, not a table"},
		{"inline table", "out = {a = 1}\n", "line 1: out must be a string, not a table"},
		{"float", "workers = 1.5\n", "workers must be an integer, not a fractional number"},
		{"datetime", "since = 2024-01-01T00:00:00Z\n", "since must be a string, not a date-time"},
		{"datetime space", "since = 2024-01-01 10:00:00\n", "since must be a string, not a date-time"},
		{"time", "since = 10:00:00\n", "since must be a string, not a time of day"},
		{"date for an integer", "workers = 2024-01-01\n", "workers must be an integer, not a date"},
		{"wrong kind int", "workers = \"4\"\n", "line 1: workers must be an integer, not a string"},
		{"wrong kind bool", "quiet = 1\n", "quiet must be true or false, not an integer"},
		{"wrong kind string", "out = 4\n", "out must be a string, not an integer"},
		{"wrong kind list", "format = true\n", "format must be a list of strings, not a boolean"},
		{"array of ints", "format = [1, 2]\n", "format must be a list of strings: the array holds an integer"},
		{"array for string", "out = [\"a\"]\n", "out must be a string, not an array"},
		// go-toml's syntax errors, with their line and column.
		{"duplicate", "out = \"a\"\nout = \"b\"\n", "line 2, column 1: key out is already defined"},
		{"missing value", "out =\n", "line 1, column 6: unexpected character"},
		{"missing equals", "out \"x\"\n", "line 1, column 5: expected '=' after key"},
		{"unquoted string", "out = data\n", "line 1, column 7: unexpected character U+0064 'd' at start of value"},
		{"leading zero", "workers = 08\n", "leading zeroes"},
		{"bad underscore", "workers = 1__0\n", "underscores"},
		{"array unclosed", "format = [\"csv\"\n", "line 1"},
		{"array no comma", "format = [\"csv\" \"x\"]\n", "line 1"},
		{"unclosed string", "out = \"abc\n", "basic strings cannot have new lines"},
		{"bad escape", "out = \"a\\qb\"\n", "invalid escape character U+0071 'q'"},
		{"trailing text", "out = \"a\" b\n", "expected newline"},
		{"control char", "out = \"a\x01b\"\n", "control characters"},
		{"not utf8", "out = \"\xff\"\n", "UTF-8"},
		{"two on a line", "out = \"a\" workers = 2\n", "expected newline"},
		{"out of range", "workers = 99999999999999999999\n", "64-bit"},
		{"third line", "out = \"a\"\nquiet = true\nworkers = ]\n", "line 3, column 11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse("c.toml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "config c.toml: line ") {
				t.Errorf("error %q does not start with the file and line", err)
			}
		})
	}
}

func TestParseJSON(t *testing.T) {
	c, err := parse("c.json", []byte(`{"out": "x", "workers": 3, "quiet": false, "format": ["csv"], "collections": "a,b"}`))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"out": "x", "workers": "3", "quiet": "false", "format": "csv", "collections": "a,b"} {
		if got, _ := c.Lookup(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	for _, tc := range []struct{ name, src, want string }{
		{"not object", `["out"]`, "one JSON object"},
		{"duplicate", `{"out": "a", "out": "b"}`, "set twice"},
		{"null", `{"out": null}`, "null"},
		{"float", `{"workers": 1.5}`, "not an integer"},
		{"object", `{"out": {}}`, "objects are not supported"},
		{"unknown", `{"outt": "x"}`, `unknown key "outt"`},
		{"trailing", `{"out": "x"} {}`, "text after"},
		{"broken", `{"out": `, "not JSON"},
		{"array of numbers", `{"format": [1]}`, "strings only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse("c.json", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// newFlags returns a flag set shaped like the export command's.
func newFlags() (*pflag.FlagSet, *struct {
	out     string
	workers int
	quiet   bool
	format  []string
	apiURL  string
}) {
	v := &struct {
		out     string
		workers int
		quiet   bool
		format  []string
		apiURL  string
	}{}
	fs := pflag.NewFlagSet("export", pflag.ContinueOnError)
	fs.StringVar(&v.out, "out", "./oura-export", "")
	fs.IntVar(&v.workers, "workers", 4, "")
	fs.BoolVar(&v.quiet, "quiet", false, "")
	fs.StringVar(&v.apiURL, "api-url", "", "")
	fs.Func("format", "", func(s string) error {
		for _, p := range strings.Split(s, ",") {
			v.format = append(v.format, p)
		}
		return nil
	})
	fs.String("config", "", "")
	return fs, v
}

// TestPrecedence checks flag > environment > file > default.
func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte("out = \"/file\"\nworkers = 2\nquiet = true\nformat = [\"csv\", \"archive\"]\napi_url = \"https://file\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		t.Setenv(k.Env, "")
	}
	t.Setenv("OURAEXPORT_WORKERS", "6")
	t.Setenv("OURAEXPORT_API_URL", "https://env")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	fs, v := newFlags()
	if err := fs.Parse([]string{"--api-url", "https://flag"}); err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyFlags(fs, "quiet"); err != nil {
		t.Fatal(err)
	}
	if v.apiURL != "https://flag" {
		t.Errorf("api-url = %q: the flag must win", v.apiURL)
	}
	if v.workers != 6 {
		t.Errorf("workers = %d: the environment must beat the file", v.workers)
	}
	if v.out != "/file" {
		t.Errorf("out = %q: the file must beat the default", v.out)
	}
	if v.quiet {
		t.Errorf("quiet was applied although excepted")
	}
	if !slices.Equal(v.format, []string{"csv", "archive"}) {
		t.Errorf("format = %q: a list is set item by item", v.format)
	}

	// Without file values the defaults stay.
	fs, v = newFlags()
	if err := (&Config{}).ApplyFlags(fs); err != nil {
		t.Fatal(err)
	}
	if v.out != "./oura-export" || v.workers != 6 {
		t.Errorf("empty config: out %q workers %d", v.out, v.workers)
	}
}

func TestApplyFlagsError(t *testing.T) {
	for _, k := range keys {
		t.Setenv(k.Env, "")
	}
	t.Setenv("OURAEXPORT_WORKERS", "many")
	fs, _ := newFlags()
	err := (*Config)(nil).ApplyFlags(fs)
	if err == nil || !strings.Contains(err.Error(), "$OURAEXPORT_WORKERS") {
		t.Fatalf("got %v, want an error naming $OURAEXPORT_WORKERS", err)
	}
}

func TestLoadDefault(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("HOME", home)
	t.Setenv("AppData", home)
	t.Setenv(EnvPath, "")
	dir, err := os.UserConfigDir()
	if err != nil {
		t.Skip("no user config dir:", err)
	}
	cdir := filepath.Join(dir, "ouraexport")
	c, err := Load("")
	if err != nil || c.Path() != "" {
		t.Fatalf("no file: got %v, %q; want an empty config", err, c.Path())
	}
	if err := os.MkdirAll(cdir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cdir, "config.json"), []byte(`{"workers": 9}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OURAEXPORT_WORKERS", "")
	c, err = Load("")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Lookup("workers"); v != "9" {
		t.Errorf("config.json: workers = %q", v)
	}
	if err := os.WriteFile(filepath.Join(cdir, "config.toml"), []byte("workers = 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(""); err == nil || !strings.Contains(err.Error(), "keep one") {
		t.Errorf("both files: got %v", err)
	}
	os.Remove(filepath.Join(cdir, "config.json"))
	c, err = Load("")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Lookup("workers"); v != "3" {
		t.Errorf("config.toml: workers = %q", v)
	}

	other := filepath.Join(t.TempDir(), "other.toml")
	if err := os.WriteFile(other, []byte("workers = 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvPath, other)
	if c, err = Load(""); err != nil || c.Path() != other {
		t.Fatalf("$%s: got %v, %q", EnvPath, err, c.Path())
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("explicit missing file: got %v", err)
	}
}

func TestSecretNeedsPrivateFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix modes")
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("client_secret = \"s3cr3t-value\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("got %v, want a refusal", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("the error shows the secret: %v", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OURA_CLIENT_SECRET", "")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Lookup("client_secret"); v != "s3cr3t-value" {
		t.Errorf("client_secret = %q", v)
	}
	t.Setenv("OURA_CLIENT_SECRET", "from-env")
	if v, _ := c.Lookup("client_secret"); v != "from-env" {
		t.Errorf("client_secret with $OURA_CLIENT_SECRET = %q", v)
	}
	// A secret is never applied to a flag.
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	secret := fs.String("client-secret", "", "")
	if err := c.ApplyFlags(fs); err != nil || *secret != "" {
		t.Errorf("ApplyFlags set --client-secret (%v)", err)
	}
}

func TestKeysDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Keys() {
		if k.Doc == "" || k.Env == "" || seen[k.Name] || seen[k.Env] {
			t.Errorf("key %+v: missing doc or env, or duplicate", k)
		}
		seen[k.Name], seen[k.Env] = true, true
	}
}

// FuzzDecodeTOML feeds arbitrary files through go-toml and our mapping of
// what it decodes: every top-level key is one entry, on the line where it
// is first named, and check judges each without a panic, a setting taking
// one value unless it is a list. An error is one line naming a line.
func FuzzDecodeTOML(f *testing.F) {
	for _, s := range []string{
		"out = \"x\"\n", "format = ['a', \"b\",]\n# c\n", "workers = -1_000\n", "since = 2024-02-29\n",
		"quiet = false # x\r\n", "[t]\n", "a = \"\\u00e9\\U0001F600\"\n", "format = [\n]\n",
		"out.a = 1\n\"out\".b = 2\n", "x = 1\n[out]\nworkers = 2\n[[format]]\n", "'' = 1\n\"\" = 2\n",
		"workers = 0x7fffffffffffffff\n", "since = 1979-05-27T07:32:00-08:00\n", "out = {a = [1, {b = 2}]}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := decodeTOML(data)
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || len(data) <= maxFile && !strings.HasPrefix(msg, "line ") {
				t.Fatalf("error %q", msg)
			}
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if seen[e.key] || e.line < 1 {
				t.Fatalf("bad entry %+v", e)
			}
			seen[e.key] = true
			s, err := check(e)
			if err != nil {
				if strings.ContainsAny(err.Error(), "\r\n") {
					t.Fatalf("error %q", err)
				}
				continue
			}
			if s.key.Kind != List && len(s.vals) != 1 {
				t.Fatalf("%s holds %q", s.key.Name, s.vals)
			}
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"out": "x", "workers": 4, "quiet": true, "format": ["csv"]}`, `{}`, `{"a": null}`, `{"a": 1.5}`,
		`{"a": {"b": 1}}`, `{"a": 1, "a": 2}`, `[1]`, `{"a": "\u00e9"} x`, `{"format": [1]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := parseJSON(data)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if seen[e.key] {
				t.Fatalf("%q twice", e.key)
			}
			seen[e.key] = true
			// Every entry the parser accepts is checked against the keys
			// without a panic, as the ones of TOML files are.
			_, _ = check(e)
		}
	})
}
