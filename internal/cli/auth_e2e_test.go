package cli_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAuthProcesses logs in with the binary (--paste, the authorize
// redirect driven by a plain HTTP client), then runs two export processes
// at once on that login while the sandbox's access tokens live one second:
// both finish, every token request succeeds (no refresh token is ever
// redeemed twice), and every refresh was saved.
func TestAuthProcesses(t *testing.T) {
	url := startSandbox(t, "--token-ttl", "1s", "--latency", "40ms", "--page-size", "2", "--since", "2023-12-01", "--until", "2023-12-31")
	home := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"OURA_CLIENT_ID=sandbox-client", "OURA_CLIENT_SECRET=sandbox-secret"}

	login := exec.Command(bin, "auth", "login", "--api-url", url, "--paste", "--timeout", "1m")
	login.Env = env
	stdin, err := login.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := login.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	login.Stdout = &stdout
	if err := login.Start(); err != nil {
		t.Fatal(err)
	}
	defer login.Process.Kill()
	sc := bufio.NewScanner(stderr)
	var authorize string
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); strings.Contains(line, "/oauth/authorize?") {
			authorize = line
			break
		}
	}
	go io.Copy(io.Discard, stderr)
	if authorize == "" {
		t.Fatal("login printed no authorize URL")
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authorize)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	io.WriteString(stdin, resp.Header.Get("Location")+"\n")
	stdin.Close()
	if err := login.Wait(); err != nil || !strings.Contains(stdout.String(), "Logged in") {
		t.Fatalf("login: %v\n%s", err, stdout.String())
	}
	tokenFile := filepath.Join(home, ".config", "ouraexport", "token.json")
	before := refreshCount(t, tokenFile)

	type outcome struct {
		code   int
		stderr string
	}
	outs := make([]outcome, 2)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range outs {
		wg.Go(func() {
			cmd := exec.Command(bin, "export", "--api-url", url, "--out", filepath.Join(home, "export"+string(rune('a'+i))),
				"--quiet", "--workers", "2", "--format", "csv", "--collections", "daily_sleep,daily_readiness,sleep")
			cmd.Env = env
			var errb bytes.Buffer
			cmd.Stderr = &errb
			err := cmd.Run()
			outs[i] = outcome{stderr: errb.String()}
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				outs[i].code = ee.ExitCode()
			} else if err != nil {
				outs[i] = outcome{code: -1, stderr: err.Error()}
			}
		})
	}
	wg.Wait()
	for i, o := range outs {
		if o.code != 0 {
			t.Errorf("export %d: exit %d: %s", i, o.code, o.stderr)
		}
	}
	refreshes := refreshCount(t, tokenFile) - before

	resp, err = http.Get(url + "/_sandbox/stats")
	if err != nil {
		t.Fatal(err)
	}
	var stats struct {
		Routes map[string]int `json:"routes"`
	}
	err = json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d refreshes saved, %d token requests", time.Since(start).Round(time.Millisecond), refreshes, stats.Routes["oauth/token"])
	// One code exchange, then one request per saved refresh: none failed,
	// none was lost.
	if refreshes < 2 || stats.Routes["oauth/token"] != 1+refreshes {
		t.Errorf("%d refreshes saved, %d token requests; want at least 2 refreshes, and one request each", refreshes, stats.Routes["oauth/token"])
	}
	if r := ouraexport(t, env, "auth", "status"); r.code != 0 || !strings.Contains(r.stdout, "the API accepts the login") {
		t.Errorf("status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func refreshCount(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Refreshes int `json:"refreshes"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Refreshes
}
