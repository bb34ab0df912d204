package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const testToken = "verify-me-0123456789"

// recorder is an Accept function that keeps what it was given.
type recorder struct {
	mu     sync.Mutex
	events []Event
	bodies [][]byte
	err    error
}

func (r *recorder) accept(_ context.Context, e Event, body []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.events = append(r.events, e)
	r.bodies = append(r.bodies, append([]byte(nil), body...))
	return nil
}

func (r *recorder) snapshot() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// newHandler returns a Handler at testNow, the recorder it hands events
// to, and the buffer its log goes to.
func newHandler() (*Handler, *recorder, *bytes.Buffer) {
	rec := &recorder{}
	var logs bytes.Buffer
	h := &Handler{Secret: testSecret, VerificationToken: testToken, Now: func() time.Time { return testNow },
		Accept: rec.accept, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	return h, rec, &logs
}

func post(h http.Handler, ts, sig, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/oura/webhook", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if ts != "" {
		r.Header.Set(HeaderTimestamp, ts)
	}
	if sig != "" {
		r.Header.Set(HeaderSignature, sig)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerChallenge(t *testing.T) {
	h, _, logs := newHandler()
	for _, tc := range []struct {
		name   string
		query  url.Values
		status int
		body   string
	}{
		{"right token", url.Values{"verification_token": {testToken}, "challenge": {"c-123"}}, 200, `{"challenge":"c-123"}`},
		{"challenge with JSON in it", url.Values{"verification_token": {testToken}, "challenge": {`a"b`}}, 200, `{"challenge":"a\"b"}`},
		{"wrong token", url.Values{"verification_token": {"guess"}, "challenge": {"c-123"}}, 401, ""},
		{"token one longer", url.Values{"verification_token": {testToken + "x"}, "challenge": {"c-123"}}, 401, ""},
		{"no token", url.Values{"challenge": {"c-123"}}, 401, ""},
		{"no challenge", url.Values{"verification_token": {testToken}}, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/oura/webhook?"+tc.query.Encode(), nil))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if tc.body != "" && w.Body.String() != tc.body {
				t.Errorf("body %s, want %s", w.Body, tc.body)
			}
			if tc.status != 200 && strings.Contains(w.Body.String(), "c-123") {
				t.Errorf("a refused challenge was echoed: %s", w.Body)
			}
		})
	}
	if strings.Contains(logs.String(), testToken) || strings.Contains(logs.String(), "guess") {
		t.Errorf("the log holds a verification token:\n%s", logs)
	}
	// The zero Handler verifies nothing.
	w := httptest.NewRecorder()
	(&Handler{}).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?verification_token=&challenge=c", nil))
	if w.Code != 401 {
		t.Errorf("zero Handler: status %d, want 401", w.Code)
	}
}

func TestHandlerEvent(t *testing.T) {
	stale := "1764874000" // 800 s before testNow
	for _, tc := range []struct {
		name, ts, sig, body string
		status              int
		accepted            int
	}{
		{"signed", testTS, testSig, testBody, 204, 1},
		{"lower-case signature", testTS, strings.ToLower(testSig), testBody, 204, 1},
		{"forged signature", testTS, Sign("not-the-secret", testTS, []byte(testBody)), testBody, 401, 0},
		{"no signature", testTS, "", testBody, 401, 0},
		{"no timestamp", "", testSig, testBody, 401, 0},
		{"body changed", testTS, testSig, strings.Replace(testBody, "8f2b", "8f2c", 1), 401, 0},
		{"replayed old timestamp", stale, Sign(testSecret, stale, []byte(testBody)), testBody, 401, 0},
		{"signed, not an event", testTS, Sign(testSecret, testTS, []byte(`{"a":1}`)), `{"a":1}`, 400, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, rec, logs := newHandler()
			w := post(h, tc.ts, tc.sig, tc.body)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tc.status, w.Body)
			}
			if rec.count() != tc.accepted {
				t.Fatalf("Accept called %d times, want %d", rec.count(), tc.accepted)
			}
			if tc.accepted == 1 && string(rec.bodies[0]) != tc.body {
				t.Errorf("Accept got body %s, want the raw body %s", rec.bodies[0], tc.body)
			}
			for _, s := range []string{testSecret, testSig, strings.ToLower(testSig), tc.sig} {
				if s != "" && strings.Contains(logs.String(), s) {
					t.Errorf("the log holds a secret or signature:\n%s", logs)
				}
			}
			if tc.status == 401 && !strings.Contains(logs.String(), "status=401") {
				t.Errorf("a refusal was not logged:\n%s", logs)
			}
		})
	}
}

func TestHandlerReplay(t *testing.T) {
	h, rec, _ := newHandler()
	for i := range 3 {
		if w := post(h, testTS, testSig, testBody); w.Code != 204 {
			t.Fatalf("delivery %d: status %d", i, w.Code)
		}
	}
	if rec.count() != 1 {
		t.Errorf("an accepted delivery sent 3 times reached Accept %d times, want 1", rec.count())
	}
	// A new delivery of the same event (a new timestamp) is new.
	ts := "1764874830"
	if w := post(h, ts, Sign(testSecret, ts, []byte(testBody)), testBody); w.Code != 204 || rec.count() != 2 {
		t.Errorf("a new delivery: status %d, Accept called %d times, want 204 and 2", w.Code, rec.count())
	}
}

func TestHandlerAcceptFails(t *testing.T) {
	h, rec, logs := newHandler()
	rec.err = errors.New("disk full")
	if w := post(h, testTS, testSig, testBody); w.Code != 503 {
		t.Fatalf("Accept failing: status %d, want 503", w.Code)
	}
	if !strings.Contains(logs.String(), "disk full") {
		t.Errorf("the failure was not logged:\n%s", logs)
	}
	// Oura sends it again; now it is kept (a failed delivery is not
	// taken for a replay).
	rec.err = nil
	if w := post(h, testTS, testSig, testBody); w.Code != 204 || rec.count() != 1 {
		t.Errorf("the retry: status %d, Accept %d times; want 204, 1", w.Code, rec.count())
	}
}

func TestHandlerOther(t *testing.T) {
	h, rec, _ := newHandler()
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(m, "/oura/webhook", strings.NewReader(testBody)))
		if w.Code != 405 || w.Header().Get("Allow") != "GET, POST" {
			t.Errorf("%s: status %d, Allow %q; want 405 and GET, POST", m, w.Code, w.Header().Get("Allow"))
		}
	}
	big := strings.Repeat(" ", MaxEventBody) + testBody
	if w := post(h, testTS, Sign(testSecret, testTS, []byte(big)), big); w.Code != 413 {
		t.Errorf("a body over MaxEventBody: status %d, want 413", w.Code)
	}
	if rec.count() != 0 {
		t.Errorf("Accept was called %d times", rec.count())
	}
}

// TestHandlerOverHTTP checks the handler behind a real server: the raw
// body as sent reaches the signature check.
func TestHandlerOverHTTP(t *testing.T) {
	h, rec, _ := newHandler()
	h.Now = time.Now
	srv := httptest.NewServer(h)
	defer srv.Close()
	ts := time.Now().Unix()
	tss := itoa(ts)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hook", strings.NewReader(testBody))
	req.Header.Set(HeaderTimestamp, tss)
	req.Header.Set(HeaderSignature, Sign(testSecret, tss, []byte(testBody)))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 204 || rec.count() != 1 {
		t.Fatalf("status %d, accepted %d; want 204, 1", resp.StatusCode, rec.count())
	}
}
