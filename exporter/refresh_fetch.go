package exporter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/sinks"
)

// errHeld is fetchWindow's answer when a job's hold discarded the window.
var errHeld = errors.New("window held back")

// Windows of one collection closer than these are fetched as one: a
// window costs a request per page (100 documents, 10 000 rows), so a gap
// of a few weeks costs less than a request more.
const (
	refreshGap       = 30 * day
	refreshSeriesGap = 20 * day
)

// unmeasured are the collections whose documents the ring does not
// measure (notes, settings): their changes leave the time series alone.
var unmeasured = []string{"tag", "enhanced_tag", "rest_mode_period", "ring_configuration", "personal_info"}

// measured reports whether a change of c may come with new samples of the
// time series on its day (a ring sync: a day's activity, a night's sleep).
func measured(c *Collection) bool { return !slices.Contains(unmeasured, c.Name) }

// touch adds a day whose time series are refetched, for a change of c.
func (r *refresh) touch(c *Collection, d time.Time) {
	if measured(c) && !d.IsZero() {
		r.touchedDays = r.touchedDays.add(span{d, d.Add(day)})
	}
}

// refresh is one Refresh: the changes, what the last export said, and what
// became of each change.
type refresh struct {
	changes        []Change
	prior          sinks.Manifest
	applied, retry []Change

	f            *fetcher
	since, until time.Time // the days exported (until inclusive)
	genTaken     bool
	touchedDays  spans // the days the changes are on, for the time series
}

// pending is a change of a dated collection on its way.
type pending struct {
	Change
	day     time.Time // its day: where the store holds it, or where the API says it is
	held    bool      // the store holds it (on day)
	outside bool      // on a day the export does not hold
	win     *rwindow  // the window that refetched its day
}

// rwindow is a window Refresh fetched.
type rwindow struct {
	span
	whole     bool
	seen      map[string]time.Time // the ids the window holds, and their days
	committed bool
	docs      int // documents stored
}

// seenID reports whether the window (nil: none) holds the document id.
func (w *rwindow) seenID(id string) (time.Time, bool) {
	if w == nil {
		return time.Time{}, false
	}
	d, ok := w.seen[id]
	return d, ok
}

func (w *rwindow) holds(t time.Time) bool {
	return w.whole || (!t.Before(w.From) && t.Before(w.To))
}

// fetch is Refresh's fetching half (a fetchFunc): it fetches what the
// changes touch into the store and reports every collection complete.
func (r *refresh) fetch(ctx context.Context, fo FetchOptions, onDone func(*Collection)) (*FetchResult, error) {
	if fo.Progress == nil {
		fo.Progress = NopProgress{}
	}
	now := time.Now
	if fo.Now != nil {
		now = fo.Now
	}
	st := fo.Store
	r.f = &fetcher{o: fo, now: now().UTC(), colls: map[*Collection]*collState{}, wholeDocs: map[*Collection]int{}}
	r.until = fo.Until
	if r.until.IsZero() {
		r.until = dayOf(r.f.now)
	}
	r.since = fo.Since
	if r.since.IsZero() {
		r.since = earliestHistory
		if e := st.State.Earliest; !e.IsZero() && e.After(r.since) {
			r.since = e
		}
	}
	res := &FetchResult{Account: st.State.Account, Since: r.since, Until: r.until}

	// The collections as the export knows them (raw ones shaped as the
	// store remembers them), each with the outcome the last export had.
	colls := make([]*Collection, 0, len(fo.Collections))
	outcome := map[*Collection]error{}
	for _, c := range fo.Collections {
		if sh, ok := st.State.Raw[c.Name]; ok && c.Raw && c.API == APIv2 {
			s, err := withShape(c.Name, sh)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrStoreFormat, err)
			}
			c = s
		}
		colls = append(colls, c)
		outcome[c] = priorOutcome(r.prior, c.Name)
		res.Collections = append(res.Collections, &CollectionResult{Collection: c, Err: outcome[c]})
	}

	// Route each change to its collection; one the export does not hold
	// (or holds from a login that may not read it) needs nothing.
	byColl := map[*Collection][]Change{}
	var series []*Collection
	for _, ch := range r.changes {
		c := routeChange(colls, ch.Collection)
		if c == nil || errors.Is(outcome[c], ErrUnavailable) || c.Kind == ByInstant {
			r.applied = append(r.applied, ch) // time series have no events: refetched with the days below
			continue
		}
		byColl[c] = append(byColl[c], ch)
	}
	anyMeasured := false
	for c := range byColl {
		anyMeasured = anyMeasured || measured(c)
	}
	for _, c := range colls {
		if c.Kind == ByInstant && anyMeasured && !errors.Is(outcome[c], ErrUnavailable) {
			series = append(series, c)
		}
	}
	// What nothing touches is built at once, while the rest is fetched.
	for _, c := range colls {
		if _, ok := byColl[c]; !ok && !slices.Contains(series, c) {
			onDone(c)
		}
	}
	for _, c := range colls {
		cs, ok := byColl[c]
		if !ok {
			continue
		}
		if err := r.failed(c, r.collection(ctx, c, cs, res), res); err != nil {
			return res, err
		}
		if cr := resultOf(res, c); cr.Err != nil && cr.Err != outcome[c] {
			r.retry = append(r.retry, cs...) // the server refused it: recorded as an export would, asked again later
		}
	}
	for _, c := range series {
		if err := r.failed(c, r.series(ctx, c, res), res); err != nil {
			return res, err
		}
	}
	for _, c := range colls {
		if _, ok := byColl[c]; ok || slices.Contains(series, c) {
			onDone(c)
		}
	}
	if r.genTaken {
		return res, st.SaveState()
	}
	return res, nil
}

// failed records err, when the server refused the collection c (an answer
// other than 401 that asking again will not change: 403, 404, 422), as the
// collection's outcome, as Fetch does: the other collections go on, and the
// outputs say it is incomplete. Any other error ends the refresh (nil:
// nothing to record).
func (r *refresh) failed(c *Collection, err error, res *FetchResult) error {
	var ae *oura.APIError
	if err == nil || !errors.As(err, &ae) || ae.Status >= 500 || errors.Is(err, oura.ErrUnauthorized) || fatal(err) {
		return err
	}
	resultOf(res, c).Err = unavailable(c, err)
	return nil
}

// resultOf returns the result of c.
func resultOf(res *FetchResult, c *Collection) *CollectionResult {
	for _, cr := range res.Collections {
		if cr.Collection == c {
			return cr
		}
	}
	return nil
}

// routeChange returns the collection of colls a change names (case aside:
// the data type vo2_max is the route vO2_max), nil if none.
func routeChange(colls []*Collection, name string) *Collection {
	for _, c := range colls {
		if c.API == APIv2 && strings.EqualFold(c.Name, name) {
			return c
		}
	}
	return nil
}

// generation takes the refresh's store generation, newer than every
// segment stored, the first time a window is about to be stored, and tidies
// the collection's segments.
func (r *refresh) generation(c *Collection) error {
	st := r.f.o.Store
	if !r.genTaken {
		st.State.Runs++
		r.f.gen = st.State.Runs
		r.genTaken = true
		if err := st.SaveState(); err != nil {
			return fmt.Errorf("save export state: %w", err)
		}
	}
	if err := st.compact(c, r.f.gen); err != nil {
		return fmt.Errorf("tidy the export state: %w", err)
	}
	return nil
}

// collection applies the changes of one collection.
func (r *refresh) collection(ctx context.Context, c *Collection, cs []Change, res *FetchResult) error {
	if err := r.generation(c); err != nil {
		return err
	}
	if c.Kind != ByDate {
		// Fetched whole (ring_configuration): one window says it all.
		w := &rwindow{whole: true}
		if err := r.window(ctx, c, w, nil); err != nil {
			return err
		}
		r.addDocs(res, c, w)
		for _, ch := range cs {
			r.settle(&pending{Change: ch, held: true, win: w})
		}
		return nil
	}
	ids, last, err := storedIDs(r.f.o.Store, c)
	if err != nil {
		return fmt.Errorf("refresh %s: %w", c.Name, err)
	}
	var ps, unknown []*pending
	var want spans
	for _, ch := range cs {
		p := &pending{Change: ch}
		if d, ok := ids[ch.ObjectID]; ok && ch.ObjectID != "" {
			p.day, p.held = d, true
			want = want.add(span{d, d.Add(day)})
			r.touch(c, d)
		} else if ch.Op != OpDelete {
			unknown = append(unknown, p)
		}
		ps = append(ps, p)
	}
	if len(unknown) > 0 {
		// The API announces new documents of the last days: one window
		// from the collection's last stored day on finds them, most often
		// without asking for each by id.
		from := r.until.AddDate(0, 0, -1)
		if !last.IsZero() && last.Before(from) {
			from = last
		}
		want = want.add(span{from, r.until.AddDate(0, 0, 1)})
	}
	wins, err := r.windows(ctx, c, ps, gapMerge(want, refreshGap), res)
	if err != nil {
		return err
	}
	// The new documents no window showed: asked for by id, then their days.
	var again spans
	var lookups []*pending
	for _, p := range unknown {
		if w := windowOf(wins, p.ObjectID); w != nil {
			p.win = w
			continue
		}
		if p.ObjectID == "" {
			continue
		}
		d, found, err := r.byID(ctx, c, p.ObjectID)
		switch {
		case err != nil:
			return err
		case !found || d.After(r.until):
			continue // not visible yet (or a day not exported yet): retried
		case d.Before(r.since):
			p.outside = true // a day the export does not hold: nothing to do
			continue
		case holding(wins, d) != nil:
			continue // the list does not show it yet: retried
		}
		p.day = d
		again = again.add(span{d, d.Add(day)})
		r.touch(c, d)
		lookups = append(lookups, p)
	}
	more, err := r.windows(ctx, c, ps, gapMerge(again, refreshGap), res)
	if err != nil {
		return err
	}
	for _, p := range lookups {
		p.win = holding(more, p.day)
	}
	all := append(wins, more...)
	for _, p := range ps {
		if p.held && p.win == nil {
			p.win = holding(all, p.day)
		}
		r.settle(p)
	}
	// The days of the new documents found: their time series too.
	for _, w := range wins {
		if !w.committed {
			continue
		}
		for id, d := range w.seen {
			if _, ok := ids[id]; !ok {
				r.touch(c, d)
			}
		}
	}
	return nil
}

// windows fetches the spans of c, each as one window. A window is held back
// (not stored) when it lacks a document the store holds on its days that a
// create or update names: the API's list lags the event, and storing it
// would drop the document; those changes are retried.
func (r *refresh) windows(ctx context.Context, c *Collection, ps []*pending, ss spans, res *FetchResult) ([]*rwindow, error) {
	var out []*rwindow
	for _, s := range ss {
		w := &rwindow{span: s}
		hold := func() bool {
			for _, p := range ps {
				if _, ok := w.seen[p.ObjectID]; p.held && p.Op != OpDelete && w.holds(p.day) && !ok {
					return false
				}
			}
			return true
		}
		if err := r.window(ctx, c, w, hold); err != nil {
			return nil, err
		}
		r.addDocs(res, c, w)
		out = append(out, w)
	}
	return out, nil
}

// addDocs counts a committed window of c and its documents in c's result.
func (r *refresh) addDocs(res *FetchResult, c *Collection, w *rwindow) {
	if cr := resultOf(res, c); cr != nil && w.committed {
		cr.Windows++
		cr.Docs += w.docs
	}
}

// window fetches one window of c into the store (retrying what may
// succeed when asked again, as the fetch does), noting the ids it holds.
func (r *refresh) window(ctx context.Context, c *Collection, w *rwindow, hold func() bool) error {
	var last error
	for attempt := 0; attempt < windowAttempts; attempt++ {
		w.seen = map[string]time.Time{}
		j := &job{c: c, from: w.From, to: w.To, attempt: attempt, hold: hold}
		each := func(doc []byte) {
			if id := docID(c, doc); id != "" {
				k, _ := docKey(c, doc)
				w.seen[id] = dayOf(k)
			}
		}
		err := r.gated(ctx, func() error {
			n, err := r.f.fetchWindow(ctx, j, each)
			w.docs = n
			return err
		})
		switch {
		case err == nil:
			w.committed = true
			return nil
		case errors.Is(err, errHeld):
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case !retryWindow(err):
			return fmt.Errorf("refresh: %w", err)
		}
		last = err
	}
	return fmt.Errorf("refresh: %w", last)
}

// gated runs fn holding a slot of the shared gate, if there is one.
func (r *refresh) gated(ctx context.Context, fn func() error) error {
	if g := r.f.o.Gate; g != nil {
		if err := g.Acquire(ctx); err != nil {
			return err
		}
		defer g.Release()
	}
	return fn()
}

// byID asks for one document of c by id and returns its day; found is
// false when the server does not have it (404: not visible yet).
func (r *refresh) byID(ctx context.Context, c *Collection, id string) (d time.Time, found bool, err error) {
	var key time.Time
	var ok bool
	err = r.gated(ctx, func() error {
		_, err := r.f.o.Client.Get(ctx, c.Path+"/"+url.PathEscape(id), nil, func(body []byte) error {
			docs, _, err := decodeSingle(body)
			if err == nil && c.Check != nil {
				err = c.Check(docs[0])
			}
			if err != nil {
				return err
			}
			key, ok = docKey(c, docs[0])
			return nil
		})
		return err
	})
	var ae *oura.APIError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("refresh: %s %s: %w", c.Name, id, err)
	case !ok:
		return time.Time{}, false, fmt.Errorf("refresh: %s %s: the document has no %s", c.Name, id, c.Key)
	}
	return dayOf(key), true, nil
}

// settle sorts a change into applied or retry.
func (r *refresh) settle(p *pending) {
	done := false
	switch {
	case p.Op == OpDelete && !p.held:
		done = true // the folder never held it
	case p.Op == OpDelete:
		_, still := p.win.seenID(p.ObjectID)
		done = p.win != nil && p.win.committed && !still
	case p.outside:
		done = true
	default:
		_, seen := p.win.seenID(p.ObjectID)
		done = p.win != nil && p.win.committed && (seen || p.ObjectID == "")
	}
	if done {
		r.applied = append(r.applied, p.Change)
	} else {
		r.retry = append(r.retry, p.Change)
	}
}

// series refetches a time series over the days the changes touched, with a
// day of margin on either side for time zones far from UTC.
func (r *refresh) series(ctx context.Context, c *Collection, res *FetchResult) error {
	var ss spans
	limit := r.f.now.Add(day).Truncate(time.Minute)
	for _, s := range r.touchedDays {
		s = span{s.From.Add(-day), s.To.Add(day)}
		if s.From.Before(r.since.Add(-day)) {
			s.From = r.since.Add(-day)
		}
		if s.To.After(limit) {
			s.To = limit
		}
		ss = ss.add(s)
	}
	if len(ss) == 0 {
		return nil
	}
	if err := r.generation(c); err != nil {
		return err
	}
	for _, s := range splitSpans(gapMerge(ss, refreshSeriesGap), c.MaxWindow) {
		w := &rwindow{span: s}
		if err := r.window(ctx, c, w, nil); err != nil {
			return err
		}
		r.addDocs(res, c, w)
	}
	return nil
}

// gapMerge joins the spans of ss that lie less than gap apart.
func gapMerge(ss spans, gap time.Duration) spans {
	var out spans
	for _, s := range ss {
		if n := len(out); n > 0 && s.From.Sub(out[n-1].To) < gap {
			if s.To.After(out[n-1].To) {
				out[n-1].To = s.To
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// windowOf returns the last committed window that holds the document id.
func windowOf(wins []*rwindow, id string) *rwindow {
	var out *rwindow
	for _, w := range wins {
		if _, ok := w.seen[id]; w.committed && id != "" && ok {
			out = w
		}
	}
	return out
}

// holding returns the last of wins fetched over day d, nil if none.
func holding(wins []*rwindow, d time.Time) *rwindow {
	var out *rwindow
	for _, w := range wins {
		if w.holds(d) {
			out = w
		}
	}
	return out
}

// docID returns the document's id ("" when c has none or the document
// lacks it).
func docID(c *Collection, doc []byte) string {
	if c.ID == "" {
		return ""
	}
	if v, err := topLevelStrings(doc, c.ID); err == nil {
		return v[0]
	}
	return ""
}

// storedIDs reads the documents of a dated collection the store speaks for
// and returns the day of each id, and the last day with a document.
func storedIDs(st *Store, c *Collection) (map[string]time.Time, time.Time, error) {
	segs, err := st.Segments(c.API, c.Name)
	if err != nil {
		return nil, time.Time{}, err
	}
	ids := map[string]time.Time{}
	var last time.Time
	for _, p := range effectiveParts(segs) {
		err := st.Read(p.seg, func(doc []byte) error {
			if !p.keep(c, doc) {
				return nil
			}
			key, ok := docKey(c, doc)
			if !ok {
				return nil
			}
			d := dayOf(key)
			if d.After(last) {
				last = d
			}
			if id := docID(c, doc); id != "" {
				ids[id] = d
			}
			return nil
		})
		if err != nil {
			return nil, time.Time{}, err
		}
	}
	return ids, last, nil
}
