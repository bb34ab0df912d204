package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/internal/sandbox"
)

// tokenCall is one answer of the token endpoint the recorder saw.
type tokenCall struct {
	grant  string // grant_type
	status int
	code   string // the OAuth error code, "" on success
}

// world is an in-process sandbox behind a recorder of token requests.
type world struct {
	sb   *sandbox.Server
	srv  *httptest.Server
	url  string
	mu   sync.Mutex
	hook func(w http.ResponseWriter, r *http.Request) bool // answers instead of the sandbox when it returns true
	log  []tokenCall
	auth []url.Values // authorize queries
}

func newWorld(t testing.TB, mod func(*sandbox.Options)) *world {
	t.Helper()
	o := sandbox.Options{Users: 2, Since: mustDate(t, "2024-01-01"), Until: mustDate(t, "2024-01-31"), NoGzip: true}
	if mod != nil {
		mod(&o)
	}
	sb, err := sandbox.New(o)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{sb: sb}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.srv.Close)
	w.url = w.srv.URL
	return w
}

func mustDate(t testing.TB, s string) sandbox.Date {
	t.Helper()
	d, err := sandbox.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (w *world) serve(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	hook := w.hook
	if r.URL.Path == "/oauth/authorize" {
		w.auth = append(w.auth, r.URL.Query())
	}
	w.mu.Unlock()
	if r.URL.Path != "/oauth/token" {
		if hook == nil || !hook(rw, r) {
			w.sb.ServeHTTP(rw, r)
		}
		return
	}
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &recordingWriter{ResponseWriter: rw, status: http.StatusOK}
	if hook == nil || !hook(rec, r) {
		w.sb.ServeHTTP(rec, r)
	}
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(rec.body.Bytes(), &e)
	w.mu.Lock()
	w.log = append(w.log, tokenCall{grant: form.Get("grant_type"), status: rec.status, code: e.Error})
	w.mu.Unlock()
}

// calls returns the token requests so far.
func (w *world) calls() []tokenCall {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]tokenCall(nil), w.log...)
}

// refreshes counts the token requests with grant_type refresh_token, and
// those that failed.
func (w *world) refreshes() (all, failed int) {
	for _, c := range w.calls() {
		if c.grant == "refresh_token" {
			all++
			if c.status != http.StatusOK {
				failed++
			}
		}
	}
	return all, failed
}

func (w *world) setHook(h func(w http.ResponseWriter, r *http.Request) bool) {
	w.mu.Lock()
	w.hook = h
	w.mu.Unlock()
}

type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recordingWriter) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recordingWriter) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// app returns the sandbox's OAuth client.
func (w *world) app() App {
	a, tk := Endpoints(w.url)
	return App{ClientID: sandbox.ClientID, ClientSecret: sandbox.ClientSecret, AuthURL: a, TokenURL: tk, APIURL: w.url}
}

// follow is a Browser that requests the authorize URL and follows the
// redirect to the loopback callback, as a browser would.
func follow(t testing.TB) func(string) error {
	return func(u string) error {
		go func() {
			resp, err := http.Get(u)
			if err != nil {
				t.Errorf("browser: %v", err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
		return nil
	}
}

// login logs in to the world (user hint, "" for 1) and returns the token.
func (w *world) login(t testing.TB, hint string) *Token {
	t.Helper()
	tok, err := Login(context.Background(), LoginOptions{App: w.app(), Browser: follow(t), LoginHint: hint, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	id, err := Identify(context.Background(), identityClient(t, w.url, tok.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	tok.Account, tok.Email = id.ID, id.Email
	return tok
}

// loggedIn logs in and saves the login in a fresh folder; it returns the store.
func (w *world) loggedIn(t testing.TB) *Store {
	t.Helper()
	st := NewStore(filepath.Join(t.TempDir(), "ouraexport", "token.json"))
	if err := st.Save(context.Background(), w.login(t, "")); err != nil {
		t.Fatal(err)
	}
	return st
}

// redeem refreshes a refresh token directly, as a careless other tool
// would, and returns the answer's status and error code.
func (w *world) redeem(t testing.TB, refresh string) (int, string) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh},
		"client_id": {sandbox.ClientID}, "client_secret": {sandbox.ClientSecret}}
	resp, err := http.PostForm(w.url+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// noSecrets fails when s contains a token of tok.
func noSecrets(t testing.TB, what, s string, tok *Token) {
	t.Helper()
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken} {
		if secret != "" && strings.Contains(s, secret) {
			t.Errorf("%s shows a token: %s", what, s)
		}
	}
}

// fastRetries makes token-request retries quick for the test.
func fastRetries(t testing.TB) {
	old := grantBackoff
	grantBackoff = time.Millisecond
	t.Cleanup(func() { grantBackoff = old })
}

// identityClient returns a client of apiURL sending token, for Identify.
func identityClient(t testing.TB, apiURL, token string) *oura.Client {
	t.Helper()
	c, err := IdentityClient(apiURL, token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
