package cli_test

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenNeverWritten greps every artifact of full runs (every output file,
// each archive entry inflated, the state and its segments, stdout and stderr
// in both log formats, the errors of failing runs, the arguments) for the
// access token.
func TestTokenNeverWritten(t *testing.T) {
	const token = "sandbox-token-1"
	url := startSandbox(t, "--since", "2024-03-01", "--until", "2024-03-05", "--faults", "500,reset", "--fault-rate", "0.1")
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var streams []string
	runs := [][]string{
		{"export", "--api-url", url, "--out", out, "--until", "2024-03-05", "--log-format", "json"},
		{"export", "--api-url", url, "--out", out, "--until", "2024-03-05", "--token-file", tokenFile},
		{"export", "--api-url", url + "/nowhere", "--out", filepath.Join(dir, "failed"), "--until", "2024-03-05", "--token-file", tokenFile},
		{"export", "--api-url", "http://127.0.0.1:1", "--out", filepath.Join(dir, "refused"), "--until", "2024-03-05"},
		{"verify", out},
	}
	for _, args := range runs {
		for _, a := range args {
			if strings.Contains(a, token) {
				t.Fatalf("the test passes the token as an argument: %v", args)
			}
		}
		r := ouraexport(t, []string{"OURA_TOKEN=" + token}, args...)
		streams = append(streams, r.stdout, r.stderr)
	}
	for i, s := range streams {
		if strings.Contains(s, token) {
			t.Errorf("the token appears in output stream %d: %q", i, s)
		}
	}
	files := 0
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || p == tokenFile {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(token)) {
			t.Errorf("the token appears in %s", p)
		}
		if info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want 0600", p, info.Mode().Perm())
		}
		if strings.HasSuffix(p, ".zip") {
			zr, err := zip.OpenReader(p)
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(rc)
				rc.Close()
				if bytes.Contains(body, []byte(token)) {
					t.Errorf("the token appears in %s!%s", p, f.Name)
				}
			}
		}
		return nil
	})
	filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.IsDir() && info.Mode().Perm()&0o077 != 0 {
			t.Errorf("folder %s has mode %v, want 0700", p, info.Mode().Perm())
		}
		return nil
	})
	if files < 10 {
		t.Errorf("only %d files to check: the export did not run", files)
	}
}
