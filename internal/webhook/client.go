package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is Oura's API server.
const DefaultBaseURL = "https://api.ouraring.com"

// subscriptionPath is the route of the subscriptions.
const subscriptionPath = "/v2/webhook/subscription"

// Subscription is one webhook subscription of the app.
type Subscription struct {
	ID          string
	CallbackURL string
	EventType   string
	DataType    string
	// Expires is expiration_time, in UTC (one sent without an offset is
	// read as UTC); zero when the server sent none that parses.
	Expires time.Time
}

// Expired reports whether s has expired at now: it delivers nothing
// until renewed.
func (s Subscription) Expired(now time.Time) bool {
	return !s.Expires.IsZero() && !now.Before(s.Expires)
}

// Check returns an error wrapping ErrExpired when s has expired at now.
func (s Subscription) Check(now time.Time) error {
	if s.Expired(now) {
		return fmt.Errorf("%w: subscription %s (%s %s) expired at %s and delivers nothing: run 'ouraexport webhook renew'",
			ErrExpired, s.ID, s.DataType, s.EventType, s.Expires.Format(time.RFC3339))
	}
	return nil
}

// wireSubscription is WebhookSubscriptionModel.
type wireSubscription struct {
	ID             string `json:"id"`
	CallbackURL    string `json:"callback_url"`
	EventType      string `json:"event_type"`
	DataType       string `json:"data_type"`
	ExpirationTime string `json:"expiration_time"`
}

func (w wireSubscription) subscription() Subscription {
	t, _ := parseTime(w.ExpirationTime)
	return Subscription{ID: w.ID, CallbackURL: w.CallbackURL, EventType: w.EventType, DataType: w.DataType, Expires: t}
}

// CreateRequest is CreateWebhookSubscriptionRequest: every field is
// required.
type CreateRequest struct {
	CallbackURL       string `json:"callback_url"`
	VerificationToken string `json:"verification_token"`
	EventType         string `json:"event_type"`
	DataType          string `json:"data_type"`
}

// UpdateRequest is UpdateWebhookSubscriptionRequest: the verification
// token is required, the rest changes what it names.
type UpdateRequest struct {
	VerificationToken string `json:"verification_token"`
	CallbackURL       string `json:"callback_url,omitempty"`
	EventType         string `json:"event_type,omitempty"`
	DataType          string `json:"data_type,omitempty"`
}

// Errors of the subscription routes; an *APIError wraps one of them when
// it applies.
var (
	// ErrForbidden: the server refused the client id and secret.
	ErrForbidden = errors.New("the API refused the app's client id and secret")
	// ErrNotFound: no subscription has that id.
	ErrNotFound = errors.New("no such subscription")
	// ErrInvalid: the server refused the request's content (422), e.g. a
	// callback that failed the verification or an unknown data type.
	ErrInvalid = errors.New("the API refused the subscription")
	// ErrNoCredentials: the Client has no client id or no secret.
	ErrNoCredentials = errors.New("the subscription routes need the app's client id and client secret")
	// ErrExpired: a subscription has expired.
	ErrExpired = errors.New("subscription expired")
)

// APIError is an answer of the subscription routes other than success.
type APIError struct {
	Op     string // "list", "create tag/create", "renew <id>", ...
	Status int
	Detail string // the server's detail, one line (never a secret: the server does not echo them)
	kind   error  // ErrForbidden, ErrNotFound, ErrInvalid or nil
}

func (e *APIError) Error() string {
	what := fmt.Sprintf("webhook %s: %d %s", e.Op, e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		what += ": " + e.Detail
	}
	switch e.kind {
	case ErrForbidden:
		return what + " (the subscription routes take the app's client id and secret: check --client-id or $OURA_CLIENT_ID and $OURA_CLIENT_SECRET against your app at https://developer.ouraring.com)"
	case ErrNotFound:
		return what + " (list the subscriptions with 'ouraexport webhook list')"
	case ErrInvalid:
		if strings.Contains(strings.ToLower(e.Detail), "verif") {
			return what + " (Oura could not verify the callback: it must be reachable from the internet over https and answer the challenge with this verification token; start 'ouraexport watch' behind it first)"
		}
		return what + " (check the callback URL, event type and data type)"
	}
	return what
}

// Unwrap returns the sentinel the error is one of.
func (e *APIError) Unwrap() error { return e.kind }

// Client speaks the subscription routes of an Oura API server with the
// app's credentials (headers x-client-id and x-client-secret, never in a
// URL). Its methods are safe for concurrent use.
type Client struct {
	BaseURL      string // default DefaultBaseURL
	ClientID     string
	ClientSecret string
	HTTP         *http.Client // default: a client with a 30 s time limit; redirects are never followed
	UserAgent    string
}

// List returns every subscription of the app.
func (c *Client) List(ctx context.Context) ([]Subscription, error) {
	var ws []wireSubscription
	if err := c.do(ctx, "list", http.MethodGet, subscriptionPath, nil, &ws); err != nil {
		return nil, err
	}
	out := make([]Subscription, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.subscription())
	}
	return out, nil
}

// Get returns the subscription id.
func (c *Client) Get(ctx context.Context, id string) (Subscription, error) {
	return c.one(ctx, "get "+id, http.MethodGet, byID(id), nil)
}

// Create subscribes r.CallbackURL to r's events. Oura checks the callback
// with its verification GET before it answers.
func (c *Client) Create(ctx context.Context, r CreateRequest) (Subscription, error) {
	if err := CheckCallback(r.CallbackURL); err != nil {
		return Subscription{}, err
	}
	return c.one(ctx, "create "+r.DataType+"/"+r.EventType, http.MethodPost, subscriptionPath, r)
}

// Update changes the subscription id.
func (c *Client) Update(ctx context.Context, id string, r UpdateRequest) (Subscription, error) {
	if r.CallbackURL != "" {
		if err := CheckCallback(r.CallbackURL); err != nil {
			return Subscription{}, err
		}
	}
	return c.one(ctx, "update "+id, http.MethodPut, byID(id), r)
}

// Renew extends the subscription id (a new expiration_time).
func (c *Client) Renew(ctx context.Context, id string) (Subscription, error) {
	return c.one(ctx, "renew "+id, http.MethodPut, subscriptionPath+"/renew/"+url.PathEscape(id), nil)
}

// Delete deletes the subscription id.
func (c *Client) Delete(ctx context.Context, id string) error {
	return c.do(ctx, "delete "+id, http.MethodDelete, byID(id), nil, nil)
}

func byID(id string) string { return subscriptionPath + "/" + url.PathEscape(id) }

func (c *Client) one(ctx context.Context, op, method, path string, body any) (Subscription, error) {
	var w wireSubscription
	if err := c.do(ctx, op, method, path, body, &w); err != nil {
		return Subscription{}, err
	}
	return w.subscription(), nil
}

// maxAnswer is the largest answer read.
const maxAnswer = 4 << 20

// attempts is how often a request that may be repeated (not a POST) is
// tried when the server is busy or the connection fails.
const attempts = 3

// do sends one request and decodes a 2xx answer into out (nil: ignored).
func (c *Client) do(ctx context.Context, op, method, path string, body, out any) error {
	if c.ClientID == "" || c.ClientSecret == "" {
		return fmt.Errorf("webhook %s: %w: pass --client-id or set $OURA_CLIENT_ID, and set $OURA_CLIENT_SECRET", op, ErrNoCredentials)
	}
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("webhook %s: %w", op, err)
		}
	}
	tries := attempts
	if method == http.MethodPost {
		tries = 1 // a repeated create could make two subscriptions
	}
	var err error
	for try := 1; ; try++ {
		var retry time.Duration
		retry, err = c.try(ctx, op, method, base+path, payload, out)
		if err == nil || retry < 0 || try >= tries {
			return err
		}
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// try sends the request once. It returns how long to wait before trying
// again, negative when trying again cannot help.
func (c *Client) try(ctx context.Context, op, method, u string, payload []byte, out any) (time.Duration, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return -1, fmt.Errorf("webhook %s: --api-url %q: %w", op, c.BaseURL, err)
	}
	req.Header.Set("x-client-id", c.ClientID)
	req.Header.Set("x-client-secret", c.ClientSecret)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return -1, fmt.Errorf("webhook %s: %w", op, ctx.Err())
		}
		return time.Second, fmt.Errorf("webhook %s: %w", op, describeTransport(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return time.Second, fmt.Errorf("webhook %s: reading the answer: %w", op, err)
	}
	if resp.StatusCode/100 == 2 {
		if out == nil || resp.StatusCode == http.StatusNoContent {
			return 0, nil
		}
		if err := json.Unmarshal(b, out); err != nil {
			return -1, fmt.Errorf("webhook %s: the answer of %s is not a subscription (%s): is --api-url an Oura API server?", op, c.BaseURL, describeJSON(err))
		}
		return 0, nil
	}
	e := &APIError{Op: op, Status: resp.StatusCode, Detail: detail(b)}
	switch {
	case resp.StatusCode == http.StatusForbidden && strings.Contains(strings.ToLower(e.Detail), "does not exist"),
		resp.StatusCode == http.StatusNotFound:
		e.kind = ErrNotFound
	case resp.StatusCode == http.StatusForbidden, resp.StatusCode == http.StatusUnauthorized:
		e.kind = ErrForbidden
	case resp.StatusCode == http.StatusUnprocessableEntity, resp.StatusCode == http.StatusBadRequest:
		e.kind = ErrInvalid
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return retryAfter(resp.Header.Get("Retry-After")), e
	}
	return -1, e
}

// httpClient returns the HTTP client, one that never follows a redirect
// (it would carry the client secret to wherever it points).
func (c *Client) httpClient() *http.Client {
	hc := http.Client{Timeout: 30 * time.Second}
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// retryAfter reads Retry-After (seconds, at most 10; none: 1 s).
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	switch {
	case err != nil || n < 0:
		return time.Second
	case n > 10:
		return 10 * time.Second
	}
	return time.Duration(n) * time.Second
}

// describeTransport says why a request got no answer, without the URL's
// query (which holds nothing secret here, but keeps the line short).
func describeTransport(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, ue.URL, ue.Err)
	}
	return err
}

// detail returns the detail of an error answer in one line: FastAPI's
// {"detail": "..."} or {"detail": [{"loc": [...], "msg": "..."}]}, else
// the start of the body.
func detail(b []byte) string {
	var d struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(b, &d) == nil && len(d.Detail) > 0 {
		var s string
		if json.Unmarshal(d.Detail, &s) == nil {
			return oneLine(s)
		}
		var items []struct {
			Loc []any  `json:"loc"`
			Msg string `json:"msg"`
		}
		if json.Unmarshal(d.Detail, &items) == nil && len(items) > 0 {
			var parts []string
			for _, it := range items {
				var loc []string
				for _, l := range it.Loc {
					loc = append(loc, fmt.Sprint(l))
				}
				p := it.Msg
				if len(loc) > 0 {
					p = strings.Join(loc, ".") + ": " + p
				}
				parts = append(parts, p)
			}
			return oneLine(strings.Join(parts, "; "))
		}
	}
	return oneLine(string(b))
}

// oneLine makes s one line of at most 300 bytes.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
