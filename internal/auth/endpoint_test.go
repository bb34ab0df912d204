package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/sandbox"
	"golang.org/x/oauth2"
)

// TestLoginFallsBackBothWays logs in to a sandbox whose client only one of
// the two token endpoints knows, starting at the other: the code exchange
// falls back (portal to legacy on the portal's 401 invalid_client, legacy
// to portal on the legacy one's 400 invalid_request), the login remembers
// the endpoint that worked, and its refreshes go there and only there.
func TestLoginFallsBackBothWays(t *testing.T) {
	cases := []struct {
		knows, start, want string // sandbox.TokenEndpoint; where the login starts; where it ends
	}{
		{sandbox.TokenLegacy, "portal", "legacy"},
		{sandbox.TokenPortal, "legacy", "portal"},
		{sandbox.TokenBoth, "portal", "portal"},
	}
	for _, c := range cases {
		t.Run(c.knows+" from "+c.start, func(t *testing.T) {
			w := newWorld(t, func(o *sandbox.Options) { o.TokenEndpoint, o.RecordRequests = c.knows, true })
			legacy, portal := TokenEndpoints(w.url)
			at := map[string]string{"legacy": legacy, "portal": portal}
			app := w.app()
			app.TokenURL = at[c.start]
			tok, err := Login(context.Background(), LoginOptions{App: app, Browser: follow(t), Timeout: 30 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if tok.TokenURL != at[c.want] {
				t.Fatalf("the login uses %s, want %s", tok.TokenURL, at[c.want])
			}
			if got := TokenEndpointName(tok.TokenURL, w.url); got != map[string]string{"legacy": "legacy", "portal": "developer portal"}[c.want] {
				t.Errorf("TokenEndpointName = %q", got)
			}
			st := NewStore(t.TempDir() + "/token.json")
			if err := st.Save(context.Background(), tok); err != nil {
				t.Fatal(err)
			}
			before := len(w.sb.Requests())
			src := newSource(t, st, nil)
			for range 2 {
				if _, err := src.Refresh(context.Background(), load(t, st).AccessToken); err != nil {
					t.Fatal(err)
				}
			}
			route := map[string]string{"legacy": "oauth/token", "portal": "oauth/portal-token"}[c.want]
			for _, r := range w.sb.Requests()[before:] {
				if r.Route != route || r.Status != 200 {
					t.Errorf("a refresh went to %s (%d), want only %s", r.Route, r.Status, route)
				}
			}
			if got := load(t, st).TokenURL; got != at[c.want] {
				t.Errorf("after refreshes the login uses %s", got)
			}
		})
	}
}

// TestFallbackNotOnSpentGrant checks that a refused grant (invalid_grant:
// the refresh token is spent) is not retried at the other endpoint, and
// that when both endpoints refuse the client the error names both.
func TestFallbackNotOnSpentGrant(t *testing.T) {
	w := newWorld(t, func(o *sandbox.Options) { o.RecordRequests = true })
	st := w.loggedIn(t)
	tok := load(t, st)
	if status, _ := w.redeem(t, tok.RefreshToken); status != 200 { // spent by another tool
		t.Fatal("setup: redeem failed")
	}
	before := len(w.sb.Requests())
	_, err := newSource(t, st, nil).Refresh(context.Background(), tok.AccessToken)
	reqs := w.sb.Requests()[before:]
	if !errors.Is(err, ErrLoginExpired) || len(reqs) != 1 || reqs[0].Route != "oauth/token" {
		t.Errorf("spent refresh token: %v after %d token requests, want ErrLoginExpired after 1", err, len(reqs))
	}

	app := w.app()
	app.ClientSecret = "wrong"
	_, _, err = app.grant(context.Background(), func(ctx context.Context, cfg *oauth2.Config) (*oauth2.Token, error) {
		return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: "x"}).Token()
	})
	if !errors.Is(err, ErrClient) || !strings.Contains(err.Error(), "the other token endpoint") || !strings.Contains(err.Error(), "401") {
		t.Errorf("a client both endpoints refuse: %v", err)
	}
}

func TestTokenEndpoints(t *testing.T) {
	if l, p := TokenEndpoints(""); l != DefaultTokenURL || p != PortalTokenURL {
		t.Errorf("Oura's: %s %s", l, p)
	}
	if l, p := TokenEndpoints("http://127.0.0.1:9/"); l != "http://127.0.0.1:9/oauth/token" || p != "http://127.0.0.1:9/oauth/v2/ext/oauth-token" {
		t.Errorf("the sandbox's: %s %s", l, p)
	}
	for url, want := range map[string]string{DefaultTokenURL: PortalTokenURL, PortalTokenURL: DefaultTokenURL,
		"http://127.0.0.1:9/oauth/token": "http://127.0.0.1:9/oauth/v2/ext/oauth-token", "https://example.com/token": ""} {
		if got := fallbackFor(url, "http://127.0.0.1:9"); got != want {
			t.Errorf("fallbackFor(%s) = %q, want %q", url, got, want)
		}
	}
	if got := TokenEndpointName("https://example.com/token", DefaultAPIURL); got != "" {
		t.Errorf("a custom endpoint is named %q", got)
	}
}
