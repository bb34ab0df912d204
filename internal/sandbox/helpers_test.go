package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// The tests use a fixed history so they never depend on today's date.
var (
	testSince = dateFromCivil(2024, 1, 1)
	testUntil = dateFromCivil(2024, 3, 31)
)

// newTestServer starts a sandbox over loopback HTTP with the test history
// unless opts says otherwise.
func newTestServer(t testing.TB, opts Options) (*Server, string) {
	t.Helper()
	if opts.Since == 0 {
		opts.Since = testSince
	}
	if opts.Until == 0 {
		opts.Until = testUntil
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs.URL
}

// response is a response read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

// get sends a GET with user n's static token (n = 0: no token).
func get(t testing.TB, base, path string, user int) response {
	t.Helper()
	return do(t, http.MethodGet, base+path, user, nil)
}

func do(t testing.TB, method, rawURL string, user int, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatalf("request %s: %v", rawURL, err)
	}
	if user > 0 {
		req.Header.Set("Authorization", "Bearer sandbox-token-"+itoa(user))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", rawURL, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	return append(b, []byte(json.Number(jsonInt(n)))...)
}

func jsonInt(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// page is a list envelope.
type page struct {
	Data      []json.RawMessage `json:"data"`
	NextToken *string           `json:"next_token"`
}

func decodePage(t testing.TB, r response) page {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var p page
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("decode page: %v: %.200s", err, r.body)
	}
	return p
}

// walk follows next_token from path and returns every document.
func walk(t testing.TB, base, path string, user int) []json.RawMessage {
	t.Helper()
	var all []json.RawMessage
	next := ""
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatalf("walk %s: too many pages", path)
		}
		p := path
		if next != "" {
			p += "&next_token=" + url.QueryEscape(next)
		}
		pg := decodePage(t, get(t, base, p, user))
		all = append(all, pg.Data...)
		if pg.NextToken == nil {
			return all
		}
		next = *pg.NextToken
	}
}

// decodeDetail returns the "detail" string of a v2 error body.
func decodeDetail(t testing.TB, b []byte) string {
	t.Helper()
	var v struct {
		Detail any `json:"detail"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode error body: %v: %s", err, b)
	}
	s, _ := v.Detail.(string)
	return s
}

// decodeNumbers decodes JSON keeping numbers as json.Number.
func decodeNumbers(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}
