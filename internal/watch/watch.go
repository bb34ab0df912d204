package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ouraexport/ouraexport/internal/flock"
)

// Event is one webhook notification, as Oura sends it.
type Event struct {
	EventType string `json:"event_type"`
	DataType  string `json:"data_type"`
	ObjectID  string `json:"object_id"`
	EventTime string `json:"event_time"`
	UserID    string `json:"user_id"`
}

// Change is what an event asks of an account's export: the document of a
// collection (by its route name) that was created, updated or deleted.
type Change struct {
	Collection, ObjectID, Op string
}

// Outcome is what applying a batch of changes did.
type Outcome struct {
	// Applied are the changes the folder now reflects.
	Applied []Change
	// Retry are the changes the API does not show yet: asked again later.
	Retry []Change
	// Requests is the number of API requests made.
	Requests int64
}

// Sync is what an account's resync did.
type Sync struct {
	// UserID is the account's Oura user id (personal_info id).
	UserID   string
	Requests int64
}

// Account is one export the watch keeps current.
type Account struct {
	// ID names the account in logs and health: the participant id of a
	// cohort, "" for a single export.
	ID string
	// UserID is the account's Oura user id (personal_info id), the user_id
	// of its events; "" until its first resync says.
	UserID string
	// Resync brings the export up to date by an incremental export.
	Resync func(ctx context.Context) (Sync, error)
	// Apply fetches what the changes touch and rewrites the export folder,
	// committing it before it returns.
	Apply func(ctx context.Context, changes []Change) (Outcome, error)
}

// Batch is one batch an account's worker applied (or failed to).
type Batch struct {
	Account string
	// Events are the journal entries the batch was made of.
	Events []Entry
	// Changes is the number of distinct documents asked for.
	Changes, Applied, Retry int
	// Dropped is the number of events acknowledged without being applied:
	// asked for too often, left to the resync.
	Dropped  int
	Requests int64
	Started  time.Time
	Done     time.Time
	Err      error
}

// Options configure a Watcher. Zero durations take their defaults.
type Options struct {
	// Dir is the watch's own folder: its journal and lock.
	Dir string
	// Accounts are the exports to keep current, each with its own worker.
	Accounts []Account
	// Collection maps an event's data type to the collection it changes
	// (webhook.Collection); false ignores the event.
	Collection func(dataType string) (string, bool)
	// Subscribe, when set, makes sure the subscriptions exist and renews
	// those about to expire, returning the earliest expiry. It is called on
	// start and every RenewEvery.
	Subscribe  func(ctx context.Context) (time.Time, error)
	RenewEvery time.Duration // default 12h
	// Resync is how often every account is brought up to date by an
	// incremental export (default 6h); it also runs on start.
	Resync time.Duration
	// Quiet and MaxDelay batch events: a batch is applied once no event
	// came for Quiet (default 500ms), or MaxDelay (default 2s) after its
	// first event.
	Quiet, MaxDelay time.Duration
	// RetryBase and RetryMax bound the backoff of a change not visible yet,
	// or of a batch that failed (defaults 30s and 30m); after Tries
	// (default 10) it is left to the resync.
	RetryBase, RetryMax time.Duration
	Tries               int
	Log                 *slog.Logger
	Now                 func() time.Time
	// OnBatch, when set, is called after every batch (from its worker).
	OnBatch func(Batch)
}

// ErrLocked is returned by New when another watch uses the folder.
var ErrLocked = errors.New("another ouraexport watch is using this folder")

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.RenewEvery, 12*time.Hour)
	def(&o.Resync, 6*time.Hour)
	def(&o.Quiet, 500*time.Millisecond)
	def(&o.MaxDelay, 2*time.Second)
	def(&o.RetryBase, 30*time.Second)
	def(&o.RetryMax, 30*time.Minute)
	if o.Tries <= 0 {
		o.Tries = 10
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Watcher receives events and keeps the accounts' exports current.
type Watcher struct {
	o       Options
	j       *Journal
	lock    *os.File
	workers []*worker
	started time.Time

	deletes *deletes

	mu       sync.Mutex
	byUser   map[string]*worker
	unrouted []*item
	subs     subState
}

// subState is what the last subscription check said.
type subState struct {
	Checked time.Time `json:"checked,omitzero"`
	Expires time.Time `json:"expires,omitzero"`
	Error   string    `json:"error,omitempty"`
}

// item is an event on its way into an export.
type item struct {
	Entry
	change    Change
	tries     int
	notBefore time.Time
}

// New opens the watch folder (taking its lock) and its journal; the events
// the journal still holds are queued again.
func New(o Options) (*Watcher, error) {
	o.defaults()
	if o.Dir == "" || len(o.Accounts) == 0 || o.Collection == nil {
		return nil, errors.New("watch: no folder, accounts or data types")
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the watch folder: %w", err)
	}
	lock, err := flock.Take(filepath.Join(o.Dir, "lock"))
	if _, held := flock.Held(err); held {
		return nil, fmt.Errorf("%w (%s): stop it first", ErrLocked, o.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("lock the watch folder: %w", err)
	}
	j, pending, err := OpenJournal(o.Dir)
	if err != nil {
		lock.Close()
		return nil, err
	}
	w := &Watcher{o: o, j: j, lock: lock, started: o.Now(), byUser: map[string]*worker{}, deletes: loadDeletes(o.Dir)}
	for _, a := range o.Accounts {
		k := &worker{w: w, acct: a, userID: a.UserID, wake: make(chan struct{}, 1)}
		w.workers = append(w.workers, k)
		if a.UserID != "" {
			w.byUser[a.UserID] = k
		}
	}
	if len(pending) > 0 {
		o.Log.Info("replaying the journal", "events", len(pending))
	}
	for _, e := range pending {
		w.route(w.newItem(e))
	}
	return w, nil
}

// Accept records e durably and queues it: once it returns nil, the event
// survives a crash and may be answered 2xx. It never fetches.
func (w *Watcher) Accept(_ context.Context, e Event) error {
	ent, err := w.j.Append(e, w.o.Now())
	if err != nil {
		return err
	}
	w.route(w.newItem(ent))
	return nil
}

func (w *Watcher) newItem(e Entry) *item {
	it := &item{Entry: e}
	it.change.ObjectID, it.change.Op = e.Event.ObjectID, e.Event.EventType
	it.change.Collection, _ = w.o.Collection(e.Event.DataType)
	return it
}

// route hands an event to the worker of its user, holds it until the
// accounts' user ids are known, or drops it.
func (w *Watcher) route(it *item) {
	ev := it.Event
	if it.change.Collection == "" || it.change.ObjectID == "" || !validOp(it.change.Op) {
		w.o.Log.Info("event ignored", "data_type", ev.DataType, "event_type", ev.EventType)
		w.ack(it)
		return
	}
	w.mu.Lock()
	k := w.byUser[ev.UserID]
	if k == nil {
		if len(w.byUser) < len(w.workers) {
			w.unrouted = append(w.unrouted, it) // until every account's user id is known
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		w.o.Log.Debug("event for a user not watched ignored", "user_id", ev.UserID, "data_type", ev.DataType)
		w.ack(it)
		return
	}
	w.mu.Unlock()
	k.push(it)
}

func validOp(op string) bool { return op == "create" || op == "update" || op == "delete" }

// learn records an account's user id and routes what waited for it.
func (w *Watcher) learn(k *worker, uid string) {
	w.mu.Lock()
	if uid == "" || w.byUser[uid] == k {
		w.mu.Unlock()
		return
	}
	if old := k.user(); old != "" && w.byUser[old] == k {
		delete(w.byUser, old)
	}
	k.setUser(uid)
	w.byUser[uid] = k
	held := w.unrouted
	w.unrouted = nil
	w.mu.Unlock()
	for _, it := range held {
		w.route(it)
	}
}

// ack acknowledges events; a journal that cannot be written is logged (the
// event stays pending and is applied again after a restart).
func (w *Watcher) ack(its ...*item) {
	seqs := make([]uint64, 0, len(its))
	for _, it := range its {
		seqs = append(seqs, it.Seq)
	}
	if err := w.j.Ack(seqs...); err != nil {
		w.o.Log.Error("journal", "error", err.Error())
	}
}

// Run runs the workers and the subscription renewal until ctx is done, and
// returns nil then; a batch in flight is abandoned (the folder keeps its
// last complete state, the journal its events).
func (w *Watcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, k := range w.workers {
		wg.Go(func() { k.run(ctx) })
	}
	if w.o.Subscribe != nil {
		wg.Go(func() { w.renew(ctx) })
	}
	wg.Wait()
	return nil
}

// renew calls Subscribe on start and every RenewEvery; a failure is tried
// again sooner.
func (w *Watcher) renew(ctx context.Context) {
	fails := 0
	for {
		exp, err := w.o.Subscribe(ctx)
		if ctx.Err() != nil {
			return
		}
		next := w.o.RenewEvery
		w.mu.Lock()
		w.subs.Checked = w.o.Now()
		if err != nil {
			w.subs.Error = err.Error()
			if !exp.IsZero() {
				w.subs.Expires = exp
			}
			fails++
			next = min(next, backoff(time.Minute, w.o.RenewEvery, fails))
		} else {
			w.subs.Error, w.subs.Expires, fails = "", exp, 0
		}
		w.mu.Unlock()
		if err != nil {
			w.o.Log.Warn("subscriptions", "error", err.Error(), "retry_in", next.String())
		} else {
			w.o.Log.Info("subscriptions", "expires", exp.UTC().Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(next):
		}
	}
}

// backoff is base doubled for every try after the first, at most limit.
func backoff(base, limit time.Duration, tries int) time.Duration {
	d := base
	for i := 1; i < tries && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Close closes the journal and gives up the folder's lock.
func (w *Watcher) Close() error {
	err := w.j.Close()
	w.lock.Close()
	return err
}
