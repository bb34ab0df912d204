package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The sandbox's OAuth2 client.
const (
	ClientID     = "sandbox-client"
	ClientSecret = "sandbox-secret"
	codeTTL      = 10 * time.Minute
)

// oauthError answers an OAuth error as JSON: RFC 6749 fields plus the RFC
// 7807 ones Oura's documentation shows.
func (s *Server) oauthError(w http.ResponseWriter, r *http.Request, rs *reqState, status int, code, desc string) {
	e := getEnc()
	defer putEnc(e)
	e.obj()
	e.keyStr("error", code)
	e.keyStr("error_description", desc)
	e.keyInt("status", status)
	e.keyStr("title", http.StatusText(status))
	e.keyStr("detail", desc)
	e.objEnd()
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	s.send(w, r, rs, status, ctypeJSON, e.b, "")
}

// authorize approves at once: as user 1, or user n with login_hint=n, it
// redirects to redirect_uri with a code (valid 10 minutes, single use).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, rs *reqState) {
	q := r.URL.Query()
	if q.Get("client_id") != ClientID {
		s.oauthError(w, r, rs, http.StatusBadRequest, "invalid_client", "Unknown or missing client_id.")
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" {
		s.oauthError(w, r, rs, http.StatusBadRequest, "invalid_request", "Missing redirect_uri parameter.")
		return
	}
	u, err := url.Parse(redirect)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		s.oauthError(w, r, rs, http.StatusBadRequest, "invalid_request", "Invalid redirect_uri: it must be an absolute http(s) URL without a fragment.")
		return
	}
	state := q.Get("state")
	fail := func(code, desc string) {
		v := u.Query()
		v.Set("error", code)
		v.Set("error_description", desc)
		if state != "" {
			v.Set("state", state)
		}
		u.RawQuery = v.Encode()
		s.redirect(w, r, rs, u.String())
	}
	switch rt := q.Get("response_type"); {
	case rt == "":
		fail("invalid_request", "Missing response_type parameter.")
		return
	case rt != "code":
		fail("unsupported_response_type", "Only response_type=code is supported.")
		return
	}
	scopes := allScopes
	if v := strings.TrimSpace(q.Get("scope")); v != "" {
		sc, bad := parseScopeString(v)
		if bad != "" {
			fail("invalid_scope", "Unknown scope "+strconv.Quote(bad)+".")
			return
		}
		scopes = sc
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		fail("invalid_request", "code_challenge_method without code_challenge.")
		return
	case challenge != "":
		if method == "" {
			method = "plain"
		}
		if method != "S256" && method != "plain" {
			fail("invalid_request", "Unsupported code_challenge_method; use S256 or plain.")
			return
		}
		if len(challenge) < 43 || len(challenge) > 128 || !pkceChars(challenge) {
			fail("invalid_request", "Invalid code_challenge.")
			return
		}
	}
	user := 1
	if h := q.Get("login_hint"); h != "" {
		n, err := strconv.Atoi(h)
		if err != nil || n < 1 || n > s.cfg.Users {
			fail("invalid_request", "login_hint must be a sandbox user number between 1 and "+strconv.Itoa(s.cfg.Users)+".")
			return
		}
		user = n
	}
	code := randomToken()
	now := s.cfg.Now()
	s.oauth.mu.Lock()
	s.oauth.sweep(now)
	s.oauth.codes[code] = &authCode{user: user, scopes: scopes, redirect: redirect, challenge: challenge, method: method, expires: now.Add(codeTTL)}
	s.oauth.mu.Unlock()
	v := u.Query()
	v.Set("code", code)
	if state != "" {
		v.Set("state", state)
	}
	u.RawQuery = v.Encode()
	s.redirect(w, r, rs, u.String())
}

func (s *Server) redirect(w http.ResponseWriter, r *http.Request, rs *reqState, to string) {
	w.Header().Set("Location", to)
	w.Header().Set("Cache-Control", "no-store")
	s.send(w, r, rs, http.StatusFound, "", nil, "")
}

// pkceChars reports whether v uses only RFC 7636's unreserved characters.
func pkceChars(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// token exchanges a code or a refresh token for a new token pair. Refresh
// tokens are single-use: each use returns a new one and retires the old.
func (s *Server) token(w http.ResponseWriter, r *http.Request, rs *reqState) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.oauthError(w, r, rs, http.StatusBadRequest, "invalid_request", "The request body is not a valid form.")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == ClientID && s.refusesClient(w, r, rs) {
		return // this endpoint does not know the client (portal.go)
	}
	if id != ClientID || (secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(ClientSecret)) != 1) {
		s.oauthError(w, r, rs, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return
	}
	public := secret == ""
	now := s.cfg.Now()
	var user int
	var scopes scopeSet
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "authorization_code":
		code := r.PostForm.Get("code")
		s.oauth.mu.Lock()
		c, ok := s.oauth.codes[code]
		delete(s.oauth.codes, code)
		s.oauth.mu.Unlock()
		switch {
		case code == "" || !ok:
			s.oauthError(w, r, rs, http.StatusBadRequest, "invalid_grant", "Invalid or already used authorization code.")
			return
		case !now.Before(c.expires):
			s.oauthError(w, r, rs, http.StatusBadRequest, "invalid_grant", "The authorization code has expired.")
			return
		case r.PostForm.Get("redirect_uri") != c.redirect:
			s.oauthError(w, r, rs, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request.")
			return
		case public && c.challenge == "":
			s.oauthError(w, r, rs, http.StatusUnauthorized, "invalid_client", "Client authentication failed: a client_secret (or PKCE) is required.")
			return
		case c.challenge != "" && !pkceOK(c.challenge, c.method, r.PostForm.Get("code_verifier")):
			s.oauthError(w, r, rs, http.StatusBadRequest, "invalid_grant", "PKCE verification failed: code_verifier does not match code_challenge.")
			return
		}
		user, scopes = c.user, c.scopes
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		s.oauth.mu.Lock()
		t, ok := s.oauth.refresh[rt]
		if ok && (!public || t.public) {
			delete(s.oauth.refresh, rt)
		}
		s.oauth.mu.Unlock()
		if rt == "" || !ok {
			s.oauthError(w, r, rs, http.StatusBadRequest, "invalid_grant", "Invalid refresh token: refresh tokens can only be used once.")
			return
		}
		if public && !t.public {
			s.oauthError(w, r, rs, http.StatusUnauthorized, "invalid_client", "Client authentication failed: client_secret required.")
			return
		}
		user, scopes = t.user, t.scopes
		if v := strings.TrimSpace(r.PostForm.Get("scope")); v != "" {
			sc, bad := parseScopeString(v)
			if bad != "" || sc.grants()&^scopes.grants() != 0 {
				s.oauthError(w, r, rs, http.StatusBadRequest, "invalid_scope", "The requested scope exceeds the original grant.")
				return
			}
			scopes = sc
		}
	case "":
		s.oauthError(w, r, rs, http.StatusBadRequest, "invalid_request", "Missing grant_type parameter.")
		return
	default:
		s.oauthError(w, r, rs, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant_type "+strconv.Quote(gt)+".")
		return
	}
	access, refresh := randomToken(), randomToken()
	s.oauth.mu.Lock()
	s.oauth.sweep(now)
	s.oauth.tokens[access] = &accessToken{user: user, scopes: scopes, expires: now.Add(s.cfg.TokenTTL)}
	s.oauth.refresh[refresh] = &refreshToken{user: user, scopes: scopes, public: public}
	s.oauth.mu.Unlock()
	e := getEnc()
	defer putEnc(e)
	e.obj()
	e.keyStr("access_token", access)
	e.keyStr("token_type", "bearer")
	e.keyInt("expires_in", int(s.cfg.TokenTTL/time.Second))
	e.keyStr("refresh_token", refresh)
	e.keyStr("scope", scopes.String())
	e.objEnd()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	s.send(w, r, rs, http.StatusOK, ctypeJSON, e.b, "")
}

func pkceOK(challenge, method, verifier string) bool {
	if len(verifier) < 43 || len(verifier) > 128 || !pkceChars(verifier) {
		return false
	}
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// revoke forgets an access or refresh token (token or access_token, in the
// query or the form). Unknown tokens are not an error (RFC 7009).
func (s *Server) revoke(w http.ResponseWriter, r *http.Request, rs *reqState) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	_ = r.ParseForm() // a bad body leaves the query parameters, which is all GET has anyway
	tok := r.Form.Get("token")
	if tok == "" {
		tok = r.Form.Get("access_token")
	}
	if tok == "" {
		s.oauthError(w, r, rs, http.StatusBadRequest, "invalid_request", "Missing token parameter.")
		return
	}
	s.oauth.mu.Lock()
	delete(s.oauth.tokens, tok)
	delete(s.oauth.refresh, tok)
	s.oauth.mu.Unlock()
	s.send(w, r, rs, http.StatusOK, ctypeJSON, []byte("{}"), "")
}
