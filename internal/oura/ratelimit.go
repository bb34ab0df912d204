package oura

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limiter keeps the requests made with one token within the API's rate limit:
// at most Limit requests in any Window (Oura: 5000 per 5 minutes), counted
// over a sliding window, so the server never has a reason to answer 429. It
// also follows what the server says: a Retry-After pauses every request on
// the token, and X-RateLimit-Remaining: 0 waits for X-RateLimit-Reset.
//
// One Limiter per token keeps a client within its token's budget; one
// shared by several clients (ClientOptions.App, NewApplicationLimiter)
// keeps all of an application's tokens within the application's.
//
// A sliding window allows a burst up to the whole budget (a small export
// runs at full speed) and then paces at the rate the window frees up. A
// token bucket (golang.org/x/time/rate) cannot express "N per window"
// without either wasting the budget or exceeding it.
type Limiter struct {
	mu     sync.Mutex
	limit  int           // our own budget: limit requests per window
	window time.Duration //
	// slimit and swindow are the budget the server's X-RateLimit-Limit and
	// -Window state (0: none stated yet); requests keep within both.
	slimit  int
	swindow time.Duration
	sent    []time.Time // send times within the longer window, oldest first
	pause   time.Time   // no request before this instant
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	waits   int64
}

// NewLimiter returns a limiter allowing limit requests per window. A limit
// of 0 or less means no limit of our own (server answers are still obeyed).
func NewLimiter(limit int, window time.Duration) *Limiter {
	return &Limiter{limit: limit, window: window, now: time.Now, sleep: sleep}
}

// slack is added to the window to absorb the difference between when we
// send and when the server counts.
const slack = 500 * time.Millisecond

// Wait blocks until a request may be sent, and counts it as sent.
func (l *Limiter) Wait(ctx context.Context) error { return waitAll(ctx, l) }

// waitAll blocks until every limiter of ls allows a request, and counts it
// as sent in each, at the same instant: a client's own limiter and the one
// of its application (ClientOptions.App). Limiters are locked in the order
// given; every caller gives the token's before the application's.
func waitAll(ctx context.Context, ls ...*Limiter) error {
	for {
		for _, l := range ls {
			l.mu.Lock()
		}
		now := ls[0].now()
		var until time.Time
		var blocked *Limiter
		for _, l := range ls {
			if u := l.next(now); u.After(until) {
				until, blocked = u, l
			}
		}
		if until.IsZero() {
			for _, l := range ls {
				l.record(now)
			}
		} else {
			blocked.waits++
		}
		for i := len(ls) - 1; i >= 0; i-- {
			ls[i].mu.Unlock()
		}
		if until.IsZero() {
			return nil
		}
		if err := ls[0].sleep(ctx, until.Sub(now)); err != nil {
			return err
		}
	}
}

// next returns when the next request may be sent (zero: now), forgetting
// the sends that left both windows. The caller holds mu.
func (l *Limiter) next(now time.Time) time.Time {
	if now.Before(l.pause) {
		return l.pause
	}
	horizon := l.window
	if l.slimit > 0 {
		horizon = max(horizon, l.swindow)
	}
	cut := 0
	for cut < len(l.sent) && !now.Before(l.sent[cut].Add(horizon+slack)) {
		cut++
	}
	l.sent = l.sent[cut:]
	a, b := l.within(now, l.limit, l.window), l.within(now, l.slimit, l.swindow)
	if b.After(a) {
		return b
	}
	return a
}

// within returns when a request keeps within limit per window (zero: now).
func (l *Limiter) within(now time.Time, limit int, window time.Duration) time.Time {
	if limit <= 0 || len(l.sent) < limit {
		return time.Time{}
	}
	// The sends still inside this window are the last ones.
	in := len(l.sent) - sort.Search(len(l.sent), func(i int) bool { return now.Before(l.sent[i].Add(window + slack)) })
	if in < limit {
		return time.Time{}
	}
	return l.sent[len(l.sent)-limit].Add(window + slack)
}

// record counts a request sent at now. The caller holds mu.
func (l *Limiter) record(now time.Time) {
	if l.limit > 0 || l.slimit > 0 {
		l.sent = append(l.sent, now)
	}
}

// PauseFor stops every request on the token for d (a Retry-After).
func (l *Limiter) PauseFor(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := l.now().Add(d); until.After(l.pause) {
		l.pause = until
	}
}

// Observe reads the server's X-RateLimit-* headers. The budget they state
// is kept beside ours (requests keep within both: the server may allow a
// higher rate over a shorter window than we assume, or a lower one);
// Remaining 0 pauses until Reset.
func (l *Limiter) Observe(h http.Header) {
	limit, lerr := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	window, werr := strconv.Atoi(h.Get("X-RateLimit-Window"))
	remaining, rerr := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, serr := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	l.mu.Lock()
	defer l.mu.Unlock()
	// A window too long for a Duration would wrap negative and lift every limit.
	// A window longer than a day is no rate limit we could keep to in
	// memory (nor one Oura states); nor may it wrap a Duration negative.
	if lerr == nil && werr == nil && limit > 0 && window > 0 && window <= 86400 {
		l.slimit, l.swindow = limit, time.Duration(window)*time.Second
	}
	if rerr == nil && serr == nil && remaining <= 0 {
		// Reset names a whole second, and the window may end anywhere in
		// it: wait for the second to pass.
		if until := time.Unix(reset, 0).Add(time.Second); until.After(l.pause) && until.Sub(l.now()) < time.Hour {
			l.pause = until
		}
	}
}

// Waits reports how often a request had to wait for the limit.
func (l *Limiter) Waits() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waits
}

// NewApplicationLimiter returns the limiter of an application, to share
// between the clients of its tokens (ClientOptions.App). It has no budget
// of its own: Oura does not publish the application tiers, so it learns
// one from the application's 429 answers (their X-RateLimit-* headers and
// Retry-After) and from then on paces every client that shares it.
func NewApplicationLimiter() *Limiter { return NewLimiter(0, 0) }

// ApplicationTier reports whether an answer's rate-limit headers are about
// the application (all tokens of the OAuth client together) rather than
// the access token: X-RateLimit-Tier "application" or a spelling of it
// ("app", "per_application", "client"). Oura documents the header's
// existence, not its values (API-NOTES 2.5); anything else is the token's.
func ApplicationTier(h http.Header) bool {
	t := strings.ToLower(strings.TrimSpace(h.Get("X-RateLimit-Tier")))
	if t == "" {
		return false
	}
	t = strings.NewReplacer("-", "_", " ", "_").Replace(t)
	switch t {
	case "application", "app", "per_application", "per_app", "application_id", "client", "client_id", "per_client", "oauth_client":
		return true
	}
	return false
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
