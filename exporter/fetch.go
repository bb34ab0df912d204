package exporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/ouraexport/ouraexport/internal/oura"
	"golang.org/x/sync/errgroup"
)

// Progress receives what an export does, for progress bars and logs. Its
// methods are called from several goroutines and must be quick.
type Progress interface {
	// Planned reports work added to the plan: windows to fetch, and the
	// requests they are expected to take.
	Planned(windows, requests int)
	// Page reports a page stored (docs documents) of a collection.
	Page(collection string, docs int)
	// Done reports a collection finished fetching (err nil) or given up.
	Done(collection string, docs int, err error)
}

// NopProgress reports nothing.
type NopProgress struct{}

// Planned does nothing.
func (NopProgress) Planned(int, int) {}

// Page does nothing.
func (NopProgress) Page(string, int) {}

// Done does nothing.
func (NopProgress) Done(string, int, error) {}

// FetchOptions configure the fetching half of an export.
type FetchOptions struct {
	Client *oura.Client
	Store  *Store
	// Collections to fetch. personal_info and ring_configuration are always
	// read (the first identifies the account, the second dates the history).
	Collections []*Collection
	// Since and Until bound the history in days (UTC midnight; Until
	// inclusive). A zero Since means the whole history; a zero Until, today.
	Since, Until time.Time
	// Lookback is how many days before its fetch a stored day counts as
	// possibly revised by Oura, and is fetched again.
	Lookback int
	Workers  int
	// ChainLimit is how many pages a window may take in sequence before the
	// rest of it is split into windows fetched in parallel (default 32).
	ChainLimit int
	Progress   Progress
	Now        func() time.Time
	// DryRun plans without fetching the collections' windows.
	DryRun bool
	// Gate, when set, is shared by several exports running at once (a
	// cohort): a window is fetched only while holding one of its slots, so
	// all accounts together keep to one worker pool.
	Gate Gate
}

// Gate bounds how many windows are fetched at once across exports.
type Gate interface {
	Acquire(ctx context.Context) error
	Release()
}

// CollectionResult is the outcome of one collection.
type CollectionResult struct {
	Collection *Collection
	Windows    int   // windows fetched this run
	Docs       int   // documents fetched this run
	Err        error // why it is incomplete; nil when complete
}

// FetchResult is the outcome of fetching.
type FetchResult struct {
	Account     string
	Since       time.Time // first day of the history
	Until       time.Time // last day (inclusive)
	Gen         int
	Collections []*CollectionResult
	Plan        []PlannedWindow // what a dry run would fetch
	// Estimate is the number of requests the plan was expected to take.
	Estimate int
}

// PlannedWindow is one window of the plan.
type PlannedWindow struct {
	Collection string
	From, To   time.Time
}

// ErrOtherAccount is returned when the export folder holds another person's data.
var ErrOtherAccount = errors.New("the export folder holds another account's data")

// earliestHistory is the earliest day any Oura data can have (the company
// shipped its first rings in 2015; 2013 leaves room).
var earliestHistory = time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC)

type job struct {
	c        *Collection
	from, to time.Time
	attempt  int
	// probe is set while discovering the longest window the server
	// accepts; rest is what remains to plan once the probe succeeds.
	probe bool
	rest  span
	// laneEnd is set on the windows of a time series: a lane is walked one
	// page per window, each window starting where the last full page ended,
	// so every page but the lane's last is full.
	laneEnd time.Time
	// cont is where the lane goes on after this window.
	cont time.Time
}

// collState is the per-collection bookkeeping of a running fetch.
type collState struct {
	res       *CollectionResult
	pageSize  int  // the server's page size, when a page with a next_token showed it
	pending   int  // windows queued or running
	final     bool // no more windows will be planned
	maxWindow time.Duration
	reported  bool
}

type fetcher struct {
	o      FetchOptions
	q      *queue
	gen    int
	now    time.Time
	since  time.Time // day
	until  time.Time // day, inclusive
	mu     sync.Mutex
	colls  map[*Collection]*collState
	order  []*Collection
	early  time.Time // earliest document day seen (for instant planning)
	hint   time.Time // start of the instant collections' planned range
	dates  int       // date collections not yet done
	extend bool      // extend the time series back once the date collections are done
	onDone func(c *Collection)
	planMu sync.Mutex
	plan   []PlannedWindow
	// wholeDocs counts the documents of the collections read before planning.
	wholeDocs map[*Collection]int
}

// Fetch brings the store up to date for opts: it reads what the store
// already holds, plans the windows still missing (and those recent enough
// to have been revised), and fetches them with a pool of workers. onDone is
// called (from a worker) as each collection completes, so outputs can be
// built while others are still fetching. A collection that fails (403:
// scope not granted or membership lapsed) is recorded in the result and
// the others go on; an error is returned only when the export cannot go on
// at all (authentication, the context, the store).
func Fetch(ctx context.Context, o FetchOptions, onDone func(*Collection)) (*FetchResult, error) {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.ChainLimit <= 0 {
		o.ChainLimit = 32
	}
	if o.Progress == nil {
		o.Progress = NopProgress{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if onDone == nil {
		onDone = func(*Collection) {}
	}
	f := &fetcher{o: o, colls: map[*Collection]*collState{}, onDone: onDone, now: o.Now().UTC(), wholeDocs: map[*Collection]int{}}
	f.until = o.Until
	if f.until.IsZero() {
		f.until = dayOf(f.now)
	}
	res := &FetchResult{Until: f.until}

	st := o.Store
	st.State.Runs++
	f.gen = st.State.Runs
	res.Gen = f.gen
	if err := st.SaveState(); err != nil {
		return nil, fmt.Errorf("save export state: %w", err)
	}

	for _, c := range o.Collections {
		if err := st.compact(c, f.gen); err != nil {
			return nil, fmt.Errorf("tidy the export state: %w", err)
		}
	}

	// Identify the account and date the history first, in sequence.
	byName := map[string]*Collection{}
	for _, c := range o.Collections {
		byName[c.Name] = c
	}
	all := V2Collections(nil)
	info, rings := byName["personal_info"], byName["ring_configuration"]
	if info == nil {
		info = all[0]
	}
	if rings == nil {
		rings = all[1]
	}
	account, email, infoErr := f.fetchAccount(ctx, info)
	if infoErr != nil {
		if errors.Is(infoErr, oura.ErrUnauthorized) || ctx.Err() != nil {
			return nil, infoErr
		}
		var ae *oura.APIError
		if !errors.As(infoErr, &ae) {
			return nil, fmt.Errorf("read personal info: %w", infoErr)
		}
	}
	if account != "" {
		if st.State.Account != "" && st.State.Account != account {
			return nil, fmt.Errorf("%w (%s, not %s): export into another --out folder", ErrOtherAccount, st.State.Account, account)
		}
		st.State.Account = account
		if email != "" {
			st.State.Email = email
		}
		st.State.APIURL = o.Client.BaseURL()
		if err := st.SaveState(); err != nil {
			return nil, err
		}
	}
	res.Account = st.State.Account
	setUp, ringsErr := f.ringSetUp(ctx, rings)

	for _, c := range o.Collections {
		cs := &collState{res: &CollectionResult{Collection: c}, maxWindow: c.MaxWindow}
		f.colls[c] = cs
		f.order = append(f.order, c)
		res.Collections = append(res.Collections, cs.res)
		switch c {
		case info:
			cs.res.Err, cs.final = infoErr, true
			cs.res.Docs, cs.res.Windows = f.wholeDocs[info], 1
		case rings:
			cs.res.Err, cs.final = ringsErr, true
			cs.res.Docs, cs.res.Windows = f.wholeDocs[rings], 1
		}
		if c.Kind == ByDate {
			f.dates++
		}
	}
	// Where the history starts. A date collection fetched in one window
	// costs the same however far back the window reaches, so those start in
	// 2013 unless the server limits their windows; time series cost a
	// request per 30 days, so they start where the data does: the first
	// ring's set-up, the earliest day seen before, or a few probing
	// requests; and once the date collections are in, the time series are
	// extended back to the earliest day they showed.
	f.since, f.hint = o.Since, o.Since
	if st.State.Earliest.IsZero() {
		// A run killed between a segment and the state that dates it.
		if t, err := f.storedEarliest(); err != nil {
			return nil, err
		} else if !t.IsZero() {
			st.State.Earliest = t
		}
	}
	if o.Since.IsZero() {
		limited := false
		for _, c := range o.Collections {
			limited = limited || (c.Kind == ByDate && c.MaxWindow > 0)
		}
		var probed time.Time
		if limited || f.dates == 0 || o.DryRun {
			var err error
			if probed, err = f.probeEarliest(ctx); err != nil {
				return nil, err
			}
		}
		f.since = earliestHistory
		if limited && !probed.IsZero() {
			f.since = probed
		}
		for _, t := range []time.Time{probed, setUp, st.State.Earliest} {
			if !t.IsZero() && (f.hint.IsZero() || t.Before(f.hint)) {
				f.hint = t
			}
		}
	}
	res.Since = f.since

	f.q = newQueue(ctx)
	var first []*job
	for _, c := range o.Collections {
		switch c.Kind {
		case ByDate:
			js, err := f.planRange(c, span{f.since, f.until.Add(day)})
			if err != nil {
				return nil, err
			}
			first = append(first, js...)
			f.colls[c].final = true
		case Single, Paged:
			if c != info && c != rings {
				first = append(first, &job{c: c})
			}
			f.colls[c].final = true
		}
	}
	f.extend = o.Since.IsZero() && f.dates > 0 && !o.DryRun
	if !f.hint.IsZero() || !f.extend {
		js, err := f.planInstants(f.hint, time.Time{}, !f.extend)
		if err != nil {
			return nil, err
		}
		first = append(first, js...)
	}
	f.mu.Lock()
	for _, j := range first {
		f.colls[j.c].pending++
	}
	f.mu.Unlock()
	res.Estimate = f.estimate(first)
	f.o.Progress.Planned(len(first), res.Estimate)

	if o.DryRun {
		res.Plan = f.plan
		return res, nil
	}
	f.q.push(first...)
	// Collections with nothing to fetch are complete already.
	for _, c := range f.order {
		f.maybeDone(c)
	}

	g, gctx := errgroup.WithContext(ctx)
	for range o.Workers {
		g.Go(func() error {
			for j := f.q.pop(); j != nil; j = f.q.pop() {
				if o.Gate != nil {
					if err := o.Gate.Acquire(gctx); err != nil {
						f.q.done()
						return err
					}
				}
				err := f.run(gctx, j)
				if o.Gate != nil {
					o.Gate.Release()
				}
				f.q.done()
				if err != nil {
					f.q.close()
					return err
				}
			}
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return res, err
	}
	if e := st.State.Earliest; !e.IsZero() && e.After(res.Since) && o.Since.IsZero() {
		res.Since = e // the history's first day, for people
	}
	return res, st.SaveState()
}

// dayOf returns the UTC midnight of t's date.
func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// planRange returns the windows of c within r that the store does not hold
// settled: never fetched, or fetched less than Lookback days after the day.
func (f *fetcher) planRange(c *Collection, r span) ([]*job, error) {
	segs, err := f.o.Store.Segments(c.API, c.Name)
	if err != nil {
		return nil, err
	}
	var settled spans
	for _, s := range segs {
		if s.Whole() {
			continue
		}
		edge := dayOf(s.Fetched).AddDate(0, 0, -f.o.Lookback)
		to := s.To
		if edge.Before(to) {
			to = edge
		}
		settled = settled.add(span{s.From, to})
	}
	gaps := settled.subtract(r)
	max := f.colls[c].maxWindow
	if c.Kind == ByInstant && max > 0 {
		return f.lanes(c, gaps, max), nil
	}
	var jobs []*job
	for _, gap := range gaps {
		jobs = append(jobs, f.chunk(c, gap, max)...)
	}
	return jobs, nil
}

// lanes cuts a time series' gaps into a few lanes walked in parallel (half
// as many as workers, at least two), each a whole number of max windows
// long so no lane ends with a needlessly short window.
func (f *fetcher) lanes(c *Collection, gaps spans, max time.Duration) []*job {
	var total time.Duration
	for _, g := range gaps {
		total += g.To.Sub(g.From)
	}
	n := f.o.Workers / 2
	if n < 2 {
		n = 2
	}
	windows := int((total + max - 1) / max)
	per := (windows + n - 1) / n // windows per lane
	if per < 1 {
		per = 1
	}
	laneLen := time.Duration(per) * max
	var jobs []*job
	for _, g := range gaps {
		for from := g.From; from.Before(g.To); from = from.Add(laneLen) {
			end := from.Add(laneLen)
			if end.After(g.To) {
				end = g.To
			}
			f.recordPlan(c, span{from, end})
			jobs = append(jobs, laneJob(c, from, end, max))
		}
	}
	return jobs
}

// laneJob is the window of a lane [from, end) that starts at from.
func laneJob(c *Collection, from, end time.Time, max time.Duration) *job {
	to := from.Add(max)
	if to.After(end) {
		to = end
	}
	return &job{c: c, from: from, to: to, laneEnd: end}
}

func (f *fetcher) recordPlan(c *Collection, s span) {
	f.planMu.Lock()
	f.plan = append(f.plan, PlannedWindow{Collection: c.Name, From: s.From, To: s.To})
	f.planMu.Unlock()
}

// chunk cuts r into windows no longer than max (0: one window).
func (f *fetcher) chunk(c *Collection, r span, max time.Duration) []*job {
	var jobs []*job
	for from := r.From; from.Before(r.To); {
		to := r.To
		if max > 0 && to.Sub(from) > max {
			to = from.Add(max)
		}
		jobs = append(jobs, &job{c: c, from: from, to: to})
		f.recordPlan(c, span{from, to})
		from = to
	}
	return jobs
}

// planInstants plans every time-series collection from the day start
// (zero: the last 30 days) to end (zero: the end of the history), with a day
// of margin on either side for time zones far from UTC. final says no more
// windows will be planned for them.
func (f *fetcher) planInstants(start, end time.Time, final bool) ([]*job, error) {
	if start.IsZero() {
		start = f.until.AddDate(0, 0, -30)
	}
	if start.Before(f.since) {
		start = f.since
	}
	r := span{start.AddDate(0, 0, -1), f.until.AddDate(0, 0, 2)}
	if !end.IsZero() {
		r.To = end.AddDate(0, 0, -1)
	}
	if limit := f.now.Add(day).Truncate(time.Minute); r.To.After(limit) && limit.After(r.From) {
		r.To = limit
	}
	var jobs []*job
	for _, c := range f.order {
		if c.Kind != ByInstant {
			continue
		}
		js, err := f.planRange(c, r)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, js...)
		if final {
			f.mu.Lock()
			f.colls[c].final = true
			f.mu.Unlock()
		}
	}
	return jobs, nil
}

// estimate guesses how many requests jobs take, for progress and dry runs.
func (f *fetcher) estimate(jobs []*job) int {
	n := 0
	for _, j := range jobs {
		switch j.c.Kind {
		case ByDate:
			// ~1.3 documents a day, 100 a page.
			n += 1 + int(j.to.Sub(j.from).Hours()/24*1.3/100)
		case ByInstant:
			// a row every 5 minutes while worn, 10000 a page
			n += 1 + int(j.to.Sub(j.from).Hours()*12/10000)
		default:
			n++
		}
	}
	return n
}

// probeEarliest finds the first day with an activity document by bisection
// over [since, until]: about a dozen requests, whatever order the server
// returns documents in. It returns zero when there is no activity at all.
func (f *fetcher) probeEarliest(ctx context.Context) (time.Time, error) {
	c := V2Collections(nil)[2] // daily_activity: a document for every day the ring was worn
	any := func(from, to time.Time) (bool, error) {
		q := c.Query(from, to)
		found := false
		_, err := f.o.Client.Get(ctx, c.Path, q, func(body []byte) error {
			docs, _, err := c.Decode(body)
			for _, d := range docs {
				if k, ok := docKey(c, d); ok && !k.Before(from) && k.Before(to) {
					found = true
				}
			}
			return err
		})
		return found, err
	}
	lo, hi := f.since, f.until.Add(day)
	ok, err := any(lo, hi)
	if err != nil || !ok {
		var ae *oura.APIError
		if errors.As(err, &ae) && ae.Status != http.StatusUnauthorized {
			return time.Time{}, nil // not readable: plan from the defaults
		}
		return time.Time{}, err
	}
	// Invariant: [lo, hi) holds a document; find the smallest hi-lo.
	for hi.Sub(lo) > day {
		mid := lo.Add((hi.Sub(lo) / 2).Truncate(day))
		ok, err := any(lo, mid)
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			hi = mid
		} else {
			lo = mid
		}
	}
	return lo, nil
}

// storedEarliest returns the earliest day of any stored document of the
// date collections (zero when none is stored).
func (f *fetcher) storedEarliest() (time.Time, error) {
	var earliest time.Time
	for _, c := range f.o.Collections {
		if c.Kind != ByDate {
			continue
		}
		segs, err := f.o.Store.Segments(c.API, c.Name)
		if err != nil {
			return time.Time{}, err
		}
		for _, seg := range segs {
			if seg.Docs == 0 || (!earliest.IsZero() && !seg.From.Before(earliest)) {
				continue
			}
			err := f.o.Store.Read(seg, func(doc []byte) error {
				if k, ok := docKey(c, doc); ok && (earliest.IsZero() || k.Before(earliest)) {
					earliest = k
				}
				return nil
			})
			if err != nil {
				return time.Time{}, err
			}
			break // segments are in time order: the first with documents has the earliest
		}
	}
	return earliest, nil
}

// ringSetUp reads ring_configuration and returns the day the first ring
// was set up, when every ring's date is plausible.
func (f *fetcher) ringSetUp(ctx context.Context, c *Collection) (time.Time, error) {
	var first time.Time
	trusted := true
	_, err := f.fetchWholeDocs(ctx, c, func(doc []byte) {
		v, err := topLevelStrings(doc, "set_up_at")
		if err != nil {
			trusted = false
			return
		}
		t, ok := parseInstant(v[0])
		if !ok || t.Before(earliestHistory) || t.After(f.now.Add(day)) {
			trusted = false
			return
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
	})
	if err != nil || !trusted || first.IsZero() {
		return time.Time{}, err
	}
	return dayOf(first), nil
}

// fetchAccount fetches personal_info into a whole segment and returns the
// account's id and e-mail address.
func (f *fetcher) fetchAccount(ctx context.Context, c *Collection) (id, email string, err error) {
	_, err = f.fetchWholeDocs(ctx, c, func(doc []byte) {
		if v, err := topLevelStrings(doc, "id", "email"); err == nil && id == "" {
			id, email = v[0], v[1]
		}
	})
	return id, email, err
}

func (f *fetcher) fetchWholeDocs(ctx context.Context, c *Collection, each func(doc []byte)) (int, error) {
	var last error
	for attempt := 0; attempt < windowAttempts; attempt++ {
		n, err := f.fetchWindow(ctx, &job{c: c, attempt: attempt}, each)
		if err == nil || !retryWindow(err) || ctx.Err() != nil {
			f.wholeDocs[c] = n
			return n, err
		}
		last = err
	}
	return 0, last
}

const windowAttempts = 3

// retryWindow reports whether a window that failed may succeed if fetched again.
func retryWindow(err error) bool {
	var ae *oura.APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, oura.ErrUnauthorized)
}

// run fetches one job and does the bookkeeping.
func (f *fetcher) run(ctx context.Context, j *job) error {
	n, err := f.fetchWindow(ctx, j, nil)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	var ae *oura.APIError
	switch {
	case err == nil:
		f.mu.Lock()
		cs := f.colls[j.c]
		cs.res.Windows++
		cs.res.Docs += n
		var more []*job
		if j.probe && !j.rest.empty() {
			more = f.chunk(j.c, j.rest, cs.maxWindow)
		}
		if !j.laneEnd.IsZero() && j.cont.Before(j.laneEnd) {
			more = append(more, laneJob(j.c, j.cont, j.laneEnd, cs.maxWindow))
		}
		f.mu.Unlock()
		f.add(more)
	case errors.As(err, &ae) && (ae.Status == http.StatusBadRequest || ae.Status == http.StatusUnprocessableEntity) && f.canHalve(j):
		// The server may refuse windows this long: probe with half of it.
		f.mu.Lock()
		cs := f.colls[j.c]
		half := j.to.Sub(j.from) / 2
		if j.c.Kind == ByDate {
			half = half.Truncate(day)
		}
		cs.maxWindow = half
		var retry *job
		if !j.laneEnd.IsZero() {
			retry = laneJob(j.c, j.from, j.laneEnd, half)
		} else {
			rest := span{j.from.Add(half), j.to}
			if j.probe && !j.rest.empty() {
				rest.To = j.rest.To
			}
			retry = &job{c: j.c, from: j.from, to: j.from.Add(half), probe: true, rest: rest}
		}
		f.mu.Unlock()
		f.add([]*job{retry})
	case retryWindow(err) && j.attempt+1 < windowAttempts:
		next := *j
		next.attempt++
		f.add([]*job{&next})
	case errors.Is(err, oura.ErrUnauthorized):
		return fmt.Errorf("%s: %w", j.c.Name, err)
	default:
		f.mu.Lock()
		cs := f.colls[j.c]
		if cs.res.Err == nil {
			cs.res.Err = err
		}
		f.mu.Unlock()
	}
	f.finish(j.c)
	return nil
}

// canHalve reports whether a refused window is long enough to try shorter.
func (f *fetcher) canHalve(j *job) bool {
	min := time.Hour
	if j.c.Kind == ByDate {
		min = 2 * day
	}
	return (j.c.Kind == ByDate || j.c.Kind == ByInstant) && j.to.Sub(j.from) >= min
}

// add queues more windows of collections already being fetched.
func (f *fetcher) add(js []*job) {
	if len(js) == 0 {
		return
	}
	f.mu.Lock()
	for _, j := range js {
		f.colls[j.c].pending++
	}
	f.mu.Unlock()
	f.o.Progress.Planned(len(js), f.estimate(js))
	f.q.push(js...)
}

// finish marks one window of c done.
func (f *fetcher) finish(c *Collection) {
	f.mu.Lock()
	f.colls[c].pending--
	f.mu.Unlock()
	f.maybeDone(c)
}

// maybeDone reports c complete once it has no windows left and none will be
// planned; the last date collection to complete plans the time series when
// their start was not known.
func (f *fetcher) maybeDone(c *Collection) {
	f.mu.Lock()
	cs := f.colls[c]
	if cs.pending > 0 || !cs.final || cs.reported {
		f.mu.Unlock()
		return
	}
	cs.reported = true
	extend := false
	if c.Kind == ByDate {
		f.dates--
		extend = f.dates == 0 && f.extend
	}
	res := *cs.res
	f.mu.Unlock()
	f.o.Progress.Done(c.Name, res.Docs, res.Err)
	f.onDone(c)
	if extend {
		// The date collections are in: extend the time series back to the
		// earliest day they showed.
		f.mu.Lock()
		start := f.early
		f.mu.Unlock()
		if t := f.o.Store.State.Earliest; !t.IsZero() && (start.IsZero() || t.Before(start)) {
			start = t
		}
		var js []*job
		var err error
		switch {
		case f.hint.IsZero():
			js, err = f.planInstants(start, time.Time{}, true)
		case !start.IsZero() && start.Before(f.hint):
			js, err = f.planInstants(start, f.hint, true)
		default:
			js, err = f.planInstants(f.hint, f.hint, true) // nothing more: mark final
		}
		if err != nil {
			f.mu.Lock()
			for _, c := range f.order {
				if c.Kind == ByInstant && f.colls[c].res.Err == nil {
					f.colls[c].res.Err = err
				}
			}
			f.mu.Unlock()
		}
		f.add(js)
		for _, c := range f.order {
			if c.Kind == ByInstant {
				f.maybeDone(c)
			}
		}
	}
}

// maxLoops bounds how often a window re-reads pages to get out of a
// pagination loop before giving up.
const maxLoops = 20

// errCycle means the server's next_token led back to a page already read.
var errCycle = errors.New("the server's next_token repeats (a pagination loop)")

// fetchWindow fetches every page of one window into a new segment and
// commits it. Only documents whose key lies in the window are kept (queries
// are widened by the collection's margin), and a document repeated across
// pages is kept once. When the pages keep coming, the rest of the window is
// split into windows fetched in parallel.
func (f *fetcher) fetchWindow(ctx context.Context, j *job, each func(doc []byte)) (int, error) {
	c := j.c
	w, err := f.o.Store.Create(c.API, c.Name, j.from, j.to, f.gen)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", c.Name, err)
	}
	defer w.Abort()
	w.SetFetched(f.now)
	var query url.Values
	if c.Query != nil {
		query = c.Query(j.from, j.to)
	}
	seen := map[string]struct{}{}
	var first, last, early time.Time
	add := func(docs []json.RawMessage) (int, error) {
		kept := 0
		for _, d := range docs {
			var key time.Time
			if c.Kind == ByDate || c.Kind == ByInstant {
				if k, ok := docKey(c, d); ok {
					if k.Before(j.from) || !k.Before(j.to) {
						continue // in the margin: another window's
					}
					key = k
				}
			}
			id := string(d)
			if c.ID != "" {
				if v, err := topLevelStrings(d, c.ID); err == nil && v[0] != "" {
					id = v[0]
				}
			}
			if _, dup := seen[id]; dup {
				continue
			}
			seen[id] = struct{}{}
			if err := w.Add(d); err != nil {
				return kept, fmt.Errorf("%s: store: %w", c.Name, err)
			}
			if each != nil {
				each(d)
			}
			kept++
			if !key.IsZero() {
				if first.IsZero() || key.Before(first) {
					first = key
				}
				if key.After(last) {
					last = key
				}
				if c.Kind == ByDate && (early.IsZero() || key.Before(early)) {
					early = key
				}
			}
		}
		return kept, nil
	}
	get := func(token string) ([]json.RawMessage, string, error) {
		q := query
		if token != "" {
			q = url.Values{}
			for k, v := range query {
				q[k] = v
			}
			q.Set("next_token", token)
		}
		var docs []json.RawMessage
		var next string
		_, err := f.o.Client.Get(ctx, c.Path, q, func(body []byte) error {
			var err error
			if docs, next, err = c.Decode(body); err != nil {
				return err
			}
			for i, d := range docs {
				if c.Check != nil {
					err = c.Check(d)
				} else if !json.Valid(d) {
					err = errors.New("not valid JSON")
				}
				if err != nil {
					return fmt.Errorf("document %d: %w", i, err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, "", fmt.Errorf("%s%s: %w", c.Name, describeWindow(j), err)
		}
		return docs, next, nil
	}
	// Follow next_token to the end. A token already followed means a
	// pagination loop: one of the last two answers was wrong. Ask the
	// previous page again (its token may have misled us), then this one;
	// a loop that persists is an error.
	j.cont = j.to
	followed := map[string]struct{}{}
	requests := []string{""} // the tokens of the pages read, in order
	loops := 0
	for page := 1; ; page++ {
		cur := requests[len(requests)-1]
		docs, next, err := get(cur)
		if err != nil {
			return 0, err
		}
		for _, loop := followed[next]; loop && next != ""; _, loop = followed[next] {
			if loops++; loops > maxLoops {
				return 0, fmt.Errorf("%s%s: %w", c.Name, describeWindow(j), errCycle)
			}
			if len(requests) >= 2 {
				prev := requests[len(requests)-2]
				pdocs, pnext, err := get(prev)
				if err != nil {
					return 0, err
				}
				if _, seenBefore := followed[pnext]; pnext != cur && !seenBefore {
					// The previous answer sent us astray: continue from its fresh token.
					if _, err := add(pdocs); err != nil {
						return 0, err
					}
					delete(followed, cur)
					cur = pnext
					requests[len(requests)-1] = cur
					followed[cur] = struct{}{}
					if pnext == "" {
						docs, next = nil, ""
						break
					}
				}
			}
			if docs, next, err = get(cur); err != nil {
				return 0, err
			}
		}
		kept, err := add(docs)
		if err != nil {
			return 0, err
		}
		if next != "" {
			f.mu.Lock()
			if cs := f.colls[c]; cs != nil && len(docs) > cs.pageSize {
				cs.pageSize = len(docs)
			}
			f.mu.Unlock()
		}
		f.o.Progress.Page(c.Name, kept)
		if next == "" {
			break
		}
		followed[next] = struct{}{}
		requests = append(requests, next)
		if !j.laneEnd.IsZero() && last.After(j.from) {
			// A full page: the lane goes on from its last row.
			w.Narrow(last)
			j.cont = last
			break
		}
		if f.q != nil && f.split(j, w, page, first, last) {
			break
		}
	}
	seg, err := w.Commit()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", c.Name, err)
	}
	if !early.IsZero() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.early.IsZero() || early.Before(f.early) {
			f.early = early
		}
		// Remember it at once: a resumed run plans the time series from it.
		if st := f.o.Store; st.State.Earliest.IsZero() || early.Before(st.State.Earliest) {
			st.State.Earliest = early
			if err := st.SaveState(); err != nil {
				return 0, fmt.Errorf("save export state: %w", err)
			}
		}
	}
	return seg.Docs, nil
}

// split cuts the rest of a window that would take too many pages in
// sequence into windows the pool fetches in parallel. The current segment
// keeps what lies before the last key seen (documents at that key may
// continue on the next page, so they are fetched again by the new window).
func (f *fetcher) split(j *job, w *SegmentWriter, pages int, first, last time.Time) bool {
	c := j.c
	unit := time.Minute
	if c.Kind == ByDate {
		unit = day
	}
	if (c.Kind != ByDate && c.Kind != ByInstant) || first.IsZero() || !last.After(j.from) || j.to.Sub(last) < 2*unit {
		return false
	}
	perPage := (last.Sub(first) + unit) / time.Duration(pages)
	if perPage <= 0 {
		return false
	}
	remaining := int(j.to.Sub(last) / perPage)
	if remaining <= f.o.ChainLimit {
		return false
	}
	parts := (remaining + f.o.ChainLimit - 1) / f.o.ChainLimit
	size := j.to.Sub(last) / time.Duration(parts)
	size = size.Truncate(unit)
	if size < unit {
		size = unit
	}
	w.Narrow(last)
	var more []*job
	for from := last; from.Before(j.to); from = from.Add(size) {
		to := from.Add(size)
		if j.to.Sub(to) < size/2 || to.After(j.to) {
			to = j.to
		}
		more = append(more, &job{c: c, from: from, to: to})
		if to.Equal(j.to) {
			break
		}
	}
	f.add(more)
	return true
}

// docKey reads where a document belongs in time.
func docKey(c *Collection, doc []byte) (time.Time, bool) {
	v, err := topLevelStrings(doc, c.Key)
	if err != nil || v[0] == "" {
		return time.Time{}, false
	}
	if c.Kind == ByDate {
		if len(v[0]) < 10 {
			return time.Time{}, false
		}
		t, err := time.Parse(time.DateOnly, v[0][:10])
		return t, err == nil
	}
	return parseInstant(v[0])
}

// parseInstant parses Oura's instants: RFC 3339 with or without fractional
// seconds, with an offset or Z.
func parseInstant(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// Some servers write +0000 without a colon.
		t, err = time.Parse("2006-01-02T15:04:05.999999999Z0700", s)
	}
	return t.UTC(), err == nil
}

func describeWindow(j *job) string {
	switch {
	case j.from.IsZero():
		return ""
	case j.c.Kind == ByDate:
		return fmt.Sprintf(" %s..%s", j.from.Format(time.DateOnly), j.to.AddDate(0, 0, -1).Format(time.DateOnly))
	default:
		return fmt.Sprintf(" %s..%s", j.from.Format(time.RFC3339), j.to.Format(time.RFC3339))
	}
}
