package cohort_test

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/cohort"
	"github.com/ouraexport/ouraexport/internal/sandbox"
)

// TestApplicationPause exports a cohort of 5 whose application runs over
// its rate limit at once: the sandbox limits all tokens of its client
// together, answers 429 with X-RateLimit-Tier: application, and records
// every request's arrival per token. Every participant must then wait out
// the pause a 429 announced, not only the one that got it:
//
//   - no request of any participant arrives inside an announced pause
//     (from the 429's answer for its Retry-After), except the few already
//     on their way when it was answered: at most one per request the
//     cohort can have in flight, within the first moments;
//   - the budget the first 429 stated paces the whole cohort from then on:
//     no 429 of the application's tier after the first pause (a cohort
//     whose participants each learnt it alone runs into it again and
//     again, as participants start);
//   - every participant completes.
func TestApplicationPause(t *testing.T) {
	const appLimit, appWindow = 5, time.Second
	w := newWorld(t, 5, "2024-03-08", "2024-03-10", func(o *sandbox.Options) {
		o.AppRateLimit, o.AppRateWindow, o.RecordRequests = appLimit, appWindow, true
	})
	out := local(t, filepath.Join(t.TempDir(), "cohort"))
	o := w.options(w.accounts(t, 5, nil), out)
	o.Account.Formats = []string{"csv"}
	o.Account.Fetch.Workers, o.Parallel = 2, 2 // participants start while others run
	// A few collections each keep the run short under the application's budget.
	keep := map[string]bool{"personal_info": true, "ring_configuration": true, "daily_sleep": true, "heartrate": true}
	o.Account.Fetch.Collections = slices.DeleteFunc(o.Account.Fetch.Collections, func(c *exporter.Collection) bool { return !keep[c.Name] })
	res, err := cohort.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Count(cohort.Complete); n != 5 {
		t.Errorf("%d of 5 participants complete", n)
	}
	reqs := w.srv.Requests()
	var limited []sandbox.Request
	for _, q := range reqs {
		if q.Status == http.StatusTooManyRequests && q.Tier == "application" {
			limited = append(limited, q)
		}
	}
	if len(limited) == 0 {
		t.Fatalf("no 429 of the application's tier in %d requests: the test proves nothing", len(reqs))
	}
	pauseEnd := func(q sandbox.Request) time.Time { return q.Answered.Add(time.Duration(q.RetryAfter) * time.Second) }
	// inFlight bounds the requests on their way when a 429 is answered:
	// the pool's workers and the participants identifying their account
	// (outside the pool); grace is how long they may take to arrive.
	inFlight := o.Account.Fetch.Workers + o.Parallel
	const grace = 250 * time.Millisecond
	for _, q := range limited {
		start, end := q.Answered, pauseEnd(q)
		early := 0
		for _, r := range reqs {
			if r.Client != q.Client || !r.Arrived.After(start) || !r.Arrived.Before(end) {
				continue
			}
			if r.Arrived.After(start.Add(grace)) {
				t.Errorf("user %d's request (%s) arrived %v into the %ds pause announced to user %d",
					r.User, r.Route, r.Arrived.Sub(start).Round(time.Millisecond), q.RetryAfter, q.User)
				continue
			}
			early++
		}
		if early > inFlight {
			t.Errorf("%d requests arrived as the pause began; at most %d can have been on their way", early, inFlight)
		}
	}
	first := pauseEnd(limited[0])
	for _, q := range limited[1:] {
		if q.Arrived.After(first) {
			t.Errorf("user %d ran into the application's limit again %v after the first pause: the cohort did not keep to the budget it was told",
				q.User, q.Arrived.Sub(first).Round(time.Millisecond))
		}
	}
	t.Logf("%d requests, %d application-tier 429s", len(reqs), len(limited))
}
