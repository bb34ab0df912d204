package auth

import (
	"bytes"
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/ouraexport/ouraexport/internal/oura"
)

// answer is a canned HTTP answer: every request gets it.
type answer struct {
	status int
	ctype  string
	body   []byte
}

func (a answer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	h := http.Header{}
	if a.ctype != "" {
		h.Set("Content-Type", a.ctype)
	}
	return &http.Response{StatusCode: a.status, Status: http.StatusText(a.status), Header: h, Request: r,
		Body: io.NopCloser(bytes.NewReader(a.body)), ContentLength: int64(len(a.body)), ProtoMajor: 1, ProtoMinor: 1}, nil
}

// fuzzStatuses are the answers' statuses, picked by a byte (the fuzzer
// rarely hits the interesting ones itself).
var fuzzStatuses = []int{200, 400, 401, 403, 404, 429, 500, 502, 503, 201, 204, 302}

// printableLine fails when s is not one printable line.
func printableLine(t *testing.T, what, s string) {
	t.Helper()
	if strings.ContainsAny(s, "\r\n") {
		t.Fatalf("%s is not one line: %q", what, s)
	}
}

// FuzzIdentify feeds arbitrary personal_info answers to Identify. It never
// panics; a refusal is an *oura.APIError whose detail is one printable
// line of at most 200 characters (and an ellipsis); nothing shows the
// access token.
func FuzzIdentify(f *testing.F) {
	for _, s := range []string{
		`{"id":"8f9a5c1e","age":31,"weight":70.5,"email":"someone@example.com"}`, `{"id":1}`, `{}`, `null`, `[]`, ``,
		`{"detail":"Invalid token"}`, `{"detail":"line one\nline two\u0000\u001b[31m"}`, `{"detail":["x"]}`, `<html>502</html>`,
		`{"detail":"` + strings.Repeat("ü", 300) + `"}`, "{\"id\":\"\xff\"}",
	} {
		for _, st := range []uint8{0, 2, 3, 6} {
			f.Add(st, []byte(s))
		}
	}
	const token = "access-token-secret"
	f.Fuzz(func(t *testing.T, st uint8, body []byte) {
		status := fuzzStatuses[int(st)%len(fuzzStatuses)]
		hc := &http.Client{Transport: answer{status: status, ctype: "application/json", body: body}}
		c, err := oura.NewClient(oura.ClientOptions{BaseURL: "https://api.test/", Tokens: oura.StaticToken(token), HTTP: hc,
			Retry: &oura.Retry{Attempts: 1, MaxRateLimited: 0, Base: time.Millisecond, Max: time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		id, err := Identify(context.Background(), c)
		if err == nil {
			if status != http.StatusOK {
				t.Fatalf("HTTP %d identified %+v", status, id)
			}
			return
		}
		if strings.Contains(err.Error(), token) {
			t.Fatalf("the error shows the token: %v", err)
		}
		printableLine(t, "error", err.Error())
		if status == http.StatusOK || status == http.StatusTooManyRequests {
			return // a garbled answer, or rate limited beyond the retries allowed
		}
		var ae *oura.APIError
		if !errors.As(err, &ae) || ae.Status != status {
			t.Fatalf("HTTP %d: error %v is not its *oura.APIError", status, err)
		}
		if n := len([]rune(strings.TrimSuffix(ae.Detail, "..."))); n > 200 {
			t.Fatalf("detail of %d characters", n)
		}
		for _, r := range ae.Detail {
			if !unicode.IsPrint(r) {
				t.Fatalf("detail holds %U: %q", r, ae.Detail)
			}
		}
		if errors.Is(err, oura.ErrUnauthorized) != (status == http.StatusUnauthorized) {
			t.Fatalf("HTTP %d: unauthorized %v", status, errors.Is(err, oura.ErrUnauthorized))
		}
	})
}

// FuzzRefreshAnswer feeds arbitrary token-endpoint answers (status,
// content type, body) to a refresh. It never panics; a failure is one line
// that shows neither the refresh token nor the client secret (unless the
// server itself echoed them); and a login the refresh returns keeps its
// account and survives a save and a load unchanged.
func FuzzRefreshAnswer(f *testing.F) {
	fastRetries(f)
	ctypes := []string{"application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded", "text/plain", "text/html", ""}
	for _, s := range []struct {
		st, ct uint8
		body   string
	}{
		{0, 0, `{"access_token":"new-access","refresh_token":"new-refresh","token_type":"bearer","expires_in":86400,"scope":"daily heartrate"}`},
		{0, 1, `{"access_token":"new-access","expires_in":"3600"}`},
		{0, 2, `access_token=new-access&refresh_token=new-refresh&expires_in=60&scope=daily,personal`},
		{0, 3, `access_token=a&expires_in=99999999999999`},
		{0, 0, `{"access_token":"","refresh_token":"r"}`},
		{0, 0, `{"error":"invalid_grant","error_description":"Refresh token expired"}`},
		{1, 0, `{"error":"invalid_grant","error_description":"The refresh token is invalid.\nLog in again."}`},
		{1, 0, `{"error":"invalid_request"}`},
		{2, 0, `{"error":"invalid_client"}`},
		{5, 0, `{"error":"slow_down"}`},
		{6, 4, `<html><body>Internal Server Error</body></html>`},
		{0, 0, `{"access_token":"a","expires_in":-5}`},
		{0, 0, `{"access_token":"a","expires_in":1e400}`},
		{0, 5, `not json`},
		{1, 0, `{"error":"` + strings.Repeat("x", 100) + `","error_description":"` + strings.Repeat("\u00e9", 300) + `"}`},
	} {
		f.Add(s.st, s.ct, []byte(s.body))
	}
	const (
		refresh = "refresh-token-secret"
		secret  = "client-secret-value"
	)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, st, ct uint8, body []byte) {
		status := fuzzStatuses[int(st)%len(fuzzStatuses)]
		hc := &http.Client{Transport: answer{status: status, ctype: ctypes[int(ct)%len(ctypes)], body: body}}
		store := NewStore(filepath.Join(dir, "login.json"))
		s := &Source{store: store, opts: SourceOptions{ClientSecret: secret, HTTP: hc, Now: func() time.Time { return now }}}
		cur := &Token{AccessToken: "old-access", RefreshToken: refresh, ClientID: "client", TokenURL: DefaultTokenURL,
			APIURL: DefaultAPIURL, Account: "acct", Email: "a@b.c", Scopes: []string{"daily"}, LoggedIn: now.Add(-time.Hour), Refreshes: 4}
		next, err := s.refresh(context.Background(), cur)
		if err != nil {
			msg := err.Error()
			printableLine(t, "error", msg)
			for _, x := range []string{refresh, secret} {
				if strings.Contains(msg, x) && !bytes.Contains(body, []byte(x)) {
					t.Fatalf("the error shows a secret: %v", err)
				}
			}
			return
		}
		if next.AccessToken == "" || next.RefreshToken == "" || next.Account != "acct" || next.Refreshes != 5 || next.APIURL != DefaultAPIURL {
			t.Fatalf("refreshed login %s", next.GoString())
		}
		if next.TokenURL != DefaultTokenURL && next.TokenURL != PortalTokenURL {
			t.Fatalf("token URL %q", next.TokenURL)
		}
		if err := store.save(next); err != nil {
			t.Fatalf("a refreshed login does not save: %v", err)
		}
		back, err := store.Load()
		if err != nil {
			t.Fatalf("a refreshed login does not load back: %v", err)
		}
		if back.AccessToken != next.AccessToken || back.RefreshToken != next.RefreshToken || !back.Expiry.Equal(next.Expiry) ||
			strings.Join(back.Scopes, " ") != strings.Join(next.Scopes, " ") || back.TokenURL != next.TokenURL {
			t.Fatalf("saved %s, loaded %s", next.GoString(), back.GoString())
		}
	})
}

// FuzzCallback sends arbitrary redirects to the loopback callback handler.
// The page it answers escapes everything the query holds (no markup but
// its own), and it hands over a code exactly when the state matches and
// the query holds a code and no error.
func FuzzCallback(f *testing.F) {
	const state = "state-123"
	for _, s := range []string{
		"/callback?code=abc&state=state-123", "/callback?code=abc&state=other",
		"/callback?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state=state-123",
		"/callback?error=%3Cimg%20src%3Dx%3E&state=state-123", "/callback?state=state-123", "/callback/x?code=a&state=state-123",
		"/other", "/callback?code=%zz&state=state-123", "/callback?code=a&code=b&state=state-123&state=x", "/callback;x?code=a&state=state-123",
	} {
		f.Add("GET", s)
	}
	f.Add("POST", "/callback?code=abc&state=state-123")
	rec := httptest.NewRecorder()
	page(rec, http.StatusOK, "t", "m")
	tags := strings.Count(rec.Body.String(), "<")
	f.Fuzz(func(t *testing.T, method, target string) {
		if _, err := url.ParseRequestURI(target); err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		req, err := http.NewRequest(method, "http://127.0.0.1:8080"+target, nil)
		if err != nil {
			return
		}
		var got []callback
		h := callbackHandler(callbackPath, state, func(c callback) { got = append(got, c) })
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") && strings.Count(body, "<") != tags {
			t.Fatalf("the page holds markup it did not write: %s", body)
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatal("a callback answer may be cached")
		}
		if len(got) > 1 {
			t.Fatalf("%d deliveries", len(got))
		}
		q := req.URL.Query()
		ok := req.Method == http.MethodGet && req.URL.EscapedPath() == callbackPath && q.Get("state") == state && q.Get("error") == "" && q.Get("code") != ""
		delivered := len(got) == 1 && got[0].err == nil
		if ok != delivered || delivered && got[0].code != q.Get("code") {
			t.Fatalf("%s %s: delivered %+v", method, target, got)
		}
		if len(got) == 1 && got[0].err != nil && !strings.Contains(body, html.EscapeString(got[0].err.Error())) {
			t.Fatalf("the refusal %q is not on the page", got[0].err)
		}
	})
}
