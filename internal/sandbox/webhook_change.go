package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Change is one document that advance, revise or delete created, updated
// or deleted: what a webhook event reports.
type Change struct {
	Op         string // "create", "update" or "delete" (the event_type)
	Collection string // the route name: "tag", "vO2_max", ...
	DataType   string // the webhook data type ("vo2_max"); "" for a collection without one
	ID         string // the document id (the event's object_id)
	User       int
	Day        Date // the day the document belongs to (0 for ring_configuration)
}

// wireChange is a Change in the control routes' answers.
type wireChange struct {
	Op         string `json:"event_type"`
	Collection string `json:"collection"`
	DataType   string `json:"data_type,omitempty"`
	ID         string `json:"object_id"`
	User       int    `json:"user"`
	Day        string `json:"day,omitempty"`
}

// maxListedChanges bounds the changes a control route lists.
const maxListedChanges = 5000

func wireChanges(cs []Change) map[string]any {
	n := min(len(cs), maxListedChanges)
	out := make([]wireChange, n)
	for i, c := range cs[:n] {
		out[i] = wireChange{Op: c.Op, Collection: c.Collection, DataType: c.DataType, ID: c.ID, User: c.User}
		if c.Day != 0 {
			out[i].Day = c.Day.String()
		}
	}
	return map[string]any{"changes": out, "changes_total": len(cs)}
}

// masks hide documents from the list and by-id routes: deleted ones for
// good, late ones (the late document fault) until an instant.
type masks struct {
	any     atomic.Bool // set once anything was masked: the fast path skips the maps
	mu      sync.RWMutex
	deleted map[idKey]struct{}
	hidden  map[idKey]time.Time
}

// masked reports whether document k is deleted or hidden at now.
func (m *masks) masked(k idKey, now func() time.Time) bool {
	if !m.any.Load() {
		return false
	}
	m.mu.RLock()
	_, del := m.deleted[k]
	until, hid := m.hidden[k]
	m.mu.RUnlock()
	return del || (hid && now().Before(until))
}

func (m *masks) isDeleted(k idKey) bool {
	if !m.any.Load() {
		return false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, del := m.deleted[k]
	return del
}

func (m *masks) hide(keys []idKey, until, now time.Time) {
	if len(keys) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hidden == nil {
		m.hidden = map[idKey]time.Time{}
	}
	for k, t := range m.hidden { // forget what is visible again
		if !now.Before(t) {
			delete(m.hidden, k)
		}
	}
	for _, k := range keys {
		m.hidden[k] = until
	}
	m.any.Store(true)
}

func (m *masks) remove(k idKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.deleted == nil {
		m.deleted = map[idKey]struct{}{}
	}
	m.deleted[k] = struct{}{}
	m.any.Store(true)
}

// masked reports whether the server hides document k now.
func (s *Server) masked(k idKey) bool { return s.masks.masked(k, s.cfg.Now) }

// userID returns user's personal_info id (an event's user_id).
func (s *Server) userID(user int) string {
	b := s.t.ids.encode(idKey{coll: 10, user: user})
	return string(b[:])
}

// hookCollections are the day collections that have a webhook data type.
var hookCollections = func() []*collection {
	var out []*collection
	for _, c := range collections {
		if c.kind == kindDaily && dataTypeOf(c.name) != "" {
			out = append(out, c)
		}
	}
	return out
}()

func (s *Server) change(op string, c *collection, user int, day Date, idx int) Change {
	b := s.t.ids.encode(idKey{coll: c.code, user: user, day: day, idx: idx})
	return Change{Op: op, Collection: c.name, DataType: dataTypeOf(c.name), ID: string(b[:]), User: user, Day: day}
}

// diffDay appends an update for each document of day d that reads
// differently in a than in b (same ids, same counts: the plan of a day
// does not change).
func (s *Server) diffDay(out []Change, a, b *world, d Date) []Change {
	ea, eb := getEnc(), getEnc()
	defer putEnc(ea)
	defer putEnc(eb)
	da, db := a.day(d), b.day(d)
	for _, c := range hookCollections {
		for i, n := 0, min(c.count(a, da), c.count(b, db)); i < n; i++ {
			if s.masks.isDeleted(idKey{c.code, b.user, d, i}) {
				continue
			}
			ea.reset()
			eb.reset()
			s.writeDoc(ea, c, a, da, i)
			s.writeDoc(eb, c, b, db, i)
			if !bytes.Equal(ea.b, eb.b) {
				out = append(out, s.change("update", c, b.user, d, i))
			}
		}
	}
	return out
}

// commit sends the events of changes; the late fault hides the documents
// created or updated first.
func (s *Server) commit(changes []Change, apply func()) {
	if late := time.Duration(s.hooks.late.Load()); late > 0 {
		now := s.cfg.Now()
		var keys []idKey
		for _, c := range changes {
			if c.Op != "delete" {
				if k, ok := s.t.ids.decode(c.ID); ok {
					keys = append(keys, k)
				}
			}
		}
		s.masks.hide(keys, now.Add(s.hooks.delay+late), now)
	}
	apply()
	s.hooks.emit(changes)
}

// advanceChanges is Advance that also returns what changed: a create for
// each document of the new days, an update for each earlier document that
// now reads differently (a rest mode period that has ended since). With
// list false and no live subscription it skips finding them.
func (s *Server) advanceChanges(days int, list bool) (Date, []Change) {
	s.histMu.Lock()
	defer s.histMu.Unlock()
	old := s.Until()
	nu := old + Date(max(days, 0))
	if nu == old || (!list && !s.hooks.hasLive()) {
		s.until.Store(int32(nu))
		return nu, nil
	}
	var out []Change
	for user := 1; user <= s.cfg.Users; user++ {
		rev := func(d Date) int { return s.revision(user, d) }
		a := newWorld(s.t, user, old, rev)
		b := newWorld(s.t, user, nu, rev)
		// Only the rest mode period still running at the old end reads
		// differently; it started at most 7 days before.
		for d := max(old-7, s.t.since); d <= old; d++ {
			out = s.diffDay(out, a, b, d)
		}
		for d := old + 1; d <= nu; d++ {
			dd := b.day(d)
			for _, c := range hookCollections {
				for i, n := 0, c.count(b, dd); i < n; i++ {
					out = append(out, s.change("create", c, user, d, i))
				}
			}
		}
	}
	s.commit(out, func() { s.until.Store(int32(nu)) })
	return nu, out
}

// AdvanceChanges is Advance, returning also the documents it created or
// updated (the events it sends).
func (s *Server) AdvanceChanges(days int) (Date, []Change) { return s.advanceChanges(days, true) }

// ReviseChanges is Revise, returning also the documents of the day that
// now read differently (the update events it sends).
func (s *Server) ReviseChanges(user int, day Date) ([]Change, error) {
	if user < 1 || user > s.cfg.Users {
		return nil, fmt.Errorf("revise: no user %d (users 1..%d)", user, s.cfg.Users)
	}
	s.histMu.Lock()
	defer s.histMu.Unlock()
	r0 := s.revision(user, day)
	until := s.Until()
	revAt := func(r int) func(Date) int {
		return func(d Date) int {
			if d == day {
				return r
			}
			return s.revision(user, d)
		}
	}
	var out []Change
	if day >= s.t.since && day <= until {
		out = s.diffDay(nil, newWorld(s.t, user, until, revAt(r0)), newWorld(s.t, user, until, revAt(r0+1)), day)
	}
	s.commit(out, func() {
		s.revMu.Lock()
		s.revs[revKey{user, day}]++
		s.revMu.Unlock()
	})
	return out, nil
}

// Delete removes document id of collection from user's history for good:
// the list and by-id routes no longer serve it, and a delete event is sent.
func (s *Server) Delete(user int, collection, id string) error {
	_, err := s.deleteDoc(user, collection, id, 0)
	return err
}

// DeleteDay deletes the first document of collection on day (see Delete).
func (s *Server) DeleteDay(user int, collection string, day Date) (Change, error) {
	return s.deleteDoc(user, collection, "", day)
}

// errNoDocument is what deleting a document the history does not have says.
var errNoDocument = errors.New("no such document")

func (s *Server) deleteDoc(user int, collection, id string, day Date) (Change, error) {
	if user < 1 || user > s.cfg.Users {
		return Change{}, fmt.Errorf("delete: no user %d (users 1..%d)", user, s.cfg.Users)
	}
	c := s.lookup(collection)
	if c == nil || (c.kind != kindDaily && c.kind != kindStatic) {
		return Change{}, fmt.Errorf("delete: %q is not a collection of documents with ids", collection)
	}
	s.histMu.Lock()
	defer s.histMu.Unlock()
	wo := s.newWorld(user)
	exists := func(k idKey) bool {
		if s.masks.isDeleted(k) {
			return false
		}
		if c.kind == kindStatic {
			return k.day == 0 && k.idx < 2
		}
		return wo.inHistory(k.day) && k.idx < c.count(wo, wo.day(k.day))
	}
	var k idKey
	if id != "" {
		var ok bool
		k, ok = s.t.ids.decode(id)
		if !ok || k.coll != c.code || k.user != user || !exists(k) {
			return Change{}, fmt.Errorf("delete: %w: user %d has no %s document %s", errNoDocument, user, collection, id)
		}
	} else {
		if c.kind == kindStatic {
			day = 0
		}
		k = idKey{coll: c.code, user: user, day: day, idx: -1}
		for i := 0; i < 256; i++ {
			if exists(idKey{c.code, user, day, i}) {
				k.idx = i
				break
			}
		}
		if k.idx < 0 {
			return Change{}, fmt.Errorf("delete: %w: user %d has no %s document on %s", errNoDocument, user, collection, day)
		}
	}
	ch := s.change("delete", c, user, k.day, k.idx)
	s.commit([]Change{ch}, func() { s.masks.remove(k) })
	return ch, nil
}

// serveHookControl serves the webhook control routes:
//
//	POST /_sandbox/delete?user=N&collection=C&id=ID   (or &day=DATE: its first document)
//	GET  /_sandbox/webhook                            subscriptions, counters, faults
//	POST /_sandbox/webhook?lost=N&lost_for=DUR&late=DUR&naive=BOOL&ttl=DUR
func (s *Server) serveHookControl(w http.ResponseWriter, r *http.Request, rs *reqState, op string) {
	allowed := http.MethodPost
	if op == "webhook" {
		allowed = "GET, POST"
	}
	if !methodIn(r.Method, allowed) {
		w.Header().Set("Allow", allowed)
		s.detail(w, r, rs, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	q := r.URL.Query()
	if op == "delete" {
		user, err := strconv.Atoi(q.Get("user"))
		if err != nil || user < 1 || user > s.cfg.Users {
			s.detail(w, r, rs, http.StatusBadRequest, "user must be a user number from 1 to "+strconv.Itoa(s.cfg.Users))
			return
		}
		var day Date
		id := q.Get("id")
		if id == "" && q.Get("day") != "" {
			if day, err = ParseDate(q.Get("day")); err != nil {
				s.detail(w, r, rs, http.StatusBadRequest, "day: "+err.Error())
				return
			}
		} else if id == "" && q.Get("collection") != "ring_configuration" {
			s.detail(w, r, rs, http.StatusBadRequest, "give the document's id=, or day= for the first document of that day")
			return
		}
		ch, err := s.deleteDoc(user, q.Get("collection"), id, day)
		switch {
		case errors.Is(err, errNoDocument):
			s.detail(w, r, rs, http.StatusNotFound, err.Error())
		case err != nil:
			s.detail(w, r, rs, http.StatusBadRequest, err.Error())
		default:
			s.sendJSON(w, r, rs, http.StatusOK, wireChanges([]Change{ch}))
		}
		return
	}
	if r.Method == http.MethodPost {
		if msg := s.setHookFaults(q); msg != "" {
			s.detail(w, r, rs, http.StatusBadRequest, msg)
			return
		}
	}
	s.sendJSON(w, r, rs, http.StatusOK, s.Webhooks())
}

// setHookFaults applies the fault parameters of POST /_sandbox/webhook; it
// checks them all first and returns what is wrong, "" when applied.
func (s *Server) setHookFaults(q map[string][]string) string {
	get := func(k string) (string, bool) {
		v, ok := q[k]
		if !ok || len(v) == 0 {
			return "", false
		}
		return v[len(v)-1], true
	}
	var apply []func()
	dur := func(k string, set func(time.Duration)) string {
		v, ok := get(k)
		if !ok {
			return ""
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return k + " must be a duration such as 30s or 0"
		}
		apply = append(apply, func() { set(d) })
		return ""
	}
	known := map[string]bool{"lost": true, "lost_for": true, "late": true, "naive": true, "ttl": true}
	for k := range q {
		if !known[k] {
			return "unknown parameter " + strconv.Quote(k) + " (known: lost, lost_for, late, naive, ttl)"
		}
	}
	if v, ok := get("lost"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return "lost must be a number of deliveries, 0 or more"
		}
		apply = append(apply, func() { s.SetWebhookLost(n) })
	}
	for _, m := range []string{dur("lost_for", s.SetWebhookLostFor), dur("late", s.SetWebhookLate), dur("ttl", s.SetWebhookTTL)} {
		if m != "" {
			return m
		}
	}
	if v, ok := get("naive"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return "naive must be true or false"
		}
		apply = append(apply, func() { s.SetWebhookNaiveExpiry(b) })
	}
	for _, f := range apply {
		f()
	}
	return ""
}
