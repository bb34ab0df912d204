package cli

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/sandbox"
)

// waitListening reads r until the "listening on" line and returns the URL.
func waitListening(t *testing.T, r io.Reader) string {
	t.Helper()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				lines <- u
				_, _ = io.Copy(io.Discard, r) // keep draining
				return
			}
		}
		close(lines)
	}()
	select {
	case u, ok := <-lines:
		if !ok {
			t.Fatal("the sandbox ended without a listening line")
		}
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("no listening line")
	}
	return ""
}

func sandboxGet(t *testing.T, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer sandbox-token-2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRunSandbox runs the command in process: it answers once it says
// where it listens, and returns nil when its context is cancelled.
func TestRunSandbox(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runSandbox(ctx, []string{"--addr", "127.0.0.1:0", "--users", "2", "--until", "2024-03-31", "--since", "2024-01-01", "--page-size=5"},
			Streams{Out: io.Discard, Err: pw})
		pw.Close()
	}()
	base := waitListening(t, pr)
	status, body := sandboxGet(t, base+"/v2/usercollection/daily_sleep?start_date=2024-03-01&end_date=2024-03-31")
	if status != 200 || !strings.Contains(body, `"next_token":"`) {
		t.Errorf("daily_sleep: %d %.200s", status, body)
	}
	resp, err := http.Get(base + "/v1/userinfo?access_token=sandbox-token-3")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("user 3 of 2: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("runSandbox returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runSandbox did not stop")
	}
}

// TestSandboxHelperProcess is the sandbox command run as a subprocess by
// TestSandboxSubprocessSIGINT (it does nothing in a normal test run).
func TestSandboxHelperProcess(t *testing.T) {
	if os.Getenv("OURAEXPORT_SANDBOX_HELPER") != "1" {
		t.Skip("helper process")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := Main(ctx, []string{"sandbox", "--addr", "127.0.0.1:0", "--until", "2024-03-31"}, Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	if err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// TestSandboxSubprocessSIGINT runs the command as a process, calls a route
// and stops it with SIGINT: a clean exit.
func TestSandboxSubprocessSIGINT(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestSandboxHelperProcess$")
	cmd.Env = append(os.Environ(), "OURAEXPORT_SANDBOX_HELPER=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // a no-op once it has exited
	base := waitListening(t, stderr)
	if status, body := sandboxGet(t, base+"/v2/usercollection/personal_info"); status != 200 || !strings.Contains(body, `"email":"sandbox-user-2@example.com"`) {
		t.Errorf("personal_info: %d %s", status, body)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("exit after SIGINT: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit after SIGINT")
	}
}

func TestSandboxFlags(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		ok    bool
		check func(t *testing.T, f sandboxFlags)
	}{
		{"defaults", nil, true, func(t *testing.T, f sandboxFlags) {
			if f.addr != "127.0.0.1:8765" || f.opts.Users != 3 || f.opts.RateLimit != 0 || f.opts.TokenTTL != 24*time.Hour {
				t.Errorf("%+v", f)
			}
		}},
		{"everything", []string{"--addr=127.0.0.1:0", "--users", "20", "--since", "2020-01-01", "--until", "2020-12-31", "--seed", "9",
			"--page-size", "7", "--latency", "5ms", "--fault-rate", "0.1", "--faults", "reset,slow", "--slow-delay", "2s", "--fault-oauth",
			"--rate-limit", "100/1m", "--token-ttl", "3s", "--max-window", "7d", "--date-semantics", "sleep=inclusive", "--scopes", "daily,email",
			"--lapsed", "--v1-retired", "--no-gzip", "--verbose"}, true, func(t *testing.T, f sandboxFlags) {
			o := f.opts
			if o.Users != 20 || o.Since.String() != "2020-01-01" || o.Until.String() != "2020-12-31" || o.Seed != 9 || o.PageSize != 7 ||
				o.Latency != 5*time.Millisecond || o.FaultRate != 0.1 || strings.Join(o.Faults, ",") != "reset,slow" || o.SlowDelay != 2*time.Second ||
				!o.FaultOAuth || o.RateLimit != 100 || o.RateWindow != time.Minute || o.TokenTTL != 3*time.Second ||
				o.MaxWindow != 7*24*time.Hour || o.DateSemantics["sleep"] != sandbox.Inclusive || strings.Join(o.Scopes, ",") != "daily,email" ||
				!o.Lapsed || !o.V1Retired || !o.NoGzip || !f.verbose {
				t.Errorf("%+v", o)
			}
		}},
		{"webhooks", []string{"--webhook-delay", "20ms", "--webhook-ttl", "2s", "--webhook-timeout", "1s", "--webhook-retry", "50ms",
			"--webhook-lost", "3", "--webhook-lost-for", "1m", "--webhook-late", "5s", "--webhook-naive-expiry"}, true, func(t *testing.T, f sandboxFlags) {
			o := f.opts
			if o.WebhookDelay != 20*time.Millisecond || o.WebhookTTL != 2*time.Second || o.WebhookTimeout != time.Second ||
				o.WebhookRetryBase != 50*time.Millisecond || o.WebhookLost != 3 || o.WebhookLostFor != time.Minute ||
				o.WebhookLate != 5*time.Second || !o.WebhookNaiveExpiry {
				t.Errorf("%+v", o)
			}
		}},
		{"negative webhook delay", []string{"--webhook-delay", "-1s"}, false, nil},
		{"rate limit off", []string{"--rate-limit", "off"}, true, func(t *testing.T, f sandboxFlags) {
			if f.opts.RateLimit != -1 {
				t.Errorf("rate limit %d", f.opts.RateLimit)
			}
		}},
		{"bad date", []string{"--since", "2020-13-01"}, false, nil},
		{"since after until", []string{"--since", "2021-01-01", "--until", "2020-01-01"}, false, nil},
		{"bad rate", []string{"--rate-limit", "lots"}, false, nil},
		{"bad fault", []string{"--faults", "gremlins"}, false, nil},
		{"bad semantics", []string{"--date-semantics", "heartrate=inclusive"}, false, nil},
		{"bad scope", []string{"--scopes", "all"}, false, nil},
		{"no users", []string{"--users", "0"}, false, nil},
		{"argument", []string{"extra"}, false, nil},
		{"unknown flag", []string{"--colour"}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseSandboxFlags(tt.args)
			if (err == nil) != tt.ok {
				t.Fatalf("error %v, want ok=%v", err, tt.ok)
			}
			var ue *UsageError
			if err != nil && !errors.As(err, &ue) {
				t.Errorf("error %v is not a usage error", err)
			}
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}

func TestSandboxAddressInUse(t *testing.T) {
	srv, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	err = runSandbox(context.Background(), []string{"--addr", strings.TrimPrefix(base, "http://")}, Streams{Out: io.Discard, Err: io.Discard})
	if err == nil {
		t.Error("a busy address did not fail")
	}
}
