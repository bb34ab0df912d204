package oura

import (
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzErrorDetail feeds arbitrary error bodies to the API error parser. The
// detail it keeps, and the *APIError's message, are one line of valid
// UTF-8 at most 203 bytes long; and the error classifies 401 and 403.
func FuzzErrorDetail(f *testing.F) {
	for _, s := range []string{
		`{"detail": "Invalid date range"}`,
		`{"detail": [{"loc": ["query", "start_date"], "msg": "invalid date", "type": "value_error"}, {"msg": "second"}]}`,
		`{"type": "about:blank", "title": "Not Found", "status": 404}`,
		`{"error": "invalid_token", "error_description": "The access token expired\nplease refresh"}`,
		`{"message": "Too Many Requests"}`,
		`<html><body>502 Bad Gateway</body></html>`,
		`{"detail": "` + strings.Repeat("é", 150) + `"}`,
		`{"detail": {"nested": true}, "title": "fallback"}`,
		"{\"detail\": \"a\\u2028b\\tc\\u0000d\"}",
		"\xff\xfe{}", ``, `null`, `[]`,
	} {
		f.Add(uint16(400), []byte(s))
	}
	f.Add(uint16(401), []byte(`{"detail":"Unauthorized"}`))
	f.Add(uint16(403), []byte(`{"detail":"Forbidden"}`))
	f.Fuzz(func(t *testing.T, status uint16, body []byte) {
		e := apiError("/v2/usercollection/sleep", int(status), body)
		for what, s := range map[string]string{"detail": e.Detail, "message": e.Error()} {
			if strings.ContainsFunc(e.Detail, unicode.IsControl) || strings.ContainsAny(s, "\r\n") || !utf8.ValidString(s) {
				t.Fatalf("%s %q is not one line of UTF-8", what, s)
			}
		}
		if len(e.Detail) > 203 {
			t.Fatalf("detail of %d bytes", len(e.Detail))
		}
		if errors.Is(e, ErrUnauthorized) != (status == http.StatusUnauthorized) || errors.Is(e, ErrForbidden) != (status == http.StatusForbidden) {
			t.Fatalf("HTTP %d classified as unauthorized %v, forbidden %v", status, errors.Is(e, ErrUnauthorized), errors.Is(e, ErrForbidden))
		}
	})
}

// FuzzLimiterObserve feeds arbitrary X-RateLimit-* headers to a limiter.
// Whatever the server sends, the limiter keeps its own budget, adds only a
// positive budget of at most a day's window, and a Remaining: 0 pauses it
// for at most an hour.
func FuzzLimiterObserve(f *testing.F) {
	for _, s := range [][4]string{
		{"5000", "300", "10", "1700000000"},
		{"100", "60", "0", "1700000030"},
		{"1", "86400", "0", "1700003600"},
		{"0", "0", "-1", "-1"},
		{"10", "9223372036", "", ""},
		{"2147483647", "1", "0", "99999999999999999"},
		{" 5", "6 ", "0x1", "1e3"},
	} {
		f.Add(uint16(5000), s[0], s[1], s[2], s[3])
	}
	now := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, ours uint16, limit, window, remaining, reset string) {
		l := NewLimiter(int(ours)+1, 5*time.Minute)
		l.now = func() time.Time { return now }
		rate := float64(l.limit) / l.window.Seconds()
		h := http.Header{}
		h.Set("X-RateLimit-Limit", limit)
		h.Set("X-RateLimit-Window", window)
		h.Set("X-RateLimit-Remaining", remaining)
		h.Set("X-RateLimit-Reset", reset)
		l.Observe(h)
		if l.limit <= 0 || l.window <= 0 {
			t.Fatalf("headers %q: limit %d per %v", []string{limit, window, remaining, reset}, l.limit, l.window)
		}
		if r := float64(l.limit) / l.window.Seconds(); r > rate*(1+1e-9) || math.IsNaN(r) {
			t.Fatalf("headers %q loosened the budget from %g to %g requests a second", []string{limit, window}, rate, r)
		}
		if l.slimit < 0 || l.swindow < 0 || l.swindow > 24*time.Hour || (l.slimit > 0) != (l.swindow > 0) {
			t.Fatalf("headers %q: server budget %d per %v", []string{limit, window}, l.slimit, l.swindow)
		}
		if l.pause.After(now.Add(time.Hour)) {
			t.Fatalf("headers %q pause until %v", []string{remaining, reset}, l.pause)
		}
	})
}
