package webhook

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEnsure(t *testing.T) {
	ctx := context.Background()
	f := newFakeAPI(t)
	c := f.client()
	cb := callback(t, testToken)
	types := []string{"tag", "vo2_max", "daily_sleep"}
	// Another receiver's subscription is left alone.
	other := callback(t, "other-token")
	if _, err := c.Create(ctx, CreateRequest{CallbackURL: other, VerificationToken: "other-token", EventType: Create, DataType: "tag"}); err != nil {
		t.Fatal(err)
	}
	rep, err := c.Ensure(ctx, cb, testToken, types, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Created) != 9 || len(rep.Renewed)+len(rep.Kept)+len(rep.Failed) != 0 || len(rep.Others) != 1 {
		t.Fatalf("first Ensure: %d created, %d renewed, %d kept, %d failed, %d others; want 9, 0, 0, 0, 1",
			len(rep.Created), len(rep.Renewed), len(rep.Kept), len(rep.Failed), len(rep.Others))
	}
	if rep.Created[0].DataType != "tag" || rep.Created[0].EventType != Create || rep.Created[8].DataType != "daily_sleep" {
		// Oura's order: tag before daily_sleep before vo2_max.
		t.Logf("order: %v", rep.Created)
	}
	if e := rep.Expires(); time.Until(e) < 89*24*time.Hour {
		t.Errorf("Expires = %v", e)
	}
	// Again: nothing to do.
	f.requests = nil
	rep, err = c.Ensure(ctx, cb, testToken, types, 7*24*time.Hour)
	if err != nil || len(rep.Kept) != 9 || len(rep.Created)+len(rep.Renewed) != 0 {
		t.Fatalf("second Ensure: %+v, %v; want 9 kept", rep, err)
	}
	if len(f.requests) != 1 {
		t.Errorf("an Ensure with nothing to do made %d requests, want 1 (the list)", len(f.requests))
	}
	// Within the renewal window: every one is renewed, none created.
	rep, err = c.Ensure(ctx, cb, testToken, types, 95*24*time.Hour)
	if err != nil || len(rep.Renewed) != 9 || len(rep.Created)+len(rep.Kept) != 0 {
		t.Fatalf("Ensure within the window: %d renewed, %d created, %d kept, %v; want 9 renewed",
			len(rep.Renewed), len(rep.Created), len(rep.Kept), err)
	}
	// One more data type: only its three are made.
	rep, err = c.Ensure(ctx, cb, testToken, append(types, "workout", "tag", "workout"), 7*24*time.Hour)
	if err != nil || len(rep.Created) != 3 || len(rep.Kept) != 9 {
		t.Fatalf("Ensure with a new data type: %d created, %d kept, %v; want 3, 9", len(rep.Created), len(rep.Kept), err)
	}
	for _, s := range rep.Created {
		if s.DataType != "workout" {
			t.Errorf("created %+v", s)
		}
	}
}

func TestEnsureExpired(t *testing.T) {
	ctx := context.Background()
	f := newFakeAPI(t)
	c := f.client()
	cb := callback(t, testToken)
	f.ttl = -time.Hour // made expired
	if _, err := c.Ensure(ctx, cb, testToken, []string{"tag"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	subs, _ := c.List(ctx)
	for _, s := range subs {
		if !s.Expired(time.Now()) {
			t.Fatalf("%+v has not expired", s)
		}
	}
	f.ttl = 90 * 24 * time.Hour
	rep, err := c.Ensure(ctx, cb, testToken, []string{"tag"}, 0)
	if err != nil || len(rep.Renewed) != 3 {
		t.Fatalf("Ensure of expired subscriptions: %d renewed, %v; want 3", len(rep.Renewed), err)
	}
}

func TestEnsureFailures(t *testing.T) {
	ctx := context.Background()
	f := newFakeAPI(t)
	c := f.client()
	// The callback does not know this token: every create fails.
	cb := callback(t, "another-token")
	rep, err := c.Ensure(ctx, cb, testToken, []string{"tag", "sleep"}, time.Hour)
	if !errors.Is(err, ErrInvalid) || len(rep.Failed) != 6 || len(rep.Created) != 0 {
		t.Fatalf("Ensure with a callback that fails verification: %d failed, %v", len(rep.Failed), err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "6 of 6 subscriptions could not be made") || strings.Contains(msg, "\n") {
		t.Errorf("message %q", msg)
	}
	c.ClientSecret = "wrong"
	if _, err := c.Ensure(ctx, cb, testToken, []string{"tag"}, time.Hour); !errors.Is(err, ErrForbidden) {
		t.Errorf("Ensure with a wrong secret: %v, want ErrForbidden", err)
	}
	if _, err := c.Ensure(ctx, "http://example.com/hook", testToken, []string{"tag"}, time.Hour); err == nil {
		t.Error("Ensure took a plain http callback")
	}
}

// TestEnsureOptional: a server that does not offer an optional data type
// (as Oura's of spec 1.37 may not offer daily_cycle_phases) is no failure.
func TestEnsureOptional(t *testing.T) {
	f := newFakeAPI(t)
	rep, err := f.client().Ensure(context.Background(), callback(t, testToken), testToken, []string{"tag", "daily_cycle_phases"}, time.Hour)
	if err != nil || len(rep.Created) != 3 || len(rep.Failed) != 0 || len(rep.Refused) != 1 || rep.Refused[0] != "daily_cycle_phases" {
		t.Fatalf("Ensure: %d made, %d failed, refused %v, %v; want 3, 0, [daily_cycle_phases]", len(rep.Created), len(rep.Failed), rep.Refused, err)
	}
}
