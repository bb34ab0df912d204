package oura

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func listCheck(b []byte) error {
	if !bytes.HasPrefix(b, []byte(`{"data"`)) {
		return errors.New("not a list response")
	}
	return nil
}

// TestClientNotAPI: a server whose first answers are 200s that are not the
// API's (HTML, text, JSON of another shape) is given up on after two quick
// re-asks, with what answered; once the server has answered like the API,
// the same answers are faults and retried.
func TestClientNotAPI(t *testing.T) {
	page := func(ctype, body string) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			fmt.Fprint(w, body)
		}
	}
	portal := page("text/html; charset=utf-8", "<!DOCTYPE html>\n<html><title>Wi-Fi login</title>\x1b[31m</html>")
	for _, tc := range []struct {
		name   string
		answer func(http.ResponseWriter, *http.Request)
		want   []string
	}{
		{"html", portal, []string{"text/html", `"<!DOCTYPE html>\n<html><title>Wi-Fi login</title>\x1b[31m</html>"`, "/v2/usercollection/sleep is not the Oura API"}},
		{"text", page("text/plain", "OK"), []string{"text/plain", `"OK"`}},
		{"json of another shape", page("application/json", `{"status":"ok"}`), []string{"application/json", "not a list response", `"{\"status\":\"ok\"}"`}},
		{"no content type", page("", "hello"), []string{"no content type"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := serve(t, script{tc.answer})
			c := testClient(t, srv.URL, StaticToken("tok"))
			c.reask = time.Millisecond
			_, err := c.Get(context.Background(), "/v2/usercollection/sleep", nil, listCheck)
			var ne *NotAPIError
			if !errors.As(err, &ne) || !errors.Is(err, ErrNotAPI) {
				t.Fatalf("got %v, want a *NotAPIError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %s", err, w)
				}
			}
			if strings.ContainsAny(err.Error(), "\n\x1b") {
				t.Errorf("the message is not one line of plain text: %q", err)
			}
			if got, want := n.Load(), int64(1+untrustedReasks); got != want {
				t.Errorf("%d requests, want %d", got, want)
			}
		})
	}

	t.Run("garbled after a good answer", func(t *testing.T) {
		srv, n := serve(t, script{status(200, okBody), portal, portal, portal, status(200, okBody)})
		c := testClient(t, srv.URL, StaticToken("tok"))
		for i := range 2 {
			if _, err := c.Get(context.Background(), "/v2/usercollection/sleep", nil, listCheck); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		if got := n.Load(); got != 5 {
			t.Errorf("%d requests, want 5", got)
		}
	})
	t.Run("a fault among the first answers", func(t *testing.T) {
		srv, _ := serve(t, script{portal, status(200, okBody)})
		c := testClient(t, srv.URL, StaticToken("tok"))
		if _, err := c.Get(context.Background(), "/v2/usercollection/sleep", nil, listCheck); err != nil {
			t.Fatal(err)
		}
	})
}

// TestClientRedirects: a redirect within the server is followed with the
// token; one to another server (another port of the same host: Go's own
// policy would send the token there) is refused at once, and the other
// server never sees the token.
func TestClientRedirects(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			elsewhere.Add(1)
		}
		status(200, okBody)(w, r)
	}))
	defer other.Close()
	var asked atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/v2/here", http.StatusFound)
		case "/v2/here":
			if r.Header.Get("Authorization") != "Bearer tok" {
				status(401, `{"detail":"no token"}`)(w, r)
				return
			}
			status(200, okBody)(w, r)
		default:
			http.Redirect(w, r, other.URL+"/v2/there?start_date=2024-01-01", http.StatusTemporaryRedirect)
		}
	}))
	defer api.Close()
	c := testClient(t, api.URL, StaticToken("tok"))
	if _, err := c.Get(context.Background(), "/moved", nil, listCheck); err != nil {
		t.Fatalf("a redirect within the server: %v", err)
	}
	asked.Store(0)
	_, err := c.Get(context.Background(), "/away", nil, listCheck)
	var re *RedirectError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), other.URL+"/v2/there") || strings.Contains(err.Error(), "start_date") {
		t.Fatalf("a redirect to another server: got %v", err)
	}
	if asked.Load() != 1 {
		t.Errorf("the refused redirect was asked %d times, want 1", asked.Load())
	}
	if elsewhere.Load() != 0 {
		t.Errorf("the other server received the token %d times", elsewhere.Load())
	}

	for _, tc := range []struct {
		base, to string
		same     bool
	}{
		{"http://127.0.0.1:8765", "http://127.0.0.1:8765/x", true},
		{"http://127.0.0.1:8765", "http://127.0.0.1:9000/x", false},
		{"https://api.ouraring.com", "https://API.ouraring.com:443/x", true},
		{"https://api.ouraring.com", "https://evil.api.ouraring.com/x", false},
		{"https://api.ouraring.com", "http://api.ouraring.com/x", false},
		{"http://api.ouraring.com", "https://api.ouraring.com/x", true},
		{"https://api.ouraring.com", "https://ouraring.com/x", false},
	} {
		c := testClient(t, tc.base, StaticToken("t"))
		req, _ := http.NewRequest(http.MethodGet, tc.to, nil)
		req.Header.Set("Authorization", "Bearer t")
		err := c.checkRedirect(req, []*http.Request{{}})
		if got := err == nil; got != tc.same {
			t.Errorf("redirect from %s to %s followed: %v, want %v", tc.base, tc.to, got, tc.same)
		}
		if err != nil && req.Header.Get("Authorization") != "" {
			t.Errorf("redirect from %s to %s kept the Authorization header", tc.base, tc.to)
		}
	}
}

// TestClientBodyLimit: a body larger than the limit once decompressed (a
// gzip bomb, an endless body) is cut off there with ErrTooLarge, at once
// and without asking again.
func TestClientBodyLimit(t *testing.T) {
	const limit = 1 << 20
	endless := func(gz bool) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			var out interface {
				Write([]byte) (int, error)
			} = w
			if gz {
				w.Header().Set("Content-Encoding", "gzip")
				z := gzip.NewWriter(w)
				defer z.Close()
				out = z
			}
			out.Write([]byte(`{"data":[`))
			chunk := bytes.Repeat([]byte(" "), 64<<10)
			for range 1 << 14 { // up to 1 GiB, until the client hangs up
				if _, err := out.Write(chunk); err != nil {
					return
				}
			}
		}
	}
	for _, gz := range []bool{true, false} {
		t.Run(fmt.Sprintf("gzip=%v", gz), func(t *testing.T) {
			srv, n := serve(t, script{endless(gz)})
			c, err := NewClient(ClientOptions{BaseURL: srv.URL, Tokens: StaticToken("t"), MaxBody: limit,
				Retry: &Retry{Attempts: 4, Base: time.Millisecond, Max: time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Get(context.Background(), "/v2/usercollection/heartrate", nil, listCheck)
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1 MiB") {
				t.Fatalf("got %v, want ErrTooLarge at 1 MiB", err)
			}
			if n.Load() != 1 {
				t.Errorf("%d requests, want 1", n.Load())
			}
			if got := c.Stats().Bytes.Load(); got > limit+1 {
				t.Errorf("read %d bytes, more than the limit", got)
			}
		})
	}
}

// FuzzNotAPIError: whatever a wrong server sends (content type, body), the
// message is one line of valid UTF-8 without control characters.
func FuzzNotAPIError(f *testing.F) {
	f.Add("text/html", []byte("<!DOCTYPE html>\n<title>x</title>"), "not JSON")
	f.Add("text/plain\x1b[31m", []byte("\x1b]0;pwned\x07\xff\xfe"), "bad\nreason")
	f.Fuzz(func(t *testing.T, ctype string, body []byte, reason string) {
		msg := (&NotAPIError{URL: "http://127.0.0.1:1/v2/x", Status: 200, ContentType: ctype, Head: head(body), Reason: reason}).Error()
		if !utf8.ValidString(msg) {
			t.Fatalf("not UTF-8: %q", msg)
		}
		for _, r := range msg {
			if unicode.IsControl(r) {
				t.Fatalf("control character %U in %q", r, msg)
			}
		}
	})
}
