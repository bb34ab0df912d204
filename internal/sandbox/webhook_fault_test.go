package sandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// oneEvent subscribes rc to daily_activity creates and advances a day: one
// user has one daily_activity a day, so that is one event.
func oneEvent(t *testing.T, s *Server, base string, rc *receiver) {
	t.Helper()
	if len(s.Subscriptions()) == 0 {
		subscribe(t, base, rc.url(), rc.token, "create", "daily_activity")
	}
	_, ch := s.AdvanceChanges(1)
	n := 0
	for _, c := range ch {
		if c.DataType == "daily_activity" && c.Op == "create" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d daily_activity creates for a new day, want 1", n)
	}
}

func TestWebhookRetriesUntilAnswered(t *testing.T) {
	s, base := hookServer(t, Options{Users: 1})
	rc := newReceiver(t, "tok")
	rc.answer = func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	}
	oneEvent(t, s, base, rc)
	st := settle(t, s)
	if rc.posts != 3 || len(rc.got()) != 1 || st.Delivered != 1 || st.Failed != 2 || st.Queued != 1 || st.LastFailure != "it answered 500" {
		t.Fatalf("posts %d, events %d, stats %+v", rc.posts, len(rc.got()), st)
	}
}

func TestWebhookRetriesAfterTimeout(t *testing.T) {
	s, base := hookServer(t, Options{Users: 1, WebhookTimeout: 100 * time.Millisecond})
	rc := newReceiver(t, "tok")
	rc.stall = func(n int) bool { return n == 1 }
	oneEvent(t, s, base, rc)
	st := settle(t, s)
	if rc.posts != 2 || len(rc.got()) != 1 || st.Delivered != 1 || st.Failed != 1 || !strings.Contains(st.LastFailure, "no answer within 100ms") {
		t.Fatalf("posts %d, events %d, stats %+v", rc.posts, len(rc.got()), st)
	}
}

func TestWebhookGivesUpAfterTenTries(t *testing.T) {
	s, base := hookServer(t, Options{Users: 1, WebhookRetryBase: 100 * time.Microsecond})
	rc := newReceiver(t, "tok")
	rc.answer = func(int) int { return http.StatusServiceUnavailable }
	oneEvent(t, s, base, rc)
	st := settle(t, s)
	if rc.posts != WebhookTries || st.GaveUp != 1 || st.Failed != WebhookTries || st.Delivered != 0 || st.Pending != 0 {
		t.Fatalf("posts %d, stats %+v", rc.posts, st)
	}
	if len(s.Subscriptions()) != 1 {
		t.Error("a subscription that fails is not cancelled (only 410 cancels)")
	}
}

func TestWebhookGoneCancels(t *testing.T) {
	s, base := hookServer(t, Options{Users: 1})
	rc := newReceiver(t, "tok")
	rc.answer = func(int) int { return http.StatusGone }
	oneEvent(t, s, base, rc)
	st := settle(t, s)
	if rc.posts != 1 || st.Gone != 1 || st.Failed != 0 || len(st.Subscriptions) != 0 {
		t.Fatalf("posts %d, stats %+v", rc.posts, st)
	}
	s.Advance(1)
	if st := settle(t, s); st.Queued != 1 || rc.posts != 1 {
		t.Errorf("after 410: queued %d, posts %d", st.Queued, rc.posts)
	}
}

func TestWebhookLostEvents(t *testing.T) {
	s, base := hookServer(t, Options{Users: 1, WebhookLost: 1})
	rc := newReceiver(t, "tok")
	oneEvent(t, s, base, rc)
	oneEvent(t, s, base, rc)
	st := settle(t, s)
	if st.Dropped != 1 || st.Delivered != 1 || st.Queued != 2 || len(rc.got()) != 1 {
		t.Fatalf("lost=1: stats %+v, events %d", st, len(rc.got()))
	}
	// For a while: everything is lost, and the subscriptions still look fine.
	if r := do(t, "POST", base+"/_sandbox/webhook?lost_for=1h", 0, nil); r.status != 200 || !strings.Contains(string(r.body), `"lost_until":"`) {
		t.Fatalf("lost_for: %d %s", r.status, r.body)
	}
	oneEvent(t, s, base, rc)
	if st := settle(t, s); st.Dropped != 2 || len(rc.got()) != 1 || st.Subscriptions[0].Expired {
		t.Fatalf("lost_for=1h: stats %+v", st)
	}
	if r := do(t, "POST", base+"/_sandbox/webhook?lost_for=0", 0, nil); r.status != 200 {
		t.Fatal(r.status)
	}
	oneEvent(t, s, base, rc)
	if st := settle(t, s); st.Dropped != 2 || st.Delivered != 2 || len(rc.got()) != 2 {
		t.Fatalf("fault ended: stats %+v", st)
	}
}

func TestWebhookLateDocument(t *testing.T) {
	clk := &fakeClock{t: time.Date(2024, 4, 1, 12, 0, 0, 0, time.UTC)}
	s, base := hookServer(t, Options{Users: 1, Now: clk.Now})
	rc := newReceiver(t, "tok")
	subscribe(t, base, rc.url(), "tok", "create", "sleep")
	subscribe(t, base, rc.url(), "tok", "update", "daily_sleep")
	if r := do(t, "POST", base+"/_sandbox/webhook?late=10m", 0, nil); r.status != 200 {
		t.Fatal(r.status)
	}
	_, ch := s.AdvanceChanges(1)
	rch, _ := s.ReviseChanges(1, testUntil-5)
	settle(t, s)
	var sleepID, dsID string
	for _, c := range append(ch, rch...) {
		if c.Collection == "sleep" && c.Op == "create" {
			sleepID = c.ID
		}
		if c.Collection == "daily_sleep" && c.Op == "update" {
			dsID = c.ID
		}
	}
	if sleepID == "" || dsID == "" || len(rc.got()) < 2 {
		t.Fatalf("no sleep create or daily_sleep update: %v, %d events", changeIDs(append(ch, rch...)), len(rc.got()))
	}
	check := func(when string, want int) {
		t.Helper()
		for _, tc := range []struct{ coll, id string }{{"sleep", sleepID}, {"daily_sleep", dsID}} {
			if r := get(t, base, "/v2/usercollection/"+tc.coll+"/"+tc.id, 1); r.status != want {
				t.Errorf("%s: %s by id %d, want %d", when, tc.coll, r.status, want)
			}
			listed := false
			for _, doc := range walk(t, base, "/v2/usercollection/"+tc.coll+"?start_date=2024-03-20&end_date=2024-04-05", 1) {
				listed = listed || strings.Contains(string(doc), tc.id)
			}
			if listed != (want == 200) {
				t.Errorf("%s: %s listed %v", when, tc.coll, listed)
			}
		}
	}
	check("right after the events", 404)
	clk.Add(9 * time.Minute)
	check("9 minutes later", 404)
	clk.Add(2 * time.Minute)
	check("11 minutes later", 200)
}

func TestWebhookExpiryAndRenew(t *testing.T) {
	clk := &fakeClock{t: time.Date(2024, 4, 1, 12, 0, 0, 0, time.UTC)}
	s, base := hookServer(t, Options{Users: 1, Now: clk.Now, WebhookTTL: time.Hour, WebhookNaiveExpiry: true})
	rc := newReceiver(t, "tok")
	m := subscribe(t, base, rc.url(), "tok", "create", "daily_activity")
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$`).MatchString(m.ExpirationTime) {
		t.Fatalf("naive expiration_time %q", m.ExpirationTime)
	}
	if exp, err := time.Parse("2006-01-02T15:04:05", m.ExpirationTime); err != nil || !exp.Equal(clk.Now().Add(time.Hour)) {
		t.Fatalf("naive expiration_time %q read as UTC: %v %v", m.ExpirationTime, exp, err)
	}
	clk.Add(time.Hour)
	s.Advance(1)
	st := settle(t, s)
	if st.Queued != 0 || rc.posts != 0 || !st.Subscriptions[0].Expired {
		t.Fatalf("expired: stats %+v", st)
	}
	if r := do(t, "POST", base+"/_sandbox/webhook?naive=false", 0, nil); r.status != 200 {
		t.Fatal(r.status)
	}
	r := hookReq(t, base, "PUT", "/renew/"+m.ID, nil, true)
	var renewed wireModel
	if r.status != 200 || json.Unmarshal(r.body, &renewed) != nil || renewed.ExpirationTime != "2024-04-01T14:00:00Z" {
		t.Fatalf("renew: %d %s", r.status, r.body)
	}
	oneEvent(t, s, base, rc)
	if st := settle(t, s); st.Delivered != 1 {
		t.Fatalf("renewed: stats %+v", st)
	}
}

func TestWebhookControlRoute(t *testing.T) {
	_, base := hookServer(t, Options{})
	rc := newReceiver(t, "tok")
	subscribe(t, base, rc.url(), "tok", "delete", "tag")
	r := get(t, base, "/_sandbox/webhook", 0)
	var st WebhookStats
	if r.status != 200 || json.Unmarshal(r.body, &st) != nil || len(st.Subscriptions) != 1 || st.Subscriptions[0].CallbackURL != rc.url() {
		t.Fatalf("GET: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), `"tok"`) {
		t.Errorf("the status shows the verification token: %s", r.body)
	}
	for _, bad := range []string{"lost=-1", "late=soon", "naive=maybe", "what=1", "ttl=1x"} {
		if r := do(t, "POST", base+"/_sandbox/webhook?"+bad, 0, nil); r.status != 400 {
			t.Errorf("POST ?%s: %d %s", bad, r.status, r.body)
		}
	}
	if r := do(t, "POST", base+"/_sandbox/webhook?lost=3&late=2s&naive=true&ttl=1h", 0, nil); r.status != 200 ||
		json.Unmarshal(r.body, &st) != nil || st.Faults != (WebhookFaults{Lost: 3, Late: "2s", NaiveExpiry: true, TTL: "1h0m0s"}) {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	if r := do(t, "DELETE", base+"/_sandbox/webhook", 0, nil); r.status != 405 {
		t.Errorf("DELETE: %d", r.status)
	}
}

func TestWebhookCloseCancels(t *testing.T) {
	s, base := hookServer(t, Options{Users: 1, WebhookRetryBase: time.Hour})
	rc := newReceiver(t, "tok")
	rc.answer = func(int) int { return http.StatusBadGateway }
	oneEvent(t, s, base, rc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for s.Webhooks().Failed == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("no failed attempt")
		case <-time.After(time.Millisecond):
		}
	}
	if st := s.Webhooks(); st.Pending != 1 {
		t.Fatalf("waiting for a retry: %+v", st)
	}
	_ = s.Close()
	if st := settle(t, s); st.Cancelled != 1 || st.Pending != 0 {
		t.Fatalf("after Close: %+v", st)
	}
}

// BenchmarkWebhookBurst: the events of 30 new days of one user (every data
// type, creates), from the advance to the last delivery to a loopback
// receiver, per event.
func BenchmarkWebhookBurst(b *testing.B) {
	s, base := hookServer(b, Options{Users: 1})
	rc := newReceiver(b, "tok")
	subscribeAll(b, base, rc.url(), "tok", "create")
	b.ResetTimer()
	events := 0
	for range b.N {
		_, ch := s.AdvanceChanges(30)
		events += len(ch)
		settle(b, s)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}
