package watch

import (
	"encoding/json"
	"net/http"
	"time"
)

// Health is what /healthz answers: whether the watch works, what waits,
// and what the accounts and subscriptions last did.
type Health struct {
	OK      bool      `json:"ok"`
	Problem string    `json:"problem,omitempty"`
	Started time.Time `json:"started"`
	// Queue is the number of events received and not yet reflected in an
	// export (the journal's pending events).
	Queue         int             `json:"queue"`
	Subscriptions *subState       `json:"subscriptions,omitempty"`
	Accounts      []AccountHealth `json:"accounts"`
}

// AccountHealth is one account's part of Health.
type AccountHealth struct {
	ID         string       `json:"id,omitempty"`
	UserID     string       `json:"user_id,omitempty"`
	Queue      int          `json:"queue"`
	LastBatch  *BatchHealth `json:"last_batch,omitempty"`
	LastResync *resyncState `json:"last_resync,omitempty"`
	NextResync time.Time    `json:"next_resync,omitzero"`
}

// BatchHealth is the last batch of an account.
type BatchHealth struct {
	At       time.Time `json:"at"`
	Events   int       `json:"events"`
	Changes  int       `json:"changes"`
	Applied  int       `json:"applied"`
	Retry    int       `json:"retry"`
	Requests int64     `json:"requests"`
	Seconds  float64   `json:"seconds"`
	Error    string    `json:"error,omitempty"`
}

// Health reports the watch's state. It is not OK when the journal cannot
// be written or the subscriptions have expired.
func (w *Watcher) Health() Health {
	h := Health{OK: true, Started: w.started, Queue: w.j.Pending()}
	w.mu.Lock()
	if w.o.Subscribe != nil {
		s := w.subs
		h.Subscriptions = &s
		switch {
		case !s.Expires.IsZero() && s.Expires.Before(w.o.Now()):
			h.OK, h.Problem = false, "the webhook subscriptions have expired; no events arrive until they are renewed"
		case s.Error != "" && s.Expires.IsZero():
			h.OK, h.Problem = false, "the webhook subscriptions could not be checked"
		}
	}
	w.mu.Unlock()
	if err := w.j.failed(); err != nil {
		h.OK, h.Problem = false, err.Error()
	}
	for _, k := range w.workers {
		k.mu.Lock()
		a := AccountHealth{ID: k.acct.ID, UserID: k.userID, Queue: len(k.queue), NextResync: k.nextResync}
		if b := k.lastBatch; b != nil {
			a.LastBatch = &BatchHealth{At: b.Done, Events: len(b.Events), Changes: b.Changes, Applied: b.Applied,
				Retry: b.Retry, Requests: b.Requests, Seconds: b.Done.Sub(b.Started).Seconds()}
			if b.Err != nil {
				a.LastBatch.Error = b.Err.Error()
			}
		}
		if !k.lastResync.At.IsZero() {
			r := k.lastResync
			a.LastResync = &r
		}
		k.mu.Unlock()
		h.Accounts = append(h.Accounts, a)
	}
	return h
}

// HealthHandler serves Health as JSON: 200 when OK, else 503.
func (w *Watcher) HealthHandler() http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			rw.Header().Set("Allow", "GET, HEAD")
			http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Health()
		rw.Header().Set("Content-Type", "application/json")
		rw.Header().Set("Cache-Control", "no-store")
		if !h.OK {
			rw.WriteHeader(http.StatusServiceUnavailable)
		}
		enc := json.NewEncoder(rw)
		enc.SetIndent("", "  ")
		enc.Encode(h)
	})
}

// Handler serves /healthz and passes every other request to callback, the
// webhook receiver.
func (w *Watcher) Handler(callback http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/healthz", w.HealthHandler())
	mux.Handle("/", callback)
	return mux
}
