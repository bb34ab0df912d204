package watch

import (
	"context"
	"runtime/debug"
	"sync"
	"time"
)

// worker keeps one account's export current: it alone runs the account's
// resyncs and batches, one at a time.
type worker struct {
	w    *Watcher
	acct Account
	wake chan struct{}

	mu         sync.Mutex
	userID     string
	queue      []*item
	lastBatch  *Batch
	lastResync resyncState
	nextResync time.Time
	resyncFail int
	busy       bool // the worker worked since it last gave memory back
}

// docKey names a document of an account.
type docKey struct{ coll, id string }

func (it *item) key() docKey { return docKey{it.change.Collection, it.change.ObjectID} }

// when is the time of the event: its event_time, else when it came.
func (it *item) when() time.Time {
	if t, err := time.Parse(time.RFC3339Nano, it.Event.EventTime); err == nil {
		return t
	}
	return it.Arrived
}

// after reports whether it is a later event than other: by event time, a
// delete winning a tie, then by arrival.
func (it *item) after(other *item) bool {
	a, b := it.when(), other.when()
	switch {
	case !a.Equal(b):
		return a.After(b)
	case (it.change.Op == "delete") != (other.change.Op == "delete"):
		return it.change.Op == "delete"
	}
	return it.Seq > other.Seq
}

// resyncState is what the account's last resync did.
type resyncState struct {
	At       time.Time `json:"at,omitzero"`
	Seconds  float64   `json:"seconds"`
	Requests int64     `json:"requests"`
	Error    string    `json:"error,omitempty"`
}

func (k *worker) user() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.userID
}

func (k *worker) setUser(uid string) {
	k.mu.Lock()
	k.userID = uid
	k.mu.Unlock()
}

// push queues an event and wakes the worker.
func (k *worker) push(its ...*item) {
	k.mu.Lock()
	k.queue = append(k.queue, its...)
	k.mu.Unlock()
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// run resyncs, then applies batches as they become due and resyncs every
// Options.Resync, until ctx is done.
func (k *worker) run(ctx context.Context) {
	k.resync(ctx)
	for ctx.Err() == nil {
		now := k.w.o.Now()
		k.mu.Lock()
		at := k.batchAt(now)
		resyncAt := k.nextResync
		k.mu.Unlock()
		if !resyncAt.After(now) {
			k.resync(ctx)
			continue
		}
		if !at.IsZero() && !at.After(now) {
			k.apply(ctx, k.take(now))
			continue
		}
		wait := resyncAt.Sub(now)
		if !at.IsZero() {
			wait = min(wait, at.Sub(now))
		}
		if at.IsZero() && k.busy {
			// Idle after work: a batch or a resync leaves a heap of
			// garbage the size of the outputs it built; a service that
			// waits for hours gives it back to the system now.
			k.busy = false
			debug.FreeOSMemory()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-k.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// eligible is when an item may be applied: when it came, or when its
// backoff ends.
func (it *item) eligible() time.Time {
	if it.notBefore.After(it.Arrived) {
		return it.notBefore
	}
	return it.Arrived
}

// batchAt returns when the next batch is due (zero: nothing queued): a
// quiet spell after the last event that may go, or the longest wait after
// the first; k.mu is held.
func (k *worker) batchAt(now time.Time) time.Time {
	var first, last, soonest time.Time
	ready := false
	for _, it := range k.queue {
		e := it.eligible()
		if it.notBefore.After(now) {
			if soonest.IsZero() || e.Before(soonest) {
				soonest = e
			}
			continue
		}
		if !ready || e.Before(first) {
			first = e
		}
		if !ready || e.After(last) {
			last = e
		}
		ready = true
	}
	if !ready {
		return soonest
	}
	at := last.Add(k.w.o.Quiet)
	if m := first.Add(k.w.o.MaxDelay); m.Before(at) {
		at = m
	}
	return at
}

// take removes and returns the items that may be applied now.
func (k *worker) take(now time.Time) []*item {
	k.mu.Lock()
	defer k.mu.Unlock()
	var batch, rest []*item
	for _, it := range k.queue {
		if it.notBefore.After(now) {
			rest = append(rest, it)
		} else {
			batch = append(batch, it)
		}
	}
	k.queue = rest
	return batch
}

// apply applies one batch: each document once, as its latest event says,
// then acknowledges what the folder reflects and queues again what the API
// did not show yet.
func (k *worker) apply(ctx context.Context, batch []*item) {
	if len(batch) == 0 {
		return
	}
	o := &k.w.o
	groups := map[docKey][]*item{}
	latest := map[docKey]*item{}
	var changes []Change
	index := map[docKey]int{}
	var stale []*item
	for _, it := range batch {
		kk := it.key()
		if k.w.deletes.stale(k.acct.ID, it) {
			stale = append(stale, it) // a change of a document deleted since
			continue
		}
		groups[kk] = append(groups[kk], it)
		if i, ok := index[kk]; ok {
			if it.after(latest[kk]) {
				changes[i].Op, latest[kk] = it.change.Op, it // the latest event wins
			}
			continue
		}
		index[kk], latest[kk] = len(changes), it
		changes = append(changes, it.change)
	}
	if len(changes) == 0 {
		k.w.ack(stale...)
		return
	}
	b := Batch{Account: k.acct.ID, Changes: len(changes), Started: o.Now()}
	for _, it := range batch {
		b.Events = append(b.Events, it.Entry)
	}
	k.busy = true
	out, err := k.acct.Apply(ctx, changes)
	b.Done, b.Err, b.Requests = o.Now(), err, out.Requests
	if ctx.Err() != nil {
		k.push(batch...) // still in the journal: applied after a restart
		return
	}
	var done, again []*item
	if err != nil {
		again = batch
	} else {
		retry := map[docKey]bool{}
		for _, c := range out.Retry {
			retry[docKey{c.Collection, c.ObjectID}] = true
		}
		var dels []*item
		for kk, it := range latest {
			if it.change.Op == "delete" && !retry[kk] {
				dels = append(dels, it)
			}
		}
		if err := k.w.deletes.add(k.acct.ID, dels, b.Done); err != nil {
			o.Log.Warn("could not save the deletes applied", "error", err.Error())
		}
		for kk, its := range groups {
			if retry[kk] {
				again = append(again, its...)
			} else {
				done = append(done, its...)
			}
		}
		b.Applied, b.Retry = len(changes)-len(out.Retry), len(out.Retry)
	}
	var requeue []*item
	for _, it := range again {
		it.tries++
		if it.tries >= o.Tries {
			b.Dropped++
			done = append(done, it)
			continue
		}
		it.notBefore = b.Done.Add(backoff(o.RetryBase, o.RetryMax, it.tries))
		requeue = append(requeue, it)
	}
	k.mu.Lock()
	k.lastBatch = &b
	k.mu.Unlock()
	attrs := append(k.attrs(), "events", len(batch), "changes", b.Changes, "applied", b.Applied,
		"retry", b.Retry, "requests", b.Requests, "seconds", b.Done.Sub(b.Started).Seconds())
	if b.Dropped > 0 {
		attrs = append(attrs, "left_to_resync", b.Dropped)
	}
	if err != nil {
		o.Log.Warn("batch failed", append(attrs, "error", err.Error())...)
	} else {
		o.Log.Info("batch applied", attrs...)
	}
	if o.OnBatch != nil {
		o.OnBatch(b)
	}
	// Acknowledged last: once the journal is empty, health and OnBatch
	// have seen the batch.
	k.w.ack(append(done, stale...)...)
	if len(requeue) > 0 {
		k.push(requeue...)
	}
}

// resync runs the account's incremental export and schedules the next.
func (k *worker) resync(ctx context.Context) {
	o := &k.w.o
	start := o.Now()
	k.busy = true
	s, err := k.acct.Resync(ctx)
	if ctx.Err() != nil {
		return
	}
	now := o.Now()
	st := resyncState{At: now, Seconds: now.Sub(start).Seconds(), Requests: s.Requests}
	k.mu.Lock()
	if err != nil {
		st.Error = err.Error()
		k.resyncFail++
		k.nextResync = now.Add(backoff(time.Minute, o.Resync, k.resyncFail))
	} else {
		k.resyncFail = 0
		k.nextResync = now.Add(o.Resync)
	}
	k.lastResync = st
	next := k.nextResync
	k.mu.Unlock()
	if err != nil {
		o.Log.Warn("resync failed", append(k.attrs(), "error", err.Error(), "retry_at", next.UTC().Format(time.RFC3339))...)
		return
	}
	k.w.learn(k, s.UserID)
	o.Log.Info("resynced", append(k.attrs(), "user_id", s.UserID, "requests", s.Requests, "seconds", st.Seconds)...)
}

// attrs name the account in log lines: a cohort's participant, nothing for
// a single export.
func (k *worker) attrs() []any {
	if k.acct.ID == "" {
		return nil
	}
	return []any{"account", k.acct.ID}
}
