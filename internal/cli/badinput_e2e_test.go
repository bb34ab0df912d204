package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInput runs the binary on input a person can get wrong. Each case
// must fail with the documented exit code and one line on stderr that says
// what is wrong and what to do, with no stack trace, and leave no output
// (the --out folder is not created, or keeps only what it held).
func TestBadInput(t *testing.T) {
	url := startSandbox(t, "--since", "2024-03-01", "--until", "2024-03-05")
	html := startSandbox(t, "--since", "2024-03-01", "--until", "2024-03-05", "--faults", "html", "--fault-rate", "1")
	dir := t.TempDir()
	file := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tok := []string{"OURA_TOKEN=sandbox-token-1"}
	emptyTok := file("empty-token", "", 0o600)
	twoWords := file("two-words", "abc def\n", 0o600)
	unreadable := file("unreadable", "sandbox-token-1", 0o000)
	notAZip := file("not-a-zip.zip", "this is not a zip", 0o600)
	truncZip := file("trunc.zip", "PK\x03\x04\x14\x00\x00\x00\x08\x00", 0o600)
	badJSON := file("sleep.json", `{"sleep": [{"summary_date": "2020-01-01", `, 0o600)
	emptyPass := file("empty-pass", "\n", 0o600)
	secretKey := file("secret-key", "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n", 0o600)
	notAge := file("not-age.zip.age", "plain bytes", 0o600)
	foreign := filepath.Join(dir, "foreign")
	os.MkdirAll(foreign, 0o700)
	os.WriteFile(filepath.Join(foreign, "thesis.docx"), []byte("mine"), 0o600)
	aFile := file("a-file", "x", 0o600)
	oldState := filepath.Join(dir, "old-state")
	os.MkdirAll(filepath.Join(oldState, ".ouraexport"), 0o700)
	os.WriteFile(filepath.Join(oldState, ".ouraexport", "state.json"), []byte(`{"format": 99}`), 0o600)
	badState := filepath.Join(dir, "bad-state")
	os.MkdirAll(filepath.Join(badState, ".ouraexport"), 0o700)
	os.WriteFile(filepath.Join(badState, ".ouraexport", "state.json"), []byte(`{"format": 1,`), 0o600)
	notExport := filepath.Join(dir, "not-export")
	os.MkdirAll(notExport, 0o700)

	export := func(args ...string) []string {
		return append([]string{"export", "--api-url", url, "--quiet", "--until", "2024-03-05"}, args...)
	}
	cases := []struct {
		name string
		env  []string
		args []string // OUT is replaced by a fresh output folder
		code int
		msg  string
	}{
		{"unknown command", nil, []string{"exprot"}, 2, "unknown command"},
		{"unknown flag", tok, export("--out", "OUT", "--frobnicate"), 2, "frobnicate"},
		{"misspelt flag", tok, export("--out", "OUT", "--api-urll", "x"), 2, "unknown flag --api-urll; did you mean --api-url?"},
		{"long flag with one dash", tok, export("-out", "OUT"), 2, "long flags take two dashes, --out"},
		{"flag without its value", tok, export("--out"), 2, "flag needs an argument: --out"},
		{"token as a flag", nil, export("--out", "OUT", "--token", "abc"), 2, "never taken as a flag value"},
		{"month 13", tok, export("--out", "OUT", "--since", "2024-13-01"), 2, "YYYY-MM-DD"},
		{"day as words", tok, export("--out", "OUT", "--until", "yesterday"), 2, "YYYY-MM-DD"},
		{"US date", tok, export("--out", "OUT", "--since", "03/01/2024"), 2, "YYYY-MM-DD"},
		{"until before since", tok, export("--out", "OUT", "--since", "2024-03-05", "--until", "2024-03-01"), 2, "before"},
		{"since in the future", tok, export("--out", "OUT", "--since", "2999-01-01", "--until", ""), 2, "future"},
		{"unknown collection", tok, export("--out", "OUT", "--collections", "sleeps"), 2, "unknown collection"},
		{"unknown format", tok, export("--out", "OUT", "--format", "xlsx"), 2, "--format"},
		{"zero workers", tok, export("--out", "OUT", "--workers", "0"), 2, "--workers"},
		{"too many workers", tok, export("--out", "OUT", "--workers", "1000"), 2, "--workers"},
		{"workers not a number", tok, export("--out", "OUT", "--workers", "four"), 2, "workers"},
		{"negative lookback", tok, export("--out", "OUT", "--lookback", "-1"), 2, "--lookback"},
		{"log format", tok, export("--out", "OUT", "--log-format", "yaml"), 2, "--log-format"},
		{"api v3", tok, export("--out", "OUT", "--api", "v3"), 2, "v3"},
		{"partition by month", tok, export("--out", "OUT", "--partition", "month"), 2, "--partition"},
		{"request timeout negative", tok, export("--out", "OUT", "--request-timeout", "-1s"), 2, "--request-timeout"},
		{"request timeout not a duration", tok, export("--out", "OUT", "--request-timeout", "soon"), 2, "request-timeout"},
		{"positional argument", tok, export("--out", "OUT", "extra"), 2, "unexpected argument"},
		{"sandbox with a token file", nil, []string{"export", "--sandbox", "--token-file", emptyTok, "--out", "OUT"}, 2, "needs no token"},
		{"missing token file", nil, export("--out", "OUT", "--token-file", filepath.Join(dir, "nope")), 2, "--token-file"},
		{"empty token file", nil, export("--out", "OUT", "--token-file", emptyTok), 2, "does not hold a token"},
		{"token file with two words", nil, export("--out", "OUT", "--token-file", twoWords), 2, "does not hold a token"},
		{"unreadable token file", nil, export("--out", "OUT", "--token-file", unreadable), 2, "--token-file"},
		{"no token", nil, export("--out", "OUT"), 4, "OURA_TOKEN"},
		{"wrong token", []string{"OURA_TOKEN=not-a-token"}, export("--out", "OUT"), 4, "auth login"},
		{"out is a file", tok, export("--out", aFile), 2, "is a file"},
		{"out holds other files", tok, export("--out", foreign), 2, "not empty"},
		{"state of another store format", tok, export("--out", oldState), 2, "store format 99"},
		{"state not JSON", tok, export("--out", badState), 2, "not valid JSON"},
		{"API answers HTML", tok, []string{"export", "--api-url", html, "--quiet", "--until", "2024-03-05", "--out", "OUT"}, 1, "not JSON"},
		{"encrypt to garbage", tok, export("--out", "OUT", "--encrypt-to", "age1garbage"), 2, "age recipient"},
		{"encrypt to a missing file", tok, export("--out", "OUT", "--encrypt-to", filepath.Join(dir, "nope")), 2, "recipients file"},
		{"encrypt to a secret key", tok, export("--out", "OUT", "--encrypt-to", secretKey), 2, "secret key"},
		{"encrypt to an ssh key", tok, export("--out", "OUT", "--encrypt-to", "ssh-ed25519 AAAA"), 2, "SSH keys"},
		{"encrypt both ways", tok, export("--out", "OUT", "--encrypt-to", "age1x", "--encrypt-passphrase-file", emptyPass), 2, "exclude each other"},
		{"empty passphrase file", tok, export("--out", "OUT", "--encrypt-passphrase-file", emptyPass), 2, "empty"},
		{"missing passphrase file", tok, export("--out", "OUT", "--encrypt-passphrase-file", filepath.Join(dir, "nope")), 2, "passphrase file"},
		{"encrypt without the archive", tok, export("--out", "OUT", "--format", "csv", "--encrypt-passphrase-file", emptyPass), 2, "archive"},
		{"verify without a path", nil, []string{"verify"}, 2, "PATH"},
		{"verify a missing path", nil, []string{"verify", filepath.Join(dir, "nope")}, 2, "no such file"},
		{"verify a folder that is no export", nil, []string{"verify", notExport}, 2, "MANIFEST.json"},
		{"verify a text file", nil, []string{"verify", aFile}, 2, "archive"},
		{"verify a corrupt zip", nil, []string{"verify", notAZip}, 1, "damaged"},
		{"verify a truncated zip", nil, []string{"verify", truncZip}, 1, "damaged"},
		{"import nothing", nil, []string{"import", "--out", "OUT"}, 2, "name the files"},
		{"import a missing file", nil, []string{"import", "--out", "OUT", filepath.Join(dir, "nope")}, 2, "no such file"},
		{"import a truncated zip", nil, []string{"import", "--out", "OUT", truncZip}, 2, "zip"},
		{"import truncated JSON", nil, []string{"import", "--out", "OUT", badJSON}, 2, "sleep.json"},
		{"import an unknown format", nil, []string{"import", "--out", "OUT", "--format", "xlsx", badJSON}, 2, "--format"},
		{"sandbox unknown fault", nil, []string{"sandbox", "--faults", "gremlins"}, 2, "unknown fault"},
		{"sandbox bad rate limit", nil, []string{"sandbox", "--rate-limit", "lots"}, 2, "rate-limit"},
	}
	_ = notAge
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.name == "unreadable token file" && os.Geteuid() == 0 {
				t.Skip("root reads any file")
			}
			out := filepath.Join(t.TempDir(), "out")
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "OUT", out)
			}
			r := ouraexport(t, tc.env, args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", r.code, tc.code, r.stderr)
			}
			msg := strings.TrimSpace(r.stderr)
			if !strings.Contains(msg, tc.msg) {
				t.Errorf("stderr %q does not say %q", msg, tc.msg)
			}
			if strings.Count(msg, "\n") > 0 && !strings.HasPrefix(args[0], "verify") {
				t.Errorf("the error takes more than one line: %q", msg)
			}
			if strings.Contains(msg, "goroutine ") || strings.Contains(msg, "panic") {
				t.Errorf("stack trace: %s", msg)
			}
			if _, err := os.Stat(out); err == nil {
				left := ""
				filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
					// The hidden state folder is kept on purpose: a rerun resumes from it.
					if err == nil && !info.IsDir() && !strings.Contains(p, "/.ouraexport/") {
						left += " " + p
					}
					return nil
				})
				if left != "" {
					t.Errorf("output left behind:%s", left)
				}
			}
		})
	}
}

// TestMisspeltFlag: a misspelt flag is one line on stderr that names it as
// typed, suggests the flag meant and the help to read; exit status 2.
func TestMisspeltFlag(t *testing.T) {
	r := ouraexport(t, nil, "export", "--api-urll", "x")
	if r.code != 2 {
		t.Errorf("exit %d, want 2", r.code)
	}
	if want := "ouraexport: unknown flag --api-urll; did you mean --api-url? (see 'ouraexport help export')\n"; r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q", r.stdout)
	}
}

// TestVersionAndHelpE2E: --version prints what 'version' prints, and
// 'help CMD' what 'CMD --help' prints, with exit status 0.
func TestVersionAndHelpE2E(t *testing.T) {
	v, flag := ouraexport(t, nil, "version"), ouraexport(t, nil, "--version")
	if v.code != 0 || flag.code != 0 || !strings.HasPrefix(v.stdout, "ouraexport ") || flag.stdout != v.stdout {
		t.Errorf("version: %d %q; --version: %d %q", v.code, v.stdout, flag.code, flag.stdout)
	}
	h, f := ouraexport(t, nil, "help", "export"), ouraexport(t, nil, "export", "--help")
	if h.code != 0 || f.code != 0 || h.stderr != "" || !strings.HasPrefix(h.stdout, "Usage: ouraexport export") || f.stdout != h.stdout {
		t.Errorf("help export: %d %q; export --help: %d", h.code, h.stdout, f.code)
	}
}
