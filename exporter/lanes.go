package exporter

import (
	"time"
)

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

// minChain is the fewest pages a window split for idle workers is left
// with: each split costs a request (the last page of each part is short).
const minChain = 3

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
	if c.Kind == ByInstant {
		last = last.Truncate(time.Second) // windows are whole seconds (see fetchWindow)
	}
	if (c.Kind != ByDate && c.Kind != ByInstant) || first.IsZero() || !last.After(j.from) || j.to.Sub(last) < 2*unit {
		return false
	}
	perPage := (last.Sub(first) + unit) / time.Duration(pages)
	if perPage <= 0 {
		return false
	}
	remaining := int(j.to.Sub(last) / perPage)
	var parts int
	switch idle := f.q.idle(f.o.Workers); {
	case remaining > f.o.ChainLimit:
		parts = (remaining + f.o.ChainLimit - 1) / f.o.ChainLimit
	case idle > 0 && remaining >= 2*minChain:
		// Workers wait with nothing queued (the end of an export): the
		// rest of the chain is shared with them rather than walked alone.
		parts = min(idle+1, remaining/minChain)
	default:
		return false
	}
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
		more = append(more, &job{c: c, from: from, to: to, head: j.head})
		if to.Equal(j.to) {
			break
		}
	}
	f.add(more)
	return true
}
