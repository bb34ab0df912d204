package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestExtraFieldsAndCollections checks what a newer API version serves
// beyond the published models: every document and row ends with the drift
// fields (the same bytes on the single-document route as in the list, and
// in Documents), and an extra collection is served like a date collection.
func TestExtraFieldsAndCollections(t *testing.T) {
	s, base := newTestServer(t, Options{ExtraFields: true, ExtraCollections: []string{"daily_drift"}, DateSemantics: map[string]DateSemantics{"sleep": Inclusive}})
	from, to := "2024-03-01", "2024-03-10"
	cases := []struct{ coll, query string }{
		{"daily_readiness", "start_date=" + from + "&end_date=" + to},
		{"sleep", "start_date=" + from + "&end_date=" + to},
		{"heartrate", "start_datetime=2024-03-01T00:00:00Z&end_datetime=2024-03-02T00:00:00Z"},
		{"ring_configuration", ""},
		{"daily_drift", "start_date=" + from + "&end_date=" + to},
	}
	for _, c := range cases {
		t.Run(c.coll, func(t *testing.T) {
			docs := walk(t, base, "/v2/usercollection/"+c.coll+"?"+c.query, 1)
			if len(docs) == 0 {
				t.Fatal("no documents")
			}
			for _, d := range docs {
				var v map[string]any
				if err := json.Unmarshal(d, &v); err != nil {
					t.Fatal(err)
				}
				for _, k := range []string{"x_drift_level", "x_drift_note", "x_drift_detail"} {
					if _, ok := v[k]; !ok {
						t.Fatalf("document without %s: %s", k, d)
					}
				}
				if id, ok := v["id"].(string); ok {
					single := get(t, base, "/v2/usercollection/"+c.coll+"/"+id, 1)
					if single.status != http.StatusOK || string(single.body) != string(d) {
						t.Fatalf("single route: %d %s, want the list's %s", single.status, single.body, d)
					}
				}
			}
			if c.coll == "daily_drift" {
				if got, want := len(docs), 10; got > want || got < want-2 {
					t.Errorf("%d documents over 10 days (one a worn day)", got)
				}
				var d struct {
					Day    string         `json:"day"`
					Score  int            `json:"score"`
					Detail map[string]any `json:"detail"`
				}
				if err := json.Unmarshal(docs[0], &d); err != nil || d.Day < from || d.Score == 0 || d.Detail == nil {
					t.Errorf("extra collection document %s: %v", docs[0], err)
				}
			}
			var truth []string
			fromT, _ := time.Parse(time.DateOnly, from)
			toT, _ := time.Parse(time.DateOnly, "2024-03-11")
			if c.coll == "heartrate" {
				toT = fromT.Add(24 * time.Hour)
			}
			for doc, err := range s.Documents(1, c.coll, fromT, toT) {
				if err != nil {
					t.Fatal(err)
				}
				truth = append(truth, string(doc))
			}
			if len(truth) != len(docs) || truth[0] != string(docs[0]) {
				t.Errorf("Documents: %d documents, the API %d; first %.120s, want %.120s", len(truth), len(docs), truth[0], docs[0])
			}
		})
	}
	// The fields filter drops the drift fields like any other.
	pg := decodePage(t, get(t, base, "/v2/usercollection/daily_readiness?start_date="+from+"&end_date="+from+"&fields=score", 1))
	if len(pg.Data) != 1 || strings.Contains(string(pg.Data[0]), "x_drift") {
		t.Errorf("fields=score: %s", pg.Data)
	}
	// Without the options the sandbox serves neither.
	_, plain := newTestServer(t, Options{})
	if r := get(t, plain, "/v2/usercollection/daily_drift?start_date="+from, 1); r.status != http.StatusNotFound {
		t.Errorf("daily_drift without the option: %d", r.status)
	}
	if d := walk(t, plain, "/v2/usercollection/daily_readiness?start_date="+from+"&end_date="+from, 1); strings.Contains(string(d[0]), "x_drift") {
		t.Errorf("drift fields without the option: %s", d[0])
	}
}

func TestExtraCollectionsValidate(t *testing.T) {
	for _, names := range [][]string{{"Sleep"}, {"sleep"}, {"personal_info"}, {"a", "a"}, {"1x"},
		{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}} {
		if _, err := New(Options{ExtraCollections: names}); err == nil {
			t.Errorf("New accepted extra collections %q", names)
		}
	}
}

// TestScopeGatedCollections checks that daily_cycle_phases and
// interbeat_interval answer 403 without their scopes and serve with them,
// and that scopes may be spelled with the partner prefix.
func TestScopeGatedCollections(t *testing.T) {
	_, base := newTestServer(t, Options{Scopes: []string{"extapi:daily", "personal", "spo2Daily"}})
	for _, p := range []string{
		"/v2/usercollection/daily_cycle_phases?start_date=2024-03-01&end_date=2024-03-31",
		"/v2/usercollection/interbeat_interval?start_datetime=2024-03-01T00:00:00Z&end_datetime=2024-03-08T00:00:00Z",
	} {
		r := get(t, base, p, 2)
		if r.status != http.StatusForbidden || !strings.Contains(decodeDetail(t, r.body), "scope") {
			t.Errorf("GET %s without its scope: %d %s", p, r.status, r.body)
		}
	}
	for _, p := range []string{"/v2/usercollection/daily_sleep?start_date=2024-03-01", "/v2/usercollection/daily_spo2?start_date=2024-03-01"} {
		if r := get(t, base, p, 2); r.status != http.StatusOK {
			t.Errorf("GET %s with extapi:daily and spo2Daily: %d", p, r.status)
		}
	}
	s, all := newTestServer(t, Options{})
	ibi := walk(t, all, "/v2/usercollection/interbeat_interval?start_datetime=2024-03-01T00:00:00Z&end_datetime=2024-03-08T00:00:00Z", 2)
	if len(ibi) < 7*60 {
		t.Errorf("%d interbeat intervals in a week", len(ibi))
	}
	var row struct {
		Timestamp string `json:"timestamp"`
		Unix      int64  `json:"timestamp_unix"`
		IBI       int    `json:"ibi"`
		Validity  *int   `json:"validity"`
	}
	if err := json.Unmarshal(ibi[0], &row); err != nil || row.IBI < 300 || row.IBI > 2000 || row.Validity == nil ||
		time.UnixMilli(row.Unix).UTC().Format("2006-01-02T15:04:05.000+00:00") != row.Timestamp {
		t.Errorf("interbeat row %s: %v", ibi[0], err)
	}
	cycles := 0
	for user := 1; user <= s.Users(); user++ {
		docs := walk(t, all, "/v2/usercollection/daily_cycle_phases?start_date=2024-03-01&end_date=2024-03-31", user)
		if _, ok := s.newWorld(user).cycleOf(); ok != (len(docs) > 0) {
			t.Errorf("user %d: cycle %v, %d documents", user, ok, len(docs))
		}
		phases := map[string]int{}
		for _, d := range docs {
			var v struct{ Phase string }
			_ = json.Unmarshal(d, &v)
			phases[v.Phase]++
		}
		if len(docs) > 0 {
			cycles++
			if len(phases) != 4 || phases["menstrual"] < 3 || phases["ovulatory"] < 2 {
				t.Errorf("user %d: phases over a month %v", user, phases)
			}
		}
	}
	if cycles == 0 {
		t.Error("no user has a cycle")
	}
}

// TestPartnerScopeSpelling checks that a login asking for extapi: scopes
// gets them back so spelled, and that they grant what the plain ones do.
func TestPartnerScopeSpelling(t *testing.T) {
	_, base := newTestServer(t, Options{})
	verifier := strings.Repeat("v", 50)
	_, q := authorize(t, base, url.Values{"client_id": {ClientID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
		"scope": {"extapi:daily extapi:reproductive_cycle"}, "code_challenge": {s256(verifier)}, "code_challenge_method": {"S256"}})
	status, tr := tokenRequest(t, base, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
		"redirect_uri": {redirectURI}, "client_id": {ClientID}, "code_verifier": {verifier}}, false)
	if status != http.StatusOK || tr.Scope != "extapi:daily extapi:reproductive_cycle" {
		t.Fatalf("token: %d, scope %q", status, tr.Scope)
	}
	if got := bearerGet(t, base, "/v2/usercollection/daily_cycle_phases?start_date=2024-03-01", tr.AccessToken); got != http.StatusOK {
		t.Errorf("daily_cycle_phases with extapi:reproductive_cycle: %d", got)
	}
	if got := bearerGet(t, base, "/v2/usercollection/heartrate", tr.AccessToken); got != http.StatusForbidden {
		t.Errorf("heartrate without its scope: %d", got)
	}
	// A refresh may narrow the grant, spelled either way.
	status, tr = tokenRequest(t, base, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken},
		"client_id": {ClientID}, "scope": {"daily"}}, false)
	if status != http.StatusOK || tr.Scope != "daily" {
		t.Errorf("narrowing refresh: %d, scope %q", status, tr.Scope)
	}
}

// tokenAt posts a token request to path.
func tokenAt(t *testing.T, base, path string, form url.Values) (int, tokenResponse) {
	t.Helper()
	resp, err := http.PostForm(base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, tr
}

// TestTokenEndpoints checks the two token endpoints: both serve the client
// by default; with TokenEndpoint one of them refuses it as Oura's do.
func TestTokenEndpoints(t *testing.T) {
	cases := []struct {
		endpoint             string
		legacy, portal       int
		legacyCode, portCode string
	}{
		{"", 200, 200, "", ""},
		{TokenLegacy, 200, 401, "", "invalid_client"},
		{TokenPortal, 400, 200, "invalid_request", ""},
	}
	for _, c := range cases {
		t.Run("endpoint="+c.endpoint, func(t *testing.T) {
			_, base := newTestServer(t, Options{TokenEndpoint: c.endpoint})
			for _, at := range []struct {
				path   string
				status int
				code   string
			}{{"/oauth/token", c.legacy, c.legacyCode}, {PortalTokenPath, c.portal, c.portCode}} {
				_, q := authorize(t, base, url.Values{"client_id": {ClientID}, "redirect_uri": {redirectURI}, "response_type": {"code"}})
				status, tr := tokenAt(t, base, at.path, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
					"redirect_uri": {redirectURI}, "client_id": {ClientID}, "client_secret": {ClientSecret}})
				if status != at.status || tr.Error != at.code {
					t.Errorf("%s: %d %q, want %d %q", at.path, status, tr.Error, at.status, at.code)
				}
			}
		})
	}
	if _, err := New(Options{TokenEndpoint: "moi"}); err == nil {
		t.Error("New accepted an unknown token endpoint")
	}
}

// TestApplicationRateLimit checks the per-application limit: every token
// of the client draws on one budget, the 429 says so in X-RateLimit-Tier,
// and the request log records each request's token and the 429s.
func TestApplicationRateLimit(t *testing.T) {
	now := time.Date(2024, 4, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, base := newTestServer(t, Options{AppRateLimit: 5, AppRateWindow: 10 * time.Second, RecordRequests: true, Now: clock})
	const p = "/v2/usercollection/daily_sleep?start_date=2024-03-01"
	for i := range 5 {
		if r := get(t, base, p, 1+i%3); r.status != http.StatusOK {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := get(t, base, p, 3) // another token, same application
	if r.status != http.StatusTooManyRequests || r.header.Get("X-RateLimit-Tier") != "application" ||
		r.header.Get("Retry-After") != "10" || r.header.Get("X-RateLimit-Limit") != "5" || r.header.Get("X-RateLimit-Window") != "10" ||
		r.header.Get("X-RateLimit-Reset") != strconv.FormatInt(now.Add(10*time.Second).Unix(), 10) {
		t.Fatalf("over the application's limit: %d %v", r.status, r.header)
	}
	now = now.Add(10 * time.Second)
	if r := get(t, base, p, 2); r.status != http.StatusOK {
		t.Errorf("after the window: %d", r.status)
	}
	reqs := s.Requests()
	if len(reqs) != 7 {
		t.Fatalf("%d requests recorded, want 7", len(reqs))
	}
	tokens := map[string]int{}
	for _, q := range reqs {
		tokens[q.Token] = q.User
		if q.Client != ClientID || q.Route != "v2/daily_sleep" || q.Arrived.After(q.Answered) {
			t.Errorf("record %+v", q)
		}
		if strings.Contains(q.Token, "sandbox-token") {
			t.Errorf("the log holds a token: %q", q.Token)
		}
	}
	if len(tokens) != 3 {
		t.Errorf("tokens %v, want 3 told apart", tokens)
	}
	if q := reqs[5]; q.Status != http.StatusTooManyRequests || q.Tier != "application" || q.RetryAfter != 10 || q.User != 3 {
		t.Errorf("the 429's record: %+v", q)
	}
	if _, plain := newTestServer(t, Options{}); plain == "" || s.cfg.AppRateLimit != 5 {
		t.Fatal("setup")
	}
	if (&Server{}).Requests() != nil {
		t.Error("Requests without RecordRequests is not nil")
	}
}
