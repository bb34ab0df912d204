package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/auth"
	"github.com/ouraexport/ouraexport/internal/config"
	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/sinks"
)

// oauthWorld is an in-process sandbox that records the token endpoint's
// answers, and a clean environment with its own config folder.
type oauthWorld struct {
	sb     *sandbox.Server
	url    string
	config string // the user config folder
	mu     sync.Mutex
	tokens []int    // status of every token request
	alt    []string // paths requested under /alt/ (another authorize and token URL)
	// refuse, when set, answers every refresh request with invalid_grant
	// (the login was revoked at the server).
	refuse atomic.Bool
}

func newOAuthWorld(t *testing.T, mod func(*sandbox.Options)) *oauthWorld {
	t.Helper()
	since, _ := sandbox.ParseDate("2024-01-01")
	until, _ := sandbox.ParseDate("2024-01-20")
	o := sandbox.Options{Users: 2, Since: since, Until: until, NoGzip: true}
	if mod != nil {
		mod(&o)
	}
	sb, err := sandbox.New(o)
	if err != nil {
		t.Fatal(err)
	}
	w := &oauthWorld{sb: sb}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if p, ok := strings.CutPrefix(r.URL.Path, "/alt/"); ok {
			w.mu.Lock()
			w.alt = append(w.alt, p)
			w.mu.Unlock()
			r.URL.Path = "/" + p
		}
		if r.URL.Path != "/oauth/token" {
			sb.ServeHTTP(rw, r)
			return
		}
		rec := &statusWriter{ResponseWriter: rw, status: http.StatusOK}
		if err := r.ParseForm(); err == nil && r.PostForm.Get("grant_type") == "refresh_token" && w.refuse.Load() {
			rec.Header().Set("Content-Type", "application/json")
			rec.WriteHeader(http.StatusBadRequest)
			io.WriteString(rec, `{"error":"invalid_grant","error_description":"Token Already Used Or Revoked"}`)
		} else {
			sb.ServeHTTP(rec, r)
		}
		w.mu.Lock()
		w.tokens = append(w.tokens, rec.status)
		w.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL

	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("AppData", filepath.Join(home, "AppData"))
	for _, k := range config.Keys() {
		t.Setenv(k.Env, "")
	}
	t.Setenv(config.EnvPath, "")
	t.Setenv("OURA_TOKEN", "")
	t.Setenv("OURA_CLIENT_SECRET", sandbox.ClientSecret)
	dir, err := os.UserConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	w.config = filepath.Join(dir, "ouraexport")
	old := openBrowser
	openBrowser = browse
	t.Cleanup(func() { openBrowser = old })
	return w
}

// browse plays the browser: it follows the authorize URL to the callback.
func browse(u string) error {
	go func() {
		resp, err := http.Get(u)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	return nil
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// tokenStats counts the token requests, and those that failed.
func (w *oauthWorld) tokenStats() (all, failed int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.tokens {
		all++
		if s != http.StatusOK {
			failed++
		}
	}
	return all, failed
}

func (w *oauthWorld) tokenFile() string { return filepath.Join(w.config, "token.json") }

// run runs a command line and returns its output and error.
func run(args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	err := Main(context.Background(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return out.String(), errb.String(), err
}

func (w *oauthWorld) login(t *testing.T, extra ...string) string {
	t.Helper()
	out, stderr, err := run(append([]string{"auth", "login", "--api-url", w.url, "--client-id", sandbox.ClientID}, extra...)...)
	if err != nil {
		t.Fatalf("login: %v\n%s", err, stderr)
	}
	return out
}

func (w *oauthWorld) stored(t *testing.T) *auth.Token {
	t.Helper()
	tok, err := auth.NewStore(w.tokenFile()).Load()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestAuthLoginExport logs in through the authorize redirect, exports with
// the stored login, shows it, and logs out.
func TestAuthLoginExport(t *testing.T) {
	w := newOAuthWorld(t, nil)
	out := w.login(t)
	if !strings.Contains(out, "as sandbox-user-1@example.com") || !strings.Contains(out, w.tokenFile()) {
		t.Errorf("login said %q", out)
	}
	if runtime.GOOS != "windows" {
		for path, mode := range map[string]os.FileMode{w.config: 0o700, w.tokenFile(): 0o600} {
			if info, err := os.Stat(path); err != nil || info.Mode().Perm() != mode {
				t.Errorf("%s: %v, want mode %04o", path, info.Mode().Perm(), mode)
			}
		}
	}
	tok := w.stored(t)

	dir := filepath.Join(t.TempDir(), "export")
	// As cron runs it: no terminal, JSON log lines.
	stdout, stderr, err := run("export", "--api-url", w.url, "--out", dir, "--log-format", "json", "--format", "csv", "--collections", "daily_sleep,sleep")
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	if strings.TrimSpace(stderr) == "" {
		t.Error("the export logged nothing")
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if line != "" && !json.Valid([]byte(line)) {
			t.Errorf("a log line is not JSON (or a progress bar was drawn): %q", line)
		}
	}
	for _, s := range []string{stdout, stderr} {
		if strings.Contains(s, tok.AccessToken) || strings.Contains(s, tok.RefreshToken) {
			t.Errorf("the export's output shows a token: %s", s)
		}
	}
	if _, err := sinks.ReadManifest(mustDir(t, dir)); err != nil {
		t.Errorf("manifest: %v", err)
	}
	state, err := os.ReadFile(filepath.Join(dir, exporter.StoreDir, "state.json"))
	if err != nil || !strings.Contains(string(state), tok.Account) {
		t.Errorf("the export is not of the logged-in account %s: %v", tok.Account, err)
	}

	out, _, err = run("auth", "status")
	if err != nil || !strings.Contains(out, "sandbox-user-1@example.com") || !strings.Contains(out, "the API accepts the login") ||
		!strings.Contains(out, "access token  expires") || !strings.Contains(out, "scopes        ") {
		t.Errorf("status: %v\n%s", err, out)
	}
	js, _, err := run("auth", "status", "--json")
	var rep statusReport
	if err != nil || json.Unmarshal([]byte(js), &rep) != nil || !rep.Verified || rep.Account != tok.Account || len(rep.Scopes) == 0 ||
		rep.ExpiresIn <= 0 || rep.File != w.tokenFile() {
		t.Errorf("status --json: %v\n%s", err, js)
	}
	now := w.stored(t)
	for _, s := range []string{out, js} {
		for _, secret := range []string{tok.AccessToken, tok.RefreshToken, now.AccessToken, now.RefreshToken} {
			if strings.Contains(s, secret) {
				t.Fatalf("status shows a token: %s", s)
			}
		}
	}

	out, _, err = run("auth", "logout")
	if err != nil || !strings.Contains(out, "Logged out") || !strings.Contains(out, "revoked") {
		t.Errorf("logout: %v %q", err, out)
	}
	if _, err := os.Stat(w.tokenFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the login file is still there: %v", err)
	}
	if _, err := auth.Identify(context.Background(), identityClient(t, w.url, now.AccessToken)); !errors.Is(err, oura.ErrUnauthorized) {
		t.Errorf("the access token still works after logout: %v", err)
	}
	if _, _, err := run("auth", "status"); !errors.Is(err, ErrAuthNeeded) {
		t.Errorf("status after logout: %v", err)
	}
	if out, _, err := run("auth", "logout"); err != nil || !strings.Contains(out, "Not logged in") {
		t.Errorf("second logout: %v %q", err, out)
	}
	_, _, err = run("export", "--api-url", w.url, "--out", dir, "--quiet")
	if !errors.Is(err, ErrAuthNeeded) || !strings.Contains(err.Error(), "auth login") {
		t.Errorf("export after logout: %v", err)
	}
}

func mustDir(t *testing.T, path string) sinks.Dir {
	t.Helper()
	d, err := sinks.LocalDir(path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestExportsShareExpiringLogin runs two exports at once on one login whose
// access tokens live one second: both refresh repeatedly, share the
// rotating refresh token through the login file, and finish; no token
// request fails.
func TestExportsShareExpiringLogin(t *testing.T) {
	// About 80 requests per export, 40 ms each, two at a time: seconds,
	// so several generations of one-second tokens.
	w := newOAuthWorld(t, func(o *sandbox.Options) {
		o.Since, _ = sandbox.ParseDate("2023-12-01")
		o.Until, _ = sandbox.ParseDate("2023-12-31")
		o.TokenTTL = time.Second
		o.Latency = 40 * time.Millisecond
		o.PageSize = 2
	})
	w.login(t)
	before := w.stored(t)
	dirs := []string{filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")}
	errs := make([]error, len(dirs))
	start := time.Now()
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Go(func() {
			_, stderr, err := run("export", "--api-url", w.url, "--out", dir, "--quiet", "--workers", "2", "--format", "csv",
				"--collections", "daily_sleep,daily_readiness,sleep")
			if err != nil {
				errs[i] = errors.New(err.Error() + "\n" + stderr)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i, err := range errs {
		if err != nil {
			t.Errorf("export %d: %v", i, err)
		}
	}
	after := w.stored(t)
	all, failed := w.tokenStats()
	refreshes := after.Refreshes - before.Refreshes
	t.Logf("%s: %d refreshes, %d token requests, %d requests", elapsed.Round(time.Millisecond), refreshes, all, w.sb.Stats().Requests)
	if failed != 0 {
		t.Errorf("%d of %d token requests failed (invalid_grant?)", failed, all)
	}
	if refreshes < 2 || all != 1+refreshes {
		t.Errorf("%d refreshes saved, %d token requests: want at least 2, each saved", refreshes, all)
	}
	a, errA := sinks.ReadManifest(mustDir(t, dirs[0]))
	b, errB := sinks.ReadManifest(mustDir(t, dirs[1]))
	if errA != nil || errB != nil {
		t.Fatalf("manifests: %v, %v", errA, errB)
	}
	if rows(a) != rows(b) || rows(a) == 0 {
		t.Errorf("the exports differ: %d and %d rows", rows(a), rows(b))
	}
}

func rows(m sinks.Manifest) int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Rows
	}
	return n
}

// TestExportLoginExpired: the refresh token was spent elsewhere, so the
// export stops at once with exit status 4 and says to log in again.
func TestExportLoginExpired(t *testing.T) {
	w := newOAuthWorld(t, nil)
	w.login(t)
	tok := w.stored(t)
	resp, err := http.PostForm(w.url+"/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken},
		"client_id": {sandbox.ClientID}, "client_secret": {sandbox.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tok.Expiry = time.Now().Add(-time.Minute)
	if err := auth.NewStore(w.tokenFile()).Save(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	_, _, err = run("export", "--api-url", w.url, "--out", filepath.Join(t.TempDir(), "x"), "--quiet")
	if !errors.Is(err, ErrAuthNeeded) || !strings.Contains(Message(err), "the login expired or was revoked: run 'ouraexport auth login' again") {
		t.Errorf("got %v", err)
	}
	if strings.Contains(err.Error(), tok.RefreshToken) || strings.Contains(err.Error(), tok.AccessToken) {
		t.Errorf("the error shows a token: %v", err)
	}
	if _, _, err := run("auth", "status"); !errors.Is(err, ErrAuthNeeded) {
		t.Errorf("status: %v", err)
	}
}

func TestResolveToken(t *testing.T) {
	w := newOAuthWorld(t, nil)
	ctx := context.Background()
	plain := filepath.Join(t.TempDir(), "token")
	os.WriteFile(plain, []byte("sandbox-token-2\n"), 0o600)

	// Nothing at all.
	if _, err := resolveToken(ctx, "", w.url, nil, nil); !errors.Is(err, ErrAuthNeeded) || !strings.Contains(err.Error(), "OURA_TOKEN") {
		t.Errorf("no token: %v", err)
	}
	w.login(t)
	for _, tc := range []struct {
		name, file, env, api string
		want                 string // "static", "login", or an error text
	}{
		{"stored login", "", "", w.url, "login"},
		{"OURA_TOKEN wins", "", "sandbox-token-2", w.url, "static"},
		{"token file", plain, "", w.url, "static"},
		{"login file", w.tokenFile(), "sandbox-token-2", w.url, "login"},
		{"login for another server", "", "", "https://api.ouraring.com", "is for " + w.url},
		{"missing file", filepath.Join(t.TempDir(), "nope"), "", w.url, "--token-file: cannot read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("OURA_TOKEN", tc.env)
			src, err := resolveToken(ctx, tc.file, tc.api, nil, nil)
			switch tc.want {
			case "static":
				if _, ok := src.(oura.StaticToken); !ok || err != nil {
					t.Errorf("got %T, %v", src, err)
				}
			case "login":
				if _, ok := src.(*auth.Source); !ok || err != nil {
					t.Errorf("got %T, %v", src, err)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("got %v, want %q", err, tc.want)
				}
			}
		})
	}
}

func TestAuthUsage(t *testing.T) {
	newOAuthWorld(t, nil)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"auth"}, "login, status or logout"},
		{[]string{"auth", "whoami"}, "unknown auth command"},
		{[]string{"auth", "login"}, "no OAuth client id"},
		{[]string{"auth", "login", "--client-id", "x", "--client-secret", "s"}, "never taken as a flag value"},
		{[]string{"auth", "login", "--client-id", "x", "--token-url", "http://example.com/t"}, "must use https"},
		{[]string{"auth", "login", "--client-id", "x", "--timeout", "0s"}, "--timeout"},
		{[]string{"auth", "status", "extra"}, "unexpected argument"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := run(tc.args...)
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want a usage error with %q", err, tc.want)
			}
		})
	}
}

// TestAuthLoginFromConfig takes the client and where to store the login
// from the config file.
func TestAuthLoginFromConfig(t *testing.T) {
	w := newOAuthWorld(t, nil)
	t.Setenv("OURA_CLIENT_SECRET", "")
	login := filepath.Join(t.TempDir(), "alice.json")
	conf := filepath.Join(t.TempDir(), "config.toml")
	body := "client_id = \"sandbox-client\"\nclient_secret = \"sandbox-secret\"\napi_url = \"" + w.url + "\"\ntoken_file = \"" + filepath.ToSlash(login) + "\"\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	// --no-browser prints the address and waits; nobody opens it here.
	_, stderr, err := run("auth", "login", "--config", conf, "--no-browser", "--timeout", "100ms")
	if err == nil || !strings.Contains(err.Error(), "did not come back within 100ms") || !strings.Contains(stderr, "Open this address in a browser on this machine") {
		t.Errorf("--no-browser: %v\n%s", err, stderr)
	}
	t.Setenv("OURAEXPORT_CONFIG", conf)
	if _, stderr, err := run("auth", "login"); err != nil {
		t.Fatalf("login: %v\n%s", err, stderr)
	}
	if _, err := auth.NewStore(login).Load(); err != nil {
		t.Errorf("the login is not in token_file: %v", err)
	}
	if _, err := os.Stat(w.tokenFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the default login file was written")
	}
	if out, _, err := run("auth", "status"); err != nil || !strings.Contains(out, login) {
		t.Errorf("status: %v %q", err, out)
	}
}

func TestExportConfig(t *testing.T) {
	newOAuthWorld(t, nil)
	conf := filepath.Join(t.TempDir(), "config.toml")
	write := func(s string) {
		if err := os.WriteFile(conf, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("out = \"/data/oura\"\nworkers = 2\nformat = [\"csv\"]\nlog_format = \"json\"\napi_url = \"https://example.com\"\n")

	o, err := parseExportFlags([]string{"--config", conf})
	if err != nil {
		t.Fatal(err)
	}
	if o.out != "/data/oura" || o.workers != 2 || strings.Join(o.formats, ",") != "csv" || o.logFormat != "json" || o.apiURL != "https://example.com" {
		t.Errorf("from the file: %+v", o)
	}
	t.Setenv("OURAEXPORT_WORKERS", "3")
	if o, err = parseExportFlags([]string{"--config", conf}); err != nil || o.workers != 3 {
		t.Errorf("environment over file: workers %d, %v", o.workers, err)
	}
	if o, err = parseExportFlags([]string{"--config", conf, "--workers", "5", "--format", "parquet"}); err != nil || o.workers != 5 || strings.Join(o.formats, ",") != "parquet" {
		t.Errorf("flag over environment: workers %d formats %v, %v", o.workers, o.formats, err)
	}
	// The sandbox needs no server: the file's api_url does not get in its way.
	if o, err = parseExportFlags([]string{"--config", conf, "--sandbox"}); err != nil || o.apiURL != "" {
		t.Errorf("--sandbox with api_url in the file: %q, %v", o.apiURL, err)
	}
	// $OURA_TOKEN beats token_file in the file, not one in the environment
	// or a flag.
	write("token_file = \"/file/token\"\n")
	for _, tc := range []struct {
		env, fileEnv string
		args         []string
		want         string
	}{
		{"", "", nil, "/file/token"},
		{"tok", "", nil, ""},
		{"tok", "/env/token", nil, "/env/token"},
		{"tok", "", []string{"--token-file", "/flag/token"}, "/flag/token"},
	} {
		t.Setenv("OURA_TOKEN", tc.env)
		t.Setenv("OURAEXPORT_TOKEN_FILE", tc.fileEnv)
		if o, err = parseExportFlags(append([]string{"--config", conf}, tc.args...)); err != nil || o.tokenFile != tc.want {
			t.Errorf("OURA_TOKEN=%q OURAEXPORT_TOKEN_FILE=%q %q: token file %q, want %q (%v)", tc.env, tc.fileEnv, tc.args, o.tokenFile, tc.want, err)
		}
	}
	t.Setenv("OURA_TOKEN", "")
	t.Setenv("OURAEXPORT_TOKEN_FILE", "")
	write("workers = 2\n")
	t.Setenv("OURAEXPORT_WORKERS", "many")
	if _, err = parseExportFlags([]string{"--config", conf}); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "$OURAEXPORT_WORKERS") {
		t.Errorf("bad environment value: %v", err)
	}
	t.Setenv("OURAEXPORT_WORKERS", "")
	write("workers = 500\n")
	var ue *UsageError
	if _, err = parseExportFlags([]string{"--config", conf}); !errors.As(err, &ue) || !strings.Contains(err.Error(), "--workers 500") {
		t.Errorf("out-of-range value: %v", err)
	}
	write("wrokers = 5\n")
	if _, err = parseExportFlags([]string{"--config", conf}); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), `unknown key "wrokers" (did you mean "workers"?)`) {
		t.Errorf("unknown key: %v", err)
	}
	// The default file is read without --config.
	if err := os.MkdirAll(filepath.Dir(filepath.Join(mustConfigDir(t), "x")), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mustConfigDir(t), "config.toml"), []byte("lookback = 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if o, err = parseExportFlags(nil); err != nil || o.lookback != 3 {
		t.Errorf("default config file: lookback %d, %v", o.lookback, err)
	}
}

func mustConfigDir(t *testing.T) string {
	t.Helper()
	dir, err := os.UserConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(dir, "ouraexport")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestAuthLoginEndpoints logs in through an authorize URL and a token URL
// given by flag (not derived from --api-url); the login remembers the
// token URL, and refreshes go there.
func TestAuthLoginEndpoints(t *testing.T) {
	w := newOAuthWorld(t, nil)
	out := w.login(t, "--auth-url", w.url+"/alt/oauth/authorize", "--token-url", w.url+"/alt/oauth/token", "--scopes", "daily,personal")
	if !strings.Contains(out, "Scopes: personal daily") {
		t.Errorf("login said %q", out)
	}
	tok := w.stored(t)
	if tok.TokenURL != w.url+"/alt/oauth/token" || tok.APIURL != w.url {
		t.Errorf("stored token URL %s, API %s", tok.TokenURL, tok.APIURL)
	}
	// Make the access token due: status renews it at the stored token URL.
	due := *tok
	due.Expiry = time.Now().Add(-time.Minute)
	if err := auth.NewStore(w.tokenFile()).Save(context.Background(), &due); err != nil {
		t.Fatal(err)
	}
	if out, stderr, err := run("auth", "status"); err != nil || !strings.Contains(out, "the API accepts the login") {
		t.Fatalf("status: %v\n%s%s", err, out, stderr)
	}
	if now := w.stored(t); now.Refreshes != tok.Refreshes+1 {
		t.Errorf("refreshes %d, want %d", now.Refreshes, tok.Refreshes+1)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if got := strings.Join(w.alt, " "); got != "oauth/authorize oauth/token oauth/token" {
		t.Errorf("requests to the flags' URLs: %q, want the authorize, the code exchange and the refresh", got)
	}
}

// TestExportLoginRevokedMidRun: the login is revoked while an export runs
// (the server answers invalid_grant to the refresh of a one-second access
// token): the export stops with exit status 4 and says to log in again,
// without a token in the message, and the login file keeps the last pair.
func TestExportLoginRevokedMidRun(t *testing.T) {
	w := newOAuthWorld(t, func(o *sandbox.Options) {
		o.TokenTTL = time.Second
		o.Latency = 40 * time.Millisecond
		o.PageSize = 2
	})
	w.login(t)
	before := w.stored(t)
	w.refuse.Store(true)
	_, _, err := run("export", "--api-url", w.url, "--out", filepath.Join(t.TempDir(), "x"), "--quiet", "--workers", "2",
		"--format", "csv", "--collections", "daily_sleep,daily_readiness,sleep")
	if !errors.Is(err, ErrAuthNeeded) || !strings.Contains(Message(err), "'ouraexport auth login'") {
		t.Fatalf("got %v, want exit 4 asking for a new login", err)
	}
	for _, secret := range []string{before.AccessToken, before.RefreshToken} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows a token: %v", err)
		}
	}
	if after := w.stored(t); after.RefreshToken != before.RefreshToken {
		t.Error("the login file changed although no refresh succeeded")
	}
	all, failed := w.tokenStats()
	if failed != 1 || all != 2 {
		t.Errorf("%d token requests, %d failed; want the code exchange and one refused refresh (a dead login is not retried)", all, failed)
	}
}

// TestExportRunLockedWithLogin: while another run holds the export folder
// (cron firing while last night's run still goes on), an export with the
// stored login exits at once with a message naming the folder; the login
// still works.
func TestExportRunLockedWithLogin(t *testing.T) {
	w := newOAuthWorld(t, nil)
	w.login(t)
	dir := filepath.Join(t.TempDir(), "export")
	held, err := exporter.OpenStore(filepath.Join(dir, exporter.StoreDir))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	requests := w.sb.Stats().Requests
	_, _, err = run("export", "--api-url", w.url, "--out", dir, "--quiet")
	if !errors.Is(err, exporter.ErrLocked) || !strings.Contains(Message(err), "another ouraexport run is using this export folder") {
		t.Fatalf("got %v, want the run lock's error", err)
	}
	if n := w.sb.Stats().Requests - requests; n != 0 {
		t.Errorf("the locked run sent %d API requests", n)
	}
	held.Close()
	if _, stderr, err := run("export", "--api-url", w.url, "--out", dir, "--quiet", "--collections", "daily_sleep"); err != nil {
		t.Errorf("after the other run ended: %v\n%s", err, stderr)
	}
}

// identityClient returns a client of apiURL sending token, for auth.Identify.
func identityClient(t testing.TB, apiURL, token string) *oura.Client {
	t.Helper()
	c, err := auth.IdentityClient(apiURL, token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
