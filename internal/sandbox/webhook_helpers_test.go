package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a webhook callback on loopback: it answers the verification
// challenge for its token and records every event, checking its signature
// independently of the code under test.
type receiver struct {
	t     testing.TB
	token string
	srv   *httptest.Server

	mu       sync.Mutex
	events   []gotEvent
	posts    int              // every POST, whatever the answer
	answer   func(n int) int  // the status for the nth POST (1-based); nil: 200
	stall    func(n int) bool // hold the nth POST until the request ends
	badSigs  int
	verifies int
	// challenge, when set, replaces the challenge the receiver echoes.
	challenge string
}

// gotEvent is one event the receiver accepted.
type gotEvent struct {
	Raw       []byte
	Timestamp string
	Event     struct {
		EventType string `json:"event_type"`
		DataType  string `json:"data_type"`
		ObjectID  string `json:"object_id"`
		EventTime string `json:"event_time"`
		UserID    string `json:"user_id"`
	}
}

func newReceiver(t testing.TB, token string) *receiver {
	rc := &receiver{t: t, token: token}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) url() string { return rc.srv.URL + "/hook" }

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		rc.mu.Lock()
		rc.verifies++
		ch := q.Get("challenge")
		if rc.challenge != "" {
			ch = rc.challenge
		}
		rc.mu.Unlock()
		if q.Get("verification_token") != rc.token {
			http.Error(w, "wrong token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": ch})
	case http.MethodPost:
		body, _ := io.ReadAll(r.Body)
		ts, sig := r.Header.Get("x-oura-timestamp"), r.Header.Get("x-oura-signature")
		mac := hmac.New(sha256.New, []byte(ClientSecret))
		mac.Write([]byte(ts))
		mac.Write(body)
		want := strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))
		rc.mu.Lock()
		rc.posts++
		n := rc.posts
		answer, stall := rc.answer, rc.stall
		rc.mu.Unlock()
		if stall != nil && stall(n) {
			<-r.Context().Done()
			return
		}
		status := http.StatusOK
		if answer != nil {
			status = answer(n)
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if !hmac.Equal([]byte(sig), []byte(want)) {
			rc.badSigs++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if status/100 == 2 {
			var e gotEvent
			e.Raw, e.Timestamp = body, ts
			if err := json.Unmarshal(body, &e.Event); err != nil {
				rc.t.Errorf("event body %q: %v", body, err)
			}
			rc.events = append(rc.events, e)
		}
		w.WriteHeader(status)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (rc *receiver) got() []gotEvent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]gotEvent(nil), rc.events...)
}

// hookReq sends a subscription request with the app credentials (creds
// false: none).
func hookReq(t testing.TB, base, method, path string, body any, creds bool) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+"/v2/webhook/subscription"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if creds {
		req.Header.Set("x-client-id", ClientID)
		req.Header.Set("x-client-secret", ClientSecret)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// subscribe creates a subscription and returns its model.
func subscribe(t testing.TB, base, callback, token, eventType, dataType string) wireModel {
	t.Helper()
	r := hookReq(t, base, http.MethodPost, "", map[string]string{"callback_url": callback,
		"verification_token": token, "event_type": eventType, "data_type": dataType}, true)
	if r.status != http.StatusCreated {
		t.Fatalf("subscribe %s/%s: %d %s", eventType, dataType, r.status, r.body)
	}
	var m wireModel
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// subscribeAll subscribes callback to every data type for the event types.
func subscribeAll(t testing.TB, base, callback, token string, eventTypes ...string) {
	t.Helper()
	for _, et := range eventTypes {
		for _, dt := range webhookDataTypes {
			subscribe(t, base, callback, token, et, dt)
		}
	}
}

// hookServer is newTestServer with fast webhooks, closed at the end.
func hookServer(t testing.TB, opts Options) (*Server, string) {
	t.Helper()
	if opts.WebhookDelay == 0 {
		opts.WebhookDelay = time.Millisecond
	}
	if opts.WebhookRetryBase == 0 {
		opts.WebhookRetryBase = time.Millisecond
	}
	if opts.WebhookTimeout == 0 {
		opts.WebhookTimeout = 5 * time.Second
	}
	s, base := newTestServer(t, opts)
	t.Cleanup(func() { _ = s.Close() })
	return s, base
}

// settle waits until the sandbox has no delivery pending.
func settle(t testing.TB, s *Server) WebhookStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitWebhooks(ctx); err != nil {
		t.Fatalf("deliveries still pending: %+v", s.Webhooks())
	}
	return s.Webhooks()
}

// byOp groups changes' or events' object ids by event type.
func eventIDs(evs []gotEvent) map[string][]string {
	out := map[string][]string{}
	for _, e := range evs {
		out[e.Event.EventType] = append(out[e.Event.EventType], e.Event.DataType+"/"+e.Event.ObjectID)
	}
	return out
}

func changeIDs(cs []Change) map[string][]string {
	out := map[string][]string{}
	for _, c := range cs {
		out[c.Op] = append(out[c.Op], c.DataType+"/"+c.ID)
	}
	return out
}
