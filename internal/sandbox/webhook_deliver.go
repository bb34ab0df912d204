package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// webhookUserAgent is the User-Agent of the sandbox's webhook requests.
const webhookUserAgent = "ouraexport-sandbox-webhook/1"

// hooks holds the subscriptions and sends the events.
type hooks struct {
	mu        sync.Mutex
	subs      map[string]*subscription
	seq       int64
	lostN     int       // the next lostN deliveries are lost
	lostUntil time.Time // deliveries before this instant are lost
	st        counters
	timers    map[*delivery]*time.Timer
	closed    bool
	changed   chan struct{} // closed and replaced whenever st changes

	ttl   atomic.Int64 // time.Duration
	late  atomic.Int64 // time.Duration
	naive atomic.Bool

	delay, timeout, retryBase time.Duration
	now                       func() time.Time
	log                       *slog.Logger // one line per attempt when set; never a secret
	userID                    func(user int) string
	client                    *http.Client
	ctx                       context.Context
	cancel                    context.CancelFunc
	sem                       chan struct{} // bounds the requests in flight
}

// counters are the delivery counters (see WebhookStats).
type counters struct {
	events, queued, delivered, failed, dropped, gone, gaveUp, cancelled, pending int64
	lastFailure                                                                  string
}

// delivery is one event on its way to one subscription.
type delivery struct {
	sub   string
	body  []byte
	tries int
	what  string // "create tag" for the log
}

func newHooks(cfg config, userID func(int) string) *hooks {
	ctx, cancel := context.WithCancel(context.Background())
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: cfg.webhookTimeout,
	}
	h := &hooks{
		subs:      map[string]*subscription{},
		lostN:     cfg.WebhookLost,
		timers:    map[*delivery]*time.Timer{},
		changed:   make(chan struct{}),
		delay:     cfg.webhookDelay,
		timeout:   cfg.webhookTimeout,
		retryBase: cfg.webhookRetryBase,
		now:       cfg.Now,
		log:       cfg.Logger,
		userID:    userID,
		client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // Oura does not follow redirects either, as far as anyone knows
		}},
		ctx:    ctx,
		cancel: cancel,
		sem:    make(chan struct{}, 16),
	}
	if cfg.WebhookLostFor > 0 {
		h.lostUntil = cfg.Now().Add(cfg.WebhookLostFor)
	}
	h.ttl.Store(int64(cfg.webhookTTL))
	h.late.Store(int64(cfg.WebhookLate))
	h.naive.Store(cfg.WebhookNaiveExpiry)
	return h
}

// signWebhook returns Oura's x-oura-signature: the upper-case hex
// HMAC-SHA256, keyed with the client secret, of the timestamp followed by
// the raw body bytes.
func signWebhook(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write(body)
	var b [sha256.Size * 2]byte
	hex.Encode(b[:], mac.Sum(nil))
	return string(bytes.ToUpper(b[:]))
}

// eventBody is the JSON of an event, as Python's json.dumps writes it
// (", " and ": " separators): a receiver that checks the signature of a
// re-serialised body instead of the raw bytes fails.
func eventBody(c Change, at time.Time, userID string) []byte {
	b := make([]byte, 0, 256)
	field := func(first bool, k, v string) {
		if !first {
			b = append(b, ", "...)
		}
		b = appendString(b, k)
		b = append(b, ": "...)
		b = appendString(b, v)
	}
	b = append(b, '{')
	field(true, "event_type", c.Op)
	field(false, "data_type", c.DataType)
	field(false, "object_id", c.ID)
	field(false, "event_time", at.UTC().Format("2006-01-02T15:04:05.000000+00:00"))
	field(false, "user_id", userID)
	return append(b, '}')
}

// emit queues the events of changes for every live subscription that
// matches them, to be sent after the delay.
func (h *hooks) emit(changes []Change) {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range changes {
		if c.DataType == "" {
			continue
		}
		h.st.events++
		var body []byte
		for _, sub := range h.subs {
			if sub.eventType != c.Op || sub.dataType != c.DataType || !now.Before(sub.expires) {
				continue
			}
			h.st.queued++
			if h.lostN > 0 {
				h.lostN--
				h.st.dropped++
				continue
			}
			if now.Before(h.lostUntil) {
				h.st.dropped++
				continue
			}
			if body == nil {
				body = eventBody(c, now, h.userID(c.User))
			}
			h.st.pending++
			h.scheduleLocked(&delivery{sub: sub.id, body: body, what: c.Op + " " + c.DataType}, h.delay)
		}
	}
	h.notifyLocked()
}

// hasLive reports whether any subscription is live (not expired).
func (h *hooks) hasLive() bool {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, sub := range h.subs {
		if now.Before(sub.expires) {
			return true
		}
	}
	return false
}

// scheduleLocked tries d after a while. h.mu is held.
func (h *hooks) scheduleLocked(d *delivery, after time.Duration) {
	if h.closed {
		h.finishLocked(&h.st.cancelled)
		return
	}
	h.timers[d] = time.AfterFunc(after, func() { h.attempt(d) })
}

// finishLocked ends a pending delivery, counted in c. h.mu is held.
func (h *hooks) finishLocked(c *int64) {
	*c++
	h.st.pending--
}

func (h *hooks) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// attempt sends d once; a failure is retried with a doubling delay, up to
// WebhookTries tries; 410 deletes the subscription.
func (h *hooks) attempt(d *delivery) {
	h.mu.Lock()
	delete(h.timers, d)
	sub := h.subs[d.sub]
	if h.closed || sub == nil || !h.now().Before(sub.expires) {
		h.finishLocked(&h.st.cancelled)
		h.notifyLocked()
		h.mu.Unlock()
		return
	}
	callback := sub.callback
	h.mu.Unlock()

	status, why := 0, "cancelled"
	select {
	case h.sem <- struct{}{}:
		status, why = h.post(callback, d.body)
		<-h.sem
	case <-h.ctx.Done():
	}

	d.tries++
	if h.log != nil {
		h.log.Info("webhook", "event", d.what, "subscription", d.sub, "try", d.tries, "status", status, "failure", why)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	defer h.notifyLocked()
	switch {
	case status >= 200 && status <= 299:
		h.finishLocked(&h.st.delivered)
	case status == http.StatusGone:
		delete(h.subs, d.sub) // Oura: answering 410 cancels the subscription
		h.finishLocked(&h.st.gone)
	case h.closed:
		h.finishLocked(&h.st.cancelled)
	default:
		h.st.failed++
		if why == "" {
			why = "it answered " + strconv.Itoa(status)
		}
		h.st.lastFailure = why
		if d.tries >= WebhookTries {
			h.finishLocked(&h.st.gaveUp)
			return
		}
		h.scheduleLocked(d, h.retryBase<<(d.tries-1))
	}
}

// post sends one signed event; it returns the status, or 0 and why there
// was no answer within the timeout.
func (h *hooks) post(callback string, body []byte) (int, string) {
	ctx, cancel := context.WithTimeout(h.ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, callback, bytes.NewReader(body))
	if err != nil {
		return 0, "the callback URL is not a URL"
	}
	ts := strconv.FormatInt(h.now().Unix(), 10)
	req.Header.Set("Content-Type", ctypeJSON)
	req.Header.Set("User-Agent", webhookUserAgent)
	req.Header.Set("x-oura-timestamp", ts)
	req.Header.Set("x-oura-signature", signWebhook(ClientSecret, ts, body))
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, transportReason(err, h.timeout)
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return 0, transportReason(err, h.timeout)
	}
	return resp.StatusCode, ""
}

// close stops every delivery: those waiting are cancelled, those in flight
// are aborted.
func (h *hooks) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for d, t := range h.timers {
		if t.Stop() {
			h.finishLocked(&h.st.cancelled)
		}
		delete(h.timers, d)
	}
	h.cancel()
	h.notifyLocked()
}

// WebhookStats are the webhook side's state: subscriptions, the delivery
// counters and the faults. A delivery is one event for one subscription;
// Pending = Queued − Delivered − Dropped − Gone − GaveUp − Cancelled.
type WebhookStats struct {
	Subscriptions []Subscription `json:"subscriptions"`
	Events        int64          `json:"events"`    // changes with a webhook data type
	Queued        int64          `json:"queued"`    // deliveries made (matching live subscriptions)
	Delivered     int64          `json:"delivered"` // answered 2xx
	Failed        int64          `json:"failed"`    // failed attempts: another status, or no answer in time
	Dropped       int64          `json:"dropped"`   // lost by the lost-events fault, never sent
	Gone          int64          `json:"gone"`      // answered 410: the subscription was deleted
	GaveUp        int64          `json:"gave_up"`   // failed WebhookTries times
	Cancelled     int64          `json:"cancelled"` // the subscription was deleted or expired first, or the server closed
	Pending       int64          `json:"pending"`   // waiting for a try or in flight
	LastFailure   string         `json:"last_failure,omitempty"`
	Faults        WebhookFaults  `json:"faults"`
}

// WebhookFaults are the webhook faults in force.
type WebhookFaults struct {
	Lost        int    `json:"lost"`                 // the next Lost deliveries are lost
	LostUntil   string `json:"lost_until,omitempty"` // every delivery before this instant is lost
	Late        string `json:"late"`                 // changed documents stay hidden this long after their event
	NaiveExpiry bool   `json:"naive_expiry"`         // expiration_time without an offset
	TTL         string `json:"ttl"`                  // lifetime of new and renewed subscriptions
}

// Webhooks returns the subscriptions, delivery counters and faults.
func (s *Server) Webhooks() WebhookStats {
	h := s.hooks
	now := s.cfg.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	st := WebhookStats{
		Subscriptions: h.listLocked(now), Events: h.st.events, Queued: h.st.queued, Delivered: h.st.delivered,
		Failed: h.st.failed, Dropped: h.st.dropped, Gone: h.st.gone, GaveUp: h.st.gaveUp, Cancelled: h.st.cancelled,
		Pending: h.st.pending, LastFailure: h.st.lastFailure,
		Faults: WebhookFaults{Lost: h.lostN, Late: time.Duration(h.late.Load()).String(), NaiveExpiry: h.naive.Load(),
			TTL: time.Duration(h.ttl.Load()).String()},
	}
	if now.Before(h.lostUntil) {
		st.Faults.LostUntil = h.lostUntil.UTC().Format(time.RFC3339Nano)
	}
	return st
}

// WaitWebhooks waits until no delivery is pending (every event sent, lost,
// given up or cancelled), or ctx ends.
func (s *Server) WaitWebhooks(ctx context.Context) error {
	h := s.hooks
	for {
		h.mu.Lock()
		pending, ch := h.st.pending, h.changed
		h.mu.Unlock()
		if pending == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// SetWebhookLost makes the next n deliveries silently lost (Oura's events
// that stop while the subscriptions look active); 0 ends the fault.
func (s *Server) SetWebhookLost(n int) {
	s.hooks.mu.Lock()
	s.hooks.lostN = max(n, 0)
	s.hooks.mu.Unlock()
}

// SetWebhookLostFor makes every delivery of the next d silently lost; 0
// ends the fault.
func (s *Server) SetWebhookLostFor(d time.Duration) {
	s.hooks.mu.Lock()
	s.hooks.lostUntil = time.Time{}
	if d > 0 {
		s.hooks.lostUntil = s.cfg.Now().Add(d)
	}
	s.hooks.mu.Unlock()
}

// SetWebhookLate hides each document a later change creates or updates, on
// the list and by-id routes, until d after its event was due (a fetch
// right after an event can 404); 0 ends the fault for later changes.
func (s *Server) SetWebhookLate(d time.Duration) { s.hooks.late.Store(int64(max(d, 0))) }

// SetWebhookNaiveExpiry writes expiration_time without an offset (UTC).
func (s *Server) SetWebhookNaiveExpiry(naive bool) { s.hooks.naive.Store(naive) }

// SetWebhookTTL sets the lifetime of subscriptions made or renewed from
// now on; d <= 0 restores the default.
func (s *Server) SetWebhookTTL(d time.Duration) {
	if d <= 0 {
		d = DefaultWebhookTTL
	}
	s.hooks.ttl.Store(int64(d))
}
