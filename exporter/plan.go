package exporter

import (
	"time"
)

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
		if c.Kind != ByInstant || f.colls[c].skip {
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
