package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// scopeSet is a set of OAuth2 scopes, one bit per entry of Scopes, and the
// spelling a client used: Oura's partner integrations ask for their scopes
// with the "extapi:" prefix (extapi:daily), and get them back so spelled.
type scopeSet uint16

// scopePrefix starts the partner spelling of a scope.
const scopePrefix = "extapi:"

// spelledPrefixed marks a set asked for (and answered) with the prefix.
const spelledPrefixed scopeSet = 1 << 15

var allScopes = scopeSet(1<<len(Scopes) - 1)

// normScope returns the canonical name of a scope, "" if unknown: with or
// without the "extapi:" prefix, "spo2Daily" (the name openapi-1.35 gives)
// for "spo2".
func normScope(s string) string {
	s = strings.TrimPrefix(s, scopePrefix)
	if s == "spo2Daily" {
		return "spo2"
	}
	if contains(Scopes, s) {
		return s
	}
	return ""
}

func scopeBit(s string) scopeSet {
	for i, x := range Scopes {
		if x == s {
			return 1 << i
		}
	}
	return 0
}

func (s scopeSet) has(name string) bool { return s&scopeBit(name) != 0 }

// grants returns the scopes of s without its spelling.
func (s scopeSet) grants() scopeSet { return s &^ spelledPrefixed }

// String lists the scopes space-separated, in the order of Scopes, spelled
// as they were asked for.
func (s scopeSet) String() string {
	var parts []string
	for i, x := range Scopes {
		if s&(1<<i) != 0 {
			if s&spelledPrefixed != 0 {
				x = scopePrefix + x
			}
			parts = append(parts, x)
		}
	}
	return strings.Join(parts, " ")
}

func parseScopeList(list []string) scopeSet {
	var s scopeSet
	for _, x := range list {
		s |= scopeBit(normScope(strings.TrimSpace(x)))
	}
	return s
}

// parseScopeString parses a space- (or comma-) separated scope parameter;
// it returns the first unknown scope as bad. Scopes asked for with the
// "extapi:" prefix are answered with it.
func parseScopeString(v string) (s scopeSet, bad string) {
	for _, x := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '+' }) {
		n := normScope(x)
		if n == "" {
			return 0, x
		}
		if strings.HasPrefix(x, scopePrefix) {
			s |= spelledPrefixed
		}
		s |= scopeBit(n)
	}
	return s, ""
}

// grant is what a valid access token stands for.
type grant struct {
	user   int
	scopes scopeSet
	key    string // rate-limit key: the token itself
	client string // the OAuth client it was issued to (static tokens: the sandbox's)
}

const tokenPrefix = "sandbox-token-"

// Token returns the static access token of user, "sandbox-token-<user>".
func (s *Server) Token(user int) string { return tokenPrefix + strconv.Itoa(user) }

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authenticate resolves the request's token: static sandbox tokens never
// expire; OAuth-issued ones expire after the token TTL. v1 also accepts
// the access_token query parameter; v2 ignores it.
func (s *Server) authenticate(r *http.Request, allowQuery bool) (grant, bool) {
	tok := bearer(r)
	if tok == "" && allowQuery {
		tok = r.URL.Query().Get("access_token")
	}
	if tok == "" || len(tok) > 512 {
		return grant{}, false
	}
	if rest, ok := strings.CutPrefix(tok, tokenPrefix); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > s.cfg.Users || strconv.Itoa(n) != rest {
			return grant{}, false
		}
		return grant{user: n, scopes: s.cfg.staticScopes, key: tok, client: ClientID}, true
	}
	return s.oauth.access(tok, s.cfg.Now())
}

// oauthStore keeps the codes and tokens OAuth issued, in memory; it grows
// with the number of logins only.
type oauthStore struct {
	mu      sync.Mutex
	codes   map[string]*authCode
	tokens  map[string]*accessToken
	refresh map[string]*refreshToken
}

type authCode struct {
	user              int
	scopes            scopeSet
	redirect          string
	challenge, method string
	expires           time.Time
}

type accessToken struct {
	user    int
	scopes  scopeSet
	expires time.Time
}

type refreshToken struct {
	user   int
	scopes scopeSet
	public bool // issued to a PKCE client without a secret
}

func newOAuthStore() *oauthStore {
	return &oauthStore{codes: map[string]*authCode{}, tokens: map[string]*accessToken{}, refresh: map[string]*refreshToken{}}
}

func (o *oauthStore) access(tok string, now time.Time) (grant, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, ok := o.tokens[tok]
	if !ok {
		return grant{}, false
	}
	if !now.Before(a.expires) {
		delete(o.tokens, tok)
		return grant{}, false
	}
	return grant{user: a.user, scopes: a.scopes, key: tok, client: ClientID}, true
}

// sweep drops expired codes and access tokens; callers hold mu.
func (o *oauthStore) sweep(now time.Time) {
	if len(o.codes)+len(o.tokens) < 4096 {
		return
	}
	for k, c := range o.codes {
		if !now.Before(c.expires) {
			delete(o.codes, k)
		}
	}
	for k, t := range o.tokens {
		if !now.Before(t.expires) {
			delete(o.tokens, k)
		}
	}
}

// randomToken returns an opaque, URL-safe random string.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}
