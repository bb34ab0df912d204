package cli_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/internal/watch"
	"github.com/ouraexport/ouraexport/sinks"
)

// The end-to-end tests of 'ouraexport watch' (issue 11): the binary against
// the sandbox over loopback, the sandbox delivering signed events to the
// watch's callback as Oura does, and the folder compared with a fresh full
// export of the same history.

// watchWorld is a sandbox with webhooks and the environment of a watch.
type watchWorld struct {
	srv  *sandbox.Server
	base string
	env  []string
	home string
}

func newWatchWorld(t *testing.T, users int) *watchWorld {
	t.Helper()
	// A history of 50 days that ends 3 days ago (advanced, it reaches
	// today): the resync's look-back, counted from today, reaches the days
	// advanced while a watch is down.
	ago := func(n int) sandbox.Date {
		d, _ := sandbox.ParseDate(time.Now().UTC().AddDate(0, 0, -n).Format(time.DateOnly))
		return d
	}
	since, until := ago(53), ago(3)
	srv, base := startSandboxServer(t, sandbox.Options{Users: users, Since: since, Until: until, NoGzip: true,
		WebhookDelay: 20 * time.Millisecond, WebhookRetryBase: 100 * time.Millisecond})
	home := t.TempDir()
	return &watchWorld{srv: srv, base: base, home: home, env: []string{
		"OURA_TOKEN=sandbox-token-1", "OURA_CLIENT_ID=" + sandbox.ClientID, "OURA_CLIENT_SECRET=" + sandbox.ClientSecret,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}}
}

// day returns the sandbox's last day minus n days.
func (w *watchWorld) day(n int) sandbox.Date { return w.srv.Until() - sandbox.Date(n) }

// delivered waits until the sandbox has sent every event it queued after
// queued0, with an answer (2xx, or given up).
func (w *watchWorld) delivered(t *testing.T, queued0 int64) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		st := w.srv.Webhooks()
		if st.Queued > queued0 && st.Pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox did not deliver its events: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuf is a buffer the process writes and the test reads.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// watchProc is a running 'ouraexport watch'.
type watchProc struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncBuf
	done   chan error
}

// startWatchProc runs the watch binary with args and waits until it listens.
func startWatchProc(t *testing.T, env []string, args ...string) *watchProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"watch"}, args...)...)
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
	p := &watchProc{cmd: cmd, stderr: &syncBuf{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		p.done <- nil
	})
	p.url = waitWatchURL(t, p.stderr, p.done)
	return p
}

// waitWatchURL (as in package cli's tests) polls a watch's stderr until its "listening on" line and
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

// startSandboxServer (as in package cli's tests) starts a sandbox of o on a loopback port, closed when the
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

func (p *watchProc) health(t *testing.T) (watch.Health, error) {
	resp, err := http.Get(p.url + "/healthz")
	if err != nil {
		return watch.Health{}, err
	}
	defer resp.Body.Close()
	var h watch.Health
	return h, json.NewDecoder(resp.Body).Decode(&h)
}

// until waits until cond holds of the watch's health.
func (p *watchProc) until(t *testing.T, what string, cond func(watch.Health) bool) watch.Health {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		h, err := p.health(t)
		if err == nil && cond(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("watch never got %s (%v); health %+v\n%s", what, err, h, p.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ready: every account resynced, and the subscriptions checked.
func ready(h watch.Health) bool {
	if len(h.Accounts) == 0 || h.Subscriptions == nil || h.Subscriptions.Expires.IsZero() {
		return false
	}
	for _, a := range h.Accounts {
		if a.LastResync == nil || a.LastResync.Error != "" || a.UserID == "" {
			return false
		}
	}
	return true
}

// idle: nothing waits in the journal or in an account's queue.
func idle(h watch.Health) bool {
	if h.Queue != 0 {
		return false
	}
	for _, a := range h.Accounts {
		if a.Queue != 0 {
			return false
		}
	}
	return true
}

// stop sends sig and returns the exit code.
func (p *watchProc) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	p.cmd.Process.Signal(sig)
	err := <-p.done
	p.done <- err
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return 0
}

// sameExport requires the export in got to hold what the one in want
// holds: every CSV file byte for byte, every data and raw entry of the
// archives (by CRC-32 and size), the manifests' file lists (path and rows)
// and descriptions, the export time aside. Parquet files carry the export
// time in their metadata: they are compared by the manifests' rows.
func sameExport(t *testing.T, got, want string) {
	t.Helper()
	g, w := exportContents(t, got), exportContents(t, want)
	diffs := 0
	for _, n := range slices.Sorted(maps.Keys(w)) {
		if diffs > 10 {
			t.Fatal("and more")
		}
		if g[n] != w[n] {
			diffs++
		}
		switch gv, ok := g[n]; {
		case !ok:
			t.Errorf("%s: missing from the watched folder", n)
		case gv != w[n]:
			t.Errorf("%s: differs from a fresh export:\n got %.300s\nwant %.300s", n, gv, w[n])
		}
	}
	for n := range g {
		if _, ok := w[n]; !ok {
			t.Errorf("%s: in the watched folder, not in a fresh export", n)
		}
	}
}

// exportContents reads an export (or a cohort) folder into comparable strings.
func exportContents(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if strings.HasPrefix(info.Name(), ".") && p != dir {
			if info.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if info.IsDir() || strings.HasPrefix(rel, "_cohort") || info.Name() == "report.html" {
			return nil
		}
		switch {
		case strings.HasSuffix(p, ".csv"):
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		case strings.HasSuffix(p, ".zip"):
			zr, err := zip.OpenReader(p)
			if err != nil {
				return err
			}
			defer zr.Close()
			for _, f := range zr.File {
				if strings.HasPrefix(f.Name, "data/") || strings.HasPrefix(f.Name, "raw/") {
					out[rel+"!"+f.Name] = fmt.Sprintf("crc %08x size %d", f.CRC32, f.UncompressedSize64)
				}
			}
		case info.Name() == sinks.ManifestName:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			var m sinks.Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				return err
			}
			var files []string
			for _, f := range m.Files {
				files = append(files, fmt.Sprintf("%s rows %d", f.Path, f.Rows))
			}
			m.ExportedAt, m.CreatedAt, m.Files = time.Time{}, time.Time{}, nil
			desc, _ := json.Marshal(m)
			out[rel] = string(desc) + "\n" + strings.Join(files, "\n")
		default:
			out[rel] = "present"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s holds no export", dir)
	}
	return out
}

// watchArgs are the flags of every watch (and its fresh export) here.
var watchCommon = []string{"--lookback", "2", "--no-report", "--quiet"}

func (w *watchWorld) watchArgs(out, addr string, extra ...string) []string {
	return append(append([]string{"--out", out, "--api-url", w.base, "--listen", addr, "--callback-url", "http://" + addr + "/hook",
		"--verification-token-file", filepath.Join(w.home, "webhook-token")}, watchCommon...), extra...)
}

// fresh exports the sandbox's history anew into a new folder.
func (w *watchWorld) fresh(t *testing.T, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "fresh")
	args := append(append([]string{"export", "--api-url", w.base, "--out", out}, watchCommon...), extra...)
	if r := ouraexport(t, w.env, args...); r.code != 0 {
		t.Fatalf("fresh export: exit %d: %s", r.code, r.stderr)
	}
	return out
}

func verified(t *testing.T, env []string, dir string) {
	t.Helper()
	if r := ouraexport(t, env, "verify", dir); r.code != 0 {
		t.Errorf("verify %s: exit %d: %s%s", dir, r.code, r.stdout, r.stderr)
	}
}

// deleteDoc deletes the first document of coll on a day n or more days
// back, the latest such day.
func (w *watchWorld) deleteDoc(t *testing.T, user int, coll string, n int) sandbox.Change {
	t.Helper()
	for d := w.day(n); d >= w.srv.Since(); d-- {
		if ch, err := w.srv.DeleteDay(user, coll, d); err == nil {
			return ch
		}
	}
	t.Fatalf("user %d has no %s to delete", user, coll)
	return sandbox.Change{}
}

// TestWatchEndToEnd: the sandbox advances 3 days, revises 2 earlier days
// (older than the look-back, so that only the events bring them) and
// deletes a tag; the watched folder then equals a fresh full export.
func TestWatchEndToEnd(t *testing.T) {
	w := newWatchWorld(t, 2) // user 2's events reach the watch too, and are ignored
	out := filepath.Join(t.TempDir(), "out")
	p := startWatchProc(t, w.env, w.watchArgs(out, freeAddr(t))...)
	p.until(t, "its first resync and subscriptions", ready)
	if n := len(w.srv.Subscriptions()); n < 30 {
		t.Fatalf("%d subscriptions, want create/update/delete of every data type", n)
	}
	q0 := w.srv.Webhooks().Queued
	w.srv.Advance(3)
	for _, n := range []int{20, 33} {
		if err := w.srv.Revise(1, w.day(n)); err != nil {
			t.Fatal(err)
		}
	}
	w.srv.Revise(2, w.day(20))
	w.deleteDoc(t, 1, "tag", 25)
	w.delivered(t, q0)
	h := p.until(t, "every event applied", idle)
	if b := h.Accounts[0].LastBatch; b == nil || b.Applied == 0 || b.Error != "" {
		t.Fatalf("last batch %+v", b)
	}
	sameExport(t, out, w.fresh(t))
	verified(t, w.env, out)
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("SIGTERM: exit %d, want 0\n%s", code, p.stderr)
	}
}

// TestWatchKilled: watch killed with SIGKILL while events arrive, the
// history advanced again while it is down, restarted: the folder again
// equals a fresh export.
func TestWatchKilled(t *testing.T) {
	w := newWatchWorld(t, 1)
	out := filepath.Join(t.TempDir(), "out")
	addr := freeAddr(t)
	p := startWatchProc(t, w.env, w.watchArgs(out, addr)...)
	p.until(t, "its first resync and subscriptions", ready)
	st := w.srv.Webhooks()
	w.srv.Advance(2)
	for _, n := range []int{10, 15, 30} {
		w.srv.Revise(1, w.day(n))
	}
	w.deleteDoc(t, 1, "workout", 12)
	for w.srv.Webhooks().Delivered == st.Delivered {
		time.Sleep(time.Millisecond)
	}
	p.stop(t, syscall.SIGKILL)
	if rest := w.srv.Webhooks(); rest.Pending == 0 {
		t.Log("every event was delivered before the kill; the test proved less than it should")
	}
	w.srv.Advance(1) // while it is down: the sandbox retries its deliveries, and the resync fetches the day
	w.srv.Revise(1, w.day(1))
	q0 := w.srv.Webhooks().Queued
	p = startWatchProc(t, w.env, w.watchArgs(out, addr, "--quiet=false")...)
	p.until(t, "its resync after the restart", ready)
	w.delivered(t, q0-1)
	p.until(t, "every event applied", idle)
	sameExport(t, out, w.fresh(t))
	verified(t, w.env, out)
}

// TestWatchCohort: one watch serving a 5-participant cohort on one port
// gets each participant's events into that participant's folder.
func TestWatchCohort(t *testing.T) {
	const n = 5
	w := newWatchWorld(t, n)
	dir := t.TempDir()
	var lines []string
	for u := 1; u <= n; u++ {
		name := fmt.Sprintf("p%d.token", u)
		os.WriteFile(filepath.Join(dir, name), []byte(w.srv.Token(u)+"\n"), 0o600)
		lines = append(lines, fmt.Sprintf("p%d %s", u, name))
	}
	accounts := filepath.Join(dir, "accounts.txt")
	os.WriteFile(accounts, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	out := filepath.Join(t.TempDir(), "cohort")
	p := startWatchProc(t, w.env, w.watchArgs(out, freeAddr(t), "--accounts", accounts, "--quiet=false", "--log-format", "json")...)
	h := p.until(t, "every participant resynced", ready)
	if len(h.Accounts) != n {
		t.Fatalf("%d accounts in health, want %d", len(h.Accounts), n)
	}
	q0 := w.srv.Webhooks().Queued
	w.srv.Advance(1)
	for u := 1; u <= n; u++ {
		w.srv.Revise(u, w.day(10+u)) // a day older than the look-back, a different one each
	}
	w.deleteDoc(t, 3, "workout", 20)
	w.delivered(t, q0)
	h = p.until(t, "every event applied", idle)
	for _, a := range h.Accounts {
		if a.LastBatch == nil || a.LastBatch.Applied == 0 {
			t.Errorf("participant %s: last batch %+v, want its events applied", a.ID, a.LastBatch)
		}
	}
	fresh := filepath.Join(t.TempDir(), "fresh")
	args := append([]string{"export", "--api-url", w.base, "--accounts", accounts, "--out", fresh}, watchCommon...)
	if r := ouraexport(t, w.env, args...); r.code != 0 {
		t.Fatalf("fresh cohort export: exit %d: %s", r.code, r.stderr)
	}
	sameExport(t, out, fresh)
	verified(t, w.env, out)
	// One JSON object a line, one line per batch applied, naming the participant.
	batches := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		if strings.HasPrefix(l, "listening on ") {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Errorf("a log line that is not JSON: %s", l)
			continue
		}
		if rec["msg"] == "batch applied" {
			batches[fmt.Sprint(rec["account"])] = true
		}
	}
	if len(batches) != n {
		t.Errorf("batch log lines name %v, want all %d participants", batches, n)
	}
}
