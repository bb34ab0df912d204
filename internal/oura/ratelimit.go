package oura

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Limiter keeps the requests made with one token within the API's rate limit:
// at most Limit requests in any Window (Oura: 5000 per 5 minutes), counted
// over a sliding window, so the server never has a reason to answer 429. It
// also follows what the server says: a Retry-After pauses every request on
// the token, and X-RateLimit-Remaining: 0 waits for X-RateLimit-Reset.
//
// A sliding window allows a burst up to the whole budget (a small export
// runs at full speed) and then paces at the rate the window frees up. A
// token bucket (golang.org/x/time/rate) cannot express "N per window"
// without either wasting the budget or exceeding it.
type Limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	sent   []time.Time // send times within the window, oldest first
	pause  time.Time   // no request before this instant
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	waits  int64
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
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := l.now()
		var until time.Time
		if now.Before(l.pause) {
			until = l.pause
		} else if l.limit > 0 {
			cut := 0
			for cut < len(l.sent) && !now.Before(l.sent[cut].Add(l.window+slack)) {
				cut++
			}
			l.sent = l.sent[cut:]
			if len(l.sent) >= l.limit {
				until = l.sent[len(l.sent)-l.limit].Add(l.window + slack)
			}
		}
		if until.IsZero() {
			if l.limit > 0 {
				l.sent = append(l.sent, now)
			}
			l.mu.Unlock()
			return nil
		}
		l.waits++
		l.mu.Unlock()
		if err := l.sleep(ctx, until.Sub(now)); err != nil {
			return err
		}
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

// Observe reads the server's X-RateLimit-* headers. A smaller limit than
// ours is adopted; Remaining 0 pauses until Reset.
func (l *Limiter) Observe(h http.Header) {
	limit, lerr := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	window, werr := strconv.Atoi(h.Get("X-RateLimit-Window"))
	remaining, rerr := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, serr := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	l.mu.Lock()
	defer l.mu.Unlock()
	// A window too long for a Duration would wrap negative and lift every limit.
	if lerr == nil && werr == nil && limit > 0 && window > 0 && time.Duration(window) <= math.MaxInt64/time.Second {
		w := time.Duration(window) * time.Second
		// Adopt the server's budget when it is stricter than ours.
		if l.limit <= 0 || float64(limit)/w.Seconds() < float64(l.limit)/l.window.Seconds() {
			l.limit, l.window = limit, w
		}
	}
	if rerr == nil && serr == nil && remaining <= 0 {
		if until := time.Unix(reset, 0); until.After(l.pause) && until.Sub(l.now()) < time.Hour {
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
