package oura

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What the client trusts a server with, and what it takes from it: the
// token goes only to the server it was given (redirects elsewhere are
// refused), an answer is read up to a limit, and a server whose first
// answers are not the Oura API's is told apart from a fault of the API.

// ErrTooLarge is wrapped by the error for an answer whose body, after
// decompression, is larger than the client's limit (MaxBody).
var ErrTooLarge = errors.New("the answer is too large")

// ErrNotAPI is matched (errors.Is) by a *NotAPIError.
var ErrNotAPI = errors.New("the server is not the Oura API")

// NotAPIError is a server whose first answers are not the Oura API's: a 200
// that is not JSON (a captive portal, a proxy's login page, a wrong URL) or
// JSON that is not what the route answers.
type NotAPIError struct {
	URL         string // what answered, without the query
	Status      int
	ContentType string
	Head        []byte // the first bytes of the body
	Reason      string // why it is not the API's answer
}

func (e *NotAPIError) Error() string {
	ct := plainText(e.ContentType, 100)
	if ct == "" {
		ct = "no content type"
	}
	return fmt.Sprintf("%s is not the Oura API: it answered HTTP %d with %s (%s), starting %q; "+
		"check --api-url (a captive portal, a proxy's login page or a wrong address answers like this)",
		e.URL, e.Status, ct, plainText(e.Reason, 200), e.Head)
}

// plainText returns s as one line of at most n bytes of plain text: a
// server's control characters (escape sequences) must not reach the
// user's terminal.
func plainText(s string, n int) string {
	s = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))), " ")
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// Unwrap returns ErrNotAPI.
func (e *NotAPIError) Unwrap() error { return ErrNotAPI }

// RedirectError is a redirect the client refused to follow: to another
// server than the one it was given (the access token must not go there),
// or one too many.
type RedirectError struct {
	From, To string // what redirected, and where to, without the query
	Why      string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("%s redirected the request to %s: %s", e.From, e.To, e.Why)
}

// maxRedirects is how many redirects within the server a request follows.
const maxRedirects = 5

// checkRedirect is the client's redirect policy: follow a redirect only to
// the server it was given (the same host and port; or from http to https
// on the same host), where the Authorization header may go, and refuse
// any other. Go's own policy keeps the header for another port of the same
// host and for subdomains, which may be other servers.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	to, from := withoutQuery(req.URL), withoutQuery(c.base)
	if len(via) > 0 && via[len(via)-1].URL != nil {
		from = withoutQuery(via[len(via)-1].URL)
	}
	if !sameServer(c.base, req.URL) {
		req.Header.Del("Authorization")
		return &RedirectError{From: from, To: to, Why: "another server than " + withoutQuery(c.base) +
			"; ouraexport does not follow it, so the access token is not sent there; check --api-url"}
	}
	if len(via) >= maxRedirects {
		return &RedirectError{From: from, To: to, Why: fmt.Sprintf("more than %d redirects", maxRedirects)}
	}
	return nil
}

// sameServer reports whether a redirect from base to u stays on the server:
// the same host and port and scheme, or http upgraded to https on the same
// host with the default ports.
func sameServer(base, u *url.URL) bool {
	if !strings.EqualFold(base.Hostname(), u.Hostname()) {
		return false
	}
	bs, us := strings.ToLower(base.Scheme), strings.ToLower(u.Scheme)
	if bs == us {
		return port(base) == port(u)
	}
	return bs == "http" && us == "https" && port(base) == "80" && port(u) == "443"
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// withoutQuery returns u without query, fragment or credentials, for messages.
func withoutQuery(u *url.URL) string {
	v := *u
	v.RawQuery, v.Fragment, v.User = "", "", nil
	return v.String()
}

// answeredBy returns the URL that gave resp, after redirects.
func answeredBy(resp *http.Response) string {
	if resp.Request == nil || resp.Request.URL == nil {
		return ""
	}
	return withoutQuery(resp.Request.URL)
}

// head returns the first bytes of a body, for messages.
func head(body []byte) []byte {
	const n = 96
	if len(body) > n {
		return body[:n]
	}
	return body
}
