package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// The webhook side of the API (API-NOTES 2.4): subscriptions belong to the
// OAuth client (x-client-id / x-client-secret headers, not a user token) and
// deliver events for every user. webhook.go serves the subscription routes,
// webhook_deliver.go sends the signed events, webhook_change.go finds what
// advance, revise and delete changed and hides or deletes documents.

// Defaults of the webhook behaviours Options controls.
const (
	DefaultWebhookTTL       = 90 * 24 * time.Hour
	DefaultWebhookDelay     = time.Second
	DefaultWebhookTimeout   = 10 * time.Second
	DefaultWebhookRetryBase = 5 * time.Second
	// WebhookTries is how often a delivery is tried before it is given up
	// (Oura: 10 for 4xx, 10 for 5xx, 10 for timeouts, "for about an hour").
	WebhookTries = 10
)

// Messages of the subscription routes.
const (
	msgForbidden = "Forbidden"
	msgNoWebhook = "Webhook with specified id does not exist."
)

// webhookDataTypes are the data types a subscription may name: Oura's
// ExtApiV2DataType of openapi-1.37, and daily_cycle_phases of 1.29. meal is
// accepted but never fires (the sandbox serves no meals).
var webhookDataTypes = []string{"tag", "enhanced_tag", "workout", "session", "sleep", "daily_sleep",
	"daily_readiness", "daily_activity", "daily_spo2", "sleep_time", "rest_mode_period", "ring_configuration",
	"daily_stress", "daily_cardiovascular_age", "daily_resilience", "vo2_max", "meal", "daily_cycle_phases"}

// webhookEventTypes are the event types a subscription may name.
var webhookEventTypes = []string{"create", "update", "delete"}

// WebhookDataTypes returns the data types the subscription routes accept.
func WebhookDataTypes() []string { return append([]string(nil), webhookDataTypes...) }

// dataTypeOf returns the webhook data type of a collection ("" for none:
// heartrate, ring_battery_level, personal_info and the series and extra
// collections are always polled).
func dataTypeOf(collection string) string {
	if collection == "vO2_max" {
		return "vo2_max"
	}
	if collection == "meal" || !contains(webhookDataTypes, collection) {
		return ""
	}
	return collection
}

// Subscription is a webhook subscription as the sandbox holds it.
type Subscription struct {
	ID          string    `json:"id"`
	CallbackURL string    `json:"callback_url"`
	EventType   string    `json:"event_type"`
	DataType    string    `json:"data_type"`
	Expires     time.Time `json:"-"`
	// ExpirationTime is Expires as the routes write it (offset-less with
	// the naive expiry fault).
	ExpirationTime string `json:"expiration_time"`
	// Expired is true once Expires has passed: it delivers nothing.
	Expired bool `json:"expired"`
}

// subscription is a stored subscription; token is its verification token.
type subscription struct {
	id, callback, token, eventType, dataType string
	created                                  int64 // creation order
	expires                                  time.Time
}

// expiryText writes an expiration_time: RFC 3339 in UTC with Z, or without
// any offset (as Oura has been seen to send it) when naive.
func expiryText(t time.Time, naive bool) string {
	if naive {
		return t.UTC().Format("2006-01-02T15:04:05.000000")
	}
	return t.UTC().Format(time.RFC3339)
}

// model returns the WebhookSubscriptionModel of sub.
func (h *hooks) model(sub *subscription, now time.Time) Subscription {
	return Subscription{ID: sub.id, CallbackURL: sub.callback, EventType: sub.eventType, DataType: sub.dataType,
		Expires: sub.expires, ExpirationTime: expiryText(sub.expires, h.naive.Load()), Expired: !now.Before(sub.expires)}
}

// wireModel is the JSON of the routes (no "expired": Oura has none).
type wireModel struct {
	ID             string `json:"id"`
	CallbackURL    string `json:"callback_url"`
	EventType      string `json:"event_type"`
	DataType       string `json:"data_type"`
	ExpirationTime string `json:"expiration_time"`
}

func wire(m Subscription) wireModel {
	return wireModel{m.ID, m.CallbackURL, m.EventType, m.DataType, m.ExpirationTime}
}

// Subscriptions returns the webhook subscriptions in creation order.
func (s *Server) Subscriptions() []Subscription {
	h := s.hooks
	now := s.cfg.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.listLocked(now)
}

func (h *hooks) listLocked(now time.Time) []Subscription {
	subs := make([]*subscription, 0, len(h.subs))
	for _, sub := range h.subs {
		subs = append(subs, sub)
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].created < subs[j].created })
	out := make([]Subscription, len(subs))
	for i, sub := range subs {
		out[i] = h.model(sub, now)
	}
	return out
}

// vErr is one entry of a 422 HTTPValidationError.
type vErr struct {
	Type  string `json:"type"`
	Loc   []any  `json:"loc"`
	Msg   string `json:"msg"`
	Input any    `json:"input,omitempty"`
}

// serveWebhook serves /v2/webhook/subscription[/{id}|/renew/{id}].
func (s *Server) serveWebhook(w http.ResponseWriter, r *http.Request, rs *reqState, rest string) {
	rs.route = "webhook/subscription"
	id, renew := rest, false
	allowed := "GET, PUT, DELETE"
	switch {
	case rest == "":
		allowed = "GET, POST"
	case strings.HasPrefix(rest, "renew/"):
		id, renew, allowed = rest[len("renew/"):], true, "PUT"
		rs.route = "webhook/subscription/renew"
	}
	if rest != "" && (id == "" || strings.Contains(id, "/")) {
		s.detail(w, r, rs, http.StatusNotFound, "Not Found")
		return
	}
	if !methodIn(r.Method, allowed) {
		w.Header().Set("Allow", allowed)
		s.detail(w, r, rs, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	if _, ok := s.preamble(w, r, rs, false); !ok {
		return
	}
	rs.client = ClientID
	if !appCredentials(r) {
		rs.client = ""
		s.detail(w, r, rs, http.StatusForbidden, msgForbidden)
		return
	}
	switch {
	case rest == "" && r.Method == http.MethodGet:
		s.sendJSON(w, r, rs, http.StatusOK, s.hookList())
	case rest == "":
		s.hookCreate(w, r, rs)
	case renew:
		s.hookRenew(w, r, rs, id)
	case r.Method == http.MethodGet:
		m, ok := s.hookGet(id)
		if !ok {
			s.detail(w, r, rs, http.StatusForbidden, msgNoWebhook)
			return
		}
		s.sendJSON(w, r, rs, http.StatusOK, wire(m))
	case r.Method == http.MethodDelete:
		if !s.hooks.remove(id) {
			s.detail(w, r, rs, http.StatusForbidden, msgNoWebhook)
			return
		}
		s.send(w, r, rs, http.StatusNoContent, "", nil, "")
	default:
		s.hookUpdate(w, r, rs, id)
	}
}

// appCredentials reports whether r carries the OAuth client's id and secret.
func appCredentials(r *http.Request) bool {
	id := subtle.ConstantTimeCompare([]byte(r.Header.Get("x-client-id")), []byte(ClientID))
	secret := subtle.ConstantTimeCompare([]byte(r.Header.Get("x-client-secret")), []byte(ClientSecret))
	return id&secret == 1
}

func (s *Server) hookInvalid(w http.ResponseWriter, r *http.Request, rs *reqState, errs []vErr) {
	s.sendJSON(w, r, rs, http.StatusUnprocessableEntity, map[string][]vErr{"detail": errs})
}

// unverified is the 422 of a callback that failed the verification.
func unverified(callback, why string) []vErr {
	return []vErr{{Type: "value_error", Loc: []any{"body", "callback_url"},
		Msg: "Value error, the callback URL failed verification: " + why, Input: callback}}
}

func (s *Server) hookList() []wireModel {
	subs := s.Subscriptions()
	out := make([]wireModel, len(subs))
	for i, m := range subs {
		out[i] = wire(m)
	}
	return out
}

func (s *Server) hookGet(id string) (Subscription, bool) {
	h := s.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	sub := h.subs[id]
	if sub == nil {
		return Subscription{}, false
	}
	return h.model(sub, s.cfg.Now()), true
}

// hookBody is a create or update request body, checked.
type hookBody struct {
	callback, token, eventType, dataType string
	has                                  map[string]bool
}

// readHookBody parses a request body; required names the fields that must
// be there (the others may be missing or null).
func readHookBody(r *http.Request, required ...string) (hookBody, []vErr) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return hookBody{}, []vErr{{Type: "json_invalid", Loc: []any{"body", 0}, Msg: "JSON decode error"}}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return hookBody{}, []vErr{{Type: "model_attributes_type", Loc: []any{"body"}, Msg: "Input should be a valid dictionary or object to extract fields from", Input: string(raw)}}
	}
	b := hookBody{has: map[string]bool{}}
	var errs []vErr
	for _, f := range []struct {
		name string
		dst  *string
	}{{"callback_url", &b.callback}, {"verification_token", &b.token}, {"event_type", &b.eventType}, {"data_type", &b.dataType}} {
		v, ok := m[f.name]
		if !ok || string(v) == "null" {
			if contains(required, f.name) {
				errs = append(errs, vErr{Type: "missing", Loc: []any{"body", f.name}, Msg: "Field required"})
			}
			continue
		}
		if err := json.Unmarshal(v, f.dst); err != nil {
			errs = append(errs, vErr{Type: "string_type", Loc: []any{"body", f.name}, Msg: "Input should be a valid string", Input: v})
			continue
		}
		b.has[f.name] = true
	}
	if b.has["verification_token"] && b.token == "" {
		errs = append(errs, vErr{Type: "string_too_short", Loc: []any{"body", "verification_token"}, Msg: "String should have at least 1 character", Input: ""})
	}
	if b.has["callback_url"] {
		if u, err := url.Parse(b.callback); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, vErr{Type: "url_parsing", Loc: []any{"body", "callback_url"}, Msg: "Input should be a valid URL", Input: b.callback})
		}
	}
	if b.has["event_type"] && !contains(webhookEventTypes, b.eventType) {
		errs = append(errs, vErr{Type: "enum", Loc: []any{"body", "event_type"}, Msg: "Invalid event_type value"})
	}
	if b.has["data_type"] && !contains(webhookDataTypes, b.dataType) {
		errs = append(errs, vErr{Type: "enum", Loc: []any{"body", "data_type"}, Msg: "Invalid data_type value"})
	}
	return b, errs
}

func (s *Server) hookCreate(w http.ResponseWriter, r *http.Request, rs *reqState) {
	b, errs := readHookBody(r, "callback_url", "verification_token", "event_type", "data_type")
	if len(errs) > 0 {
		s.hookInvalid(w, r, rs, errs)
		return
	}
	if why := s.hooks.verify(r.Context(), b.callback, b.token); why != "" {
		s.hookInvalid(w, r, rs, unverified(b.callback, why))
		return
	}
	h := s.hooks
	now := s.cfg.Now()
	h.mu.Lock()
	h.seq++
	sub := &subscription{id: newUUID(), callback: b.callback, token: b.token, eventType: b.eventType,
		dataType: b.dataType, created: h.seq, expires: h.expiry(now)}
	h.subs[sub.id] = sub
	m := h.model(sub, now)
	h.mu.Unlock()
	s.sendJSON(w, r, rs, http.StatusCreated, wire(m))
}

func (s *Server) hookUpdate(w http.ResponseWriter, r *http.Request, rs *reqState, id string) {
	h := s.hooks
	h.mu.Lock()
	sub := h.subs[id]
	var callback string
	if sub != nil {
		callback = sub.callback
	}
	h.mu.Unlock()
	if sub == nil {
		s.detail(w, r, rs, http.StatusForbidden, msgNoWebhook)
		return
	}
	b, errs := readHookBody(r, "verification_token")
	if len(errs) > 0 {
		s.hookInvalid(w, r, rs, errs)
		return
	}
	if b.has["callback_url"] {
		callback = b.callback
	}
	if why := h.verify(r.Context(), callback, b.token); why != "" {
		s.hookInvalid(w, r, rs, unverified(callback, why))
		return
	}
	h.mu.Lock()
	sub = h.subs[id]
	if sub == nil {
		h.mu.Unlock()
		s.detail(w, r, rs, http.StatusForbidden, msgNoWebhook)
		return
	}
	sub.callback, sub.token = callback, b.token
	if b.has["event_type"] {
		sub.eventType = b.eventType
	}
	if b.has["data_type"] {
		sub.dataType = b.dataType
	}
	m := h.model(sub, s.cfg.Now())
	h.mu.Unlock()
	s.sendJSON(w, r, rs, http.StatusOK, wire(m))
}

func (s *Server) hookRenew(w http.ResponseWriter, r *http.Request, rs *reqState, id string) {
	h := s.hooks
	now := s.cfg.Now()
	h.mu.Lock()
	sub := h.subs[id]
	if sub == nil {
		h.mu.Unlock()
		s.detail(w, r, rs, http.StatusForbidden, msgNoWebhook)
		return
	}
	sub.expires = h.expiry(now)
	m := h.model(sub, now)
	h.mu.Unlock()
	s.sendJSON(w, r, rs, http.StatusOK, wire(m))
}

// expiry returns the expiration of a subscription made or renewed at now,
// whole seconds so that what the routes write is exact. h.mu is held.
func (h *hooks) expiry(now time.Time) time.Time {
	return now.Add(time.Duration(h.ttl.Load())).UTC().Truncate(time.Second)
}

// remove deletes subscription id; false if there is none.
func (h *hooks) remove(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[id] == nil {
		return false
	}
	delete(h.subs, id)
	return true
}

// verify asks callback for the verification challenge, as Oura does on
// create: GET <callback>?verification_token=T&challenge=C must answer 2xx
// with {"challenge": C}. It returns why it failed, "" when it passed. The
// reason never holds the URL (which carries the token).
func (h *hooks) verify(ctx context.Context, callback, token string) string {
	u, err := url.Parse(callback)
	if err != nil {
		return "not a URL"
	}
	challenge := newUUID()
	q := u.Query()
	q.Set("verification_token", token)
	q.Set("challenge", challenge)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "not a URL"
	}
	req.Header.Set("User-Agent", webhookUserAgent)
	resp, err := h.client.Do(req)
	if err != nil {
		return transportReason(err, h.timeout)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10)) // a short read fails the check below
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Sprintf("it answered %d to the challenge", resp.StatusCode)
	}
	var got struct {
		Challenge *string `json:"challenge"`
	}
	if json.Unmarshal(body, &got) != nil || got.Challenge == nil {
		return `its answer to the challenge is not {"challenge": "<the challenge>"}`
	}
	if *got.Challenge != challenge {
		return "it answered another challenge"
	}
	return ""
}

// transportReason says why a request got no answer, without its URL.
func transportReason(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "no answer within " + timeout.String()
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return "it cannot be reached: " + oe.Err.Error()
	}
	return "it cannot be reached"
}

// newUUID returns a random version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	u := formatUUID(binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]))
	return string(u[:])
}
