package config

import (
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
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

func TestParseTOMLErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unknown key", "wokers = 4\n", `line 1: unknown key "wokers" (did you mean "workers"?)`},
		{"unknown key far", "colour = \"red\"\n", `unknown key "colour"`},
		{"plural", "formats = [\"csv\"]\n", `did you mean "format"`},
		{"table", "out = \"x\"\n[export]\n", "line 2: tables ([section]) are not supported"},
		{"dotted", "a.b = 1\n", "dotted keys"},
		{"quoted key", "\"out\" = \"x\"\n", "quoted keys are not supported"},
		{"duplicate", "out = \"a\"\nout = \"b\"\n", `line 2: "out" is already set on line 1`},
		{"missing value", "out =\n", "line 1: out: the value is missing"},
		{"missing equals", "out \"x\"\n", "expected = after"},
		{"unquoted string", "out = data\n", "strings are written in quotes"},
		{"float", "workers = 1.5\n", "fractional numbers"},
		{"hex", "workers = 0x10\n", "decimal"},
		{"leading zero", "workers = 08\n", "leading zeros"},
		{"bad underscore", "workers = 1__0\n", "not a value"},
		{"datetime", "since = 2024-01-01T00:00:00Z\n", "date-times are not supported"},
		{"datetime space", "since = 2024-01-01 10:00:00\n", "date-times are not supported"},
		{"wrong kind int", "workers = \"4\"\n", "workers must be an integer, not a string"},
		{"wrong kind bool", "quiet = 1\n", "quiet must be true or false, not an integer"},
		{"wrong kind string", "out = 4\n", "out must be a string, not an integer"},
		{"array of ints", "format = [1, 2]\n", "arrays hold quoted strings only"},
		{"array unclosed", "format = [\"csv\"\n", "the array is not closed"},
		{"array no comma", "format = [\"csv\" \"x\"]\n", "expected , or ]"},
		{"array for string", "out = [\"a\"]\n", "out must be a string, not an array"},
		{"unclosed string", "out = \"abc\n", "not closed on its line"},
		{"multiline string", "out = \"\"\"abc\"\"\"\n", "multi-line strings"},
		{"bad escape", "out = \"a\\qb\"\n", `unknown escape \q`},
		{"trailing text", "out = \"a\" b\n", "after the value"},
		{"inline table", "out = {a = 1}\n", "inline tables"},
		{"control char", "out = \"a\x01b\"\n", "control character"},
		{"not utf8", "out = \"\xff\"\n", "not UTF-8"},
		{"two on a line", "out = \"a\" workers = 2\n", "after the value"},
		{"out of range", "workers = 99999999999999999999\n", "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse("c.toml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
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
func newFlags() (*flag.FlagSet, *struct {
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
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
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
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
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

func FuzzParseTOML(f *testing.F) {
	for _, s := range []string{
		"out = \"x\"\n", "format = ['a', \"b\",]\n# c\n", "workers = -1_000\n", "since = 2024-02-29\n",
		"quiet = false # x\r\n", "[t]\n", "a = \"\\u00e9\\U0001F600\"\n", "format = [\n]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := parseTOML(data)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if e.key == "" || seen[e.key] || e.line < 1 {
				t.Fatalf("bad entry %+v", e)
			}
			seen[e.key] = true
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
			// without a panic.
			_, _ = check(e)
		}
	})
}
