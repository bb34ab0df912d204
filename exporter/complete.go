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
	}
	res := *cs.res
	f.mu.Unlock()
	f.o.Progress.Done(c.Name, res.Docs, res.Err)
	f.onDone(c)
	if extend {
		// The date collections are in: extend the time series back to the
		// earliest day they showed.
		f.mu.Lock()
		start, hint := f.early, f.hint
		f.mu.Unlock()
		if t := f.o.Store.State.Earliest; !t.IsZero() && (start.IsZero() || t.Before(start)) {
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
}
