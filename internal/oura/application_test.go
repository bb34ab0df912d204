package oura

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestLimiterKeepsBothBudgets checks that a budget the server states is
// kept beside our own: a server allowing 20 requests a second holds a burst
// to 20 even though our 5000 per 5 minutes is the lower rate.
func TestLimiterKeepsBothBudgets(t *testing.T) {
	l, clock := newFakeLimiter(5000, 5*time.Minute)
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "20")
	h.Set("X-RateLimit-Window", "1")
	l.Observe(h)
	start := clock.t
	for range 20 {
		l.Wait(context.Background())
	}
	if clock.t != start {
		t.Fatalf("the first 20 requests waited %v", clock.t.Sub(start))
	}
	l.Wait(context.Background())
	if got := clock.t.Sub(start); got < time.Second {
		t.Errorf("the 21st request went after %v, want a second", got)
	}
	// Our own budget still holds when the server's is looser.
	l2, clock2 := newFakeLimiter(3, time.Minute)
	h.Set("X-RateLimit-Limit", "1000")
	l2.Observe(h)
	start = clock2.t
	for range 4 {
		l2.Wait(context.Background())
	}
	if got := clock2.t.Sub(start); got < time.Minute {
		t.Errorf("the 4th request went after %v, want our minute", got)
	}
}

// TestApplicationLimiterIsShared checks that a pause of the application's
// limiter holds every token's requests, a token's pause only its own, and
// that the application's stated budget paces all tokens together.
func TestApplicationLimiterIsShared(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	mk := func(l *Limiter) *Limiter { l.now, l.sleep = clock.now, clock.sleep; return l }
	app := mk(NewApplicationLimiter())
	a, b := mk(NewLimiter(5000, 5*time.Minute)), mk(NewLimiter(5000, 5*time.Minute))
	ctx := context.Background()

	a.PauseFor(3 * time.Second) // a token's 429
	start := clock.t
	waitAll(ctx, b, app)
	if clock.t != start {
		t.Errorf("token b waited %v for token a's pause", clock.t.Sub(start))
	}
	waitAll(ctx, a, app)
	if got := clock.t.Sub(start); got != 3*time.Second {
		t.Errorf("token a waited %v, want its 3s", got)
	}

	app.PauseFor(5 * time.Second) // the application's 429
	start = clock.t
	waitAll(ctx, b, app)
	if got := clock.t.Sub(start); got != 5*time.Second {
		t.Errorf("token b waited %v for the application's pause, want 5s", got)
	}

	h := http.Header{}
	h.Set("X-RateLimit-Limit", "4")
	h.Set("X-RateLimit-Window", "10")
	app.Observe(h)
	start = clock.t
	for i := range 5 {
		waitAll(ctx, []*Limiter{a, b}[i%2], app)
	}
	if got := clock.t.Sub(start); got < 10*time.Second {
		t.Errorf("5 requests of two tokens within the application's 4 per 10s took %v", got)
	}
}

func TestApplicationTier(t *testing.T) {
	for v, want := range map[string]bool{"application": true, "Application": true, "app": true, "per-application": true,
		"client": true, "client_id": true, "access_token": false, "token": false, "user": false, "": false, "applications!": false} {
		h := http.Header{}
		if v != "" {
			h.Set("X-RateLimit-Tier", v)
		}
		if got := ApplicationTier(h); got != want {
			t.Errorf("ApplicationTier(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestClientApplicationPause runs two clients of one application against a
// server whose first answer to token A is the application's 429: token B's
// request, sent while A waits, must wait too; a token's own 429 must not
// hold the other token.
func TestClientApplicationPause(t *testing.T) {
	for _, tier := range []string{"application", "access_token"} {
		t.Run(tier, func(t *testing.T) {
			var mu sync.Mutex
			var limited bool
			arrived := map[string][]time.Time{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tok := r.Header.Get("Authorization")
				mu.Lock()
				arrived[tok] = append(arrived[tok], time.Now())
				first := !limited && tok == "Bearer A"
				limited = limited || first
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				if first {
					w.Header().Set("Retry-After", "1")
					w.Header().Set("X-RateLimit-Tier", tier)
					w.WriteHeader(http.StatusTooManyRequests)
					fmt.Fprint(w, `{"detail":"slow down"}`)
					return
				}
				fmt.Fprint(w, okBody)
			}))
			defer srv.Close()
			app := NewApplicationLimiter()
			mk := func(tok string) *Client {
				c, err := NewClient(ClientOptions{BaseURL: srv.URL, Tokens: StaticToken(tok), App: app,
					Retry: &Retry{Attempts: 2, MaxRateLimited: 3, Base: time.Millisecond, Max: time.Millisecond}})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			a, b := mk("A"), mk("B")
			start := time.Now()
			done := make(chan error, 1)
			go func() { _, err := a.Get(context.Background(), "/x", nil, nil); done <- err }()
			for { // B starts once A has been told to wait
				mu.Lock()
				l := limited
				mu.Unlock()
				if l {
					break
				}
				time.Sleep(time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond)
			if _, err := b.Get(context.Background(), "/x", nil, nil); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			waitedB := arrived["Bearer B"][0].Sub(start)
			if tier == "application" && waitedB < 900*time.Millisecond {
				t.Errorf("token B sent after %v, inside the application's 1s pause", waitedB)
			}
			if tier == "access_token" && waitedB > 700*time.Millisecond {
				t.Errorf("token B waited %v for token A's own 429", waitedB)
			}
			if len(arrived["Bearer A"]) != 2 || arrived["Bearer A"][1].Sub(arrived["Bearer A"][0]) < 900*time.Millisecond {
				t.Errorf("token A's retry: %v", arrived["Bearer A"])
			}
		})
	}
}
