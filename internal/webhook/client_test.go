package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestClient(t *testing.T) {
	ctx := context.Background()
	f := newFakeAPI(t)
	c := f.client()
	cb := callback(t, testToken)
	subs, err := c.List(ctx)
	if err != nil || len(subs) != 0 {
		t.Fatalf("List = %v, %v; want none", subs, err)
	}
	s, err := c.Create(ctx, CreateRequest{CallbackURL: cb, VerificationToken: testToken, EventType: Create, DataType: "vo2_max"})
	if err != nil {
		t.Fatal(err)
	}
	if s.ID == "" || s.CallbackURL != cb || s.EventType != Create || s.DataType != "vo2_max" {
		t.Errorf("Create = %+v", s)
	}
	if d := time.Until(s.Expires); d < 89*24*time.Hour || d > 91*24*time.Hour || s.Expires.Location() != time.UTC {
		t.Errorf("Expires = %v, want in 90 days, UTC", s.Expires)
	}
	got, err := c.Get(ctx, s.ID)
	if err != nil || got != s {
		t.Errorf("Get = %+v, %v; want %+v", got, err, s)
	}
	u, err := c.Update(ctx, s.ID, UpdateRequest{VerificationToken: testToken, EventType: Delete})
	if err != nil || u.EventType != Delete || u.DataType != "vo2_max" {
		t.Errorf("Update = %+v, %v", u, err)
	}
	f.ttl = 100 * 24 * time.Hour
	r, err := c.Renew(ctx, s.ID)
	if err != nil || !r.Expires.After(s.Expires) {
		t.Errorf("Renew = %+v, %v; want a later expiry than %v", r, err, s.Expires)
	}
	if err := c.Delete(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if subs, _ := c.List(ctx); len(subs) != 0 {
		t.Errorf("after Delete, List = %v", subs)
	}
}

func TestClientNaiveExpiry(t *testing.T) {
	f := newFakeAPI(t)
	f.naive = true
	s, err := f.client().Create(context.Background(), CreateRequest{CallbackURL: callback(t, testToken), VerificationToken: testToken, EventType: Update, DataType: "tag"})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Now().Add(f.ttl).UTC().Truncate(time.Second)
	if d := s.Expires.Sub(want); d < -5*time.Second || d > 5*time.Second || s.Expires.Location() != time.UTC {
		t.Errorf("an expiration_time without offset became %v, want %v (UTC)", s.Expires, want)
	}
}

func TestClientErrors(t *testing.T) {
	ctx := context.Background()
	f := newFakeAPI(t)
	cb := callback(t, testToken)
	c := f.client()
	for _, tc := range []struct {
		name string
		do   func(*Client) error
		want error
		says string // in the message
	}{
		{"wrong secret", func(c *Client) error {
			c.ClientSecret = "wrong"
			_, err := c.List(ctx)
			return err
		}, ErrForbidden, "$OURA_CLIENT_SECRET"},
		{"no secret", func(c *Client) error {
			c.ClientSecret = ""
			_, err := c.List(ctx)
			return err
		}, ErrNoCredentials, "$OURA_CLIENT_SECRET"},
		{"unknown id", func(c *Client) error { _, err := c.Get(ctx, "nope"); return err }, ErrNotFound, "webhook list"},
		{"renew unknown id", func(c *Client) error { _, err := c.Renew(ctx, "nope"); return err }, ErrNotFound, "does not exist"},
		{"delete unknown id", func(c *Client) error { return c.Delete(ctx, "nope") }, ErrNotFound, "No webhook id nope found."},
		{"bad data type", func(c *Client) error {
			_, err := c.Create(ctx, CreateRequest{CallbackURL: cb, VerificationToken: testToken, EventType: Create, DataType: "heartrate"})
			return err
		}, ErrInvalid, "body.data_type: Invalid data_type value"},
		{"wrong verification token", func(c *Client) error {
			_, err := c.Create(ctx, CreateRequest{CallbackURL: cb, VerificationToken: "other", EventType: Create, DataType: "tag"})
			return err
		}, ErrInvalid, "could not verify the callback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc := *c
			err := tc.do(&cc)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.says) || strings.Contains(msg, "\n") || strings.Contains(msg, "csecret") {
				t.Errorf("message %q: want one line saying %q, without the secret", msg, tc.says)
			}
		})
	}
	if _, err := c.Create(ctx, CreateRequest{CallbackURL: "http://example.com/hook", VerificationToken: testToken, EventType: Create, DataType: "tag"}); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("an http callback: %v, want a refusal naming https", err)
	}
}

func TestClientRetries(t *testing.T) {
	ctx := context.Background()
	f := newFakeAPI(t)
	f.busy = 2
	if _, err := f.client().List(ctx); err != nil {
		t.Errorf("List after two 503s: %v", err)
	}
	f.busy = 5
	if _, err := f.client().List(ctx); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("List after five 503s: %v, want the 503", err)
	}
	// A create is never repeated: it could make two subscriptions.
	f.busy = 1
	f.requests = nil
	_, err := f.client().Create(ctx, CreateRequest{CallbackURL: callback(t, testToken), VerificationToken: testToken, EventType: Create, DataType: "tag"})
	if err == nil || len(f.requests) != 1 {
		t.Errorf("Create after a 503: %v after %d requests, want the error after 1", err, len(f.requests))
	}
}

// TestClientNoRedirect checks that the client secret never follows a
// redirect.
func TestClientNoRedirect(t *testing.T) {
	leaked := make(chan string, 1)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked <- r.Header.Get("x-client-secret")
		w.Write([]byte("[]"))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, ClientID: "cid", ClientSecret: "csecret"}
	if _, err := c.List(context.Background()); err == nil {
		t.Error("a redirect was taken for an answer")
	}
	select {
	case s := <-leaked:
		t.Errorf("the redirect was followed, with secret %q", s)
	default:
	}
}

func TestClientNotAPI(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>hello</html>"))
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, ClientID: "cid", ClientSecret: "csecret"}
	if _, err := c.List(context.Background()); err == nil || !strings.Contains(err.Error(), "--api-url") {
		t.Errorf("List from a web page: %v, want an error naming --api-url", err)
	}
}

func TestSubscriptionCheck(t *testing.T) {
	now := time.Now()
	s := Subscription{ID: "x", DataType: "tag", EventType: Create, Expires: now.Add(-time.Minute)}
	err := s.Check(now)
	if !errors.Is(err, ErrExpired) || !strings.Contains(err.Error(), "webhook renew") {
		t.Errorf("Check of an expired subscription = %v", err)
	}
	s.Expires = now.Add(time.Hour)
	if err := s.Check(now); err != nil {
		t.Errorf("Check of a live subscription = %v", err)
	}
}
