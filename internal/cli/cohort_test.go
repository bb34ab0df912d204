package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/internal/cohort"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/sinks/s3/s3test"
)

// cohortCmd runs a command line and returns its output and error.
func cohortCmd(args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	err := Main(context.Background(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return out.String(), errb.String(), err
}

// cohortSandbox starts a sandbox of n users and writes an accounts file of
// them (p1..pn), user bad's token replaced by a wrong one.
func cohortSandbox(t *testing.T, n, bad int) (url, accounts string) {
	t.Helper()
	since, _ := sandbox.ParseDate("2024-03-06")
	until, _ := sandbox.ParseDate("2024-03-10")
	srv, err := sandbox.New(sandbox.Options{Users: n, Since: since, Until: until, NoGzip: true})
	if err != nil {
		t.Fatal(err)
	}
	url, err = srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	var lines []string
	for u := 1; u <= n; u++ {
		tok := srv.Token(u)
		if u == bad {
			tok = "sandbox-token-0"
		}
		name := "p" + string(rune('0'+u)) + ".token"
		os.WriteFile(filepath.Join(dir, name), []byte(tok+"\n"), 0o600)
		lines = append(lines, "p"+string(rune('0'+u))+" "+name)
	}
	accounts = filepath.Join(dir, "accounts.txt")
	os.WriteFile(accounts, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	return url, accounts
}

func TestCohortUsage(t *testing.T) {
	dir := t.TempDir()
	accounts := filepath.Join(dir, "accounts.txt")
	os.WriteFile(accounts, []byte("p1 p1.token\n"), 0o600)
	single := filepath.Join(dir, "single")
	os.MkdirAll(single, 0o700)
	os.WriteFile(filepath.Join(single, "MANIFEST.json"), []byte("{}"), 0o600)
	cases := []struct {
		name  string
		args  []string
		usage bool   // a *UsageError, else ErrBadInput
		msg   string // part of the message
	}{
		{"shard without accounts", []string{"--shard", "0/2"}, true, "give --accounts too"},
		{"token file with accounts", []string{"--accounts", accounts, "--token-file", "x"}, true, "drop --token-file"},
		{"shard out of range", []string{"--accounts", accounts, "--shard", "2/2"}, true, "must be 0 to 1"},
		{"shard auto without index", []string{"--accounts", accounts, "--shard", "auto/2"}, true, "JOB_COMPLETION_INDEX"},
		{"state for a local export", []string{"--state", dir}, true, "--state is for"},
		{"endpoint for a local export", []string{"--s3-endpoint", "http://127.0.0.1:1"}, true, "--s3-endpoint is for"},
		{"bad bucket", []string{"--out", "s3://Bad_Bucket/x", "--sandbox"}, true, "not a valid bucket name"},
		{"missing accounts file", []string{"--accounts", filepath.Join(dir, "none.txt")}, false, "none.txt"},
		{"cohort into a single export", []string{"--accounts", accounts, "--out", single}, false, "single-account export"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(cohort.IndexEnv, "")
			_, _, err := cohortCmd(append([]string{"export", "--quiet", "--out", filepath.Join(t.TempDir(), "out")}, tc.args...)...)
			var ue *UsageError
			if tc.usage && !errors.As(err, &ue) || !tc.usage && !errors.Is(err, ErrBadInput) {
				t.Fatalf("got %v, want a usage error=%v", err, tc.usage)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%q does not say %q", err, tc.msg)
			}
		})
	}
}

// TestCohortCommand runs a cohort in two shards into S3 from the command
// line, with a participant whose token is wrong, and verifies it; then a
// single account into S3, and a cohort into a local folder.
func TestCohortCommand(t *testing.T) {
	url, accounts := cohortSandbox(t, 4, 3)
	srv := s3test.Start(t)
	srv.Setenv(t)
	srv.Bucket(t, "exports")
	base := []string{"export", "--api-url", url, "--since", "2024-03-06", "--until", "2024-03-10", "--format", "csv,parquet",
		"--collections", "personal_info,ring_configuration,daily_sleep,heartrate"} // one of each kind keeps it quick

	partial := 0
	for i, shard := range []string{"0/2", "auto/2"} {
		t.Setenv(cohort.IndexEnv, "1")
		out, stderr, err := cohortCmd(append(base, "--accounts", accounts, "--shard", shard, "--out", "s3://exports/study", "--state", t.TempDir())...)
		switch {
		case errors.Is(err, ErrPartial):
			partial++
			if !strings.Contains(out, "p3") || !strings.Contains(out, "failed") || !strings.Contains(stderr, "p3") {
				t.Errorf("shard %d: the summary does not name the failed participant:\n%s\n%s", i, out, stderr)
			}
		case err != nil:
			t.Fatalf("shard %d: %v\n%s", i, err, stderr)
		}
		if !strings.Contains(out, "participants per minute") {
			t.Errorf("shard %d: no throughput in the summary:\n%s", i, out)
		}
	}
	if partial != 1 {
		t.Errorf("%d shards were partial, want the one that owns p3", partial)
	}
	// Every file checks out, but p3 was not exported: partial (exit 3).
	out, stderr, err := cohortCmd("verify", "s3://exports/study")
	if !errors.Is(err, ErrPartial) || !strings.Contains(Message(err), "1 participant was not exported") {
		t.Fatalf("verify: %v\n%s%s", err, out, stderr)
	}
	if !strings.Contains(out, "verified 3 participants") || !strings.Contains(out, "participant=p3/: not exported") {
		t.Errorf("verify says:\n%s", out)
	}

	// One account into S3: the usual layout, state in the cache folder.
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	tok := filepath.Join(filepath.Dir(accounts), "p1.token")
	if _, stderr, err := cohortCmd(append(base, "--token-file", tok, "--out", "s3://exports/alone", "--quiet")...); err != nil {
		t.Fatalf("single account into S3: %v\n%s", err, stderr)
	}
	keys := srv.Objects(t, "exports", "alone/")
	if keys["alone/MANIFEST.json"] == nil || keys["alone/csv/daily_sleep.csv"] == nil {
		t.Errorf("the single export holds %d objects, not the usual layout", len(keys))
	}
	if out, _, err := cohortCmd("verify", "s3://exports/alone"); err != nil || !strings.Contains(out, "verified") {
		t.Errorf("verify of the single export: %v\n%s", err, out)
	}
	if _, _, err := cohortCmd("verify", "s3://exports/nothing"); !errors.Is(err, ErrBadInput) {
		t.Errorf("verify of an empty prefix: %v, want bad input", err)
	}

	// A cohort into a local folder; verify finds it by its _cohort folder.
	local := filepath.Join(t.TempDir(), "cohort")
	if _, stderr, err := cohortCmd(append(base, "--accounts", accounts, "--out", local, "--quiet")...); !errors.Is(err, ErrPartial) {
		t.Fatalf("local cohort: %v, want partial\n%s", err, stderr)
	}
	if out, _, err := cohortCmd("verify", local); !errors.Is(err, ErrPartial) || !strings.Contains(out, "verified 3 participants") {
		t.Errorf("verify of the local cohort (p3 not exported: partial): %v\n%s", err, out)
	}
}
