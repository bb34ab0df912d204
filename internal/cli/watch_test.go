package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/internal/watch"
	"github.com/ouraexport/ouraexport/internal/webhook"
)

// lockedBuffer is a buffer written by one goroutine and read by another.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// running is a watch run in this process by Main.
type running struct {
	url    string // http://127.0.0.1:port
	stderr *lockedBuffer
	cancel context.CancelFunc
	done   chan error
}

// startWatch runs 'ouraexport watch' with args (--listen 127.0.0.1:0 added)
// until the test ends, and returns once it listens.
func startWatch(t *testing.T, args ...string) *running {
	t.Helper()
	return startWatchAt(t, "127.0.0.1:0", args...)
}

// startWatchAt is startWatch listening on addr.
func startWatchAt(t *testing.T, addr string, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stderr: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- Main(ctx, append([]string{"watch", "--listen", addr}, args...),
			Streams{In: strings.NewReader(""), Out: io.Discard, Err: r.stderr})
	}()
	t.Cleanup(func() { r.stop(t) })
	r.url = waitWatchURL(t, r.stderr, r.done)
	return r
}

// waitWatchURL polls a watch's stderr until its "listening on" line and
// returns the URL; done (nil when not known) says the watch ended first,
// its error put back for whoever waits next.
func waitWatchURL(tb testing.TB, stderr fmt.Stringer, done chan error) string {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(stderr.String()))
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				return strings.TrimSpace(u)
			}
		}
		select {
		case err := <-done:
			done <- err
			tb.Fatalf("watch ended before listening: %v\n%s", err, stderr)
		case <-time.After(5 * time.Millisecond):
		}
	}
	tb.Fatalf("watch did not listen:\n%s", stderr)
	return ""
}

// stop stops the watch as SIGINT would and returns what Main returned.
func (r *running) stop(t *testing.T) error {
	r.cancel()
	err := <-r.done
	r.done <- err
	return err
}

// health reads /healthz.
func (r *running) health(t *testing.T) watch.Health {
	t.Helper()
	resp, err := http.Get(r.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h watch.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

// until waits until cond holds of the watch's health.
func (r *running) until(t *testing.T, what string, cond func(watch.Health) bool) watch.Health {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		h := r.health(t)
		if cond(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("watch never got %s; health %+v\n%s", what, h, r.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func resynced(h watch.Health) bool {
	for _, a := range h.Accounts {
		if a.LastResync == nil || a.LastResync.Error != "" || a.UserID == "" {
			return false
		}
	}
	return len(h.Accounts) > 0
}

// post sends body to the callback with the given timestamp, signed with secret.
func post(t *testing.T, u, secret, ts string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.HeaderTimestamp, ts)
	req.Header.Set(webhook.HeaderSignature, webhook.Sign(secret, ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// folderSums hashes every file of an export folder, its hidden state aside.
func folderSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != dir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		rel, _ := filepath.Rel(dir, p)
		sums[rel] = hex.EncodeToString(h[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

func watchSandbox(t *testing.T, users int, mod func(*sandbox.Options)) (*sandbox.Server, string) {
	t.Helper()
	since, _ := sandbox.ParseDate("2024-03-01")
	until, _ := sandbox.ParseDate("2024-03-08")
	o := sandbox.Options{Users: users, Since: since, Until: until, NoGzip: true}
	if mod != nil {
		mod(&o)
	}
	return startSandboxServer(t, o)
}

// startSandboxServer starts a sandbox of o on a loopback port, closed when the
// test ends, and returns it and its URL.
func startSandboxServer(tb testing.TB, o sandbox.Options) (*sandbox.Server, string) {
	tb.Helper()
	srv, err := sandbox.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	return srv, base
}

func watchEnv(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("OURA_TOKEN", "sandbox-token-1")
	t.Setenv("OURA_CLIENT_SECRET", sandbox.ClientSecret)
	t.Setenv("OURA_CLIENT_ID", "")
}

// TestWatchRefuses: a forged signature, a replayed old timestamp and the
// wrong verification token each get 401, and nothing changes: not the
// folder, not the journal; the right ones are answered.
func TestWatchRefuses(t *testing.T) {
	watchEnv(t)
	srv, base := watchSandbox(t, 1, nil)
	out := filepath.Join(t.TempDir(), "out")
	tokFile := filepath.Join(t.TempDir(), "webhook-token")
	w := startWatch(t, "--out", out, "--api-url", base, "--verification-token-file", tokFile, "--format", "csv", "--no-report")
	h := w.until(t, "its first resync", resynced)
	before := folderSums(t, out)
	cs, err := srv.ReviseChanges(1, srv.Until()-3) // no subscription: the test sends the event
	if err != nil || len(cs) == 0 {
		t.Fatalf("revise: %v, %d changes", err, len(cs))
	}
	body, _ := json.Marshal(webhook.Event{EventType: cs[0].Op, DataType: cs[0].DataType, ObjectID: cs[0].ID, UserID: h.Accounts[0].UserID,
		EventTime: time.Now().UTC().Format(time.RFC3339)})
	now := strconv.FormatInt(time.Now().Unix(), 10)
	old := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	if got := post(t, w.url+"/", "not-the-secret", now, body); got != 401 {
		t.Errorf("forged signature: %d, want 401", got)
	}
	if got := post(t, w.url+"/", sandbox.ClientSecret, old, body); got != 401 {
		t.Errorf("a delivery signed an hour ago: %d, want 401", got)
	}
	tok, err := os.ReadFile(tokFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		token string
		want  int
	}{{"wrong", 401}, {"", 401}, {strings.TrimSpace(string(tok)), 200}} {
		resp, err := http.Get(w.url + "/?" + url.Values{"verification_token": {tc.token}, "challenge": {"c-1"}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || (tc.want == 200 && !strings.Contains(string(b), `"challenge":"c-1"`)) {
			t.Errorf("challenge with token %q: %d %s, want %d", tc.token, resp.StatusCode, b, tc.want)
		}
	}
	if h := w.health(t); h.Queue != 0 || h.Accounts[0].LastBatch != nil {
		t.Errorf("refused deliveries reached the journal: %+v", h)
	}
	if after := folderSums(t, out); !sameSums(before, after) {
		t.Error("refused deliveries changed the folder")
	}
	// (The revision is there to be fetched: had a refused event been
	// applied, the folder would have changed.)
	if strings.Contains(w.stderr.String(), strings.TrimSpace(string(tok))) || strings.Contains(w.stderr.String(), sandbox.ClientSecret) {
		t.Error("the log shows a secret")
	}
	// The real thing is taken and applied.
	if got := post(t, w.url+"/", sandbox.ClientSecret, now, body); got/100 != 2 {
		t.Fatalf("a signed delivery: %d, want 2xx", got)
	}
	h = w.until(t, "the batch applied", func(h watch.Health) bool { return h.Queue == 0 && h.Accounts[0].LastBatch != nil })
	if b := h.Accounts[0].LastBatch; b.Applied != 1 || b.Retry != 0 {
		t.Errorf("last batch %+v, want the one change applied", b)
	}
	if after := folderSums(t, out); sameSums(before, after) {
		t.Error("the signed event did not change the folder")
	}
	if err := w.stop(t); err != nil {
		t.Errorf("stopped watch: %v, want nil (exit 0)", err)
	}
	if !strings.Contains(w.stderr.String(), "batch applied") {
		t.Errorf("no log line for the batch:\n%s", w.stderr)
	}
}

func sameSums(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestWatchUsage(t *testing.T) {
	watchEnv(t)
	out := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no listen", []string{"watch", "--out", out}, nil, "--listen"},
		{"bad listen", []string{"watch", "--out", out, "--listen", "nowhere"}, nil, "--listen"},
		{"no secret", []string{"watch", "--out", out, "--listen", "127.0.0.1:0"}, map[string]string{"OURA_CLIENT_SECRET": ""}, "client secret"},
		{"plain http", []string{"watch", "--out", out, "--listen", "127.0.0.1:0", "--callback-url", "http://example.com/hook"}, nil, "https"},
		{"no client id", []string{"watch", "--out", out, "--listen", "127.0.0.1:0", "--callback-url", "https://example.com/hook"}, nil, "client id"},
		{"short resync", []string{"watch", "--out", out, "--listen", "127.0.0.1:0", "--resync", "1s"}, nil, "--resync"},
		{"secret flag", []string{"watch", "--out", out, "--listen", "127.0.0.1:0", "--client-secret", "x"}, nil, "never taken"},
		{"until", []string{"watch", "--out", out, "--listen", "127.0.0.1:0", "--until", "2024-01-01"}, nil, "until"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, _, err := runOut(tc.args...)
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%q: %v, want a usage error about %s", tc.args, err, tc.want)
			}
		})
	}
}

// TestWatchLateDocument: a document is not visible yet when its event
// comes (the sandbox's late fault: 404 by id, absent from its day's list);
// the watch asks for it again until it shows, and the folder then equals a
// fresh export.
func TestWatchLateDocument(t *testing.T) {
	watchEnv(t)
	t.Setenv("OURA_CLIENT_ID", sandbox.ClientID)
	old := watchRetryBase
	watchRetryBase = 100 * time.Millisecond
	t.Cleanup(func() { watchRetryBase = old })
	srv, base := watchSandbox(t, 1, func(o *sandbox.Options) {
		o.WebhookDelay, o.WebhookRetryBase, o.WebhookLate = 10*time.Millisecond, 50*time.Millisecond, 700*time.Millisecond
	})
	out := filepath.Join(t.TempDir(), "out")
	addr := freeLoopback(t)
	args := []string{"--out", out, "--api-url", base, "--verification-token-file", filepath.Join(t.TempDir(), "token"),
		"--format", "csv", "--no-report", "--lookback", "1", "--callback-url", "http://" + addr + "/"}
	w := startWatchAt(t, addr, args...)
	w.until(t, "its first resync and subscriptions", func(h watch.Health) bool {
		return resynced(h) && h.Subscriptions != nil && !h.Subscriptions.Expires.IsZero()
	})
	q0 := srv.Webhooks().Queued
	if err := srv.Revise(1, srv.Until()-4); err != nil { // older than the look-back: only the events bring it
		t.Fatal(err)
	}
	for st := srv.Webhooks(); st.Queued == q0 || st.Pending > 0; st = srv.Webhooks() {
		time.Sleep(5 * time.Millisecond)
	}
	w.until(t, "the late documents applied", func(h watch.Health) bool { return h.Queue == 0 })
	if !regexpRetried.MatchString(w.stderr.String()) {
		t.Errorf("no batch had a change to retry; the late fault did not bite:\n%s", w.stderr)
	}
	w.stop(t)
	fresh := filepath.Join(t.TempDir(), "fresh")
	if _, stderr, err := runOut("export", "--api-url", base, "--out", fresh, "--format", "csv", "--no-report", "--quiet", "--lookback", "1"); err != nil {
		t.Fatalf("fresh export: %v %s", err, stderr)
	}
	want, got := folderSums(t, fresh), folderSums(t, out)
	delete(want, "MANIFEST.json")
	delete(got, "MANIFEST.json")
	if !sameSums(got, want) {
		t.Error("after the late documents showed, the folder differs from a fresh export")
	}
}

// regexpRetried matches a batch log line with a change to retry.
var regexpRetried = regexp.MustCompile(`msg="batch applied".* retry=[1-9]`)

// freeLoopback returns a loopback address with a port free right now.
func freeLoopback(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestWatchLostEvents: events stop while the subscriptions look active
// (the sandbox's lost fault); the periodic resync brings the folder up to
// date anyway.
func TestWatchLostEvents(t *testing.T) {
	watchEnv(t)
	t.Setenv("OURA_CLIENT_ID", sandbox.ClientID)
	old := watchMinResync
	watchMinResync = 0
	t.Cleanup(func() { watchMinResync = old })
	// A history that ends 3 days ago: the resync's look-back (14 days back
	// from today) reaches what changes.
	day := func(n int) sandbox.Date {
		d, _ := sandbox.ParseDate(time.Now().UTC().AddDate(0, 0, -n).Format(time.DateOnly))
		return d
	}
	srv, base := watchSandbox(t, 1, func(o *sandbox.Options) {
		o.Since, o.Until, o.WebhookDelay = day(10), day(3), 10*time.Millisecond
	})
	out := filepath.Join(t.TempDir(), "out")
	addr := freeLoopback(t)
	args := []string{"--out", out, "--api-url", base, "--verification-token-file", filepath.Join(t.TempDir(), "token"),
		"--format", "csv", "--no-report", "--resync", "300ms", "--callback-url", "http://" + addr + "/"}
	w := startWatchAt(t, addr, args...)
	h := w.until(t, "its first resync and subscriptions", func(h watch.Health) bool {
		return resynced(h) && h.Subscriptions != nil && !h.Subscriptions.Expires.IsZero()
	})
	first := h.Accounts[0].LastResync.At
	srv.SetWebhookLost(1 << 20)
	q0 := srv.Webhooks()
	srv.Advance(2)
	srv.Revise(1, srv.Until()-3)
	for st := srv.Webhooks(); st.Dropped == q0.Dropped || st.Pending > 0; st = srv.Webhooks() {
		time.Sleep(5 * time.Millisecond)
	}
	if st := srv.Webhooks(); st.Delivered != q0.Delivered {
		t.Fatalf("%d events delivered with the lost fault on", st.Delivered-q0.Delivered)
	}
	changed := time.Now()
	w.until(t, "a resync after the changes", func(h watch.Health) bool {
		r := h.Accounts[0].LastResync
		// one that started after the changes
		return r != nil && r.At.After(first) && r.At.Add(-time.Duration(r.Seconds*float64(time.Second))).After(changed) && r.Error == ""
	})
	w.stop(t)
	fresh := filepath.Join(t.TempDir(), "fresh")
	if _, stderr, err := runOut("export", "--api-url", base, "--out", fresh, "--format", "csv", "--no-report", "--quiet"); err != nil {
		t.Fatalf("fresh export: %v %s", err, stderr)
	}
	want, got := folderSums(t, fresh), folderSums(t, out)
	delete(want, "MANIFEST.json")
	delete(got, "MANIFEST.json")
	if !sameSums(got, want) {
		for n := range want {
			if got[n] != want[n] {
				t.Errorf("%s differs from a fresh export", n)
			}
		}
		t.Error("with every event lost, the resync did not bring the folder up to date")
	}
}
