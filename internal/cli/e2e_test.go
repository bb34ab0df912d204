package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// bin is the ouraexport binary the end-to-end tests run, built once.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ouraexport-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "ouraexport")
	build := exec.Command("go", "build", "-o", bin, "../..")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building ouraexport:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the binary did.
type result struct {
	code           int
	stdout, stderr string
}

// ouraexport runs the binary with args and env (added to a clean environment).
func ouraexport(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// startSandbox runs `ouraexport sandbox` with args and returns its URL.
func startSandbox(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"sandbox", "--addr", "127.0.0.1:0", "--no-gzip"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			go io.Copy(io.Discard, stderr)
			return strings.TrimSpace(u)
		}
	}
	t.Fatalf("sandbox did not start: %v", sc.Err())
	return ""
}

// dataHashes hashes every data file of an export (CSV files; Parquet files
// carry the export time in their metadata, so they differ run to run).
func dataHashes(t *testing.T, out string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.Walk(filepath.Join(out, "csv"), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		rel, _ := filepath.Rel(out, p)
		sums[rel] = hex.EncodeToString(h[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) == 0 {
		t.Fatalf("%s holds no CSV files", out)
	}
	return sums
}

func sameData(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d data files, want %d", len(got), len(want))
	}
	for name, sum := range want {
		if got[name] != sum {
			t.Errorf("%s differs from an uninterrupted export", name)
		}
	}
}

// noPartialFiles fails if an export folder holds temporary files outside the state.
func noPartialFiles(t *testing.T, out string) {
	t.Helper()
	filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(info.Name(), ".tmp-") && !strings.Contains(p, "/.ouraexport/") {
			t.Errorf("partial file left behind: %s", p)
		}
		return nil
	})
}

// TestExportKilledAndResumed and TestExportInterrupted moved into the fault
// matrix (faultmatrix_e2e_test.go).

func TestExportExitCodes(t *testing.T) {
	url := startSandbox(t, "--since", "2024-03-01", "--until", "2024-03-10", "--scopes", "daily,personal,email,heartrate")
	lapsed := startSandbox(t, "--since", "2024-03-01", "--until", "2024-03-10", "--lapsed")
	cases := []struct {
		name string
		env  []string
		args []string
		code int
		msg  string
	}{
		{"missing scopes", []string{"OURA_TOKEN=sandbox-token-1"}, []string{"--api-url", url}, 3, "could not be exported"},
		{"lapsed membership", []string{"OURA_TOKEN=sandbox-token-1"}, []string{"--api-url", lapsed}, 3, "membership"},
		{"wrong token", []string{"OURA_TOKEN=nope"}, []string{"--api-url", url}, 4, "auth login"},
		{"no token", nil, []string{"--api-url", url}, 4, "OURA_TOKEN"},
		{"token as a flag", nil, []string{"--token", "abc"}, 2, "never taken as a flag value"},
		{"bad date", []string{"OURA_TOKEN=sandbox-token-1"}, []string{"--api-url", url, "--since", "2024-13-01"}, 2, "YYYY-MM-DD"},
		{"unknown collection", []string{"OURA_TOKEN=sandbox-token-1"}, []string{"--api-url", url, "--collections", "sleeps"}, 2, "unknown collection"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			r := ouraexport(t, tc.env, append([]string{"export", "--out", out, "--quiet", "--until", "2024-03-10"}, tc.args...)...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", r.code, tc.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.msg) {
				t.Errorf("stderr %q does not say %q", r.stderr, tc.msg)
			}
			if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 && tc.code != 3 {
				t.Errorf("the error takes more than one line: %q", r.stderr)
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stack trace: %s", r.stderr)
			}
		})
	}
}

func TestExportSandboxDryRun(t *testing.T) {
	r := ouraexport(t, nil, "export", "--sandbox", "--dry-run", "--out", filepath.Join(t.TempDir(), "out"))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"heartrate", "windows", "requests"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the plan does not mention %q:\n%s", want, r.stdout)
		}
	}
}

var _ = context.Background
