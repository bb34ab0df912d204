package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/internal/sandbox"
)

// TestDryRunNotDoneWhenUnplanned: a dry run that could not plan what was
// asked is not done. One export: some collections unplanned (a lapsed
// membership's 403, v1 retired beside v2) is partial (exit 3), none planned
// is a failure (exit 1). A cohort: every participant failed is the
// failure's class (exit 4 for rejected tokens, 1 otherwise), some failed
// or partial is exit 3, all planned is 0.
func TestDryRunNotDoneWhenUnplanned(t *testing.T) {
	mk := func(mod func(*sandbox.Options)) *sandbox.Server {
		since, _ := sandbox.ParseDate("2024-03-06")
		until, _ := sandbox.ParseDate("2024-03-10")
		o := sandbox.Options{Users: 2, Since: since, Until: until, NoGzip: true}
		if mod != nil {
			mod(&o)
		}
		sb, err := sandbox.New(o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sb.Close() })
		return sb
	}
	start := func(sb *sandbox.Server) string {
		u, err := sb.Start("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	good := mk(nil)
	goodURL := start(good)
	lapsedURL := start(mk(func(o *sandbox.Options) { o.Lapsed = true }))
	retiredURL := start(mk(func(o *sandbox.Options) { o.V1Retired = true }))
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("OURA_TOKEN", good.Token(1))

	dir := t.TempDir()
	accounts := func(name string, lines ...string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
		return p
	}
	os.WriteFile(filepath.Join(dir, "p1.token"), []byte(good.Token(1)+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "p2.token"), []byte(good.Token(2)+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "bad.token"), []byte("sandbox-token-0\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "bad2.token"), []byte("sandbox-token-00\n"), 0o600)
	fine := accounts("fine.txt", "p1 p1.token", "p2 p2.token")
	oneBad := accounts("onebad.txt", "p1 p1.token", "p2 bad.token")
	allBad := accounts("allbad.txt", "p1 bad.token", "p2 bad2.token")
	missing := accounts("missing.txt", "p1 nope1.token", "p2 nope2.token")

	const (
		done    = 0
		failed  = 1
		partial = 3
		login   = 4
	)
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"planned", []string{"--api-url", goodURL}, done, ""},
		{"lapsed membership", []string{"--api-url", lapsedURL}, partial, "the plan is incomplete"},
		{"v1 retired beside v2", []string{"--api-url", retiredURL, "--api", "v1,v2"}, partial, "v1_sleep"},
		{"v1 retired alone", []string{"--api-url", retiredURL, "--api", "v1"}, failed, "nothing could be planned: Oura API v1 is retired"},
		{"cohort planned", []string{"--api-url", goodURL, "--accounts", fine}, done, ""},
		{"cohort, one token rejected", []string{"--api-url", goodURL, "--accounts", oneBad}, partial, "1 of 2 participants failed"},
		{"cohort, every token rejected", []string{"--api-url", goodURL, "--accounts", allBad}, login, "all failed"},
		{"cohort, no token file", []string{"--api-url", goodURL, "--accounts", missing}, failed, "all failed"},
		{"cohort, lapsed", []string{"--api-url", lapsedURL, "--accounts", fine}, partial, "2 are partial"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			msg, err := runCmd(t, append([]string{"export", "--dry-run", "--out", out, "--until", "2024-03-10"}, tc.args...)...)
			if got := exitClass(err); got != tc.code {
				t.Fatalf("exit %d, want %d: %v\n%s", got, tc.code, err, msg)
			}
			if tc.msg != "" && !strings.Contains(Message(err), tc.msg) {
				t.Errorf("the message does not say %q: %s", tc.msg, Message(err))
			}
			if !strings.Contains(msg, "requests") {
				t.Errorf("no plan printed:\n%s", msg)
			}
		})
	}
}

// exitClass is the exit code main gives err (see main.go).
func exitClass(err error) int {
	var ue *UsageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue), errors.Is(err, ErrBadInput):
		return 2
	case errors.Is(err, ErrAuthNeeded):
		return 4
	case errors.Is(err, ErrPartial):
		return 3
	}
	return 1
}

// TestVerifyPartialExport: verify re-reads a partial export's files (they
// check out) and still does not say "done": the manifest names what the
// export lacks, so it exits 3; once an export completes it, 0.
func TestVerifyPartialExport(t *testing.T) {
	since, _ := sandbox.ParseDate("2024-03-06")
	until, _ := sandbox.ParseDate("2024-03-10")
	limited, err := sandbox.New(sandbox.Options{Users: 1, Since: since, Until: until, NoGzip: true, Scopes: []string{"daily", "personal", "email"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { limited.Close() })
	url, err := limited.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("OURA_TOKEN", limited.Token(1))
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"export", "--api-url", url, "--out", out, "--until", "2024-03-10", "--format", "csv", "--quiet",
		"--collections", "daily_sleep,heartrate"}
	if _, err := runCmd(t, args...); !errors.Is(err, ErrPartial) {
		t.Fatalf("export without the heartrate scope: %v, want partial", err)
	}
	msg, err := runCmd(t, "verify", out)
	if !errors.Is(err, ErrPartial) || !strings.Contains(Message(err), "it lacks heartrate") || !strings.Contains(msg, "verified") {
		t.Fatalf("verify of the partial export: %v\n%s", err, msg)
	}
	full := apiWorld(t, nil) // the same account, every scope
	args[2] = full
	if _, err := runCmd(t, append(args, "--since", "2024-02-01")...); err != nil {
		t.Fatalf("completing export: %v", err)
	}
	if msg, err := runCmd(t, "verify", out); err != nil {
		t.Errorf("verify of the completed export: %v\n%s", err, msg)
	}
}
