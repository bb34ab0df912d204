package watch

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fake is an account whose export is a map of documents: Apply records
// what it is asked; hidden documents are not visible yet.
type fake struct {
	id, user string
	mu       sync.Mutex
	batches  [][]Change
	resyncs  int
	hidden   map[string]int // object id -> how many more times it is not visible
	fail     int            // how many more Apply calls fail
	block    chan struct{}  // when set, Apply waits for it or for ctx
}

func (f *fake) account() Account {
	return Account{ID: f.id, Resync: f.resync, Apply: f.apply}
}

func (f *fake) resync(ctx context.Context) (Sync, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resyncs++
	return Sync{UserID: f.user, Requests: 100}, nil
}

func (f *fake) apply(ctx context.Context, cs []Change) (Outcome, error) {
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return Outcome{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return Outcome{Requests: 1}, errors.New("the API is down")
	}
	f.batches = append(f.batches, cs)
	var out Outcome
	for _, c := range cs {
		if f.hidden[c.ObjectID] > 0 {
			f.hidden[c.ObjectID]--
			out.Retry = append(out.Retry, c)
			continue
		}
		out.Applied = append(out.Applied, c)
	}
	out.Requests = int64(len(cs))
	return out, nil
}

// applied returns the last op applied for every object id.
func (f *fake) applied() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]string{}
	for _, b := range f.batches {
		for _, c := range b {
			if f.hidden[c.ObjectID] == 0 {
				m[c.ObjectID] = c.Op
			}
		}
	}
	return m
}

func collection(dt string) (string, bool) {
	switch dt {
	case "tag", "sleep":
		return dt, true
	case "vo2_max":
		return "vO2_max", true
	}
	return "", false
}

type world struct {
	w      *Watcher
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	seen   []Batch
}

func start(t *testing.T, dir string, mod func(*Options), accts ...Account) *world {
	t.Helper()
	o := Options{Dir: dir, Accounts: accts, Collection: collection, Quiet: 10 * time.Millisecond,
		MaxDelay: 50 * time.Millisecond, RetryBase: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond}
	wd := &world{done: make(chan struct{})}
	o.OnBatch = func(b Batch) { wd.mu.Lock(); wd.seen = append(wd.seen, b); wd.mu.Unlock() }
	if mod != nil {
		mod(&o)
	}
	w, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wd.w, wd.cancel = w, cancel
	go func() { w.Run(ctx); close(wd.done) }()
	t.Cleanup(wd.stop)
	return wd
}

func (wd *world) stop() {
	wd.cancel()
	<-wd.done
	wd.w.Close()
}

// drained waits until the journal holds nothing pending.
func (wd *world) drained(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for wd.w.j.Pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d events still pending; health %+v", wd.w.j.Pending(), wd.w.Health())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func accept(t *testing.T, w *Watcher, evs ...Event) {
	t.Helper()
	for _, e := range evs {
		if err := w.Accept(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

func event(user, op, dt, id string) Event {
	return Event{EventType: op, DataType: dt, ObjectID: id, UserID: user, EventTime: "2024-01-02T03:04:05Z"}
}

func TestBatchesAndAcknowledges(t *testing.T) {
	f := &fake{user: "u1"}
	wd := start(t, t.TempDir(), nil, f.account())
	accept(t, wd.w,
		event("u1", "create", "tag", "a"),
		event("u1", "update", "sleep", "b"),
		event("u1", "update", "tag", "a"),
		event("u1", "delete", "tag", "a"), // the latest event of a document wins
		event("u1", "update", "vo2_max", "c"),
		event("u1", "update", "heartrate", "d"), // no such data type: ignored
	)
	wd.drained(t)
	want := map[string]string{"a": "delete", "b": "update", "c": "update"}
	if got := f.applied(); !mapsEqual(got, want) {
		t.Errorf("applied %v, want %v", got, want)
	}
	f.mu.Lock()
	for _, b := range f.batches {
		for _, c := range b {
			if c.ObjectID == "c" && c.Collection != "vO2_max" {
				t.Errorf("vo2_max event changed %q, want vO2_max", c.Collection)
			}
		}
	}
	f.mu.Unlock()
	wd.mu.Lock()
	defer wd.mu.Unlock()
	events := 0
	for _, b := range wd.seen {
		events += len(b.Events)
	}
	if events != 5 {
		t.Errorf("%d events in batches, want 5 (the sixth is ignored)", events)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A document the API does not show yet is asked for again until it does;
// one that never shows is left to the resync after Tries.
func TestRetriesWhatIsNotVisibleYet(t *testing.T) {
	f := &fake{user: "u1", hidden: map[string]int{"late": 2, "never": 1 << 30}, fail: 1}
	wd := start(t, t.TempDir(), func(o *Options) { o.Tries = 4 }, f.account())
	accept(t, wd.w, event("u1", "create", "tag", "late"), event("u1", "create", "tag", "never"), event("u1", "update", "tag", "now"))
	wd.drained(t)
	got := f.applied()
	if got["late"] != "create" || got["now"] != "update" {
		t.Errorf("applied %v, want late and now", got)
	}
	if _, ok := got["never"]; ok {
		t.Error("a document that never showed counted as applied")
	}
	wd.mu.Lock()
	defer wd.mu.Unlock()
	var failed, retried, dropped int
	for _, b := range wd.seen {
		if b.Err != nil {
			failed++
		}
		retried += b.Retry
		dropped += b.Dropped
	}
	if failed != 1 || dropped != 1 || retried < 3 {
		t.Errorf("%d batches failed, %d changes retried, %d left to the resync; want 1, at least 3, 1", failed, retried, dropped)
	}
}

// Events wait for their account's user id (learnt by its resync); events
// for a user no account exports are dropped once every id is known.
func TestRoutesByUser(t *testing.T) {
	known := &fake{id: "p1", user: "u1"}
	later := &fake{id: "p2", user: "u2"}
	release := make(chan struct{})
	slow := later.account()
	slow.Resync = func(ctx context.Context) (Sync, error) {
		<-release
		return later.resync(ctx)
	}
	a := known.account()
	a.UserID = "u1"
	wd := start(t, t.TempDir(), nil, a, slow)
	accept(t, wd.w, event("u2", "update", "tag", "x"), event("u1", "update", "tag", "y"), event("u3", "update", "tag", "z"))
	for len(known.applied()) == 0 {
		time.Sleep(time.Millisecond)
	}
	if wd.w.j.Pending() != 2 {
		t.Errorf("%d pending before u2 is known, want 2 (x waits, z waits)", wd.w.j.Pending())
	}
	close(release)
	wd.drained(t)
	if got := known.applied(); !mapsEqual(got, map[string]string{"y": "update"}) {
		t.Errorf("p1 applied %v", got)
	}
	if got := later.applied(); !mapsEqual(got, map[string]string{"x": "update"}) {
		t.Errorf("p2 applied %v", got)
	}
}

// A watch stopped while a batch is in flight leaves its events in the
// journal; the next start applies them.
func TestRestartReplays(t *testing.T) {
	dir := t.TempDir()
	stuck := &fake{user: "u1", block: make(chan struct{})}
	wd := start(t, dir, nil, stuck.account())
	accept(t, wd.w, event("u1", "update", "tag", "a"), event("u1", "delete", "sleep", "b"))
	wd.stop()
	if len(stuck.applied()) != 0 {
		t.Fatal("the stuck account applied something")
	}
	f := &fake{user: "u1"}
	wd = start(t, dir, nil, f.account())
	wd.drained(t)
	if got := f.applied(); !mapsEqual(got, map[string]string{"a": "update", "b": "delete"}) {
		t.Errorf("after the restart applied %v", got)
	}
}

func TestLockedFolder(t *testing.T) {
	dir := t.TempDir()
	f := &fake{user: "u1"}
	start(t, dir, nil, f.account())
	_, err := New(Options{Dir: dir, Accounts: []Account{f.account()}, Collection: collection})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second watch of a folder: %v, want ErrLocked", err)
	}
}

func TestHealth(t *testing.T) {
	f := &fake{id: "p1", user: "u1"}
	expires := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	renewed := make(chan struct{}, 10)
	wd := start(t, t.TempDir(), func(o *Options) {
		o.Subscribe = func(context.Context) (time.Time, error) { renewed <- struct{}{}; return expires, nil }
	}, f.account())
	<-renewed
	accept(t, wd.w, event("u1", "update", "tag", "a"))
	wd.drained(t)
	srv := httptest.NewServer(wd.w.Handler(http.NotFoundHandler()))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !h.OK || len(h.Accounts) != 1 {
		t.Fatalf("healthz %d %+v", resp.StatusCode, h)
	}
	a := h.Accounts[0]
	if a.ID != "p1" || a.UserID != "u1" || a.LastBatch == nil || a.LastBatch.Applied != 1 || a.LastResync == nil || a.LastResync.Requests != 100 {
		t.Errorf("account health %+v", a)
	}
	if h.Subscriptions == nil || !h.Subscriptions.Expires.Equal(expires) {
		t.Errorf("subscriptions %+v, want expiry %s", h.Subscriptions, expires)
	}
	if r, _ := http.Post(srv.URL+"/healthz", "text/plain", strings.NewReader("")); r == nil || r.StatusCode != 405 {
		t.Errorf("POST /healthz: %v", r)
	}
	if r, _ := http.Get(srv.URL + "/callback"); r == nil || r.StatusCode != 404 {
		t.Errorf("the callback path did not reach the callback handler: %v", r)
	}
}

// Expired subscriptions make the watch unhealthy: events have stopped.
func TestHealthExpired(t *testing.T) {
	f := &fake{user: "u1"}
	renewed := make(chan struct{}, 10)
	wd := start(t, t.TempDir(), func(o *Options) {
		o.Subscribe = func(context.Context) (time.Time, error) {
			renewed <- struct{}{}
			return time.Now().Add(-time.Hour), errors.New("renew: 403")
		}
	}, f.account())
	<-renewed
	for wd.w.Health().Subscriptions.Checked.IsZero() {
		time.Sleep(time.Millisecond)
	}
	h := wd.w.Health()
	if h.OK || !strings.Contains(h.Problem, "expired") {
		t.Errorf("health %+v with expired subscriptions, want not OK", h)
	}
}

// The subscriptions are checked on start and again every RenewEvery; a
// failed check is tried again sooner.
func TestRenews(t *testing.T) {
	f := &fake{user: "u1"}
	var mu sync.Mutex
	calls := 0
	renewed := make(chan struct{}, 100)
	start(t, t.TempDir(), func(o *Options) {
		o.RenewEvery = 5 * time.Millisecond
		o.Subscribe = func(context.Context) (time.Time, error) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			renewed <- struct{}{}
			if calls == 2 {
				return time.Time{}, errors.New("renew: the API is down")
			}
			return time.Now().Add(90 * 24 * time.Hour), nil
		}
	}, f.account())
	for range 4 {
		<-renewed
	}
}

// Events arrive out of order (Oura retries a delivery that failed): a
// create or update older than a delete of its document is stale, in the
// same batch or a later one; a newer one is applied.
func TestStaleAfterDelete(t *testing.T) {
	f := &fake{user: "u1"}
	dir := t.TempDir()
	wd := start(t, dir, nil, f.account())
	at := func(op, id, when string) Event {
		e := event("u1", op, "tag", id)
		e.EventTime = when
		return e
	}
	accept(t, wd.w,
		at("delete", "a", "2024-01-02T10:00:00.000002+00:00"),
		at("update", "a", "2024-01-02T10:00:00.000001+00:00"), // came later, happened before
		at("delete", "b", "2024-01-02T10:00:00Z"))
	wd.drained(t)
	accept(t, wd.w,
		at("update", "b", "2024-01-02T09:59:59Z"), // a retried delivery of an older update
		at("create", "c", "2024-01-02T10:00:00Z"))
	wd.drained(t)
	if got, want := f.applied(), map[string]string{"a": "delete", "b": "delete", "c": "create"}; !mapsEqual(got, want) {
		t.Errorf("applied %v, want %v", got, want)
	}
	accept(t, wd.w, at("create", "b", "2024-01-02T10:00:01Z")) // made again after the delete
	wd.drained(t)
	if got := f.applied()["b"]; got != "create" {
		t.Errorf("b: %s, want the create after the delete applied", got)
	}
	// A restart remembers the deletes.
	wd.stop()
	g := &fake{user: "u1"}
	wd = start(t, dir, nil, g.account())
	accept(t, wd.w, at("update", "a", "2024-01-02T10:00:00.000001+00:00"), at("update", "c", "2024-01-02T10:00:02Z"))
	wd.drained(t)
	if got, want := g.applied(), map[string]string{"c": "update"}; !mapsEqual(got, want) {
		t.Errorf("after a restart applied %v, want %v", got, want)
	}
}
