package exporter

import (
	"context"
	"errors"
	"fmt"
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
	// hold, when set, is asked before the window's segment is committed:
	// false discards it (Refresh keeps a day whose list lags an event).
	hold func() bool
	// head is set on the windows of a date collection that end by the
	// first day the time series were planned from: fetched first, they
	// tell whether the time series reach back further (see maybeHeadsIn).
	head bool
}

// collState is the per-collection bookkeeping of a running fetch.
type collState struct {
	res       *CollectionResult
	pageSize  int  // the server's page size, when a page with a next_token showed it
	pending   int  // windows queued or running
	final     bool // no more windows will be planned
	maxWindow time.Duration
	reported  bool
	skip      bool  // left out of the plan: settle found it unreadable
	planned   spans // a date collection's days planned at the start
	got       spans // and those committed since (see headIn)
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
	extend bool      // extend the time series back once the date collections are done
	headTo time.Time // the end of the date collections' heads (zero: none planned)
	onDone func(c *Collection)
	planMu sync.Mutex
	plan   []PlannedWindow
	// wholeDocs counts the documents of the collections read before planning.
	wholeDocs map[*Collection]int
	// seriesPlanned is set once the time series are planned; anchor, when
	// their start is not known, is the collection whose first page gives it.
	seriesPlanned bool
	anchor        *Collection
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
	info, rings := byName["personal_info"], byName["ring_configuration"]
	if info == nil {
		info = V2Collection("personal_info")
	}
	if rings == nil {
		rings = V2Collection("ring_configuration")
	}
	account, email, infoErr := f.fetchAccount(ctx, info)
	if infoErr != nil {
		if errors.Is(infoErr, oura.ErrUnauthorized) || fatal(infoErr) || ctx.Err() != nil {
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

	// Raw collections are shaped, optional ones probed, before planning.
	colls, skip, err := f.settle(ctx, o.Collections)
	if err != nil {
		return nil, err
	}
	if err := f.rememberShapes(colls, skip); err != nil {
		return nil, fmt.Errorf("save export state: %w", err)
	}
	o.Collections, f.o.Collections = colls, colls
	dates := 0 // date collections
	for _, c := range o.Collections {
		cs := &collState{res: &CollectionResult{Collection: c}, maxWindow: c.MaxWindow}
		f.colls[c] = cs
		f.order = append(f.order, c)
		res.Collections = append(res.Collections, cs.res)
		if err := skip[c]; err != nil {
			cs.res.Err, cs.final, cs.skip = err, true, true
		}
		switch c {
		case info:
			cs.res.Err, cs.final = infoErr, true
			cs.res.Docs, cs.res.Windows = f.wholeDocs[info], 1
		case rings:
			cs.res.Err, cs.final = ringsErr, true
			cs.res.Docs, cs.res.Windows = f.wholeDocs[rings], 1
		}
		if c.Kind == ByDate {
			dates++
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
		if limited || dates == 0 || o.DryRun {
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

	f.q = newQueue(ctx, rankJob)
	f.extend = o.Since.IsZero() && dates > 0 && !o.DryRun
	if f.extend && !f.hint.IsZero() {
		f.headTo = f.hint.AddDate(0, 0, 1)
	}
	var first []*job
	for _, c := range o.Collections {
		if f.colls[c].skip {
			continue
		}
		switch c.Kind {
		case ByDate:
			js, err := f.planRange(c, span{f.since.AddDate(0, 0, -c.Spread), f.until.AddDate(0, 0, 1+c.Spread)})
			if err != nil {
				return nil, err
			}
			js = f.heads(c, js)
			first = append(first, js...)
			f.colls[c].final = true
		case Single, Paged:
			if c != info && c != rings {
				first = append(first, &job{c: c})
			}
			f.colls[c].final = true
		}
	}
	if !f.hint.IsZero() || !f.extend {
		js, err := f.planInstants(f.hint, time.Time{}, !f.extend)
		if err != nil {
			return nil, err
		}
		first = append(first, js...)
		f.seriesPlanned = true
	} else if c := byName["daily_activity"]; c != nil && c.Kind == ByDate {
		f.anchor = c // its first page plans the time series (seriesFrom)
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
