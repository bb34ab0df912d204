package sandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

var (
	fuzzOnce   sync.Once
	fuzzServer *Server
)

// FuzzRequest sends arbitrary paths, queries and tokens through ServeHTTP:
// the server must answer every one with a well-formed response and never
// panic. CI runs the seed corpus.
func FuzzRequest(f *testing.F) {
	seeds := []struct{ method, target, auth string }{
		{"GET", "/v2/usercollection/sleep?start_date=2024-03-01&end_date=2024-03-03", "Bearer sandbox-token-1"},
		{"GET", "/v2/usercollection/heartrate?start_datetime=2024-03-01T00:00:00%2B02:00&end_datetime=2024-03-01T02:00:00Z&fields=bpm", "Bearer sandbox-token-2"},
		{"GET", "/v2/usercollection/ring_battery_level?latest=true", "Bearer sandbox-token-1"},
		{"GET", "/v2/sandbox/usercollection/daily_activity?start_date=1&end_date=2", "Bearer sandbox-token-1"},
		{"GET", "/v2/usercollection/daily_activity/not-existing", "Bearer sandbox-token-1"},
		{"GET", "/v2/usercollection/tag?next_token=AQQEAAAAAAAAAAAAAAAA", "Bearer sandbox-token-1"},
		{"GET", "/v2/usercollection/sleep?start_date=2024-03-01T00:00:00 02:00", "Bearer sandbox-token-1"},
		{"GET", "/v1/sleep?start=2024-03-01&end=2024-03-02&access_token=sandbox-token-3", ""},
		{"GET", "/v1/activity?start=9999-12-31", "Bearer sandbox-token-1"},
		{"GET", "/oauth/authorize?client_id=sandbox-client&redirect_uri=http://x/&response_type=code&scope=%00", ""},
		{"POST", "/oauth/token?grant_type=refresh_token&refresh_token=x", ""},
		{"POST", "/_sandbox/revise?user=1&day=2024-03-01", ""},
		{"DELETE", "/v2/usercollection/personal_info", "Bearer sandbox-token-1"},
		{"GET", "/v2/usercollection/sleep?start_date=-99999999999999&end_date=1e300", "Bearer sandbox-token-1"},
		{"GET", "/v2/usercollection/workout?start_date=2024-03-01&end_date=2024-03-02&fields=" + strings.Repeat("a,", 100), "bearer sandbox-token-1"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.auth)
	}
	f.Fuzz(func(t *testing.T, method, target, auth string) {
		fuzzOnce.Do(func() {
			s, err := New(Options{Since: testSince, Until: testUntil, RateLimit: -1})
			if err != nil {
				t.Fatal(err)
			}
			fuzzServer = s
		})
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		req, err := http.NewRequest(method, "http://sandbox"+target, nil)
		if err != nil {
			return // not a request a client could send
		}
		if auth != "" && !strings.ContainsAny(auth, "\r\n") {
			req.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		fuzzServer.ServeHTTP(w, req)
		if w.Code < 200 || w.Code > 599 {
			t.Fatalf("status %d", w.Code)
		}
		if w.Code == 500 {
			t.Fatalf("internal error for %s %s: %s", method, target, w.Body)
		}
		if ct := w.Header().Get("Content-Type"); ct == ctypeJSON && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("invalid JSON for %s %s: %.300s", method, target, w.Body)
		}
	})
}

// FuzzQueryValues fuzzes the date, instant and boolean parsers.
func FuzzQueryValues(f *testing.F) {
	for _, s := range []string{"2024-03-01", "2024-03-01T10:00:00+02:00", "2024-03-01 10:00", "1", "1.5e3", "-1", "2024-03-01T10:00:00.123456789Z",
		"2024-03-01T25:00:00", "2024-02-30", "nan", "0x10", "2024-03-01T10:00:00+2", "true", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, why := parseDateParam(s); why == "" && (d < -1e9 || d > 1e9) {
			t.Fatalf("parseDateParam(%q) = %d", s, d)
		}
		_, _ = parseInstantParam(s)
		_, _ = parseBool(s)
		if tm, why := parseISO(s); why == "" {
			if tm.mo < 1 || tm.mo > 12 || tm.h > 23 || tm.mi > 59 || tm.s > 59 {
				t.Fatalf("parseISO(%q) = %+v", s, tm)
			}
		}
	})
}
