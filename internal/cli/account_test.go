package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/sandbox"
)

var errCaptured = errors.New("captured")

// captureAccounts replaces the export of one account with one that
// records the options it was given, and returns them.
func captureAccounts(t *testing.T) *[]exporter.AccountOptions {
	t.Helper()
	var got []exporter.AccountOptions
	var mu sync.Mutex // a cohort's participants run at once
	old := exportAccount
	exportAccount = func(_ context.Context, o exporter.AccountOptions) (*exporter.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, o)
		return nil, errCaptured
	}
	t.Cleanup(func() { exportAccount = old })
	return &got
}

// TestExportFlagsReachEveryAccount: every export flag reaches the options
// of each account's export, the same in a single export and in a cohort
// (which once dropped --request-timeout and used the 2-minute default).
func TestExportFlagsReachEveryAccount(t *testing.T) {
	url, accounts := cohortSandbox(t, 2, 0)
	t.Setenv("OURA_TOKEN", "sandbox-token-1")
	flags := []string{"--request-timeout", "30s", "--workers", "7", "--lookback", "3",
		"--since", "2024-03-07", "--until", "2024-03-09", "--collections", "sleep,daily_activity",
		"--api", "v1,v2", "--format", "csv,archive", "--api-url", url}
	for _, mode := range []struct {
		name     string
		args     []string
		accounts int
	}{
		{"single", []string{"--out", filepath.Join(t.TempDir(), "out"), "--partition", "year"}, 1},
		{"cohort", []string{"--out", filepath.Join(t.TempDir(), "cohort"), "--accounts", accounts}, 2},
		{"dry run", []string{"--out", filepath.Join(t.TempDir(), "dry"), "--dry-run"}, 1},
		{"cohort dry run", []string{"--out", filepath.Join(t.TempDir(), "cdry"), "--accounts", accounts, "--dry-run"}, 2},
	} {
		t.Run(mode.name, func(t *testing.T) {
			got := captureAccounts(t)
			if mode.accounts == 2 {
				t.Setenv("OURA_TOKEN", "")
			}
			args := append(append([]string{"export"}, flags...), mode.args...)
			_, _, err := cohortCmd(args...)
			if err == nil && mode.name != "cohort dry run" { // a cohort's dry run prints each participant's failure
				t.Fatalf("export succeeded; want the captured export's failure")
			}
			if len(*got) != mode.accounts {
				t.Fatalf("%d accounts exported, want %d", len(*got), mode.accounts)
			}
			dry := strings.Contains(mode.name, "dry")
			for _, o := range *got {
				if o.Client.Timeout != 30*time.Second {
					t.Errorf("client timeout %v, want 30s (--request-timeout)", o.Client.Timeout)
				}
				if o.Client.BaseURL != url || o.Client.Tokens == nil || !strings.HasPrefix(o.Client.UserAgent, "ouraexport/") {
					t.Errorf("client %q, tokens %v, agent %q; want the --api-url, a token and our agent", o.Client.BaseURL, o.Client.Tokens, o.Client.UserAgent)
				}
				f := o.Fetch
				if f.Workers != 7 || f.Lookback != 3 || f.DryRun != dry {
					t.Errorf("workers %d, lookback %d, dry run %v; want 7, 3, %v", f.Workers, f.Lookback, f.DryRun, dry)
				}
				if f.Since.Format(time.DateOnly) != "2024-03-07" || f.Until.Format(time.DateOnly) != "2024-03-09" {
					t.Errorf("days %v..%v, want 2024-03-07..2024-03-09", f.Since, f.Until)
				}
				var names []string
				for _, c := range f.Collections {
					names = append(names, c.API+"/"+c.Name)
				}
				want := []string{"v2/daily_activity", "v2/sleep", "v1/v1_sleep", "v1/v1_activity"}
				if !slices.Equal(names, want) {
					t.Errorf("collections %v, want %v (--collections, --api)", names, want)
				}
				if !slices.Equal(o.Formats, []string{"csv", "archive"}) {
					t.Errorf("formats %v, want csv, archive", o.Formats)
				}
				if !o.Sink.Partition && mode.name == "single" {
					t.Error("--partition year did not reach the sinks")
				}
				if o.Registry == nil || o.Registry.Lookup(exporter.APIImport, "import_files") == nil || o.Registry.Lookup(exporter.APIv1, "v1_sleep") == nil {
					t.Error("the registry lacks the v1 or import collections: their stored rows would not be merged")
				}
				if o.OpenSink == nil || o.ToolVersion == "" || o.State == "" || o.Out == nil {
					t.Errorf("sink opener %v, tool version %q, state %q, out %v; want all set", o.OpenSink != nil, o.ToolVersion, o.State, o.Out != nil)
				}
			}
		})
	}
}

// TestCohortRequestTimeout: --request-timeout bounds every attempt of every
// participant. A third of the sandbox's answers hang for a minute; with the
// timeout each hung attempt is abandoned after 300 ms and asked again, so
// the cohort completes well within the test's deadline. (A cohort once built
// its clients with the 2-minute default and waited out every hung answer.)
func TestCohortRequestTimeout(t *testing.T) {
	since, _ := sandbox.ParseDate("2024-03-06")
	until, _ := sandbox.ParseDate("2024-03-08")
	srv, err := sandbox.New(sandbox.Options{Users: 2, Since: since, Until: until, NoGzip: true,
		FaultRate: 0.3, Faults: []string{sandbox.FaultSlow}, SlowDelay: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	var lines []string
	for u := 1; u <= 2; u++ {
		name := fmt.Sprintf("p%d.token", u)
		os.WriteFile(filepath.Join(dir, name), []byte(srv.Token(u)+"\n"), 0o600)
		lines = append(lines, fmt.Sprintf("p%d %s", u, name))
	}
	accounts := filepath.Join(dir, "accounts.txt")
	os.WriteFile(accounts, []byte(strings.Join(lines, "\n")+"\n"), 0o600)

	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	err = Main(ctx, []string{"export", "--api-url", url, "--accounts", accounts, "--out", filepath.Join(dir, "out"),
		"--request-timeout", "300ms", "--collections", "daily_activity,sleep,heartrate", "--format", "csv", "--quiet"},
		Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	if err != nil {
		t.Fatalf("cohort export: %v (stderr %s); with --request-timeout 300ms the hung answers should have been retried", err, errb.String())
	}
}
