package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignWebhookKnownVector(t *testing.T) {
	// openssl: printf '%s' '1700000000{"a": 1}' | openssl dgst -sha256 -hmac sandbox-secret
	got := signWebhook("sandbox-secret", "1700000000", []byte(`{"a": 1}`))
	want := "C38B95C03D2AE4CA13CD4C05807383EA3227EDFB6FCB23F2BC2EE84E15C706C8"
	if got != want {
		t.Fatalf("signWebhook = %s, want %s", got, want)
	}
}

func TestWebhookSubscriptionRoutes(t *testing.T) {
	start := time.Now()
	s, base := hookServer(t, Options{})
	rc := newReceiver(t, "tok-1")

	// Credentials: missing or wrong is 403 Forbidden on every route.
	for _, tc := range []struct{ method, path string }{
		{"GET", ""}, {"POST", ""}, {"GET", "/x"}, {"PUT", "/x"}, {"DELETE", "/x"}, {"PUT", "/renew/x"},
	} {
		r := hookReq(t, base, tc.method, tc.path, nil, false)
		if r.status != http.StatusForbidden || decodeDetail(t, r.body) != "Forbidden" {
			t.Errorf("%s %s without credentials: %d %s", tc.method, tc.path, r.status, r.body)
		}
	}
	req, _ := http.NewRequest("GET", base+"/v2/webhook/subscription", nil)
	req.Header.Set("x-client-id", ClientID)
	req.Header.Set("x-client-secret", "wrong")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("wrong secret: %v %v", resp, err)
	}

	m := subscribe(t, base, rc.url(), "tok-1", "create", "tag")
	if m.ID == "" || m.CallbackURL != rc.url() || m.EventType != "create" || m.DataType != "tag" {
		t.Fatalf("created %+v", m)
	}
	if _, ok := s.t.ids.decode(m.ID); ok || len(m.ID) != 36 || m.ID[14] != '4' {
		t.Errorf("id %q: want a random uuid4", m.ID)
	}
	exp, err := time.Parse(time.RFC3339, m.ExpirationTime)
	if err != nil || !strings.HasSuffix(m.ExpirationTime, "Z") {
		t.Fatalf("expiration_time %q: %v", m.ExpirationTime, err)
	}
	if d := exp.Sub(start); d < DefaultWebhookTTL-time.Minute || d > DefaultWebhookTTL+time.Minute {
		t.Errorf("expiration_time %s is %s after now, want about 90 days", m.ExpirationTime, d)
	}
	if rc.verifies != 1 {
		t.Errorf("verification requests: %d, want 1", rc.verifies)
	}

	var list []wireModel
	r := hookReq(t, base, "GET", "", nil, true)
	if r.status != 200 || json.Unmarshal(r.body, &list) != nil || len(list) != 1 || list[0] != m {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "tok-1") {
		t.Errorf("list shows the verification token: %s", r.body)
	}
	var one wireModel
	if r := hookReq(t, base, "GET", "/"+m.ID, nil, true); r.status != 200 || json.Unmarshal(r.body, &one) != nil || one != m {
		t.Fatalf("get: %d %s", r.status, r.body)
	}

	// Update: the token is required, the rest optional; it verifies again.
	r = hookReq(t, base, "PUT", "/"+m.ID, map[string]string{"event_type": "update"}, true)
	if r.status != 422 || !strings.Contains(string(r.body), `"loc":["body","verification_token"]`) {
		t.Errorf("update without token: %d %s", r.status, r.body)
	}
	r = hookReq(t, base, "PUT", "/"+m.ID, map[string]any{"verification_token": "tok-1", "event_type": "delete", "data_type": nil}, true)
	if r.status != 200 || json.Unmarshal(r.body, &one) != nil || one.EventType != "delete" || one.DataType != "tag" {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	if r := hookReq(t, base, "PUT", "/"+m.ID, map[string]any{"verification_token": "other"}, true); r.status != 422 ||
		!strings.Contains(string(r.body), "failed verification") {
		t.Errorf("update with a token the callback refuses: %d %s", r.status, r.body)
	}

	// Renew moves the expiry on (here: after the TTL changed).
	s.SetWebhookTTL(48 * time.Hour)
	r = hookReq(t, base, "PUT", "/renew/"+m.ID, nil, true)
	if r.status != 200 || json.Unmarshal(r.body, &one) != nil {
		t.Fatalf("renew: %d %s", r.status, r.body)
	}
	if exp2, _ := time.Parse(time.RFC3339, one.ExpirationTime); exp2.Sub(start) > 49*time.Hour || exp2.Sub(start) < 47*time.Hour {
		t.Errorf("renewed expiration_time %s, want about 48h from now", one.ExpirationTime)
	}

	// Unknown ids.
	for _, tc := range []struct{ method, path string }{{"GET", "/nope"}, {"PUT", "/nope"}, {"DELETE", "/nope"}, {"PUT", "/renew/nope"}} {
		r := hookReq(t, base, tc.method, tc.path, map[string]string{"verification_token": "tok-1"}, true)
		if r.status != 403 || decodeDetail(t, r.body) != "Webhook with specified id does not exist." {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.body)
		}
	}
	if r := hookReq(t, base, "PATCH", "", nil, true); r.status != 405 || r.header.Get("Allow") != "GET, POST" {
		t.Errorf("PATCH: %d %v", r.status, r.header)
	}

	if r := hookReq(t, base, "DELETE", "/"+m.ID, nil, true); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := hookReq(t, base, "GET", "/"+m.ID, nil, true); r.status != 403 {
		t.Errorf("get after delete: %d", r.status)
	}
	if len(s.Subscriptions()) != 0 {
		t.Errorf("subscriptions after delete: %+v", s.Subscriptions())
	}
}

func TestWebhookCreateValidation(t *testing.T) {
	s, base := hookServer(t, Options{WebhookTimeout: 200 * time.Millisecond})
	rc := newReceiver(t, "tok")
	full := func(k, v string) map[string]any {
		b := map[string]any{"callback_url": rc.url(), "verification_token": "tok", "event_type": "create", "data_type": "sleep"}
		if v == "<missing>" {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"bad data_type", full("data_type", "heartrate"), `{"detail":[{"type":"enum","loc":["body","data_type"],"msg":"Invalid data_type value"}]}`},
		{"bad event_type", full("event_type", "upsert"), `{"detail":[{"type":"enum","loc":["body","event_type"],"msg":"Invalid event_type value"}]}`},
		{"missing callback", full("callback_url", "<missing>"), `{"detail":[{"type":"missing","loc":["body","callback_url"],"msg":"Field required"}]}`},
		{"not a URL", full("callback_url", "ftp://x"), `"type":"url_parsing"`},
		{"wrong token", full("verification_token", "bad"), "failed verification: it answered 401 to the challenge"},
		{"unreachable", full("callback_url", "http://127.0.0.1:1/hook"), "failed verification: it cannot be reached"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := hookReq(t, base, "POST", "", tc.body, true)
			if r.status != 422 || !strings.Contains(string(r.body), tc.want) {
				t.Errorf("%d %s, want 422 with %s", r.status, r.body, tc.want)
			}
			if strings.Contains(string(r.body), "verification_token=") {
				t.Errorf("the answer shows the token: %s", r.body)
			}
		})
	}
	for _, tc := range []string{"personal_info", "ring_battery_level", "interbeat_interval", "vO2_max"} {
		if r := hookReq(t, base, "POST", "", full("data_type", tc), true); r.status != 422 {
			t.Errorf("data type %s: %d, want 422", tc, r.status)
		}
	}
	rc.challenge = "not-the-challenge"
	if r := hookReq(t, base, "POST", "", full("data_type", "tag"), true); r.status != 422 || !strings.Contains(string(r.body), "another challenge") {
		t.Errorf("wrong challenge echoed: %d %s", r.status, r.body)
	}
	if r := hookReq(t, base, "POST", "", "not an object", true); r.status != 422 {
		t.Errorf("a string body: %d %s", r.status, r.body)
	}
	if n := len(s.Subscriptions()); n != 0 {
		t.Errorf("%d subscriptions made by failed creates", n)
	}
}

func TestWebhookAdvanceDelivers(t *testing.T) {
	s, base := hookServer(t, Options{Users: 2})
	rc := newReceiver(t, "tok")
	subscribeAll(t, base, rc.url(), "tok", "create", "update", "delete")

	r := do(t, "POST", base+"/_sandbox/advance?days=2", 0, nil)
	var adv struct {
		Until   string       `json:"until"`
		Changes []wireChange `json:"changes"`
		Total   int          `json:"changes_total"`
	}
	if r.status != 200 || json.Unmarshal(r.body, &adv) != nil || adv.Until != (testUntil+2).String() || adv.Total != len(adv.Changes) {
		t.Fatalf("advance: %d %.300s", r.status, r.body)
	}
	st := settle(t, s)
	evs := rc.got()
	if len(evs) == 0 || int64(len(evs)) != st.Delivered || st.Failed != 0 || st.Queued != int64(len(adv.Changes)) || rc.badSigs != 0 {
		t.Fatalf("%d events for %d changes, stats %+v, bad signatures %d", len(evs), len(adv.Changes), st, rc.badSigs)
	}
	var want, got []string
	for _, c := range adv.Changes {
		want = append(want, c.Op+" "+c.DataType+" "+c.ID)
	}
	userIDs := map[string]int{}
	for u := 1; u <= 2; u++ {
		var pi struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(get(t, base, "/v2/usercollection/personal_info", u).body, &pi)
		userIDs[pi.ID] = u
	}
	types := map[string]bool{}
	for _, e := range evs {
		got = append(got, e.Event.EventType+" "+e.Event.DataType+" "+e.Event.ObjectID)
		types[e.Event.DataType] = true
		u := userIDs[e.Event.UserID]
		if u == 0 {
			t.Fatalf("event user_id %q is no user's personal_info id", e.Event.UserID)
		}
		if e.Event.EventType == "create" {
			coll := e.Event.DataType
			if coll == "vo2_max" {
				coll = "vO2_max"
			}
			path := "/v2/usercollection/" + coll + "/" + e.Event.ObjectID
			if coll == "ring_configuration" {
				t.Fatalf("a create for a ring: %s", e.Raw)
			}
			if r := get(t, base, path, u); r.status != 200 {
				t.Errorf("GET %s (user %d) after its create event: %d", path, u, r.status)
			}
		}
		if _, err := time.Parse(time.RFC3339, e.Event.EventTime); err != nil || !strings.HasSuffix(e.Event.EventTime, "+00:00") {
			t.Errorf("event_time %q: %v", e.Event.EventTime, err)
		}
		ts, err := strconv.ParseInt(e.Timestamp, 10, 64)
		if err != nil || time.Since(time.Unix(ts, 0)) > time.Minute || time.Until(time.Unix(ts, 0)) > time.Second {
			t.Errorf("x-oura-timestamp %q", e.Timestamp)
		}
		if !strings.HasPrefix(string(e.Raw), `{"event_type": "`) {
			t.Errorf("raw body %s: want Python's separators", e.Raw)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("events\n%v\nwant\n%v", got, want)
	}
	for _, dt := range []string{"sleep", "daily_sleep", "daily_activity", "daily_readiness", "sleep_time", "daily_stress"} {
		if !types[dt] {
			t.Errorf("no %s event for two new days: %v", dt, types)
		}
	}
	// The creates are exactly the new days' documents.
	n := 0
	for _, c := range hookCollections {
		for u := 1; u <= 2; u++ {
			for range s.Documents(u, c.name, dayTime(testUntil+1), dayTime(testUntil+3)) {
				n++
			}
		}
	}
	if creates := len(eventIDs(evs)["create"]); creates != n {
		t.Errorf("%d create events, %d documents on the new days", creates, n)
	}
}

func TestWebhookReviseUpdates(t *testing.T) {
	s, base := hookServer(t, Options{})
	rc := newReceiver(t, "tok")
	subscribeAll(t, base, rc.url(), "tok", "update")
	day := testUntil - 10
	before := map[string]string{}
	for _, c := range hookCollections {
		for doc := range s.Documents(1, c.name, dayTime(day), dayTime(day+1)) {
			var d struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(doc, &d)
			before[d.ID] = string(doc)
		}
	}
	r := do(t, "POST", base+"/_sandbox/revise?user=1&day="+day.String(), 0, nil)
	if r.status != 200 {
		t.Fatalf("revise: %d %s", r.status, r.body)
	}
	settle(t, s)
	evs := rc.got()
	if len(evs) < 3 {
		t.Fatalf("%d update events for a revised day", len(evs))
	}
	seen := map[string]bool{}
	for _, e := range evs {
		if e.Event.EventType != "update" {
			t.Errorf("event %s", e.Raw)
		}
		old, ok := before[e.Event.ObjectID]
		if !ok {
			t.Fatalf("update for %s, not a document of %s", e.Event.ObjectID, day)
		}
		coll := e.Event.DataType
		if coll == "vo2_max" {
			coll = "vO2_max"
		}
		now := get(t, base, "/v2/usercollection/"+coll+"/"+e.Event.ObjectID, 1)
		if now.status != 200 || string(now.body) == old {
			t.Errorf("%s %s: %d, unchanged %v", coll, e.Event.ObjectID, now.status, string(now.body) == old)
		}
		seen[e.Event.ObjectID] = true
	}
	// Documents without an event did not change.
	for _, c := range hookCollections {
		for doc := range s.Documents(1, c.name, dayTime(day), dayTime(day+1)) {
			var d struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(doc, &d)
			if !seen[d.ID] && before[d.ID] != string(doc) {
				t.Errorf("%s %s changed without an event", c.name, d.ID)
			}
		}
	}
	// An event of another type or for an unsubscribed data type: none.
	if ch, _ := s.ReviseChanges(2, day); len(ch) == 0 {
		t.Fatal("no changes for user 2")
	}
	if st := settle(t, s); st.Queued != int64(len(evs))*2 && st.Queued <= int64(len(evs)) {
		t.Errorf("queued %d after a second revise", st.Queued)
	}
}

func TestWebhookDelete(t *testing.T) {
	s, base := hookServer(t, Options{})
	rc := newReceiver(t, "tok")
	subscribeAll(t, base, rc.url(), "tok", "delete", "update")
	day := testUntil - 3
	tags := walk(t, base, "/v2/usercollection/tag?start_date="+day.String()+"&end_date="+day.String(), 1)
	if len(tags) == 0 {
		// find a day with a tag
		for d := testUntil; d > testUntil-60 && len(tags) == 0; d-- {
			day = d
			tags = walk(t, base, "/v2/usercollection/tag?start_date="+d.String()+"&end_date="+d.String(), 1)
		}
	}
	if len(tags) == 0 {
		t.Fatal("no tag in 60 days")
	}
	var tag struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(tags[0], &tag)

	r := do(t, "POST", base+"/_sandbox/delete?user=1&collection=tag&id="+tag.ID, 0, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"event_type":"delete"`) || !strings.Contains(string(r.body), tag.ID) {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	st := settle(t, s)
	evs := rc.got()
	if len(evs) != 1 || evs[0].Event.EventType != "delete" || evs[0].Event.DataType != "tag" || evs[0].Event.ObjectID != tag.ID || st.Delivered != 1 {
		t.Fatalf("events %v, stats %+v", eventIDs(evs), st)
	}
	gone := func(when string) {
		t.Helper()
		if r := get(t, base, "/v2/usercollection/tag/"+tag.ID, 1); r.status != 404 {
			t.Errorf("%s: by id %d, want 404", when, r.status)
		}
		for _, doc := range walk(t, base, "/v2/usercollection/tag?start_date="+(day-1).String()+"&end_date="+(day+1).String(), 1) {
			if strings.Contains(string(doc), tag.ID) {
				t.Errorf("%s: still listed", when)
			}
		}
		for doc := range s.Documents(1, "tag", dayTime(day), dayTime(day+1)) {
			if strings.Contains(string(doc), tag.ID) {
				t.Errorf("%s: still in Documents", when)
			}
		}
	}
	gone("after delete")
	// It stays gone when the day is revised (and gets no update) and the history moves on.
	ch, _ := s.ReviseChanges(1, day)
	for _, c := range ch {
		if c.ID == tag.ID {
			t.Errorf("a deleted tag was updated")
		}
	}
	s.Advance(1)
	gone("after revise and advance")
	if r := do(t, "POST", base+"/_sandbox/delete?user=1&collection=tag&id="+tag.ID, 0, nil); r.status != 404 {
		t.Errorf("deleting it again: %d %s", r.status, r.body)
	}
	// day= deletes the first document of that day; others stay.
	before := walk(t, base, "/v2/usercollection/daily_sleep?start_date="+day.String()+"&end_date="+day.String(), 1)
	r = do(t, "POST", base+"/_sandbox/delete?user=1&collection=daily_sleep&day="+day.String(), 0, nil)
	if r.status != 200 || len(before) != 1 || !strings.Contains(string(before[0]), decodeChange(t, r.body).ID) {
		t.Fatalf("delete by day: %d %s", r.status, r.body)
	}
	if after := walk(t, base, "/v2/usercollection/daily_sleep?start_date="+day.String()+"&end_date="+day.String(), 1); len(after) != 0 {
		t.Errorf("daily_sleep after delete by day: %d", len(after))
	}
	if r := do(t, "POST", base+"/_sandbox/delete?user=1&collection=daily_sleep&day="+day.String(), 0, nil); r.status != 404 {
		t.Errorf("nothing left to delete: %d %s", r.status, r.body)
	}
	if _, err := s.DeleteDay(1, "ring_configuration", 0); err != nil {
		t.Fatal(err)
	}
	if rings := walk(t, base, "/v2/usercollection/ring_configuration?x=1", 1); len(rings) != 1 {
		t.Errorf("rings after deleting one: %d", len(rings))
	}
	for _, bad := range []string{"user=9&collection=tag&day=2024-01-05", "user=1&collection=heartrate&day=2024-01-05",
		"user=1&collection=tag", "user=1&collection=tag&id=nonsense"} {
		if r := do(t, "POST", base+"/_sandbox/delete?"+bad, 0, nil); r.status/100 != 4 {
			t.Errorf("delete?%s: %d", bad, r.status)
		}
	}
	if err := s.Delete(1, "tag", tag.ID); err == nil {
		t.Error("Delete of a deleted tag: no error")
	}
	if st := settle(t, s); st.Delivered < 3 {
		t.Errorf("stats %+v, want the ring and daily_sleep deletes delivered too", st)
	}
}

func decodeChange(t testing.TB, b []byte) wireChange {
	t.Helper()
	var v struct {
		Changes []wireChange `json:"changes"`
	}
	if err := json.Unmarshal(b, &v); err != nil || len(v.Changes) != 1 {
		t.Fatalf("changes %s: %v", b, err)
	}
	return v.Changes[0]
}
