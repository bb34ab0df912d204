package oura

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// TokenSource supplies the access token for a request. It is consulted
// before every attempt, so a source that refreshes ahead of expiry keeps a
// long export going.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Refresher is implemented by token sources that can replace a token the
// server rejected (OAuth). The client asks once per 401 and retries.
type Refresher interface {
	Refresh(ctx context.Context, rejected string) (string, error)
}

// StaticToken is a token that never changes (OURA_TOKEN, a token file, the sandbox).
type StaticToken string

// Token returns the token.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// APIError is an answer of the API that is not a success and will not
// become one by asking again.
type APIError struct {
	Status int
	Detail string // the server's explanation, as sent (no secrets: we never send them in URLs)
	Path   string // the route, without query
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s: HTTP %d", e.Path, e.Status)
	if t := http.StatusText(e.Status); t != "" {
		msg += " " + t
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// ErrUnauthorized is wrapped by errors for a 401: the token is missing,
// expired or revoked and could not be refreshed.
var ErrUnauthorized = errors.New("the access token was rejected")

// ErrForbidden is wrapped by errors for a 403: the token lacks the scope, or
// the membership has lapsed.
var ErrForbidden = errors.New("access forbidden")

// Unwrap classifies auth failures so callers can branch with errors.Is.
func (e *APIError) Unwrap() error {
	switch e.Status {
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrForbidden
	}
	return nil
}

// Retry says how the client retries failed requests.
type Retry struct {
	// Attempts is how many times a request is tried before its error is
	// returned (429 answers do not count; they wait and try again, up to
	// MaxRateLimited times).
	Attempts       int
	MaxRateLimited int
	// Base and Max bound the exponential backoff; each wait is drawn
	// uniformly from [0, min(Max, Base*2^n)] ("full jitter").
	Base, Max time.Duration
}

// DefaultRetry is the policy an export uses.
var DefaultRetry = Retry{Attempts: 8, MaxRateLimited: 100, Base: 250 * time.Millisecond, Max: 20 * time.Second}

// Stats counts what a client did. Safe for concurrent use.
type Stats struct {
	Requests    atomic.Int64 // attempts sent
	Retries     atomic.Int64 // attempts that were repeats
	RateLimited atomic.Int64 // 429 answers
	Faults      atomic.Int64 // 5xx, network errors, truncated or garbled bodies
	Bytes       atomic.Int64 // response bytes read
}

// Client talks to one Oura API server with one token: rate-limited,
// retrying, and careful never to put the token anywhere but the
// Authorization header.
type Client struct {
	base    *url.URL
	http    *http.Client
	tokens  TokenSource
	limiter *Limiter
	app     *Limiter
	retry   Retry
	timeout time.Duration
	maxBody int64
	agent   string
	stats   Stats
	rand    func(n int64) int64
	// trusted is set by the first answer that looked like the Oura API's:
	// until then a 200 answer that is not JSON, or not what the route
	// answers, means a server that is not the Oura API (see Get).
	trusted atomic.Bool
	reask   time.Duration // the wait before asking an untrusted server again
}

// ClientOptions configure a Client.
type ClientOptions struct {
	BaseURL string      // e.g. https://api.ouraring.com
	Tokens  TokenSource // required
	Limiter *Limiter    // nil: 5000 requests per 5 minutes
	// App is the limiter of the application (the OAuth client) the token
	// belongs to, shared by the clients of every token of it (a cohort's
	// participants): a 429 whose X-RateLimit-Tier is the application's
	// pauses it, and so every one of them, and the application's budget
	// the answer states paces them all. Nil: a limiter of this client's own
	// (a per-token 429 pauses only this client's Limiter either way).
	App   *Limiter
	Retry *Retry // nil: DefaultRetry
	// Timeout bounds one attempt, body included (default 2 minutes).
	Timeout time.Duration
	// HTTP is the HTTP client (nil: one with sensible transport limits).
	// Its redirect policy is replaced by the client's (see CheckRedirect).
	HTTP *http.Client
	// MaxBody caps an answer's body after decompression (0: MaxBody).
	MaxBody   int64
	UserAgent string
}

// MaxBody caps an answer's body, counted after decompression, so that a
// gzip bomb or an endless body stops there: a page of the Oura API is a few
// megabytes at most (100 documents or 10 000 samples), and a whole history
// of a daily collection in one page is a few tens.
const MaxBody = 64 << 20

// reaskUntrusted is how long the client waits before asking again a server
// whose first answers do not look like the Oura API's.
const reaskUntrusted = 300 * time.Millisecond

// untrustedReasks is how many times it asks again before giving up: the
// answers of a captive portal or a wrong URL do not change, a fault of the
// real API does.
const untrustedReasks = 2

// NewClient returns a client for o.BaseURL.
func NewClient(o ClientOptions) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("API URL %q is not an http(s) URL", RedactURL(o.BaseURL))
	}
	if u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("API URL %q must not carry credentials or a query", RedactURL(o.BaseURL))
	}
	if o.Tokens == nil {
		return nil, errors.New("no token source")
	}
	c := &Client{base: u, tokens: o.Tokens, limiter: o.Limiter, timeout: o.Timeout, agent: o.UserAgent, maxBody: o.MaxBody, reask: reaskUntrusted}
	if c.maxBody <= 0 {
		c.maxBody = MaxBody
	}
	if c.limiter == nil {
		c.limiter = NewLimiter(5000, 5*time.Minute)
	}
	if c.app = o.App; c.app == nil {
		c.app = NewApplicationLimiter()
	}
	c.retry = DefaultRetry
	if o.Retry != nil {
		c.retry = *o.Retry
	}
	if c.timeout <= 0 {
		c.timeout = 2 * time.Minute
	}
	if o.HTTP != nil {
		hc := *o.HTTP
		c.http = &hc
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		t.ResponseHeaderTimeout = c.timeout
		c.http = &http.Client{Transport: t}
	}
	c.http.CheckRedirect = c.checkRedirect
	if c.agent == "" {
		c.agent = "ouraexport"
	}
	c.rand = rand.Int64N
	return c, nil
}

// Stats returns the client's counters.
func (c *Client) Stats() *Stats { return &c.stats }

// Limiter returns the client's rate limiter.
func (c *Client) Limiter() *Limiter { return c.limiter }

// App returns the limiter of the client's application (ClientOptions.App).
func (c *Client) App() *Limiter { return c.app }

// BaseURL returns the server's base URL.
func (c *Client) BaseURL() string { return c.base.String() }

// Get fetches path?query and returns the body of a 200 answer that check
// accepts (check nil: any JSON). Server faults, network errors, truncated
// bodies and bodies check rejects are retried with backoff; 429 waits as
// the server asks; a 401 is retried once with a refreshed token when the
// source can refresh; other answers return an *APIError at once.
//
// Some answers end the request at once, because asking again would not
// change them: a body larger than the limit (ErrTooLarge), a redirect to
// another server (*RedirectError), and, until the first answer of the
// client that looked like the Oura API's, a 200 answer that is not JSON or
// not what the route answers, twice more after a short wait: that is a
// server that is not the Oura API (*NotAPIError), such as a captive
// portal, a proxy's login page or a wrong --api-url. Once the server has
// answered like the API, such answers are faults and retried.
func (c *Client) Get(ctx context.Context, path string, query url.Values, check func([]byte) error) ([]byte, error) {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = query.Encode()
	var (
		lastErr   error
		failures  int
		limited   int
		refreshed bool
		strange   int // answers that were not the API's, before trust
	)
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			c.stats.Retries.Add(1)
		}
		if err := waitAll(ctx, c.limiter, c.app); err != nil {
			return nil, err
		}
		token, err := c.tokens.Token(ctx)
		if err != nil {
			return nil, err
		}
		a, err := c.do(ctx, &u, token)
		body, status, hdr := a.body, a.status, a.header
		switch {
		case err == nil && status == http.StatusOK:
			var cerr error
			why := "not JSON"
			switch ct := hdr.Get("Content-Type"); {
			case ct != "" && !strings.Contains(ct, "json"):
				cerr = fmt.Errorf("the response is %s, not JSON", plainText(ct, 100))
			case check != nil:
				cerr = check(body)
				if cerr != nil {
					why = cerr.Error()
				}
			case !c.trusted.Load() && !json.Valid(body):
				cerr = errors.New("not valid JSON")
			}
			if cerr == nil {
				c.trusted.Store(true)
				return body, nil
			}
			c.stats.Faults.Add(1)
			if !c.trusted.Load() {
				if strange++; strange > untrustedReasks {
					return nil, &NotAPIError{URL: a.url, Status: status, ContentType: hdr.Get("Content-Type"), Head: head(body), Reason: why}
				}
				if err := sleep(ctx, c.reask); err != nil {
					return nil, err
				}
				continue
			}
			lastErr = fmt.Errorf("%s: garbled response: %w", path, cerr)
		case errors.Is(err, ErrTooLarge) || errors.As(err, new(*RedirectError)):
			return nil, fmt.Errorf("%s: %w", path, err)
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			c.stats.Faults.Add(1)
			lastErr = fmt.Errorf("%s: %w", path, err)
		case status == http.StatusTooManyRequests:
			c.stats.RateLimited.Add(1)
			limited++
			wait := retryAfter(hdr, time.Now())
			if wait <= 0 {
				wait = c.backoff(limited)
			}
			if ApplicationTier(hdr) {
				c.app.PauseFor(wait) // every token of the application waits
			} else {
				c.limiter.PauseFor(wait)
			}
			if limited > c.retry.MaxRateLimited {
				return nil, fmt.Errorf("%s: still rate limited after %d waits", path, limited)
			}
			continue // the limiter waits; a 429 is not a failure of this request
		case status == http.StatusUnauthorized:
			if r, ok := c.tokens.(Refresher); ok && !refreshed {
				refreshed = true
				if _, err := r.Refresh(ctx, token); err != nil {
					return nil, fmt.Errorf("%s: token rejected and refresh failed: %w", path, err)
				}
				continue
			}
			return nil, apiError(path, status, body)
		case status >= 500 || status == http.StatusRequestTimeout:
			c.stats.Faults.Add(1)
			lastErr = apiError(path, status, body)
		default:
			return nil, apiError(path, status, body)
		}
		failures++
		if failures >= c.retry.Attempts {
			return nil, fmt.Errorf("giving up after %d attempts: %w", failures, lastErr)
		}
		if err := sleep(ctx, c.backoff(failures)); err != nil {
			return nil, err
		}
	}
}

// answer is what one attempt received.
type answer struct {
	body   []byte
	status int
	header http.Header
	url    string // the URL that answered (after redirects), without its query
}

// do sends one attempt and reads the whole body, at most c.maxBody bytes
// of it after decompression.
func (c *Client) do(ctx context.Context, u *url.URL, token string) (answer, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.agent)
	c.stats.Requests.Add(1)
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, describeNetError(err)
	}
	defer resp.Body.Close()
	if ApplicationTier(resp.Header) {
		c.app.Observe(resp.Header) // the application's budget, not the token's
	} else {
		c.limiter.Observe(resp.Header)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, url: answeredBy(resp)}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	c.stats.Bytes.Add(int64(len(body)))
	if err != nil {
		return a, fmt.Errorf("reading the response: %w", describeNetError(err))
	}
	if int64(len(body)) > c.maxBody {
		return a, fmt.Errorf("%w: ouraexport stops reading an answer at %d MiB (after decompression); "+
			"a page of the Oura API is a few megabytes", ErrTooLarge, c.maxBody>>20)
	}
	if resp.StatusCode == http.StatusOK && resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength && resp.Header.Get("Content-Encoding") == "" {
		return a, fmt.Errorf("truncated response: %d of %d bytes", len(body), resp.ContentLength)
	}
	a.body = body
	return a, nil
}

// backoff returns the wait before retry n (1-based): full jitter.
func (c *Client) backoff(n int) time.Duration {
	ceil := c.retry.Base << min(n-1, 20)
	if ceil > c.retry.Max || ceil <= 0 {
		ceil = c.retry.Max
	}
	if ceil <= 0 {
		return 0
	}
	return time.Duration(c.rand(int64(ceil)) + 1)
}

// retryAfter reads Retry-After (seconds or an HTTP date).
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}

// apiError builds an *APIError from an answer, keeping the server's detail
// short and on one line.
func apiError(path string, status int, body []byte) *APIError {
	return &APIError{Status: status, Path: path, Detail: errorDetail(body)}
}

// errorDetail extracts a readable explanation from an error body: Oura's
// {"detail": "..."}, a FastAPI validation list, RFC 7807, or OAuth errors.
func errorDetail(body []byte) string {
	var e struct {
		Detail  any    `json:"detail"`
		Title   string `json:"title"`
		Message string `json:"message"`
		Error   string `json:"error"`
		Desc    string `json:"error_description"`
	}
	s := ""
	if json.Unmarshal(body, &e) == nil {
		switch d := e.Detail.(type) {
		case string:
			s = d
		case []any:
			var parts []string
			for _, item := range d {
				if m, ok := item.(map[string]any); ok {
					if msg, ok := m["msg"].(string); ok {
						parts = append(parts, msg)
					}
				}
			}
			s = strings.Join(parts, "; ")
		}
		for _, alt := range []string{e.Desc, e.Error, e.Message, e.Title} {
			if s == "" {
				s = alt
			}
		}
	}
	if s == "" && len(body) > 0 && body[0] == '<' {
		s = "an HTML page instead of JSON"
	}
	// One line of plain text: a server's control characters (escape
	// sequences) must not reach the user's terminal.
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut-- // never split a character: the detail stays UTF-8
		}
		s = s[:cut] + "..."
	}
	return s
}

// describeNetError turns transport errors into short messages without the
// request URL (Go's *url.Error repeats it, query and all).
func describeNetError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Errorf("timed out: %w", err)
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fmt.Errorf("connection closed by the server: %w", err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("connection refused: %w", err)
	}
	return err
}

// RedactURL returns raw with credentials and secret-bearing query values
// replaced, for messages and logs.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	q := u.Query()
	changed := false
	for k := range q {
		switch strings.ToLower(k) {
		case "access_token", "token", "refresh_token", "code", "client_secret", "code_verifier", "password":
			q.Set(k, "REDACTED")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}
