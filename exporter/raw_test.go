package exporter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/oura"
)

// TestSettleRaw checks how a raw collection's shape is settled against
// routes of each kind: by date (the guess), a time series that refuses
// dates, one that ignores them, a route that ignores every parameter, a
// bare document, and routes the login may not read or the server lacks.
func TestSettleRaw(t *testing.T) {
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	old := `{"data":[{"id":"x","day":"2019-01-01"}],"next_token":null}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		w.Header().Set("Content-Type", "application/json")
		answer := func(status int, body string) { w.WriteHeader(status); fmt.Fprint(w, body) }
		switch r.URL.Path {
		case "/v2/usercollection/by_date":
			answer(200, `{"data":[{"id":"a","start_day":"`+q.Get("start_date")+`","v":1}],"next_token":null}`)
		case "/v2/usercollection/series":
			if q.Has("start_date") {
				answer(422, `{"detail":[{"msg":"field required: start_datetime"}]}`)
				return
			}
			answer(200, `{"data":[{"timestamp":"`+q.Get("start_datetime")+`","v":2}]}`)
		case "/v2/usercollection/series_ignoring_dates":
			if q.Has("start_datetime") {
				answer(200, `{"data":[{"timestamp":"`+q.Get("start_datetime")+`","v":2}],"next_token":null}`)
				return
			}
			answer(200, `{"data":[{"timestamp":"2020-01-01T00:00:00+00:00","v":2}],"next_token":null}`)
		case "/v2/usercollection/whole":
			answer(200, old)
		case "/v2/usercollection/bare":
			if len(q) > 0 {
				answer(400, `{"detail":"no parameters here"}`)
				return
			}
			answer(200, `{"id":"me","value":3}`)
		case "/v2/usercollection/forbidden":
			answer(403, `{"detail":"Access forbidden."}`)
		default:
			answer(404, `{"detail":"Not Found"}`)
		}
	}))
	defer srv.Close()
	client, err := oura.NewClient(oura.ClientOptions{BaseURL: srv.URL, Tokens: oura.StaticToken("t"),
		Retry: &oura.Retry{Attempts: 2, MaxRateLimited: 2, Base: time.Millisecond, Max: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fetcher{o: FetchOptions{Client: client}, now: now}
	cases := []struct {
		name   string
		kind   Kind
		key    string
		id     string
		status int // of the error, 0 for none
	}{
		{"by_date", ByDate, "start_day", "id", 0},
		{"series", ByInstant, "timestamp", "", 0},
		{"series_ignoring_dates", ByInstant, "timestamp", "", 0},
		{"whole", Paged, "", "id", 0},
		{"bare", Single, "", "id", 0},
		{"forbidden", 0, "", "", 403},
		{"missing", 0, "", "", 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := RawCollection(c.name)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.settleRaw(context.Background(), raw)
			if c.status != 0 {
				var ae *oura.APIError
				if !errors.As(err, &ae) || ae.Status != c.status || got != nil {
					t.Fatalf("settled %v, error %v; want HTTP %d", got, err, c.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got == raw || raw.Kind != ByDate || raw.Key != "day" {
				t.Error("settleRaw changed the caller's collection")
			}
			if got.Kind != c.kind || got.Key != c.key || got.ID != c.id || !got.Raw {
				t.Errorf("settled kind %d key %q id %q, want %d %q %q", got.Kind, got.Key, got.ID, c.kind, c.key, c.id)
			}
			// The shape the store remembers gives the same collection back.
			again, err := withShape(c.name, got.shape())
			if err != nil || again.Kind != got.Kind || again.Key != got.Key || again.ID != got.ID || again.MaxWindow != got.MaxWindow {
				t.Errorf("withShape: %+v, %v", again, err)
			}
		})
	}
	for _, bad := range []string{"", "1x", "a/b", "../x", "x y", string(make([]byte, 65))} {
		if _, err := RawCollection(bad); err == nil {
			t.Errorf("RawCollection(%q) accepted the name", bad)
		}
	}
}
