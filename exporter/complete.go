package exporter

import (
	"time"
)

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
// planned; a date collection completing may let the time series be
// extended (maybeHeadsIn).
func (f *fetcher) maybeDone(c *Collection) {
	f.mu.Lock()
	cs := f.colls[c]
	if cs.pending > 0 || !cs.final || cs.reported {
		f.mu.Unlock()
		return
	}
	cs.reported = true
	res := *cs.res
	f.mu.Unlock()
	f.o.Progress.Done(c.Name, res.Docs, res.Err)
	f.onDone(c)
	if c.Kind == ByDate {
		f.maybeHeadsIn()
	}
}

// covered records that seg, a committed segment of the date collection c,
// holds the days it spans (see headIn).
func (f *fetcher) covered(c *Collection, seg span) {
	if c.Kind != ByDate {
		return
	}
	f.mu.Lock()
	if cs := f.colls[c]; cs != nil {
		cs.got = cs.got.add(seg)
	}
	f.mu.Unlock()
	f.maybeHeadsIn()
}

// headIn reports whether the date collection of cs has shown its head: the
// days it was planned for before f.headTo (none known: the whole
// collection) are all in committed segments. f.mu is held.
func (f *fetcher) headIn(cs *collState) bool {
	if f.headTo.IsZero() {
		return false
	}
	for _, s := range before(cs.planned, f.headTo) {
		if len(cs.got.subtract(s)) > 0 {
			return false
		}
	}
	return true
}

// maybeHeadsIn extends the time series back as soon as every date
// collection is done or has shown its head, the days before the first one
// the time series were planned from: the earliest day any of them holds is
// then known, so the time series need not wait for the rest of every date
// collection, and are complete, and built, as soon as their own windows
// are in.
func (f *fetcher) maybeHeadsIn() {
	f.mu.Lock()
	if !f.extend {
		f.mu.Unlock()
		return
	}
	for _, c := range f.order {
		if cs := f.colls[c]; c.Kind == ByDate && !cs.reported && !cs.skip && !f.headIn(cs) {
			f.mu.Unlock()
			return
		}
	}
	f.extend = false
	f.mu.Unlock()
	f.extendSeries()
}

// extendSeries extends the time series back to the earliest day the date
// collections showed, and marks them final.
func (f *fetcher) extendSeries() {
	f.mu.Lock()
	// The state's Earliest is written under f.mu as segments commit (the
	// date collections go on fetching while the time series are extended).
	start, hint, stored := f.early, f.hint, f.o.Store.State.Earliest
	f.mu.Unlock()
	if t := stored; !t.IsZero() && (start.IsZero() || t.Before(start)) {
		start = t
	}
	var js []*job
	var err error
	switch {
	case hint.IsZero():
		js, err = f.planInstants(start, time.Time{}, true)
	case !start.IsZero() && start.Before(hint):
		js, err = f.planInstants(start, hint, true)
	default:
		js, err = f.planInstants(hint, hint, true) // nothing more: mark final
	}
	if err != nil {
		f.seriesFailed(err)
	}
	f.add(js)
	for _, c := range f.order {
		if c.Kind == ByInstant {
			f.maybeDone(c)
		}
	}
}

// seriesFailed records err, why the time series could not be planned, on
// every time series not failed already.
func (f *fetcher) seriesFailed(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.order {
		if c.Kind == ByInstant && f.colls[c].res.Err == nil {
			f.colls[c].res.Err = err
		}
	}
}
