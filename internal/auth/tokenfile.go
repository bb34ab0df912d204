package auth

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"
)

// ErrTokenFile is matched by the errors of ReadTokenFile: the file is
// missing, unreadable, or holds neither a token nor a login.
var ErrTokenFile = errors.New("bad token file")

// tokenFileError is an error of ReadTokenFile: its message says what is
// wrong with which file; it matches ErrTokenFile and the cause.
type tokenFileError struct {
	msg string
	err error
}

func (e *tokenFileError) Error() string   { return e.msg }
func (e *tokenFileError) Unwrap() []error { return []error{ErrTokenFile, e.err} }

func tokenFileErr(err error, format string, args ...any) error {
	return &tokenFileError{msg: fmt.Sprintf(format, args...), err: err}
}

// maxTokenFile bounds what ReadTokenFile reads: a token is a line, a
// login a small JSON object.
const maxTokenFile = 64 << 10

// TokenFile is what a token file holds: a bare access token, or a login
// saved by 'ouraexport auth login' (open it with NewStore(path)).
type TokenFile struct {
	Path string
	// Token is the bare access token; "" when the file holds a login.
	Token string
	// Login is set when the file holds a login.
	Login bool
}

// ReadTokenFile reads the token file at path, the one reader of every
// file that may name a token (--token-file, a cohort's token files): at
// most 64 KiB, a login (a JSON object) or one line holding a token without
// spaces (surrounding white space, a trailing \r\n included, is dropped).
func ReadTokenFile(path string) (TokenFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return TokenFile{}, tokenFileErr(err, "cannot read %s: %v", path, causeOf(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return TokenFile{}, tokenFileErr(err, "cannot read %s: %v", path, causeOf(err))
	}
	if len(b) > maxTokenFile {
		return TokenFile{}, tokenFileErr(nil, "%s is larger than %d KiB: it holds no token", path, maxTokenFile>>10)
	}
	if IsLogin(b) {
		return TokenFile{Path: path, Login: true}, nil
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
		return TokenFile{}, tokenFileErr(nil, "%s does not hold a token (one line, no spaces) or a login saved by 'ouraexport auth login'", path)
	}
	return TokenFile{Path: path, Token: tok}, nil
}

// causeOf drops the operation and path a *fs.PathError repeats.
func causeOf(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ErrOtherServer is wrapped by CheckServer's error: a login's tokens are
// never sent to a server other than the one that issued them.
var ErrOtherServer = errors.New("the login is for another server")

// CheckServer returns nil when apiURL is the server the login at path was
// made for (issuedFor), and an error saying what to do otherwise. URLs
// compare by scheme, host (case-insensitively, default ports implied) and
// path, a trailing slash aside. It is the one check every use of a stored
// token passes before the token leaves the machine.
func CheckServer(path, issuedFor, apiURL string) error {
	if sameServer(issuedFor, apiURL) {
		return nil
	}
	return fmt.Errorf("%w: the login in %s is for %s, not %s: pass --api-url %s, or run 'ouraexport auth login --api-url %s'",
		ErrOtherServer, path, issuedFor, apiURL, issuedFor, apiURL)
}

func sameServer(a, b string) bool {
	ua, err1 := url.Parse(strings.TrimRight(a, "/"))
	ub, err2 := url.Parse(strings.TrimRight(b, "/"))
	if err1 != nil || err2 != nil || ua.Host == "" || ub.Host == "" {
		return strings.TrimRight(a, "/") == strings.TrimRight(b, "/")
	}
	host := func(u *url.URL) string {
		h, p := strings.ToLower(u.Hostname()), u.Port()
		if (u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80") {
			p = ""
		}
		return h + ":" + p
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && host(ua) == host(ub) && ua.Path == ub.Path && ua.User == nil && ub.User == nil
}
