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
		f.extend = f.extend && !extend
	}
	res := *cs.res
	f.mu.Unlock()
	f.o.Progress.Done(c.Name, res.Docs, res.Err)
	f.onDone(c)
	if extend {
		f.extendSeries()
	}
	if c.Kind == ByDate {
		f.maybeHeadsIn()
	}
}

// covered records that seg, a committed segment of the date collection c,
// holds the days it spans: the parts of the head (the days up to the first
// planned day of the time series) it covers are no longer awaited.
func (f *fetcher) covered(c *Collection, seg span) {
	f.mu.Lock()
	cs := f.colls[c]
	if c.Kind != ByDate || cs == nil {
		f.mu.Unlock()
		return
	}
	cs.got = cs.got.add(seg)
	if len(cs.head) == 0 {
		f.mu.Unlock()
		return
	}
	var left spans
	for _, x := range cs.head {
		left = append(left, spans{seg}.subtract(x)...)
	}
	cs.head = left
	f.mu.Unlock()
	f.maybeHeadsIn()
}

// maybeHeadsIn extends the time series back as soon as every date
// collection has shown its head, the days before the first one the time
// series were planned from (or is done): the earliest day any of them
// holds is then known, so the time series need not wait for the rest of
// every date collection, and are complete, and built, as soon as their own
// windows are in.
func (f *fetcher) maybeHeadsIn() {
	f.mu.Lock()
	if !f.extend || f.headTo.IsZero() {
		f.mu.Unlock()
		return
	}
	for _, c := range f.order {
		if cs := f.colls[c]; c.Kind == ByDate && !cs.reported && !cs.skip && len(cs.head) > 0 {
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
