package oura

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// fakeClock is a clock that only moves when the limiter sleeps.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.t = c.t.Add(d)
	return nil
}

func newFakeLimiter(limit int, window time.Duration) (*Limiter, *fakeClock) {
	c := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(limit, window)
	l.now, l.sleep = c.now, c.sleep
	return l, c
}

func TestLimiterSlidingWindow(t *testing.T) {
	l, clock := newFakeLimiter(5, time.Minute)
	start := clock.t
	var sent []time.Time
	for range 12 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, clock.t)
		clock.t = clock.t.Add(time.Second) // requests take a second
	}
	// No window of a minute (plus slack) ever holds more than 5 sends.
	for i := range sent {
		n := 0
		for _, s := range sent[i:] {
			if s.Sub(sent[i]) < time.Minute {
				n++
			}
		}
		if n > 5 {
			t.Fatalf("%d requests within a minute starting at %v", n, sent[i].Sub(start))
		}
	}
	// The first five go at once (a burst within the budget).
	if got := sent[4].Sub(start); got != 4*time.Second {
		t.Errorf("5th request after %v, want 4s (no waiting within the budget)", got)
	}
	if got, want := sent[5].Sub(start), time.Minute+slack; got != want {
		t.Errorf("6th request after %v, want %v", got, want)
	}
}

func TestLimiterFollowsServer(t *testing.T) {
	l, clock := newFakeLimiter(5000, 5*time.Minute)
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "2")
	h.Set("X-RateLimit-Window", "10")
	l.Observe(h)
	start := clock.t
	for range 3 {
		l.Wait(context.Background())
	}
	if got := clock.t.Sub(start); got < 10*time.Second {
		t.Errorf("adopted server limit: third request after %v, want >= 10s", got)
	}
	// Remaining 0 pauses until the reset.
	h = http.Header{}
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(clock.t.Add(42*time.Second).Unix(), 10))
	l.Observe(h)
	before := clock.t
	l.Wait(context.Background())
	if got := clock.t.Sub(before); got < 41*time.Second {
		t.Errorf("Remaining 0: waited %v, want about 42s", got)
	}
	// Retry-After pauses everything.
	l.PauseFor(7 * time.Second)
	before = clock.t
	l.Wait(context.Background())
	if got := clock.t.Sub(before); got < 7*time.Second {
		t.Errorf("PauseFor: waited %v, want 7s", got)
	}
}

func TestLimiterCancel(t *testing.T) {
	l := NewLimiter(1, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	if err := l.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := l.Wait(ctx); err == nil {
		t.Fatal("Wait on a cancelled context returned nil")
	}
}
