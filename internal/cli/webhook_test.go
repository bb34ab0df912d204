package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/webhook"
)

// TestWebhookUsage: command lines the webhook commands refuse before
// reaching a server, each with one line saying what to do.
func TestWebhookUsage(t *testing.T) {
	t.Setenv("OURA_CLIENT_ID", "")
	t.Setenv("OURA_CLIENT_SECRET", "")
	t.Setenv("OURAEXPORT_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"webhook"}, "say what to do"},
		{[]string{"webhook", "frob"}, `unknown webhook command "frob"`},
		{[]string{"webhook", "subscribe"}, "--callback-url is missing"},
		{[]string{"webhook", "subscribe", "--callback-url", "http://example.com/hook"}, "must use https"},
		{[]string{"webhook", "subscribe", "--callback-url", "https://example.com/hook", "--collections", "heartrate"}, "no webhook events for heartrate"},
		{[]string{"webhook", "subscribe", "--callback-url", "https://example.com/hook", "--collections", "slep"}, `unknown collection "slep"`},
		{[]string{"webhook", "subscribe", "--callback-url", "https://example.com/hook"}, "no OAuth client id"},
		{[]string{"webhook", "list", "--client-id", "x"}, "no client secret"},
		{[]string{"webhook", "list", "--client-secret", "s3cr3t"}, "never taken as a flag value"},
		{[]string{"webhook", "list", "--sandbox", "--api-url", "http://127.0.0.1:1"}, "exclude each other"},
		{[]string{"webhook", "delete"}, "their ids, --callback-url URL, or --all"},
		{[]string{"webhook", "delete", "--all", "x"}, "drop the ids"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, _, err := run(tc.args...)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want a usage error", err)
			}
			if msg := Message(err); !strings.Contains(msg, tc.says) || strings.Contains(msg, "\n") || strings.Contains(msg, "s3cr3t") {
				t.Errorf("message %q, want one line saying %q", msg, tc.says)
			}
			if out != "" {
				t.Errorf("printed %q", out)
			}
		})
	}
}

func TestWebhookDataTypes(t *testing.T) {
	all, err := webhookDataTypes("x", nil)
	if err != nil || len(all) != 17 || !slices.Contains(all, "vo2_max") || slices.Contains(all, "meal") {
		t.Errorf("default data types = %v, %v; want the 17 an export writes", all, err)
	}
	got, err := webhookDataTypes("x", []string{"vO2_max", "Tag", "daily_sleep", "vo2_max"})
	if err != nil || !slices.Equal(got, []string{"tag", "daily_sleep", "vo2_max"}) {
		t.Errorf("data types of vO2_max,Tag,daily_sleep,vo2_max = %v, %v", got, err)
	}
}

func TestPrintSubscriptions(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	subs := []webhook.Subscription{
		{ID: "a1", DataType: "tag", EventType: "create", CallbackURL: "https://x/hook", Expires: now.Add(48 * time.Hour)},
		{ID: "b2", DataType: "sleep", EventType: "delete", CallbackURL: "https://x/hook", Expires: now.Add(-time.Hour)},
	}
	var b bytes.Buffer
	err := printSubscriptions(&b, subs, now, false)
	if !errors.Is(err, webhook.ErrExpired) || !strings.Contains(err.Error(), "b2 (sleep delete) expired") || !strings.Contains(err.Error(), "webhook renew") {
		t.Errorf("err = %v, want b2's expiry and what to do", err)
	}
	for _, want := range []string{"ID  ", "a1  tag", "2026-12-06 12:00  ", "2026-12-04 11:00 EXPIRED"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := printSubscriptions(&b, subs[:1], now, true); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil || len(got) != 1 || got[0]["expiration_time"] != "2026-12-06T12:00:00Z" || got[0]["expired"] != false {
		t.Errorf("--json: %s (%v)", b.String(), err)
	}
	b.Reset()
	if err := printSubscriptions(&b, nil, now, false); err != nil || !strings.Contains(b.String(), "webhook subscribe") {
		t.Errorf("no subscriptions: %q, %v", b.String(), err)
	}
}
