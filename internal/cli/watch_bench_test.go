package cli_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/internal/watch"
	"github.com/ouraexport/ouraexport/internal/webhook"
)

// benchWatch is a watch binary over an exported year of the sandbox, with
// no subscription: the benchmark posts the signed events itself, so that
// the time from an event to the folder is the watch's alone.
type benchWatch struct {
	srv    *sandbox.Server
	cmd    *exec.Cmd
	url    string
	out    string
	stderr *syncBuf
}

func startBenchWatch(b *testing.B, extra ...string) *benchWatch {
	b.Helper()
	since, _ := sandbox.ParseDate("2023-01-01")
	until, _ := sandbox.ParseDate("2023-12-31")
	srv, base := startSandboxServer(b, sandbox.Options{Users: 1, Since: since, Until: until, NoGzip: true})
	home := b.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "OURA_TOKEN=sandbox-token-1",
		"OURA_CLIENT_SECRET=" + sandbox.ClientSecret, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
	out := filepath.Join(b.TempDir(), "out")
	exp := exec.Command(bin, append([]string{"export", "--api-url", base, "--out", out, "--quiet"}, extra...)...)
	exp.Env = env
	if msg, err := exp.CombinedOutput(); err != nil {
		b.Fatalf("first export: %v: %s", err, msg)
	}
	w := &benchWatch{srv: srv, out: out, stderr: &syncBuf{}}
	w.cmd = exec.Command(bin, append([]string{"watch", "--api-url", base, "--out", out, "--listen", "127.0.0.1:0",
		"--verification-token-file", filepath.Join(home, "token"), "--log-format", "json"}, extra...)...)
	w.cmd.Env = env
	w.cmd.Stderr = w.stderr
	if err := w.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.cmd.Process.Kill(); w.cmd.Wait() })
	w.url = waitWatchURL(b, w.stderr, nil)
	w.until(b, func(h watch.Health) bool { return len(h.Accounts) == 1 && h.Accounts[0].LastResync != nil })
	return w
}

func (w *benchWatch) health(b *testing.B) watch.Health {
	resp, err := http.Get(w.url + "/healthz")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var h watch.Health
	json.NewDecoder(resp.Body).Decode(&h)
	return h
}

func (w *benchWatch) until(b *testing.B, cond func(watch.Health) bool) watch.Health {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		if h := w.health(b); cond(h) {
			return h
		}
		if time.Now().After(deadline) {
			b.Fatalf("watch never got there: %+v\n%s", w.health(b), w.stderr)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// post sends the event of sandbox change c, signed now.
func (w *benchWatch) post(b *testing.B, c sandbox.Change, uid string) {
	body, _ := json.Marshal(webhook.Event{EventType: c.Op, DataType: c.DataType, ObjectID: c.ID, UserID: uid,
		EventTime: time.Now().UTC().Format(time.RFC3339)})
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, w.url+"/", bytes.NewReader(body))
	req.Header.Set(webhook.HeaderTimestamp, ts)
	req.Header.Set(webhook.HeaderSignature, webhook.Sign(sandbox.ClientSecret, ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b.Fatalf("event answered %d", resp.StatusCode)
	}
}

// rss returns the watch's resident and peak resident memory, in MB.
func (w *benchWatch) rss(b *testing.B) (now, peak float64) {
	bs, err := os.ReadFile("/proc/" + strconv.Itoa(w.cmd.Process.Pid) + "/status")
	if err != nil {
		b.Skip("no /proc: ", err)
	}
	for _, l := range strings.Split(string(bs), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			now = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return now, peak
}

// changed waits until MANIFEST.json is replaced after prev.
func changed(b *testing.B, path string, prev os.FileInfo) os.FileInfo {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Microsecond) {
		fi, err := os.Stat(path)
		if err == nil && !os.SameFile(fi, prev) {
			return fi
		}
	}
	b.Fatal("MANIFEST.json was never rewritten")
	return nil
}

// BenchmarkWatchEvent: one event at a time (an update of one document,
// each of another day older than the look-back), from the signed POST to
// the MANIFEST.json that reflects it. Run it with -benchtime=100x for 100
// events: it reports the median and p99 latency, the API requests per
// event, and those of the full incremental export the watch ran on start.
// The history is a year; every batch rewrites all of its outputs, with
// report.html and without.
func BenchmarkWatchEvent(b *testing.B) {
	b.Run("default", func(b *testing.B) { benchEvents(b) })
	b.Run("no-report", func(b *testing.B) { benchEvents(b, "--no-report") })
}

func benchEvents(b *testing.B, extra ...string) {
	w := startBenchWatch(b, extra...)
	h := w.health(b)
	uid, incremental := h.Accounts[0].UserID, h.Accounts[0].LastResync.Requests
	manifest := filepath.Join(w.out, "MANIFEST.json")
	prev, err := os.Stat(manifest)
	if err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	req0 := w.srv.Stats().Requests
	i := 0
	for b.Loop() {
		b.StopTimer()
		var cs []sandbox.Change
		for len(cs) == 0 { // a day without data changes nothing
			day := w.srv.Until() - sandbox.Date(30+i%300)
			i++
			if cs, err = w.srv.ReviseChanges(1, day); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		t0 := time.Now()
		w.post(b, cs[0], uid)
		prev = changed(b, manifest, prev)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	req := w.srv.Stats().Requests - req0
	w.until(b, idle)
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.5), "ms-p50")
	b.ReportMetric(q(0.99), "ms-p99")
	b.ReportMetric(float64(req)/float64(len(lat)), "requests/event")
	b.ReportMetric(float64(incremental), "requests/incremental-export")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkWatchBurst: the watch's memory idle and while 1,000 events
// arrive at once (32 senders), and how long it takes to apply them all.
// Run it with -benchtime=1x: one burst.
func BenchmarkWatchBurst(b *testing.B) {
	w := startBenchWatch(b)
	uid := w.health(b).Accounts[0].UserID
	time.Sleep(time.Second)
	idleRSS, _ := w.rss(b)
	var events []sandbox.Change
	for d := w.srv.Until() - 20; len(events) < 1000; d-- {
		cs, err := w.srv.ReviseChanges(1, d)
		if err != nil {
			b.Fatal(err)
		}
		events = append(events, cs...)
	}
	events = events[:1000]
	req0 := w.srv.Stats().Requests
	var peak float64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if r, _ := w.rss(b); r > peak {
				peak = r
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	for b.Loop() {
		jobs := make(chan sandbox.Change)
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				for c := range jobs {
					w.post(b, c, uid)
				}
			})
		}
		for _, c := range events {
			jobs <- c
		}
		close(jobs)
		wg.Wait()
		accepted := time.Since(start)
		w.until(b, idle)
		b.ReportMetric(accepted.Seconds(), "s-to-accept")
		b.ReportMetric(time.Since(start).Seconds(), "s-to-apply")
	}
	close(stop)
	<-sampled
	_, hwm := w.rss(b)
	b.ReportMetric(idleRSS, "MB-rss-idle")
	b.ReportMetric(peak, "MB-rss-burst") // sampled every 5 ms during the burst
	b.ReportMetric(hwm, "MB-rss-hwm")    // the process's peak, its first resync included
	b.ReportMetric(float64(w.srv.Stats().Requests-req0), "requests/1000-events")
	b.ReportMetric(0, "ns/op")
}
