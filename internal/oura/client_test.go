package oura

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// script answers the n-th request (0-based) with answers[n] (the last one repeats).
type script []func(w http.ResponseWriter, r *http.Request)

func serve(t *testing.T, answers script) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1) - 1)
		if i >= len(answers) {
			i = len(answers) - 1
		}
		answers[i](w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func status(code int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}
}

func testClient(t *testing.T, base string, tokens TokenSource) *Client {
	t.Helper()
	c, err := NewClient(ClientOptions{BaseURL: base, Tokens: tokens, Timeout: 2 * time.Second,
		Retry: &Retry{Attempts: 4, MaxRateLimited: 5, Base: time.Millisecond, Max: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const okBody = `{"data":[],"next_token":null}`

func TestClientRetries(t *testing.T) {
	hijackClose := func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}
	truncated := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		fmt.Fprint(w, `{"data":[`)
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}
	html := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html>oops</html>")
	}
	tooMany := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(429)
	}
	cases := []struct {
		name     string
		answers  script
		wantErr  string // "" for success
		requests int64
	}{
		{"500 then ok", script{status(500, `{"detail":"boom"}`), status(200, okBody)}, "", 2},
		{"502 503 then ok", script{status(502, "<html>bad gateway</html>"), status(503, ""), status(200, okBody)}, "", 3},
		{"reset then ok", script{hijackClose, status(200, okBody)}, "", 2},
		{"truncated then ok", script{truncated, status(200, okBody)}, "", 2},
		{"html 200 then ok", script{html, status(200, okBody)}, "", 2},
		{"garbled then ok", script{status(200, `{"data":[1]`), status(200, okBody)}, "", 2},
		{"429 then ok", script{tooMany, tooMany, status(200, okBody)}, "", 3},
		{"always 500", script{status(500, "")}, "giving up after 4 attempts", 4},
		{"400 not retried", script{status(400, `{"detail":"bad"}`)}, "HTTP 400 Bad Request: bad", 1},
		{"403 not retried", script{status(403, `{"detail":"Forbidden"}`)}, "HTTP 403", 1},
		{"404 not retried", script{status(404, `{"detail":"Document not found."}`)}, "HTTP 404", 1},
		{"422 not retried", script{status(422, `{"detail":[{"loc":["query","start_date"],"msg":"Start date must be before end date","type":"value_error"}]}`)}, "Start date must be before end date", 1},
		{"401 not retried", script{status(401, `{"detail":"Invalid or expired authentication token."}`)}, "HTTP 401", 1},
		{"429 forever", script{tooMany}, "still rate limited", 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := serve(t, tc.answers)
			c := testClient(t, srv.URL, StaticToken("tok"))
			_, err := c.Get(context.Background(), "/v2/usercollection/sleep", url.Values{"start_date": {"2024-01-01"}}, func(b []byte) error {
				if !json.Valid(b) || !bytes.HasPrefix(b, []byte(`{"data"`)) {
					return errors.New("not a list response")
				}
				return nil
			})
			if tc.wantErr == "" && err != nil {
				t.Fatalf("got error %v, want success", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
			}
			if got := n.Load(); got != tc.requests {
				t.Errorf("server saw %d requests, want %d", got, tc.requests)
			}
		})
	}
}

func TestClientAuthClasses(t *testing.T) {
	srv, _ := serve(t, script{status(401, `{"detail":"x"}`)})
	_, err := testClient(t, srv.URL, StaticToken("t")).Get(context.Background(), "/p", nil, nil)
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("401: got %v, want ErrUnauthorized", err)
	}
	srv, _ = serve(t, script{status(403, `{"detail":"x"}`)})
	_, err = testClient(t, srv.URL, StaticToken("t")).Get(context.Background(), "/p", nil, nil)
	if !errors.Is(err, ErrForbidden) {
		t.Errorf("403: got %v, want ErrForbidden", err)
	}
}

// refreshing is a token source that replaces a rejected token once.
type refreshing struct {
	tok       atomic.Value
	refreshes atomic.Int64
}

func (r *refreshing) Token(context.Context) (string, error) { return r.tok.Load().(string), nil }
func (r *refreshing) Refresh(_ context.Context, rejected string) (string, error) {
	r.refreshes.Add(1)
	r.tok.Store("fresh")
	return "fresh", nil
}

func TestClientRefreshesOn401(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer fresh" {
			status(401, `{"detail":"expired"}`)(w, r)
			return
		}
		status(200, okBody)(w, r)
	}))
	defer srv.Close()
	ts := &refreshing{}
	ts.tok.Store("stale")
	if _, err := testClient(t, srv.URL, ts).Get(context.Background(), "/p", nil, nil); err != nil {
		t.Fatal(err)
	}
	if ts.refreshes.Load() != 1 {
		t.Errorf("refreshed %d times, want 1", ts.refreshes.Load())
	}
}

func TestClientTokenOnlyInHeader(t *testing.T) {
	const secret = "s3cret-token-value"
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.String(), r.Header.Get("Authorization"))
		status(500, `{"detail":"no"}`)(w, r)
	}))
	defer srv.Close()
	_, err := testClient(t, srv.URL, StaticToken(secret)).Get(context.Background(), "/v2/x", url.Values{"a": {"b"}}, nil)
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("error %v: want an error without the token", err)
	}
	for i := 0; i < len(seen); i += 2 {
		if strings.Contains(seen[i], secret) {
			t.Errorf("token in URL %s", seen[i])
		}
		if seen[i+1] != "Bearer "+secret {
			t.Errorf("Authorization = %q", seen[i+1])
		}
	}
}

func TestClientTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		status(200, okBody)(w, r)
	}))
	defer srv.Close()
	c, _ := NewClient(ClientOptions{BaseURL: srv.URL, Tokens: StaticToken("t"), Timeout: 100 * time.Millisecond,
		Retry: &Retry{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond}})
	if _, err := c.Get(context.Background(), "/p", nil, nil); err != nil {
		t.Fatalf("a slow answer should be retried: %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	got := RedactURL("https://user:pw@api.example.com/v1/sleep?start=2020-01-01&access_token=abc&code=xyz")
	for _, secret := range []string{"pw", "abc", "xyz"} {
		if strings.Contains(got, secret) {
			t.Errorf("RedactURL left %q in %s", secret, got)
		}
	}
	if !strings.Contains(got, "start=2020-01-01") {
		t.Errorf("RedactURL dropped harmless parameters: %s", got)
	}
}

func TestNewClientRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://", "https://u:p@x.com", "https://x.com/?access_token=1", "::"} {
		if _, err := NewClient(ClientOptions{BaseURL: u, Tokens: StaticToken("t")}); err == nil {
			t.Errorf("NewClient(%q) accepted it", u)
		}
	}
}
