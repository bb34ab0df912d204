package auth

import (
	"errors"

	"github.com/ouraexport/ouraexport/internal/oura"
)

// Errors callers branch on.
var (
	// ErrNoLogin means no login is stored: run 'ouraexport auth login'.
	ErrNoLogin = errors.New("no stored login: run 'ouraexport auth login'")
	// ErrLoginExpired means the token server refused the refresh token
	// (invalid_grant): the login expired or was revoked, and only a new
	// 'ouraexport auth login' helps. Errors that wrap it also wrap
	// oura.ErrUnauthorized, so an export stops at once.
	ErrLoginExpired = errors.New("the login expired or was revoked: run 'ouraexport auth login' again")
	// ErrClient means the token server refused the client id or secret
	// (invalid_client, unauthorized_client).
	ErrClient = errors.New("the token server refused the OAuth client: check the client id, and the client secret in $OURA_CLIENT_SECRET or the config file")
	// ErrRefused means the person (or the server) refused the
	// authorization on the consent page (error=access_denied, ...).
	ErrRefused = errors.New("the authorization was refused")
	// ErrBadOption is wrapped by Login's errors for options that cannot
	// work (a bad URL, a redirect URL it cannot listen on).
	ErrBadOption = errors.New("bad login option")
)

// expiredError is a refresh the token server refused for good.
type expiredError struct {
	detail string // what the server said, no secrets
}

func (e *expiredError) Error() string {
	if e.detail == "" {
		return ErrLoginExpired.Error()
	}
	return ErrLoginExpired.Error() + " (" + e.detail + ")"
}

// Unwrap makes the error match ErrLoginExpired and oura.ErrUnauthorized.
func (e *expiredError) Unwrap() []error { return []error{ErrLoginExpired, oura.ErrUnauthorized} }

// clientError is a token request the server refused because of the client.
type clientError struct{ detail string }

func (e *clientError) Error() string { return ErrClient.Error() + " (" + e.detail + ")" }

// Unwrap makes the error match ErrClient and oura.ErrUnauthorized.
func (e *clientError) Unwrap() []error { return []error{ErrClient, oura.ErrUnauthorized} }

// fatalError is a login problem that ends the run: its message, matching
// oura.ErrUnauthorized and the errors in also.
type fatalError struct {
	msg  string
	also []error
}

func (e *fatalError) Error() string { return e.msg }

// Unwrap makes the error match oura.ErrUnauthorized and e.also.
func (e *fatalError) Unwrap() []error { return append([]error{oura.ErrUnauthorized}, e.also...) }
