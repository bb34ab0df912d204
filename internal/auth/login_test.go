package auth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/sandbox"
)

// syncBuffer is a bytes.Buffer safe for a writer and a poller.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var authorizeRE = regexp.MustCompile(`http://\S+/oauth/authorize\?\S+`)

// waitURL waits until the prompt shows the authorize URL.
func waitURL(t *testing.T, prompt *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if u := authorizeRE.FindString(prompt.String()); u != "" {
			return u
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no authorize URL in %q", prompt.String())
	return ""
}

// noRedirect is a client that returns redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize asks the sandbox to authorize u and returns where it redirects.
func authorize(t *testing.T, u string) string {
	t.Helper()
	resp, err := noRedirect.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: HTTP %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func TestLoginLoopback(t *testing.T) {
	w := newWorld(t, nil)
	var prompt syncBuffer
	tok, err := Login(context.Background(), LoginOptions{App: w.app(), Browser: follow(t), Prompt: &prompt, Scopes: []string{"daily", "heartrate", "personal"}})
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	q := w.auth[0]
	w.mu.Unlock()
	redirect, _ := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		t.Errorf("no PKCE S256 challenge: %v", q)
	case len(q.Get("state")) < 32:
		t.Errorf("weak state %q", q.Get("state"))
	case redirect.Hostname() != "127.0.0.1" || redirect.Port() == "" || redirect.Path != "/callback":
		t.Errorf("redirect %s is not a loopback callback on a free port", redirect)
	case q.Get("scope") != "daily heartrate personal":
		t.Errorf("scope %q", q.Get("scope"))
	}
	if !strings.Contains(prompt.String(), "Opening your browser") || !strings.Contains(prompt.String(), q.Get("state")) {
		t.Errorf("prompt: %q", prompt.String())
	}
	if tok.RefreshToken == "" || tok.Expiry.Before(time.Now()) || tok.ClientID != sandbox.ClientID || tok.TokenURL != w.url+"/oauth/token" || tok.APIURL != w.url {
		t.Errorf("token: %v", tok)
	}
	if strings.Join(tok.Scopes, " ") != "personal daily heartrate" {
		t.Errorf("scopes %q (as granted, in the server's order)", tok.Scopes)
	}
	id, err := Identify(context.Background(), identityClient(t, w.url, tok.AccessToken))
	if err != nil || id.ID == "" || id.Email != "" {
		t.Errorf("identify: %+v, %v (no email scope, so no email)", id, err)
	}
	calls := w.calls()
	if len(calls) != 1 || calls[0].grant != "authorization_code" || calls[0].status != 200 {
		t.Errorf("token calls %+v", calls)
	}
}

// TestLoginPublicClient logs in without a client secret: PKCE alone.
func TestLoginPublicClient(t *testing.T) {
	w := newWorld(t, nil)
	app := w.app()
	app.ClientSecret = ""
	tok, err := Login(context.Background(), LoginOptions{App: app, Browser: follow(t), LoginHint: "2"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := Identify(context.Background(), identityClient(t, w.url, tok.AccessToken))
	if err != nil || id.Email != "sandbox-user-2@example.com" {
		t.Errorf("identify: %+v, %v", id, err)
	}
}

// TestLoginForeignCallback: a request to the callback with another state
// is turned away and the login goes on.
func TestLoginForeignCallback(t *testing.T) {
	w := newWorld(t, nil)
	statuses := make(chan int, 1)
	browser := func(u string) error {
		pu, _ := url.Parse(u)
		cb := pu.Query().Get("redirect_uri")
		go func() {
			resp, err := http.Get(cb + "?code=forged&state=not-the-state")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
			follow(t)(u)
		}()
		return nil
	}
	tok, err := Login(context.Background(), LoginOptions{App: w.app(), Browser: browser})
	if err != nil {
		t.Fatal(err)
	}
	if got := <-statuses; got != http.StatusBadRequest {
		t.Errorf("foreign callback: HTTP %d, want 400", got)
	}
	if _, err := Identify(context.Background(), identityClient(t, w.url, tok.AccessToken)); err != nil {
		t.Error(err)
	}
}

func TestLoginRefused(t *testing.T) {
	w := newWorld(t, nil)
	browser := func(u string) error {
		pu, _ := url.Parse(u)
		q := pu.Query()
		go func() {
			resp, err := http.Get(q.Get("redirect_uri") + "?error=access_denied&error_description=The+user+said+no&state=" + url.QueryEscape(q.Get("state")))
			if err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
	_, err := Login(context.Background(), LoginOptions{App: w.app(), Browser: browser})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "The user said no") {
		t.Errorf("got %v, want ErrRefused", err)
	}
}

func TestLoginPaste(t *testing.T) {
	w := newWorld(t, nil)
	pr, pw := io.Pipe()
	defer pw.Close()
	var prompt syncBuffer
	type result struct {
		tok *Token
		err error
	}
	done := make(chan result, 1)
	go func() {
		tok, err := Login(context.Background(), LoginOptions{App: w.app(), Paste: pr, Prompt: &prompt})
		done <- result{tok, err}
	}()
	loc := authorize(t, waitURL(t, &prompt))
	if !strings.HasPrefix(loc, "http://127.0.0.1/callback?") {
		t.Errorf("redirect %q", loc)
	}
	io.WriteString(pw, "not a url\n")                                    // corrected below
	io.WriteString(pw, "http://127.0.0.1/callback?code=x&state=wrong\n") // another attempt's
	io.WriteString(pw, "  "+loc+"  \n")                                  // the right one
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := prompt.String(); strings.Count(got, "Paste the whole address") != 2 || !strings.Contains(got, "another login attempt") {
		t.Errorf("prompt: %q", got)
	}
	if _, err := Identify(context.Background(), identityClient(t, w.url, r.tok.AccessToken)); err != nil {
		t.Error(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.auth) != 1 || w.auth[0].Get("redirect_uri") != "http://127.0.0.1/callback" {
		t.Errorf("authorize requests %v", w.auth)
	}
}

func TestLoginPasteEnds(t *testing.T) {
	w := newWorld(t, nil)
	_, err := Login(context.Background(), LoginOptions{App: w.app(), Paste: strings.NewReader("\n\n")})
	if err == nil || !strings.Contains(err.Error(), "input ended") {
		t.Errorf("got %v", err)
	}
}

func TestLoginTimeout(t *testing.T) {
	w := newWorld(t, nil)
	var prompt syncBuffer
	_, err := Login(context.Background(), LoginOptions{App: w.app(), Prompt: &prompt, Timeout: 100 * time.Millisecond,
		Browser: func(string) error { return errors.New("no display") }})
	if err == nil || !strings.Contains(err.Error(), "did not come back within 100ms") || !strings.Contains(err.Error(), "--paste") {
		t.Errorf("got %v", err)
	}
	if !strings.Contains(prompt.String(), "Could not open a browser (no display)") {
		t.Errorf("prompt: %q", prompt.String())
	}
}

// TestLoginRegisteredRedirect listens on the redirect URL registered for
// the app.
func TestLoginRegisteredRedirect(t *testing.T) {
	w := newWorld(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	redirect := "http://localhost:" + strconv.Itoa(port) + "/oura/done"
	tok, err := Login(context.Background(), LoginOptions{App: w.app(), Browser: follow(t), RedirectURL: redirect})
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if tok.AccessToken == "" || w.auth[0].Get("redirect_uri") != redirect {
		t.Errorf("redirect_uri %q", w.auth[0].Get("redirect_uri"))
	}
}

func TestLoginBadOptions(t *testing.T) {
	w := newWorld(t, nil)
	for _, tc := range []struct {
		name string
		mod  func(*LoginOptions)
		want string
	}{
		{"no client", func(o *LoginOptions) { o.App.ClientID = "" }, "no OAuth client id"},
		{"plain http token URL", func(o *LoginOptions) { o.App.TokenURL = "http://example.com/oauth/token" }, "must use https"},
		{"credentials in URL", func(o *LoginOptions) { o.App.AuthURL = "https://u:p@example.com/a" }, "credentials"},
		{"remote redirect", func(o *LoginOptions) { o.RedirectURL = "https://example.com/cb" }, "use --paste"},
		{"bad paste redirect", func(o *LoginOptions) { o.Paste = strings.NewReader(""); o.RedirectURL = "ftp://x/cb" }, "not an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := LoginOptions{App: w.app(), Timeout: time.Second}
			tc.mod(&o)
			_, err := Login(context.Background(), o)
			if !errors.Is(err, ErrBadOption) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrBadOption with %q", err, tc.want)
			}
		})
	}
}
