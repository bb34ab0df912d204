package sandbox

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPagination: page size 1, tokens, walking all pages equals one big page.
func TestPagination(t *testing.T) {
	_, small := newTestServer(t, Options{PageSize: 1})
	_, big := newTestServer(t, Options{PageSize: 100000})
	_, series := newTestServer(t, Options{PageSize: 97})
	tests := []struct {
		name, path string
		base       string
	}{
		{"sleep", "/v2/usercollection/sleep?start_date=2024-03-01&end_date=2024-03-20", small},
		{"workout", "/v2/usercollection/workout?start_date=2024-02-01&end_date=2024-03-20", small},
		{"ring_configuration", "/v2/usercollection/ring_configuration?", small},
		{"mirror daily_stress", "/v2/sandbox/usercollection/daily_stress?start_date=2024-03-01&end_date=2024-03-10", small},
		{"heartrate", "/v2/usercollection/heartrate?start_datetime=2024-03-01T00:00:00%2B02:00&end_datetime=2024-03-04T00:00:00%2B02:00", series},
		{"ring_battery_level", "/v2/usercollection/ring_battery_level?start_datetime=2024-03-01T00:00:00Z&end_datetime=2024-03-05T00:00:00Z", series},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			paged := walk(t, tt.base, tt.path, 2)
			one := decodePage(t, get(t, big, tt.path, 2))
			if one.NextToken != nil {
				t.Fatalf("a big page has a next_token")
			}
			if len(paged) < 2 || !equalDocs(paged, one.Data) {
				t.Fatalf("walking %d pages gave %d documents, one page %d (or they differ)", len(paged), len(paged), len(one.Data))
			}
		})
	}
	t.Run("both keys on the last page", func(t *testing.T) {
		r := get(t, small, "/v2/usercollection/daily_sleep?start_date=2024-03-01&end_date=2024-03-01", 1)
		if !bytes.HasSuffix(r.body, []byte(`],"next_token":null}`)) {
			t.Errorf("last page %s", r.body)
		}
	})
}

// TestNextTokenIsBoundToTheQuery: a token only works with the query (and
// user) it was issued for, and a forged one is rejected.
func TestNextTokenIsBoundToTheQuery(t *testing.T) {
	_, base := newTestServer(t, Options{PageSize: 2})
	path := "/v2/usercollection/daily_sleep?start_date=2024-03-01&end_date=2024-03-10"
	pg := decodePage(t, get(t, base, path, 1))
	if pg.NextToken == nil {
		t.Fatal("no next_token")
	}
	tok := url.QueryEscape(*pg.NextToken)
	if strings.ContainsAny(*pg.NextToken, "+/=") {
		t.Errorf("token %q is not URL-safe", *pg.NextToken)
	}
	tests := []struct {
		name, path string
		user, want int
	}{
		{"same query", path + "&next_token=" + tok, 1, 200},
		{"other start", strings.Replace(path, "03-01", "03-02", 1) + "&next_token=" + tok, 1, 400},
		{"other collection", strings.Replace(path, "daily_sleep", "daily_readiness", 1) + "&next_token=" + tok, 1, 400},
		{"other user", path + "&next_token=" + tok, 2, 400},
		{"mirror", strings.Replace(path, "/v2/usercollection/", "/v2/sandbox/usercollection/", 1) + "&next_token=" + tok, 1, 400},
		{"forged", path + "&next_token=AQQEAAAAAAAAAAAAAAAA", 1, 400},
		{"garbage", path + "&next_token=%25%25%25", 1, 400},
		{"empty means none", path + "&next_token=", 1, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, base, tt.path, tt.user)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			if tt.want == 400 && !strings.Contains(decodeDetail(t, r.body), "next_token") {
				t.Errorf("detail %s", r.body)
			}
		})
	}
}

// TestDateSemantics: end_date inclusive on the daily routes, exclusive on
// daily_activity, sleep and workout by default, and configurable.
func TestDateSemantics(t *testing.T) {
	_, base := newTestServer(t, Options{})
	_, flipped := newTestServer(t, Options{DateSemantics: map[string]DateSemantics{"daily_readiness": Exclusive, "daily_activity": Inclusive}})
	days := func(b, coll, start, end, field string) []string {
		var out []string
		for _, raw := range walk(t, b, "/v2/usercollection/"+coll+"?start_date="+start+"&end_date="+end, 1) {
			var v map[string]any
			_ = json.Unmarshal(raw, &v)
			if d := v[field].(string); len(out) == 0 || out[len(out)-1] != d {
				out = append(out, d)
			}
		}
		return out
	}
	tests := []struct {
		name, base, coll, field string
		want                    string
	}{
		{"readiness inclusive", base, "daily_readiness", "day", "2024-03-05 2024-03-06"},
		{"stress inclusive", base, "daily_stress", "day", "2024-03-05 2024-03-06"},
		{"activity exclusive", base, "daily_activity", "day", "2024-03-05"},
		{"readiness flipped", flipped, "daily_readiness", "day", "2024-03-05"},
		{"activity flipped", flipped, "daily_activity", "day", "2024-03-05 2024-03-06"},
		{"sleep_time inclusive", base, "sleep_time", "day", "2024-03-05 2024-03-06"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(days(tt.base, tt.coll, "2024-03-05", "2024-03-06", tt.field), " "); got != tt.want {
				t.Errorf("days %q, want %q", got, tt.want)
			}
		})
	}
	if got := days(base, "sleep", "2024-03-05", "2024-03-05", "day"); len(got) != 0 {
		t.Errorf("sleep with start == end returned %v (exclusive end)", got)
	}
	if got := days(base, "daily_sleep", "2024-03-05T10:00:00%2B02:00", "2024-03-05T23:00:00%2B02:00", "day"); strings.Join(got, " ") != "2024-03-05" {
		t.Errorf("date-times as dates: %v", got)
	}
	// Defaults: no dates = yesterday and today (the history's last day).
	if got := days(base, "daily_sleep", "", "", "day"); len(got) == 0 || got[len(got)-1] != testUntil.String() {
		t.Errorf("default range gave %v", got)
	}
	if _, err := ParseDateSemantics("sleep=sometimes"); err == nil {
		t.Error("ParseDateSemantics accepted a bad value")
	}
	if m, err := ParseDateSemantics("all=exclusive,sleep=inclusive"); err != nil || m["sleep"] != Inclusive || m["tag"] != Exclusive {
		t.Errorf("ParseDateSemantics: %v %v", m, err)
	}
}

// TestQueryErrors: Oura's answers to odd and bad query values.
func TestQueryErrors(t *testing.T) {
	_, base := newTestServer(t, Options{})
	hr := "/v2/usercollection/heartrate"
	tests := []struct {
		name, path string
		status     int
		want       string // in the body
	}{
		{"unix dates are 1970", "/v2/usercollection/sleep?start_date=1&end_date=2", 200, `{"data":[],"next_token":null}`},
		{"garbage date", "/v2/usercollection/sleep?start_date=abc&end_date=2024-03-01", 422, `"loc":["query","start_date","datetime"]`},
		{"impossible date", "/v2/usercollection/daily_sleep?end_date=2024-02-30", 422, `"end_date"`},
		{"start after end", "/v2/usercollection/daily_sleep?start_date=2024-03-05&end_date=2024-03-01", 422, `"msg":"Start date must be before end date","input":"2024-03-05"`},
		{"unescaped plus", hr + "?start_datetime=2024-03-01T00:00:00+02:00&end_datetime=2024-03-02T00:00:00%2B02:00", 422, `"start_datetime"`},
		{"datetime start after end", hr + "?start_datetime=2024-03-02T00:00:00Z&end_datetime=2024-03-01T00:00:00Z", 422, `Start datetime must be before end datetime`},
		{"window too long", hr + "?start_datetime=2024-01-01T00:00:00Z&end_datetime=2024-02-15T00:00:00Z", 400, `longer than 30 days`},
		{"bad latest", hr + "?latest=perhaps", 422, `bool_parsing`},
		{"bad next_token", "/v2/usercollection/tag?next_token=xyz", 400, `next_token`},
		{"unknown parameter ignored", "/v2/usercollection/daily_sleep?start_date=2024-03-01&end_date=2024-03-01&colour=blue", 200, `"day":"2024-03-01"`},
		{"last of repeated", "/v2/usercollection/daily_sleep?start_date=2020-01-01&start_date=2024-03-01&end_date=2024-03-01", 200, `"day":"2024-03-01"`},
		{"v1 bad date", "/v1/sleep?start=2024-3-1", 400, `"title":"Bad Request"`},
		{"v1 start after end", "/v1/activity?start=2024-03-05&end=2024-03-01", 400, `"status":400`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, base, tt.path, 1)
			if r.status != tt.status || !strings.Contains(string(r.body), tt.want) {
				t.Errorf("%d %s, want %d with %s", r.status, r.body, tt.status, tt.want)
			}
		})
	}
}

// TestHeartRateWindows: the default window, exact ranges, latest.
func TestHeartRateWindows(t *testing.T) {
	s, base := newTestServer(t, Options{MaxWindow: 48 * time.Hour})
	rows := func(path string) []hrDoc {
		var out []hrDoc
		for _, raw := range walk(t, base, path, 1) {
			var r hrDoc
			_ = json.Unmarshal(raw, &r)
			out = append(out, r)
		}
		return out
	}
	def := rows("/v2/usercollection/heartrate?")
	end := s.newWorld(1).historyEnd() * 1000
	if len(def) == 0 || def[0].Unix < end-24*3600*1000 || def[len(def)-1].Unix >= end {
		t.Fatalf("default window: %d rows", len(def))
	}
	start, stop := "2024-03-10T06:00:00Z", "2024-03-10T07:00:00Z"
	got := rows("/v2/usercollection/heartrate?start_datetime=" + start + "&end_datetime=" + stop)
	a, b := mustTime(t, start).UnixMilli(), mustTime(t, stop).UnixMilli()
	for _, r := range got {
		if r.Unix < a || r.Unix >= b {
			t.Fatalf("row %s outside [%s, %s)", r.Timestamp, start, stop)
		}
	}
	if r := get(t, base, "/v2/usercollection/heartrate?start_datetime=2024-03-01T00:00:00Z&end_datetime=2024-03-03T00:00:01Z", 1); r.status != 400 {
		t.Errorf("a window over --max-window: %d", r.status)
	}
	latest := rows("/v2/usercollection/heartrate?latest=true")
	if len(latest) != 1 || latest[0] != def[len(def)-1] {
		t.Errorf("latest %v, want the last row %v", latest, def[len(def)-1])
	}
	bl := rows("/v2/usercollection/ring_battery_level?latest=1&end_datetime=2024-03-10T00:00:00Z")
	if len(bl) != 1 || bl[0].Unix >= mustTime(t, "2024-03-10T00:00:00Z").UnixMilli() {
		t.Errorf("battery latest before an end: %v", bl)
	}
}

// TestFields: fields keeps id and the fields listed (not on the mirror).
func TestFields(t *testing.T) {
	_, base := newTestServer(t, Options{})
	keys := func(path string) string {
		pg := decodePage(t, get(t, base, path, 1))
		var v map[string]json.RawMessage
		_ = json.Unmarshal(pg.Data[0], &v)
		return strings.Join(sortedKeys(v), ",")
	}
	if got := keys("/v2/usercollection/daily_sleep?start_date=2024-03-01&end_date=2024-03-01&fields=score,day,nope"); got != "day,id,score" {
		t.Errorf("fields: %s", got)
	}
	if got := keys("/v2/usercollection/heartrate?start_datetime=2024-03-01T00:00:00Z&end_datetime=2024-03-01T01:00:00Z&fields=bpm"); got != "bpm,timestamp" {
		t.Errorf("heartrate fields: %s", got)
	}
	if got := keys("/v2/sandbox/usercollection/daily_sleep?start_date=2024-03-01&end_date=2024-03-01&fields=score"); !strings.Contains(got, "contributors") {
		t.Errorf("the mirror honoured fields: %s", got)
	}
}

// TestAuth covers 401 and 403 answers.
func TestAuth(t *testing.T) {
	_, base := newTestServer(t, Options{Scopes: []string{"daily", "spo2Daily"}})
	_, lapsed := newTestServer(t, Options{Lapsed: true})
	daily := "/v2/usercollection/daily_sleep?start_date=2024-03-01&end_date=2024-03-01"
	req := func(b, path, header string) response {
		r, _ := http.NewRequest(http.MethodGet, b+path, nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return response{resp.StatusCode, resp.Header, body}
	}
	tests := []struct {
		name, base, path, header string
		status                   int
		detail                   string
	}{
		{"ok", base, daily, "Bearer sandbox-token-1", 200, ""},
		{"lower-case scheme", base, daily, "bearer sandbox-token-3", 200, ""},
		{"missing", base, daily, "", 401, msgUnauthorized},
		{"wrong", base, daily, "Bearer sandbox-token-9", 401, msgUnauthorized},
		{"padded number", base, daily, "Bearer sandbox-token-01", 401, msgUnauthorized},
		{"basic", base, daily, "Basic c2FuZGJveA==", 401, msgUnauthorized},
		{"token in query", base, daily + "&access_token=sandbox-token-1", "", 401, msgUnauthorized},
		{"missing scope", base, "/v2/usercollection/heartrate", "Bearer sandbox-token-1", 403, "'heartrate' scope"},
		{"alias scope", base, "/v2/usercollection/daily_spo2?start_date=2024-03-01&end_date=2024-03-01", "Bearer sandbox-token-1", 200, ""},
		{"lapsed", lapsed, daily, "Bearer sandbox-token-1", 403, msgLapsed},
		{"lapsed personal_info", lapsed, "/v2/usercollection/personal_info", "Bearer sandbox-token-1", 403, msgLapsed},
		{"lapsed mirror", lapsed, "/v2/sandbox/usercollection/tag", "Bearer sandbox-token-1", 403, msgLapsed},
		{"lapsed keeps v1", lapsed, "/v1/sleep", "Bearer sandbox-token-1", 200, ""},
		{"lapsed needs a token first", lapsed, daily, "", 401, msgUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req(tt.base, tt.path, tt.header)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.detail != "" && !strings.Contains(decodeDetail(t, r.body), tt.detail) {
				t.Errorf("detail %s, want %q", r.body, tt.detail)
			}
		})
	}
	// personal_info needs no scope; its fields need personal and email.
	var pi map[string]any
	_ = json.Unmarshal(req(base, "/v2/usercollection/personal_info", "Bearer sandbox-token-1").body, &pi)
	if pi["id"] == nil || pi["age"] != nil || pi["email"] != nil {
		t.Errorf("personal_info without personal/email scopes: %v", pi)
	}
	// v1 takes the token from the header or access_token.
	if r := get(t, base, "/v1/userinfo?access_token=sandbox-token-2", 0); r.status != 200 {
		t.Errorf("v1 with access_token: %d", r.status)
	}
	if r := get(t, base, "/v1/sleep", 0); r.status != 401 || !strings.Contains(string(r.body), `"status":401`) {
		t.Errorf("v1 without a token: %d %s", r.status, r.body)
	}
}

// TestNotFound covers 404 and 405 answers.
func TestNotFound(t *testing.T) {
	s, base := newTestServer(t, Options{})
	_, retired := newTestServer(t, Options{V1Retired: true})
	w := s.newWorld(1)
	sleepID := w.t.ids.encode(idKey{coll: 15, user: 1, day: dateFromCivil(2024, 3, 10), idx: 0})
	otherUser := w.t.ids.encode(idKey{coll: 15, user: 2, day: dateFromCivil(2024, 3, 10), idx: 0})
	outside := w.t.ids.encode(idKey{coll: 15, user: 1, day: dateFromCivil(2025, 3, 10), idx: 0})
	tooFar := w.t.ids.encode(idKey{coll: 15, user: 1, day: dateFromCivil(2024, 3, 10), idx: 9})
	tests := []struct {
		name, base, method, path string
		status                   int
		detail                   string
	}{
		{"a document", base, "GET", "/v2/usercollection/sleep/" + string(sleepID[:]), 200, ""},
		{"its twin on the mirror", base, "GET", "/v2/sandbox/usercollection/sleep/" + string(sleepID[:]), 200, ""},
		{"another collection", base, "GET", "/v2/usercollection/workout/" + string(sleepID[:]), 404, msgNotFound},
		{"another user's", base, "GET", "/v2/usercollection/sleep/" + string(otherUser[:]), 404, msgNotFound},
		{"outside the history", base, "GET", "/v2/usercollection/sleep/" + string(outside[:]), 404, msgNotFound},
		{"no such index", base, "GET", "/v2/usercollection/sleep/" + string(tooFar[:]), 404, msgNotFound},
		{"not existing", base, "GET", "/v2/usercollection/daily_activity/not-existing", 404, msgNotFound},
		{"random uuid", base, "GET", "/v2/usercollection/daily_activity/3e8de08b-9fa1-4fb0-8edc-0ccf097f6693", 404, msgNotFound},
		{"unknown collection", base, "GET", "/v2/usercollection/sessions", 404, "Not Found"},
		{"no single heartrate", base, "GET", "/v2/usercollection/heartrate/x", 404, "Not Found"},
		{"no mirror personal_info", base, "GET", "/v2/sandbox/usercollection/personal_info", 404, "Not Found"},
		{"unknown route", base, "GET", "/v3/usercollection/sleep", 404, "Not Found"},
		{"trailing slash", base, "GET", "/v2/usercollection/sleep/", 404, "Not Found"},
		{"v1 unknown", base, "GET", "/v1/heartrate", 404, "No such route."},
		{"v1 retired", retired, "GET", "/v1/sleep", 404, "Not Found"},
		{"v1 retired userinfo", retired, "GET", "/v1/userinfo", 404, "Not Found"},
		{"method", base, "POST", "/v2/usercollection/sleep", 405, "Method Not Allowed"},
		{"oauth method", base, "GET", "/oauth/token", 405, "Method Not Allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, tt.base+tt.path, 1, nil)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.detail != "" && decodeDetail(t, r.body) != tt.detail {
				t.Errorf("detail %s, want %q", r.body, tt.detail)
			}
		})
	}
}

// fakeClock is a settable clock for token expiry and rate windows.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestRateLimit: a token over its limit gets 429 with Retry-After and the
// X-RateLimit headers; every answer carries the quota; the window reopens.
func TestRateLimit(t *testing.T) {
	clock := &fakeClock{t: time.Date(2024, 4, 1, 12, 0, 0, 0, time.UTC)}
	_, base := newTestServer(t, Options{RateLimit: 3, RateWindow: time.Minute, Now: clock.Now})
	path := "/v2/usercollection/daily_sleep?start_date=2024-03-01&end_date=2024-03-01"
	for i := 1; i <= 3; i++ {
		r := get(t, base, path, 1)
		if r.status != 200 || r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(3-i) ||
			r.header.Get("X-RateLimit-Window") != "60" || r.header.Get("X-RateLimit-Reset") != strconv.FormatInt(clock.Now().Add(time.Minute).Unix(), 10) {
			t.Fatalf("request %d: %d %v", i, r.status, r.header)
		}
	}
	clock.Add(20 * time.Second)
	r := get(t, base, path, 1)
	if r.status != 429 || r.header.Get("Retry-After") != "40" || r.header.Get("X-RateLimit-Tier") != "access_token" ||
		!strings.Contains(decodeDetail(t, r.body), "rate limit") {
		t.Fatalf("over the limit: %d %v %s", r.status, r.header, r.body)
	}
	if r := get(t, base, "/v1/sleep", 1); r.status != 429 || !strings.Contains(string(r.body), `"status":429`) {
		t.Errorf("v1 shares the token's limit: %d %s", r.status, r.body)
	}
	if r := get(t, base, path, 2); r.status != 200 {
		t.Errorf("another token is limited too: %d", r.status)
	}
	clock.Add(41 * time.Second)
	if r := get(t, base, path, 1); r.status != 200 || r.header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("after the window: %d %v", r.status, r.header)
	}
}

// TestGzipAndLatency: gzip on request (off with NoGzip); latency delays and
// is cancelled with the request.
func TestGzipAndLatency(t *testing.T) {
	_, base := newTestServer(t, Options{})
	_, plain := newTestServer(t, Options{NoGzip: true})
	path := "/v2/usercollection/sleep?start_date=2024-03-01&end_date=2024-03-05"
	fetch := func(b string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, b+path, nil)
		req.Header.Set("Authorization", "Bearer sandbox-token-1")
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, body := fetch(base)
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("headers %v", resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !json.Valid(unzipped) {
		t.Fatalf("gzip body: %v", err)
	}
	resp, body = fetch(plain)
	if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, unzipped) {
		t.Errorf("--no-gzip: encoding %q, same body %v", resp.Header.Get("Content-Encoding"), bytes.Equal(body, unzipped))
	}

	_, slow := newTestServer(t, Options{Latency: 50 * time.Millisecond})
	start := time.Now()
	if r := get(t, slow, path, 1); r.status != 200 || time.Since(start) < 50*time.Millisecond {
		t.Errorf("latency: %d after %v", r.status, time.Since(start))
	}
}

// TestControlSurface covers /_sandbox/.
func TestControlSurface(t *testing.T) {
	s, base := newTestServer(t, Options{})
	post := func(path string) response { return do(t, http.MethodPost, base+path, 0, nil) }
	if r := post("/_sandbox/advance?days=2"); r.status != 200 || !strings.Contains(string(r.body), `"until":"2024-04-02"`) || s.Until() != testUntil+2 {
		t.Errorf("advance: %d %s", r.status, r.body)
	}
	if r := post("/_sandbox/advance?days=-1"); r.status != 400 {
		t.Errorf("advance -1: %d", r.status)
	}
	if r := post("/_sandbox/revise?user=2&day=2024-03-03"); r.status != 200 || !strings.Contains(string(r.body), `"revision":1`) {
		t.Errorf("revise: %d %s", r.status, r.body)
	}
	if r := post("/_sandbox/revise?user=9&day=2024-03-03"); r.status != 400 {
		t.Errorf("revise user 9: %d", r.status)
	}
	if r := get(t, base, "/_sandbox/revise?user=1&day=2024-03-03", 0); r.status != 405 {
		t.Errorf("GET revise: %d", r.status)
	}
	get(t, base, "/v2/usercollection/tag", 1)
	get(t, base, "/v2/usercollection/tag", 0)
	var st Stats
	r := get(t, base, "/_sandbox/stats", 0)
	if err := json.Unmarshal(r.body, &st); err != nil {
		t.Fatal(err)
	}
	if st.Routes["v2/tag"] != 2 || st.Status4xx < 3 || st.Status2xx < 3 || st.Routes["control"] < 4 {
		t.Errorf("stats %+v", st)
	}
	if got := s.Stats(); got.Requests <= st.Requests-1 {
		t.Errorf("Stats() %d requests, HTTP said %d", got.Requests, st.Requests)
	}
	if r := get(t, base, "/_sandbox/info", 0); !strings.Contains(string(r.body), `"client_id":"sandbox-client"`) {
		t.Errorf("info %s", r.body)
	}
}

// TestOptionsValidate rejects impossible options.
func TestOptionsValidate(t *testing.T) {
	tests := []Options{
		{Users: -1},
		{Users: MaxUsers + 1},
		{Since: 100, Until: 50},
		{PageSize: -5},
		{FaultRate: 1.5},
		{Faults: []string{"gremlins"}},
		{Scopes: []string{"everything"}},
		{DateSemantics: map[string]DateSemantics{"heartrate": Inclusive}},
		{Latency: -time.Second},
	}
	for _, o := range tests {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
	if err := (&Options{}).Validate(); err != nil {
		t.Errorf("zero options: %v", err)
	}
}

// TestExtremeValues: far-off dates and huge ranges are answered, not looped on.
func TestExtremeValues(t *testing.T) {
	_, base := newTestServer(t, Options{})
	tests := []struct {
		path   string
		status int
	}{
		{"/v2/usercollection/heartrate?start_datetime=-9999999999999&end_datetime=9999999999999", 400},
		{"/v2/usercollection/heartrate?latest=true&start_datetime=-9999999999999", 200},
		{"/v2/usercollection/daily_sleep?start_date=0001-01-01&end_date=9999-12-31", 200},
		{"/v2/usercollection/sleep?start_date=9999-12-30&end_date=9999-12-31", 200},
		{"/v1/activity?start=0001-01-01&end=0001-01-02", 200},
	}
	for _, tt := range tests {
		if r := get(t, base, tt.path, 1); r.status != tt.status {
			t.Errorf("%s: %d %.200s", tt.path, r.status, r.body)
		}
	}
}
