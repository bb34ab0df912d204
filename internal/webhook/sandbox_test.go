package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/sandbox"
)

// These tests run the client and the handler against the sandbox, which
// emulates Oura's subscription routes and delivers signed events from its
// own code (internal/sandbox/webhook*.go).

// sandboxWorld is a sandbox and a callback served by a Handler.
type sandboxWorld struct {
	srv      *sandbox.Server
	client   *Client
	callback string
	rec      *recorder
	handler  *Handler
}

func newSandboxWorld(t *testing.T, o sandbox.Options) *sandboxWorld {
	t.Helper()
	o.NoGzip = true
	if o.WebhookDelay == 0 {
		o.WebhookDelay = 10 * time.Millisecond
	}
	if o.WebhookRetryBase == 0 {
		o.WebhookRetryBase = 20 * time.Millisecond
	}
	srv, err := sandbox.New(o)
	if err != nil {
		t.Fatal(err)
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	w := &sandboxWorld{srv: srv, rec: &recorder{},
		client: &Client{BaseURL: base, ClientID: sandbox.ClientID, ClientSecret: sandbox.ClientSecret}}
	w.handler = &Handler{Secret: sandbox.ClientSecret, VerificationToken: testToken, Accept: w.rec.accept}
	cb := httptest.NewServer(w.handler)
	t.Cleanup(cb.Close)
	w.callback = cb.URL + "/oura/webhook"
	return w
}

// exportTypes are the data types of every collection an export writes.
func exportTypes() []string {
	var colls []string
	for _, c := range exporter.V2Collections(nil) {
		colls = append(colls, c.Name)
	}
	return DataTypes(colls)
}

func TestSandboxEnsure(t *testing.T) {
	ctx := context.Background()
	w := newSandboxWorld(t, sandbox.Options{})
	types := exportTypes()
	rep, err := w.client.Ensure(ctx, w.callback, testToken, types, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Created) != 3*len(types) || len(rep.Kept)+len(rep.Renewed) != 0 {
		t.Fatalf("Ensure made %d, kept %d, renewed %d; want %d made", len(rep.Created), len(rep.Kept), len(rep.Renewed), 3*len(types))
	}
	// The sandbox holds what Ensure reports, with the same expiry.
	held := w.srv.Subscriptions()
	if len(held) != len(rep.Created) {
		t.Fatalf("the sandbox holds %d subscriptions, want %d", len(held), len(rep.Created))
	}
	for _, h := range held {
		i := slices.IndexFunc(rep.Created, func(s Subscription) bool { return s.ID == h.ID })
		if i < 0 || h.CallbackURL != w.callback || !rep.Created[i].Expires.Equal(h.Expires) || rep.Created[i].DataType != h.DataType {
			t.Errorf("sandbox %+v, Ensure reported %v", h, i)
		}
	}
	if d := time.Until(rep.Expires()); d < 89*24*time.Hour || d > 90*24*time.Hour {
		t.Errorf("they expire in %v, want 90 days", d)
	}
	// Again: nothing to make.
	rep, err = w.client.Ensure(ctx, w.callback, testToken, types, 7*24*time.Hour)
	if err != nil || len(rep.Kept) != 3*len(types) || len(rep.Created)+len(rep.Renewed) != 0 {
		t.Fatalf("second Ensure: %d kept, %d made, %d renewed, %v", len(rep.Kept), len(rep.Created), len(rep.Renewed), err)
	}
	// An expiration_time without an offset is the same instant, in UTC.
	w.srv.SetWebhookNaiveExpiry(true)
	subs, err := w.client.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		h := held[slices.IndexFunc(held, func(h sandbox.Subscription) bool { return h.ID == s.ID })]
		if !s.Expires.Equal(h.Expires) || s.Expires.Location() != time.UTC {
			t.Fatalf("naive expiry: %v, want %v in UTC", s.Expires, h.Expires)
		}
	}
	// Expired subscriptions are renewed, not made again.
	w.srv.SetWebhookNaiveExpiry(false)
	w.srv.SetWebhookTTL(time.Nanosecond)
	for _, s := range subs[:3] {
		if _, err := w.client.Renew(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
	}
	w.srv.SetWebhookTTL(0)
	expired := 0
	subs, _ = w.client.List(ctx)
	for _, s := range subs {
		if s.Expired(time.Now()) {
			expired++
			if err := s.Check(time.Now()); !errors.Is(err, ErrExpired) {
				t.Errorf("Check = %v", err)
			}
		}
	}
	if expired != 3 {
		t.Fatalf("%d subscriptions expired, want 3", expired)
	}
	rep, err = w.client.Ensure(ctx, w.callback, testToken, types, 7*24*time.Hour)
	if err != nil || len(rep.Renewed) != 3 || len(rep.Created) != 0 {
		t.Fatalf("Ensure with 3 expired: %d renewed, %d made, %v; want 3, 0", len(rep.Renewed), len(rep.Created), err)
	}
	for _, s := range rep.Renewed {
		if s.Expired(time.Now()) {
			t.Errorf("renewed %+v is still expired", s)
		}
	}
	// Delete and Get.
	if err := w.client.Delete(ctx, subs[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.client.Get(ctx, subs[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a deleted subscription: %v, want ErrNotFound", err)
	}
	if got, err := w.client.Get(ctx, subs[1].ID); err != nil || got.ID != subs[1].ID {
		t.Errorf("Get = %+v, %v", got, err)
	}
}

func TestSandboxErrors(t *testing.T) {
	ctx := context.Background()
	w := newSandboxWorld(t, sandbox.Options{})
	wrong := *w.client
	wrong.ClientSecret = "not-the-secret"
	_, err := wrong.List(ctx)
	if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "$OURA_CLIENT_SECRET") || strings.Contains(err.Error(), "not-the-secret") {
		t.Errorf("a wrong secret: %v", err)
	}
	for _, tc := range []struct {
		name string
		req  CreateRequest
		says string
	}{
		{"no data type for heartrate", CreateRequest{CallbackURL: w.callback, VerificationToken: testToken, EventType: Create, DataType: "heartrate"}, "data_type"},
		{"bad event type", CreateRequest{CallbackURL: w.callback, VerificationToken: testToken, EventType: "upsert", DataType: "tag"}, "event_type"},
		{"wrong verification token", CreateRequest{CallbackURL: w.callback, VerificationToken: "guess", EventType: Create, DataType: "tag"}, "could not verify the callback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.client.Create(ctx, tc.req)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.says) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Create: %v, want ErrInvalid saying %q", err, tc.says)
			}
		})
	}
	for name, do := range map[string]func() error{
		"get":    func() error { _, err := w.client.Get(ctx, "nope"); return err },
		"renew":  func() error { _, err := w.client.Renew(ctx, "nope"); return err },
		"delete": func() error { return w.client.Delete(ctx, "nope") },
		"update": func() error {
			_, err := w.client.Update(ctx, "nope", UpdateRequest{VerificationToken: testToken})
			return err
		},
	} {
		if err := do(); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "webhook list") {
			t.Errorf("%s of an unknown id: %v, want ErrNotFound", name, err)
		}
	}
	if n := len(w.srv.Subscriptions()); n != 0 {
		t.Errorf("the refused requests made %d subscriptions", n)
	}
}

// TestSandboxDelivery: the events the sandbox signs and sends after its
// history advances pass the Handler, and name collections an export has.
func TestSandboxDelivery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w := newSandboxWorld(t, sandbox.Options{Users: 2})
	var logs strings.Builder
	w.handler.Log = newTextLogger(&logs)
	if _, err := w.client.Ensure(ctx, w.callback, testToken, exportTypes(), time.Hour); err != nil {
		t.Fatal(err)
	}
	_, changes := w.srv.AdvanceChanges(2)
	if len(changes) == 0 {
		t.Fatal("advancing 2 days changed nothing")
	}
	if err := w.srv.WaitWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	st := w.srv.Webhooks()
	if st.Failed != 0 || st.Delivered == 0 || st.Delivered != int64(w.rec.count()) {
		t.Fatalf("delivered %d, failed %d (%s); the handler accepted %d", st.Delivered, st.Failed, st.LastFailure, w.rec.count())
	}
	want := map[string]bool{}
	for _, c := range changes {
		if c.DataType != "" {
			want[c.Op+" "+c.Collection+" "+c.ID] = true
		}
	}
	got := map[string]bool{}
	users := map[string]bool{}
	for _, e := range w.rec.snapshot() {
		coll, ok := e.Collection()
		if !ok {
			t.Errorf("event of unknown data type %+v", e)
		}
		if _, ok := e.Time(); !ok || e.UserID == "" {
			t.Errorf("event %+v: event_time or user_id missing", e)
		}
		got[e.EventType+" "+coll+" "+e.ObjectID] = true
		users[e.UserID] = true
	}
	for k := range want {
		if !got[k] {
			t.Errorf("no event for %s", k)
		}
	}
	if len(users) != 2 {
		t.Errorf("events of %d users, want 2", len(users))
	}
	if strings.Contains(logs.String(), "refused") {
		t.Errorf("the handler refused a delivery:\n%s", logs.String())
	}
}

func newTextLogger(w *strings.Builder) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
