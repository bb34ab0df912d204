package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"
)

// TestTokenRequestsRefuseRedirects: a token or revoke endpoint that
// redirects (307 and 308 re-send the form: the refresh token, the client
// secret) is not followed, so the other server sees nothing.
func TestTokenRequestsRefuseRedirects(t *testing.T) {
	var leaked atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_in":3600}`))
	}))
	defer other.Close()
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/oauth/token", http.StatusTemporaryRedirect)
	}))
	defer tokenSrv.Close()
	a := &App{ClientID: "id", ClientSecret: "the-secret", TokenURL: tokenSrv.URL + "/oauth/token", HTTP: &http.Client{}}
	_, _, err := a.grant(context.Background(), func(ctx context.Context, cfg *oauth2.Config) (*oauth2.Token, error) {
		return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: "the-refresh-token"}).Token()
	})
	if err == nil || !strings.Contains(err.Error(), "redirected") {
		t.Errorf("a redirecting token endpoint: got %v", err)
	}
	if err := Revoke(context.Background(), nil, tokenSrv.URL+"/oauth/revoke", "the-refresh-token"); err == nil {
		t.Error("a redirecting revoke endpoint: no error")
	}
	if n := leaked.Load(); n != 0 {
		t.Errorf("the other server received %d token requests", n)
	}
}
