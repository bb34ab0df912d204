package sandbox

import (
	"sync"
	"time"
)

// limiter is a per-token fixed-window rate limit: a window opens with a
// token's first request and lasts the configured duration; within it the
// token may make limit requests. Requests over the limit are not counted.
type limiter struct {
	mu      sync.Mutex
	limit   int
	window  time.Duration
	buckets map[string]*bucket
}

type bucket struct {
	start time.Time
	n     int
}

// quota is the state a response reports in X-RateLimit-* headers.
type quota struct {
	ok         bool
	limit      int
	remaining  int
	reset      time.Time
	retryAfter int // seconds, when !ok
}

func newLimiter(limit int, window time.Duration) *limiter {
	return &limiter{limit: limit, window: window, buckets: map[string]*bucket{}}
}

func (l *limiter) take(key string, now time.Time) quota {
	if l.limit < 0 {
		return quota{ok: true, limit: -1}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil || !now.Before(b.start.Add(l.window)) {
		if len(l.buckets) > 4096 {
			for k, x := range l.buckets {
				if !now.Before(x.start.Add(l.window)) {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{start: now}
		l.buckets[key] = b
	}
	q := quota{limit: l.limit, reset: b.start.Add(l.window)}
	if b.n >= l.limit {
		wait := q.reset.Sub(now)
		q.retryAfter = int((wait + time.Second - 1) / time.Second)
		if q.retryAfter < 1 {
			q.retryAfter = 1
		}
		return q
	}
	b.n++
	q.ok = true
	q.remaining = l.limit - b.n
	return q
}
