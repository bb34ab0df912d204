package exporter

import (
	"os"
	"slices"
	"time"
)

// The schedule of an export: fetching and building overlap, so an export
// takes about as long as the longer of the two, not their sum. The windows
// whose collections take longest to build are fetched first, so that their
// builds start while the rest is still fetching; the lanes of the time
// series, the longest chains of requests, come next; the other date
// collections (small builds) and what is fetched whole come last. Of the
// collections complete and not yet built, the builder takes the largest
// first. Neither order changes the outputs: each file is written from its
// own table's rows, in time order, whatever order tables arrive in.

// Fetch ranks: lower first.
const (
	rankHead   = 0   // a date collection's days before the time series' first (see maybeHeadsIn)
	rankSeries = 200 // the lanes of a time series
	rankDate   = 300 // a date collection without sample series
	rankWhole  = 400 // fetched whole (paged, single)
)

// fetchRank ranks the windows of c. A date collection with sample series
// (sleep, daily_activity, session: thousands of rows a day in child
// tables) ranks first, the more series the sooner.
func fetchRank(c *Collection) int {
	switch c.Kind {
	case ByDate:
		n := 0
		for _, t := range TablesOf(c) {
			if t.Parent != "" {
				n++
			}
		}
		if n > 0 {
			return rankSeries - 1 - min(n, rankSeries-1)
		}
		return rankDate
	case ByInstant:
		return rankSeries
	}
	return rankWhole
}

// rankJob ranks a window by its collection; the heads of the date
// collections come first.
func rankJob(j *job) int {
	if j.head {
		return rankHead
	}
	return fetchRank(j.c)
}

// heads records the windows js planned for the date collection c and,
// when the day the time series start from is known (f.headTo), cuts them
// there (see cutHead).
func (f *fetcher) heads(c *Collection, js []*job) []*job {
	f.mu.Lock()
	defer f.mu.Unlock()
	cs := f.colls[c]
	for _, j := range js {
		cs.planned = cs.planned.add(span{j.from, j.to})
	}
	if f.headTo.IsZero() {
		return js
	}
	out := make([]*job, 0, len(js)+1)
	for _, j := range js {
		out = append(out, f.cutHead(j)...)
	}
	return out
}

// cutHead cuts the window j of a date collection at f.headTo, the day after
// the one the time series were planned from, and marks the part before it
// as the collection's head: fetched first, the heads show whether any
// document lies before that day, so the time series are complete as soon
// as their own windows are in instead of after every date collection (see
// maybeHeadsIn). It costs at most a request per date collection.
func (f *fetcher) cutHead(j *job) []*job {
	switch {
	case j.c.Kind != ByDate || j.from.IsZero() || !j.from.Before(f.headTo):
		return []*job{j}
	case !j.to.After(f.headTo):
		j.head = true
		return []*job{j}
	}
	head := *j
	head.to, head.head = f.headTo, true
	if head.probe {
		head.probe, head.rest = false, span{}
	}
	tail := *j
	tail.from = f.headTo
	return []*job{&head, &tail}
}

// before returns the parts of ss before t.
func before(ss spans, t time.Time) spans {
	var out spans
	for _, s := range ss {
		if s.From.Before(t) {
			if s.To.After(t) {
				s.To = t
			}
			out = append(out, s)
		}
	}
	return out
}

// storedBytes returns the bytes of c's segments in st: how much building c
// takes, roughly.
func storedBytes(st *Store, c *Collection) int64 {
	segs, err := st.Segments(c.API, c.Name)
	if err != nil {
		return 0
	}
	var n int64
	for _, s := range segs {
		if fi, err := os.Stat(s.path); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// largestFirst returns the collection of ready that holds the most stored
// bytes (the first of those, on a tie) and ready without it.
func largestFirst(st *Store, ready []*Collection) (*Collection, []*Collection) {
	best, most := 0, int64(-1)
	for i, c := range ready {
		if n := storedBytes(st, c); n > most {
			best, most = i, n
		}
	}
	c := ready[best]
	return c, slices.Delete(ready, best, best+1)
}

// seriesFrom plans the time series from day, the first day the first page
// of daily activity (a document for every day the ring was worn) shows,
// when nothing else dated the history: so that their lanes, the longest
// chains of requests, start early instead of after every date collection.
// It only guesses where to start: once the date collections are in, the
// time series are extended back to the earliest day any of them showed, as
// before, and a collection is built only once complete, so a wrong guess
// costs a request or two, never a row or its order.
func (f *fetcher) seriesFrom(day time.Time) {
	f.mu.Lock()
	if f.seriesPlanned || !f.hint.IsZero() || f.q == nil {
		f.mu.Unlock()
		return
	}
	f.seriesPlanned = true
	f.hint = dayOf(day)
	extra := 0
	if f.extend {
		// The date collections' days before it are fetched first (their
		// heads): windows still queued are cut, those fetched or running
		// show their heads when committed.
		f.headTo = f.hint.AddDate(0, 0, 1)
		extra = f.q.rewrite(func(j *job) []*job {
			js := f.cutHead(j)
			f.colls[j.c].pending += len(js) - 1
			return js
		})
	}
	f.mu.Unlock()
	if extra > 0 {
		f.o.Progress.Planned(extra, extra)
	}
	js, err := f.planInstants(dayOf(day), time.Time{}, false)
	if err != nil {
		f.seriesFailed(err)
		return
	}
	f.add(js)
	f.maybeHeadsIn()
}
