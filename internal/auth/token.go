package auth

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Token is a stored OAuth2 login: the token pair, when the access token
// expires, and the client, servers and account it belongs to. Its String,
// GoString and LogValue methods never show the tokens.
type Token struct {
	AccessToken  string
	RefreshToken string // single use: every refresh returns a new one
	TokenType    string
	// Expiry is when the access token expires (zero: unknown, never
	// refreshed ahead of time). Issued is when it was obtained; with Expiry
	// it gives the lifetime that sets how early a refresh happens.
	Expiry time.Time
	Issued time.Time
	Scopes []string
	// ClientID is the OAuth2 client the tokens were issued to. The client
	// secret is never stored here (it comes from the environment or the
	// config file).
	ClientID string
	// TokenURL is where the refresh token is redeemed (updated when the
	// legacy endpoint sent us to the developer portal's).
	TokenURL string
	// APIURL is the API server the login is for; tokens are sent nowhere else.
	APIURL string
	// Account and Email identify the person (personal_info), when known.
	Account string
	Email   string
	// LoggedIn is when 'auth login' obtained the first token; Refreshes
	// counts the refreshes since.
	LoggedIn  time.Time
	Refreshes int
}

// maxMargin and marginShare set how long before expiry an access token is
// refreshed: when less than min(maxMargin, lifetime/marginShare) remains.
const (
	maxMargin   = 5 * time.Minute
	marginShare = 10
)

// Margin returns how long before its expiry the access token is replaced:
// 5 minutes, or 10% of its lifetime when that is shorter (so a token that
// lives seconds is not refreshed on every request).
func (t *Token) Margin() time.Duration {
	if t.Expiry.IsZero() {
		return 0
	}
	life := t.Expiry.Sub(t.Issued)
	if t.Issued.IsZero() || life <= 0 {
		return maxMargin
	}
	return min(maxMargin, life/marginShare)
}

// Due reports whether the access token should be replaced at now: it is
// missing, or its expiry is less than Margin away. A token without a known
// expiry is never due; a 401 replaces it.
func (t *Token) Due(now time.Time) bool {
	if t.AccessToken == "" {
		return true
	}
	if t.Expiry.IsZero() {
		return false
	}
	return !now.Before(t.Expiry.Add(-t.Margin()))
}

// Who names the account: its email, its id, or "(unknown account)".
func (t *Token) Who() string {
	switch {
	case t.Email != "" && t.Account != "":
		return t.Email + " (" + t.Account + ")"
	case t.Email != "":
		return t.Email
	case t.Account != "":
		return t.Account
	}
	return "(unknown account)"
}

// String describes the login without its tokens.
func (t Token) String() string {
	exp := "unknown expiry"
	if !t.Expiry.IsZero() {
		exp = "expires " + t.Expiry.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("login of %s for %s, client %s, scopes %q, %s", t.Who(), t.APIURL, t.ClientID, strings.Join(t.Scopes, " "), exp)
}

// GoString is String: %#v must not print the tokens either.
func (t Token) GoString() string { return t.String() }

// LogValue shows the login in slog records without its tokens.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("account", t.Account),
		slog.String("api_url", t.APIURL),
		slog.String("client_id", t.ClientID),
		slog.Time("expiry", t.Expiry),
		slog.Int("refreshes", t.Refreshes),
	)
}

// clone returns a copy that shares nothing with t.
func (t *Token) clone() *Token {
	c := *t
	c.Scopes = append([]string(nil), t.Scopes...)
	return &c
}
