package cli

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/internal/webhook"
)

// webhookWorld is a sandbox, a callback answering its challenges with the
// token of a token file, and the environment the webhook commands read.
type webhookWorld struct {
	srv                  *sandbox.Server
	api, callback, token string
	tokenFile            string
	accepted             chan webhook.Event
}

func newWebhookWorld(t *testing.T) *webhookWorld {
	t.Helper()
	srv, api := startSandboxServer(t, sandbox.Options{NoGzip: true, WebhookDelay: 10 * time.Millisecond, WebhookRetryBase: 20 * time.Millisecond})
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("HOME", dir)
	t.Setenv("OURAEXPORT_CONFIG", "")
	t.Setenv("OURA_CLIENT_ID", sandbox.ClientID)
	t.Setenv("OURA_CLIENT_SECRET", sandbox.ClientSecret)
	w := &webhookWorld{srv: srv, api: api, tokenFile: filepath.Join(dir, "hook-token"), accepted: make(chan webhook.Event, 1000)}
	// The callback reads the token the command makes, as watch would.
	var err error
	w.token, err = webhook.LoadOrCreateToken(w.tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	cb := httptest.NewServer(&webhook.Handler{Secret: sandbox.ClientSecret, VerificationToken: w.token,
		Accept: func(_ context.Context, e webhook.Event, _ []byte) error { w.accepted <- e; return nil }})
	t.Cleanup(cb.Close)
	w.callback = cb.URL + "/hook"
	return w
}

func (w *webhookWorld) run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	args = append(args, "--api-url", w.api, "--verification-token-file", w.tokenFile)
	out, stderr, err := run(args...)
	for _, secret := range []string{sandbox.ClientSecret, w.token} {
		if strings.Contains(out+stderr, secret) || (err != nil && strings.Contains(err.Error(), secret)) {
			t.Errorf("%v: the output shows a secret:\n%s%s", args, out, stderr)
		}
	}
	return out, stderr, err
}

func TestWebhookCommands(t *testing.T) {
	w := newWebhookWorld(t)
	out, stderr, err := w.run(t, "webhook", "subscribe", "--callback-url", w.callback)
	if err != nil {
		t.Fatalf("subscribe: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "to 51 of 51 events (17 data types × create, update, delete): 51 made, 0 renewed, 0 already there") {
		t.Errorf("subscribe said:\n%s", out)
	}
	if n := len(w.srv.Subscriptions()); n != 51 {
		t.Fatalf("the sandbox holds %d subscriptions, want 51", n)
	}
	out, _, err = w.run(t, "webhook", "subscribe", "--callback-url", w.callback, "--collections", "tag,vO2_max")
	if err != nil || !strings.Contains(out, "6 of 6 events") || !strings.Contains(out, "0 made, 0 renewed, 6 already there") {
		t.Errorf("subscribe again: %v\n%s", err, out)
	}
	// The subscriptions deliver: a day later, events arrive.
	w.srv.AdvanceChanges(1)
	select {
	case e := <-w.accepted:
		if _, ok := e.Collection(); !ok {
			t.Errorf("event %+v", e)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no event arrived")
	}
	out, _, err = w.run(t, "webhook", "list")
	if err != nil || strings.Count(out, w.callback) != 51 || !strings.Contains(out, "vo2_max") {
		t.Errorf("list: %v\n%s", err, out)
	}
	out, _, err = w.run(t, "webhook", "list", "--json")
	var subs []subscriptionJSON
	if err != nil || json.Unmarshal([]byte(out), &subs) != nil || len(subs) != 51 || subs[0].Expires.IsZero() || subs[0].Expired {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	// Expired subscriptions: list says so, renew fixes it.
	w.srv.SetWebhookTTL(time.Nanosecond)
	if _, _, err := w.run(t, "webhook", "renew", subs[0].ID, subs[1].ID); err != nil {
		t.Fatal(err)
	}
	w.srv.SetWebhookTTL(0)
	out, _, err = w.run(t, "webhook", "list")
	if !errors.Is(err, webhook.ErrExpired) || !strings.Contains(Message(err), "2 of 51 subscriptions have expired") || strings.Count(out, "EXPIRED") != 2 {
		t.Errorf("list with 2 expired: %v\n%s", err, out)
	}
	out, _, err = w.run(t, "webhook", "renew", "--callback-url", w.callback)
	if err != nil || strings.Count(out, "Renewed ") != 51 {
		t.Errorf("renew: %v\n%s", err, out)
	}
	if _, _, err := w.run(t, "webhook", "list"); err != nil {
		t.Errorf("list after renew: %v", err)
	}
	// Delete one, then an unknown one, then the callback's.
	out, _, err = w.run(t, "webhook", "delete", subs[0].ID)
	if err != nil || out != "Deleted "+subs[0].ID+".\n" {
		t.Errorf("delete: %v %q", err, out)
	}
	_, stderr, err = w.run(t, "webhook", "delete", subs[0].ID)
	if !errors.Is(err, ErrBadInput) || !strings.Contains(Message(err), "does not exist") || !strings.Contains(stderr, "Could not delete") {
		t.Errorf("delete of a deleted id: %v %q", err, stderr)
	}
	out, _, err = w.run(t, "webhook", "delete", "--callback-url", w.callback)
	if err != nil || strings.Count(out, "Deleted ") != 50 || len(w.srv.Subscriptions()) != 0 {
		t.Errorf("delete --callback-url: %v, %d left\n%s", err, len(w.srv.Subscriptions()), out)
	}
}

func TestWebhookCommandErrors(t *testing.T) {
	w := newWebhookWorld(t)
	t.Setenv("OURA_CLIENT_SECRET", "wrong-secret")
	_, _, err := w.run(t, "webhook", "list")
	if !errors.Is(err, ErrAuthNeeded) || !strings.Contains(Message(err), "403 Forbidden") || !strings.Contains(Message(err), "$OURA_CLIENT_SECRET") {
		t.Errorf("a wrong secret: %v", err)
	}
	t.Setenv("OURA_CLIENT_SECRET", sandbox.ClientSecret)
	// A callback that does not know the token fails Oura's verification.
	other, err := webhook.LoadOrCreateToken(filepath.Join(t.TempDir(), "other"))
	if err != nil {
		t.Fatal(err)
	}
	cb := httptest.NewServer(&webhook.Handler{Secret: sandbox.ClientSecret, VerificationToken: other})
	defer cb.Close()
	out, _, err := w.run(t, "webhook", "subscribe", "--callback-url", cb.URL, "--collections", "tag")
	if !errors.Is(err, ErrBadInput) || !strings.Contains(Message(err), "3 of 3 subscriptions could not be made") || !strings.Contains(Message(err), "could not verify the callback") {
		t.Errorf("subscribe with a callback that fails verification: %v\n%s", err, out)
	}
	if n := len(w.srv.Subscriptions()); n != 0 {
		t.Errorf("%d subscriptions made", n)
	}
}

// TestWebhookSandbox: --sandbox subscribes a callback in a sandbox of its
// own, which checks the callback's answer to the challenge.
func TestWebhookSandbox(t *testing.T) {
	w := newWebhookWorld(t)
	t.Setenv("OURA_CLIENT_ID", "")
	t.Setenv("OURA_CLIENT_SECRET", "")
	out, stderr, err := run("webhook", "subscribe", "--sandbox", "--callback-url", w.callback, "--verification-token-file", w.tokenFile, "--collections", "sleep")
	if err != nil || !strings.Contains(out, "3 made") {
		t.Errorf("subscribe --sandbox: %v\n%s%s", err, out, stderr)
	}
}
