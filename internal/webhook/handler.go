package webhook

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Header names of a delivery.
const (
	HeaderSignature = "x-oura-signature"
	HeaderTimestamp = "x-oura-timestamp"
)

// Handler is the http.Handler of a callback URL. It answers Oura's
// verification GET (?verification_token=T&challenge=C, answered
// {"challenge":C} only when T is VerificationToken, else 401) and takes
// event POSTs: the signature and timestamp are checked (Verify; else 401),
// the body decoded (else 400), and the event handed to Accept, whose error
// gives 503 (Oura retries) and whose success 204. Any other method gets
// 405. The Handler never fetches anything and never blocks on more than
// Accept, so it answers within Oura's 10 s as long as Accept does.
//
// A delivery identical to one accepted within MaxSkew (the same
// timestamp and signature: a replay, or Oura retrying an answer it did not
// receive) is answered 204 without calling Accept again.
//
// Secret and VerificationToken must be set; the zero Handler refuses
// everything with 401.
type Handler struct {
	Secret, VerificationToken string
	// MaxSkew is how far x-oura-timestamp may be from Now (default
	// DefaultMaxSkew); older or newer deliveries get 401.
	MaxSkew time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Accept takes a verified event and its raw body; it must keep it
	// durably before returning nil, and return quickly. An error answers
	// 503, so Oura delivers the event again.
	Accept func(ctx context.Context, e Event, body []byte) error
	// Log receives a line per refused request and per failed Accept
	// (default: none). It never receives a secret, token or signature.
	Log *slog.Logger

	mu     sync.Mutex
	seen   map[string]time.Time // accepted deliveries (timestamp and signature) -> when
	pruned time.Time            // when seen was last rid of old deliveries
}

var _ http.Handler = (*Handler)(nil)

// ServeHTTP answers one request to the callback.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.challenge(w, r)
	case http.MethodPost:
		h.event(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		h.refuse(w, r, http.StatusMethodNotAllowed, "method not allowed")
	}
}

// challenge answers the verification GET.
func (h *Handler) challenge(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tok, ch := q.Get("verification_token"), q.Get("challenge")
	if h.VerificationToken == "" || !sameSecret(tok, h.VerificationToken) {
		reason := "wrong verification token"
		if tok == "" {
			reason = "no verification token"
		}
		h.refuse(w, r, http.StatusUnauthorized, reason)
		return
	}
	if ch == "" {
		h.refuse(w, r, http.StatusBadRequest, "no challenge")
		return
	}
	b, _ := json.Marshal(struct {
		Challenge string `json:"challenge"`
	}{ch})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
	h.log().Info("webhook: answered the verification challenge", "remote", r.RemoteAddr)
}

// sameSecret compares a and b in constant time, their lengths included
// (it compares their SHA-256).
func sameSecret(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// event takes one event POST.
func (h *Handler) event(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxEventBody+1))
	if err != nil {
		h.refuse(w, r, http.StatusBadRequest, "could not read the body")
		return
	}
	if len(body) > MaxEventBody {
		h.refuse(w, r, http.StatusRequestEntityTooLarge, "body larger than an event")
		return
	}
	ts, sig := r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature)
	now := h.now()
	if err := Verify(h.Secret, ts, sig, body, now, h.skew()); err != nil {
		h.refuse(w, r, http.StatusUnauthorized, err.Error())
		return
	}
	e, err := DecodeEvent(body)
	if err != nil {
		h.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	key := ts + " " + strings.ToUpper(strings.TrimSpace(sig))
	if h.accepted(key, now) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if h.Accept == nil {
		h.fail(w, r, e, errors.New("no Accept function"))
		return
	}
	if err := h.Accept(r.Context(), e, body); err != nil {
		h.fail(w, r, e, err)
		return
	}
	h.remember(key, now)
	w.WriteHeader(http.StatusNoContent)
}

// fail answers 503 for an event Accept could not keep.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, e Event, err error) {
	h.log().Error("webhook: could not keep an event; Oura will send it again",
		"event_type", e.EventType, "data_type", e.DataType, "object_id", e.ObjectID, "err", err.Error())
	w.Header().Set("Retry-After", "5")
	http.Error(w, "could not keep the event, send it again", http.StatusServiceUnavailable)
}

// refuse answers status and logs why, without any secret.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, why string) {
	h.log().Warn("webhook: refused a request", "status", status, "method", r.Method,
		"remote", r.RemoteAddr, "reason", why)
	http.Error(w, http.StatusText(status), status)
}

// accepted reports whether the delivery key was accepted within MaxSkew.
func (h *Handler) accepted(key string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	at, ok := h.seen[key]
	return ok && now.Sub(at) <= 2*h.skew()
}

// remember records an accepted delivery, forgetting those that are too
// old to pass Verify again.
func (h *Handler) remember(key string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen == nil {
		h.seen = map[string]time.Time{}
	}
	if now.Sub(h.pruned) > h.skew() {
		for k, at := range h.seen {
			if now.Sub(at) > 2*h.skew() {
				delete(h.seen, k)
			}
		}
		h.pruned = now
	}
	h.seen[key] = now
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) skew() time.Duration {
	if h.MaxSkew > 0 {
		return h.MaxSkew
	}
	return DefaultMaxSkew
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.New(slog.DiscardHandler)
}
