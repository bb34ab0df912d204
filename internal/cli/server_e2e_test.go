package cli_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// timed runs the binary like ouraexport, killing it after limit, and says
// how long it took.
func timed(t *testing.T, limit time.Duration, env []string, args ...string) (result, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("still running after %s: %s", limit, errb.String())
	}
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r, took
}

// nothingWritten fails if an export folder holds outputs.
func nothingWritten(t *testing.T, out string) {
	t.Helper()
	for _, name := range []string{"MANIFEST.json", "csv", "parquet", "archive"} {
		if _, err := os.Stat(filepath.Join(out, name)); err == nil {
			t.Errorf("%s was written", name)
		}
	}
}

// TestExportWrongServer: --api-url pointed at a server that is not the Oura
// API (a captive portal, a proxy's login page, a wrong URL: every answer a
// 200 that is not the API's) ends the run within seconds, exit 1, saying
// what answered and what it sent, and writes nothing.
func TestExportWrongServer(t *testing.T) {
	env := []string{"OURA_TOKEN=some-token"}
	for _, tc := range []struct {
		name, ctype, body string
		want              []string
	}{
		{"captive portal", "text/html; charset=utf-8", "<!DOCTYPE html>\n<html><head><title>Hotel Wi-Fi</title></head><body>Log in</body></html>",
			[]string{"text/html", `"<!DOCTYPE html>\n<html><head><title>Hotel Wi-Fi</title>`}},
		{"plain text", "text/plain", "It works!", []string{"text/plain", `"It works!"`}},
		{"JSON of something else", "application/json", `{"status":"ok","version":"1.2"}`, []string{"application/json", `"{\"status\":\"ok\",\"version\":\"1.2\"}"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.Header().Set("Content-Type", tc.ctype)
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			for _, api := range []string{"v2", "v1", "v1,v2"} {
				out := filepath.Join(t.TempDir(), "out")
				r, took := timed(t, 30*time.Second, env, "export", "--api", api, "--api-url", srv.URL, "--out", out)
				if r.code != 1 || took > 5*time.Second {
					t.Errorf("--api %s: exit %d after %s, want 1 within 5s: %s", api, r.code, took.Round(time.Millisecond), r.stderr)
				}
				msg := strings.TrimSpace(r.stderr)
				for _, w := range append([]string{srv.URL + "/v", "is not the Oura API", "HTTP 200", "--api-url"}, tc.want...) {
					if !strings.Contains(msg, w) {
						t.Errorf("--api %s: the message does not say %s: %s", api, w, msg)
					}
				}
				if strings.Contains(msg, "\n") {
					t.Errorf("--api %s: the message is not one line: %q", api, msg)
				}
				nothingWritten(t, out)
			}
			if n := requests.Load(); n > 9 {
				t.Errorf("%d requests for three runs", n)
			}
		})
	}
}

// TestExportRedirectElsewhere: an API server that redirects to another
// server (here another port of the same host, where Go's own redirect
// policy keeps the Authorization header) does not get the token sent
// there: the run stops, exit 1, naming where it was sent. (The other
// server rejects what it gets, so that a client that follows the redirect
// stops too.)
func TestExportRedirectElsewhere(t *testing.T) {
	var leaked, asked atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"detail":"Invalid token"}`)
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer api.Close()
	out := filepath.Join(t.TempDir(), "out")
	r, took := timed(t, 30*time.Second, []string{"OURA_TOKEN=the-secret-token"}, "export", "--api-url", api.URL, "--out", out)
	if leaked.Load() != 0 {
		t.Fatalf("the other server received the token %d times (%d requests)", leaked.Load(), asked.Load())
	}
	if r.code != 1 || took > 5*time.Second {
		t.Errorf("exit %d after %s, want 1 within 5s: %s", r.code, took, r.stderr)
	}
	if leaked.Load() != 0 {
		t.Errorf("the other server received the token %d times (%d requests)", leaked.Load(), asked.Load())
	}
	if !strings.Contains(r.stderr, "redirected the request to "+other.URL) || strings.Contains(r.stderr, "the-secret-token") {
		t.Errorf("message: %s", r.stderr)
	}
	nothingWritten(t, out)
}

// TestExportGzipBomb: an answer that decompresses to more than a page may
// hold (a gzip bomb, here 96 MiB of zeros in about 100 KB: one gzip member
// of 1 MiB of zeros, sent 96 times) is cut off at the documented limit,
// 64 MiB, with a clear message, and not asked again.
func TestExportGzipBomb(t *testing.T) {
	var member bytes.Buffer
	z, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	z.Write(make([]byte, 1<<20))
	z.Close()
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		for range 96 {
			if _, err := w.Write(member.Bytes()); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "out")
	r, took := timed(t, 60*time.Second, []string{"OURA_TOKEN=t"}, "export", "--api-url", srv.URL, "--out", out)
	if r.code != 1 || took > 10*time.Second {
		t.Errorf("exit %d after %s, want 1 within 10s: %s", r.code, took, r.stderr)
	}
	if !strings.Contains(r.stderr, "64 MiB") {
		t.Errorf("the message does not name the limit: %s", r.stderr)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	nothingWritten(t, out)
}
