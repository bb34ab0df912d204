package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const redirectURI = "http://127.0.0.1:9999/callback"

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize calls /oauth/authorize and returns the redirect's query.
func authorize(t *testing.T, base string, q url.Values) (int, url.Values) {
	t.Helper()
	resp, err := noRedirect.Get(base + "/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return resp.StatusCode, nil
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirectURI) {
		t.Fatalf("redirect to %q", resp.Header.Get("Location"))
	}
	return resp.StatusCode, loc.Query()
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	Error        string `json:"error"`
}

func tokenRequest(t *testing.T, base string, form url.Values, basic bool) (int, tokenResponse) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(ClientID, ClientSecret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, tr
}

func bearerGet(t *testing.T, base, path, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// TestOAuthEndToEnd: authorize, code with PKCE, token, refresh rotation, a
// reused refresh token rejected, an expired access token refused, revoke.
func TestOAuthEndToEnd(t *testing.T) {
	clock := &fakeClock{t: time.Date(2024, 4, 1, 8, 0, 0, 0, time.UTC)}
	_, base := newTestServer(t, Options{TokenTTL: 5 * time.Second, Now: clock.Now})
	verifier := strings.Repeat("v3rifier-", 6)
	status, q := authorize(t, base, url.Values{"response_type": {"code"}, "client_id": {ClientID}, "redirect_uri": {redirectURI},
		"state": {"xyz"}, "scope": {"daily heartrate personal"}, "code_challenge": {s256(verifier)}, "code_challenge_method": {"S256"}, "login_hint": {"2"}})
	if status != http.StatusFound || q.Get("state") != "xyz" || q.Get("code") == "" {
		t.Fatalf("authorize: %d %v", status, q)
	}
	code := q.Get("code")
	status, tok := tokenRequest(t, base, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"code_verifier": {verifier}, "client_id": {ClientID}, "client_secret": {ClientSecret}}, false)
	if status != 200 || tok.TokenType != "bearer" || tok.ExpiresIn != 5 || tok.Scope != "personal daily heartrate" || tok.RefreshToken == "" {
		t.Fatalf("token: %d %+v", status, tok)
	}
	// The token is user 2's and has the scopes asked for.
	if got := bearerGet(t, base, "/v2/usercollection/heartrate", tok.AccessToken); got != 200 {
		t.Errorf("heartrate with the OAuth token: %d", got)
	}
	if got := bearerGet(t, base, "/v2/usercollection/workout", tok.AccessToken); got != 403 {
		t.Errorf("workout without the scope: %d", got)
	}
	var pi struct {
		Email *string `json:"email"`
		Age   *int    `json:"age"`
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/v2/usercollection/personal_info", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, _ := http.DefaultClient.Do(req)
	_ = json.NewDecoder(resp.Body).Decode(&pi)
	resp.Body.Close()
	if pi.Email != nil || pi.Age == nil {
		t.Errorf("personal_info with personal but not email: %+v", pi)
	}
	// The code is single use.
	if status, tr := tokenRequest(t, base, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"code_verifier": {verifier}}, true); status != 400 || tr.Error != "invalid_grant" {
		t.Errorf("reused code: %d %+v", status, tr)
	}
	// Refresh rotates; the old refresh token is dead.
	status, tok2 := tokenRequest(t, base, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, true)
	if status != 200 || tok2.RefreshToken == tok.RefreshToken || tok2.AccessToken == tok.AccessToken {
		t.Fatalf("refresh: %d %+v", status, tok2)
	}
	if status, tr := tokenRequest(t, base, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, true); status != 400 || tr.Error != "invalid_grant" {
		t.Errorf("reused refresh token: %d %+v", status, tr)
	}
	// Access tokens expire.
	clock.Add(6 * time.Second)
	if got := bearerGet(t, base, "/v2/usercollection/heartrate", tok2.AccessToken); got != 401 {
		t.Errorf("expired access token: %d", got)
	}
	status, tok3 := tokenRequest(t, base, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok2.RefreshToken}, "scope": {"daily"}}, true)
	if status != 200 || tok3.Scope != "daily" {
		t.Fatalf("refresh with a narrower scope: %d %+v", status, tok3)
	}
	// Revoke.
	if r := do(t, http.MethodPost, base+"/oauth/revoke?access_token="+tok3.AccessToken, 0, nil); r.status != 200 {
		t.Errorf("revoke: %d", r.status)
	}
	if got := bearerGet(t, base, "/v2/usercollection/daily_sleep", tok3.AccessToken); got != 401 {
		t.Errorf("revoked token: %d", got)
	}
}

// TestOAuthErrors covers the error answers of authorize and token.
func TestOAuthErrors(t *testing.T) {
	clock := &fakeClock{t: time.Date(2024, 4, 1, 8, 0, 0, 0, time.UTC)}
	_, base := newTestServer(t, Options{Now: clock.Now})
	good := func() url.Values {
		return url.Values{"response_type": {"code"}, "client_id": {ClientID}, "redirect_uri": {redirectURI}, "state": {"s"}}
	}
	t.Run("authorize", func(t *testing.T) {
		tests := []struct {
			name   string
			edit   func(url.Values)
			status int
			errStr string
		}{
			{"ok", func(url.Values) {}, 302, ""},
			{"bad client", func(q url.Values) { q.Set("client_id", "nope") }, 400, ""},
			{"no redirect", func(q url.Values) { q.Del("redirect_uri") }, 400, ""},
			{"bad redirect", func(q url.Values) { q.Set("redirect_uri", "ftp://x/y") }, 400, ""},
			{"no response_type", func(q url.Values) { q.Del("response_type") }, 302, "invalid_request"},
			{"token response_type", func(q url.Values) { q.Set("response_type", "token") }, 302, "unsupported_response_type"},
			{"bad scope", func(q url.Values) { q.Set("scope", "daily everything") }, 302, "invalid_scope"},
			{"bad method", func(q url.Values) {
				q.Set("code_challenge", strings.Repeat("a", 43))
				q.Set("code_challenge_method", "MD5")
			}, 302, "invalid_request"},
			{"short challenge", func(q url.Values) { q.Set("code_challenge", "abc") }, 302, "invalid_request"},
			{"bad login_hint", func(q url.Values) { q.Set("login_hint", "7") }, 302, "invalid_request"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := good()
				tt.edit(q)
				status, got := authorize(t, base, q)
				if status != tt.status || (tt.status == 302 && got.Get("error") != tt.errStr) {
					t.Errorf("%d %v, want %d error %q", status, got, tt.status, tt.errStr)
				}
				if tt.errStr != "" && got.Get("state") != "s" {
					t.Errorf("error redirect without the state: %v", got)
				}
			})
		}
	})
	newCode := func(extra url.Values) string {
		q := good()
		for k, v := range extra {
			q[k] = v
		}
		_, got := authorize(t, base, q)
		return got.Get("code")
	}
	plain := strings.Repeat("p", 50)
	tests := []struct {
		name   string
		form   func() url.Values
		basic  bool
		status int
		errStr string
	}{
		{"wrong secret", func() url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {newCode(nil)}, "redirect_uri": {redirectURI}, "client_id": {ClientID}, "client_secret": {"x"}}
		}, false, 401, "invalid_client"},
		{"no client", func() url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {newCode(nil)}, "redirect_uri": {redirectURI}}
		}, false, 401, "invalid_client"},
		{"redirect mismatch", func() url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {newCode(nil)}, "redirect_uri": {"http://127.0.0.1:9999/other"}}
		}, true, 400, "invalid_grant"},
		{"wrong verifier", func() url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {newCode(url.Values{"code_challenge": {s256(plain)}, "code_challenge_method": {"S256"}})},
				"redirect_uri": {redirectURI}, "code_verifier": {strings.Repeat("q", 50)}}
		}, true, 400, "invalid_grant"},
		{"plain PKCE without a secret", func() url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {newCode(url.Values{"code_challenge": {plain}})},
				"redirect_uri": {redirectURI}, "code_verifier": {plain}, "client_id": {ClientID}}
		}, false, 200, ""},
		{"expired code", func() url.Values {
			c := newCode(nil)
			clock.Add(11 * time.Minute)
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirectURI}}
		}, true, 400, "invalid_grant"},
		{"unknown grant", func() url.Values { return url.Values{"grant_type": {"password"}} }, true, 400, "unsupported_grant_type"},
		{"no grant", func() url.Values { return url.Values{} }, true, 400, "invalid_request"},
		{"unknown refresh token", func() url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}}
		}, true, 400, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, tr := tokenRequest(t, base, tt.form(), tt.basic)
			if status != tt.status || tr.Error != tt.errStr {
				t.Errorf("%d %+v, want %d %q", status, tr, tt.status, tt.errStr)
			}
		})
	}
}
