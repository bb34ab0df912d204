package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"golang.org/x/oauth2"
)

// Oura's servers.
const (
	// DefaultAPIURL is Oura's API server.
	DefaultAPIURL = "https://api.ouraring.com"
	// DefaultAuthURL is Oura's authorize endpoint.
	DefaultAuthURL = "https://cloud.ouraring.com/oauth/authorize"
	// DefaultTokenURL is Oura's (legacy) token endpoint.
	DefaultTokenURL = "https://api.ouraring.com/oauth/token"
	// PortalTokenURL is the token endpoint of applications registered in
	// the new developer portal (developer.ouraring.com); DefaultTokenURL
	// answers their refreshes with 400 invalid_request, and is then
	// retried here (and the other way round: see TokenEndpoints).
	PortalTokenURL = "https://moi.ouraring.com/oauth/v2/ext/oauth-token"
	// portalTokenPath is the portal endpoint's path below another API
	// server (the sandbox serves both endpoints).
	portalTokenPath = "/oauth/v2/ext/oauth-token"
)

// tokenFallbacks maps a token URL to the one tried when it answers as an
// endpoint that does not know the client (see wrongEndpoint); beyond
// these, an API server's own two endpoints (TokenEndpoints) stand in for
// each other.
var tokenFallbacks = map[string]string{DefaultTokenURL: PortalTokenURL, PortalTokenURL: DefaultTokenURL}

// TokenEndpoints returns an API server's two token endpoints: for Oura's,
// the legacy one (DefaultTokenURL) and the developer portal's
// (PortalTokenURL); for another server (the sandbox), <apiURL>/oauth/token
// and <apiURL>/oauth/v2/ext/oauth-token. An application is known to one of
// them (or both): a login tries the other when the first answers as if it
// did not know the client, and remembers the one that worked.
func TokenEndpoints(apiURL string) (legacy, portal string) {
	base := strings.TrimRight(apiURL, "/")
	if base == "" || base == DefaultAPIURL {
		return DefaultTokenURL, PortalTokenURL
	}
	return base + "/oauth/token", base + portalTokenPath
}

// TokenEndpointName says which of an API server's token endpoints url is:
// "legacy", "developer portal", or "" for another one (a --token-url).
func TokenEndpointName(url, apiURL string) string {
	for _, base := range []string{DefaultAPIURL, apiURL} {
		switch legacy, portal := TokenEndpoints(base); url {
		case legacy:
			return "legacy"
		case portal:
			return "developer portal"
		}
	}
	return ""
}

// fallbackFor returns the token endpoint to try when tokenURL answers as if
// it did not know the client; "" when there is none.
func fallbackFor(tokenURL, apiURL string) string {
	if fb, ok := tokenFallbacks[tokenURL]; ok {
		return fb
	}
	if apiURL == "" {
		return ""
	}
	switch legacy, portal := TokenEndpoints(apiURL); tokenURL {
	case legacy:
		return portal
	case portal:
		return legacy
	}
	return ""
}

// wrongEndpoint reports whether a token endpoint's refusal may mean it is
// the wrong one of the two for this application: Oura's legacy endpoint
// answers the refreshes of a developer-portal app with 400
// invalid_request, and the portal's was seen answering a legacy app's code
// exchange with 401 (invalid_client). A refusal of the grant itself
// (invalid_grant: the code or refresh token is spent) is not.
func wrongEndpoint(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return false
	}
	switch {
	case re.ErrorCode == "invalid_grant":
		return false
	case re.Response.StatusCode == http.StatusBadRequest && re.ErrorCode == "invalid_request",
		re.Response.StatusCode == http.StatusUnauthorized,
		re.ErrorCode == "invalid_client", re.ErrorCode == "unauthorized_client":
		return true
	}
	return false
}

// Endpoints returns the authorize and token URLs for an API server: Oura's
// for Oura's server (or ""), else <apiURL>/oauth/authorize and
// <apiURL>/oauth/token (the sandbox).
func Endpoints(apiURL string) (authURL, tokenURL string) {
	base := strings.TrimRight(apiURL, "/")
	if base == "" || base == DefaultAPIURL {
		return DefaultAuthURL, DefaultTokenURL
	}
	return base + "/oauth/authorize", base + "/oauth/token"
}

// RevokeURL returns the revocation endpoint of an API server:
// <apiURL>/oauth/revoke.
func RevokeURL(apiURL string) string {
	base := strings.TrimRight(apiURL, "/")
	if base == "" {
		base = DefaultAPIURL
	}
	return base + "/oauth/revoke"
}

// App is an OAuth2 client (an application registered with Oura) and the
// servers it talks to.
type App struct {
	ClientID string
	// ClientSecret may be empty for a public client that uses PKCE.
	ClientSecret string
	AuthURL      string
	TokenURL     string
	APIURL       string
	// HTTP is the client for token requests (nil: 30-second timeout).
	HTTP *http.Client
}

// grantTimeout bounds one token request.
const grantTimeout = 30 * time.Second

// grantAttempts and grantBackoff say how transient failures of a token
// request (network, 429, 5xx) are retried.
var (
	grantAttempts = 3
	grantBackoff  = time.Second
)

func (a *App) httpClient() *http.Client {
	hc := &http.Client{Timeout: grantTimeout}
	if a.HTTP != nil {
		c := *a.HTTP
		hc = &c
	}
	hc.CheckRedirect = refuseRedirect
	return hc
}

// refuseRedirect is the redirect policy of token and revoke requests: a
// token endpoint answers, it does not redirect, and following a 307 or
// 308 would send the form (a refresh token, the client secret) wherever
// the server points.
func refuseRedirect(req *http.Request, _ []*http.Request) error {
	return fmt.Errorf("%w to %s://%s%s: refused, so that no secret goes there", errRedirected, req.URL.Scheme, req.URL.Host, req.URL.Path)
}

// errRedirected marks a token request the server redirected: not transient.
var errRedirected = errors.New("the endpoint redirected the request")

// oauthConfig returns the x/oauth2 configuration for tokenURL. Client
// credentials go in the form, as Oura documents.
func (a *App) oauthConfig(tokenURL, redirect string, scopes []string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     a.ClientID,
		ClientSecret: a.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: a.AuthURL, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL:  redirect,
		Scopes:       scopes,
	}
}

// grant sends a token request (do, given a configuration for a token URL)
// to a.TokenURL, retrying transient failures; when that URL answers as an
// endpoint that does not know the client (wrongEndpoint) and the server
// has another (TokenEndpoints, either way round), it asks that one. It
// returns the token and the URL that issued it.
func (a *App) grant(ctx context.Context, do func(ctx context.Context, cfg *oauth2.Config) (*oauth2.Token, error)) (*oauth2.Token, string, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, a.httpClient())
	tok, err := a.grantAt(ctx, a.TokenURL, do)
	if err == nil {
		return tok, a.TokenURL, nil
	}
	fb := fallbackFor(a.TokenURL, a.APIURL)
	if fb == "" || !wrongEndpoint(err) {
		return nil, "", a.describe(a.TokenURL, err)
	}
	tok, ferr := a.grantAt(ctx, fb, do)
	if ferr != nil {
		return nil, "", fmt.Errorf("%w; the other token endpoint, %w", a.describe(a.TokenURL, err), a.describe(fb, ferr))
	}
	return tok, fb, nil
}

// grantAt sends the request to tokenURL, retrying transient failures.
func (a *App) grantAt(ctx context.Context, tokenURL string, do func(context.Context, *oauth2.Config) (*oauth2.Token, error)) (*oauth2.Token, error) {
	cfg := a.oauthConfig(tokenURL, "", nil)
	var transientBefore bool
	for attempt := 1; ; attempt++ {
		tok, err := do(ctx, cfg)
		if err == nil {
			return tok, nil
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if !transient(err) || attempt >= grantAttempts {
			if transientBefore && grantErrorCode(err) == "invalid_grant" {
				// The server may have granted an earlier attempt whose answer was lost.
				return nil, &lostAnswerError{err}
			}
			return nil, err
		}
		transientBefore = true
		t := time.NewTimer(grantBackoff << (attempt - 1))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, context.Cause(ctx)
		case <-t.C:
		}
	}
}

// lostAnswerError is an invalid_grant after a failed attempt.
type lostAnswerError struct{ err error }

func (e *lostAnswerError) Error() string { return e.err.Error() }
func (e *lostAnswerError) Unwrap() error { return e.err }

// transient reports whether a failed token request may succeed if repeated:
// a network error, 429 or a server error.
func transient(err error) bool {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.Response != nil && (re.Response.StatusCode >= 500 || re.Response.StatusCode == http.StatusTooManyRequests)
	}
	if errors.Is(err, errRedirected) {
		return false
	}
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne)
}

// grantErrorCode returns RFC 6749's error code of a refused token request.
func grantErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// describe turns a failed token request into an error for people and for
// errors.Is: ErrLoginExpired for invalid_grant, ErrClient for a refused
// client. It never includes a token (token requests carry them only in
// their bodies, and answers are summarised from their error fields).
func (a *App) describe(tokenURL string, err error) error {
	host := tokenURL
	if u, perr := url.Parse(tokenURL); perr == nil && u.Host != "" {
		host = u.Host
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("token endpoint %s: %w", host, ue.Err)
		}
		return fmt.Errorf("token endpoint %s: %w", host, err)
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	detail := fmt.Sprintf("%s answered HTTP %d", host, status)
	if re.ErrorCode != "" {
		detail += " " + clean(re.ErrorCode, 64)
	}
	if re.ErrorDescription != "" {
		detail += ": " + clean(re.ErrorDescription, 200)
	}
	var lost *lostAnswerError
	if errors.As(err, &lost) {
		detail += "; an earlier attempt failed on the way, so the server may have rotated the token without the answer reaching us"
	}
	switch re.ErrorCode {
	case "invalid_grant":
		return &expiredError{detail: detail}
	case "invalid_client", "unauthorized_client":
		return &clientError{detail: detail}
	}
	return fmt.Errorf("token endpoint %s", detail)
}

// clean makes server text safe for a one-line message: printable, at most
// n runes.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, s)
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "..."
	}
	return strings.TrimSpace(s)
}

// fromOAuth converts a token answer into a Token, with expiry measured from
// now and scopes from the answer's "scope" (else asked, when given).
func fromOAuth(t *oauth2.Token, now time.Time, asked []string) *Token {
	tok := &Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType, Issued: now}
	switch {
	case t.ExpiresIn > 0:
		tok.Expiry = now.Add(time.Duration(t.ExpiresIn) * time.Second)
	case !t.Expiry.IsZero():
		tok.Expiry = t.Expiry
	}
	if s, ok := t.Extra("scope").(string); ok && strings.TrimSpace(s) != "" {
		tok.Scopes = strings.Fields(strings.ReplaceAll(s, ",", " "))
	} else {
		tok.Scopes = append([]string(nil), asked...)
	}
	return tok
}

// CheckURL checks an endpoint URL (what names it in the error): absolute
// http(s) without credentials or fragment, and https unless the host is a
// loopback address (the sandbox), since tokens and the client secret
// travel to it.
func CheckURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("%s %q is not an absolute URL", what, raw)
	}
	if u.User != nil || u.Fragment != "" {
		return fmt.Errorf("%s %q must not hold credentials or a fragment", what, u.Redacted())
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s %s must use https (plain http only for loopback addresses such as the sandbox)", what, raw)
	}
	return fmt.Errorf("%s %q is not an http(s) URL", what, raw)
}

// isLoopback reports whether host is localhost or a loopback IP.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
