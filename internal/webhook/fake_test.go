package webhook

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI is a stand-in for the subscription routes as API-NOTES 2.4
// describes them (the sandbox's are tested in sandbox_test.go), with the
// recorded error bodies.
type fakeAPI struct {
	t     *testing.T
	mu    sync.Mutex
	subs  []wireSubscription
	n     int
	ttl   time.Duration
	naive bool // expiration_time without an offset
	// busy is how many more answers are 503.
	busy     int
	requests []string // "METHOD path"
	srv      *httptest.Server
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{t: t, ttl: 90 * 24 * time.Hour}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) client() *Client {
	return &Client{BaseURL: f.srv.URL, ClientID: "cid", ClientSecret: "csecret", HTTP: f.srv.Client()}
}

func (f *fakeAPI) expiry() string {
	t := time.Now().Add(f.ttl).UTC().Truncate(time.Second)
	if f.naive {
		return t.Format("2006-01-02T15:04:05.000000")
	}
	return t.Format(time.RFC3339)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func detailBody(msg string) map[string]any { return map[string]any{"detail": msg} }

func invalid(field, msg string) map[string]any {
	return map[string]any{"detail": []map[string]any{{"type": "enum", "loc": []string{"body", field}, "msg": msg}}}
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	if strings.Contains(r.URL.RawQuery, "csecret") {
		f.t.Errorf("the client secret is in a URL: %s", r.URL)
	}
	if f.busy > 0 {
		f.busy--
		f.mu.Unlock()
		w.Header().Set("Retry-After", "0")
		writeJSON(w, 503, detailBody("busy"))
		return
	}
	f.mu.Unlock()
	if r.Header.Get("x-client-id") != "cid" || subtle.ConstantTimeCompare([]byte(r.Header.Get("x-client-secret")), []byte("csecret")) != 1 {
		writeJSON(w, 403, detailBody("Forbidden"))
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v2/webhook/subscription")
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case rest == "" && r.Method == http.MethodGet:
		f.mu.Lock()
		subs := append([]wireSubscription{}, f.subs...)
		f.mu.Unlock()
		writeJSON(w, 200, subs)
	case rest == "" && r.Method == http.MethodPost:
		f.create(w, r)
	case strings.HasPrefix(rest, "/renew/") && r.Method == http.MethodPut:
		f.withSub(w, strings.TrimPrefix(rest, "/renew/"), func(s *wireSubscription) (int, any) {
			s.ExpirationTime = f.expiry()
			return 200, *s
		})
	case strings.HasPrefix(rest, "/") && r.Method == http.MethodGet:
		f.withSub(w, rest[1:], func(s *wireSubscription) (int, any) { return 200, *s })
	case strings.HasPrefix(rest, "/") && r.Method == http.MethodPut:
		var u UpdateRequest
		if json.NewDecoder(r.Body).Decode(&u) != nil || u.VerificationToken == "" {
			writeJSON(w, 422, invalid("verification_token", "Field required"))
			return
		}
		f.withSub(w, rest[1:], func(s *wireSubscription) (int, any) {
			if u.CallbackURL != "" {
				s.CallbackURL = u.CallbackURL
			}
			if u.EventType != "" {
				s.EventType = u.EventType
			}
			if u.DataType != "" {
				s.DataType = u.DataType
			}
			return 200, *s
		})
	case strings.HasPrefix(rest, "/") && r.Method == http.MethodDelete:
		id := rest[1:]
		f.mu.Lock()
		i := slices.IndexFunc(f.subs, func(s wireSubscription) bool { return s.ID == id })
		if i >= 0 {
			f.subs = slices.Delete(f.subs, i, i+1)
		}
		f.mu.Unlock()
		if i < 0 {
			writeJSON(w, 404, detailBody("No webhook id "+id+" found."))
			return
		}
		w.WriteHeader(204)
	default:
		writeJSON(w, 405, detailBody("Method Not Allowed"))
	}
}

func (f *fakeAPI) withSub(w http.ResponseWriter, id string, fn func(*wireSubscription) (int, any)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.subs {
		if f.subs[i].ID == id {
			status, v := fn(&f.subs[i])
			writeJSON(w, status, v)
			return
		}
	}
	writeJSON(w, 403, detailBody("Webhook with specified id does not exist."))
}

func (f *fakeAPI) create(w http.ResponseWriter, r *http.Request) {
	var c CreateRequest
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &c); err != nil || c.CallbackURL == "" || c.VerificationToken == "" {
		writeJSON(w, 422, invalid("callback_url", "Field required"))
		return
	}
	if !slices.Contains(EventTypes, c.EventType) {
		writeJSON(w, 422, invalid("event_type", "Invalid event_type value"))
		return
	}
	// Like Oura's servers of spec 1.37, it does not offer the optional
	// data types.
	if !slices.Contains(AllDataTypes(), c.DataType) || Optional(c.DataType) {
		writeJSON(w, 422, invalid("data_type", "Invalid data_type value"))
		return
	}
	// Oura's verification of the callback.
	q := url.Values{"verification_token": {c.VerificationToken}, "challenge": {"ch-" + c.DataType + c.EventType}}
	resp, err := http.Get(c.CallbackURL + "?" + q.Encode())
	var got struct{ Challenge string }
	if err == nil {
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
	}
	if err != nil || resp.StatusCode != 200 || got.Challenge != q.Get("challenge") {
		writeJSON(w, 422, detailBody("The callback URL failed verification."))
		return
	}
	f.mu.Lock()
	f.n++
	s := wireSubscription{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", f.n), CallbackURL: c.CallbackURL,
		EventType: c.EventType, DataType: c.DataType, ExpirationTime: f.expiry()}
	f.subs = append(f.subs, s)
	f.mu.Unlock()
	writeJSON(w, 201, s)
}

// callback serves a Handler with the test token and returns its URL.
func callback(t *testing.T, token string) string {
	srv := httptest.NewServer(&Handler{Secret: testSecret, VerificationToken: token, Accept: (&recorder{}).accept})
	t.Cleanup(srv.Close)
	return srv.URL + "/oura/webhook"
}
