package report

import (
	"context"
	"math"

	"github.com/ouraexport/ouraexport/schema"
)

// facts are what the report reads from the rows: per table its extent and
// rows per day, per day the values the trends and calendars need.
type facts struct {
	tl      offsets
	tables  map[string]*tableFacts
	origins map[string]int64
	// unread says which files could not be read, and why.
	unread []string
	// Per day: the daily scores, steps, the ring's non-wear time (s).
	sleepScore, readiness, activityScore, steps, nonWear map[Day]float64
	// Per day, over its sleep periods: time in bed (s, every period).
	inBed map[Day]float64
	// Per day, over its long sleep periods: durations (s), the lowest heart
	// rate, and the HRV sum and count.
	total, deep, light, rem, awake, rhr map[Day]float64
	hrvSum, hrvN                        map[Day]float64
}

// tableFacts are what the rows of one table say.
type tableFacts struct {
	t    *schema.Table
	rows int64
	// first and last are the first and last days of its records.
	first, last Day
	dated       bool
	// firstUs and lastUs are its first and last instants (time series),
	// with the offsets their rows carry.
	firstUs, lastUs   int64
	firstOff, lastOff int
	timed             bool
	perDay            map[Day]int32
	origins           map[string]int64
}

func newFacts() *facts {
	m := func() map[Day]float64 { return map[Day]float64{} }
	return &facts{tables: map[string]*tableFacts{}, origins: map[string]int64{},
		sleepScore: m(), readiness: m(), activityScore: m(), steps: m(), nonWear: m(), inBed: m(),
		total: m(), deep: m(), light: m(), rem: m(), awake: m(), rhr: m(), hrvSum: m(), hrvN: m()}
}

// spec says which columns of a table the report needs beyond the one that
// dates it and origin, and what it does with them.
type spec struct {
	cols []string
	row  func(f *facts, d Day, v []value)
	// reset forgets what row recorded, for a table that could not be read.
	reset func(f *facts)
}

var specs = map[string]spec{
	"daily_activity": {[]string{"timestamp", "timestamp_utc_offset", "score", "steps", "non_wear_time"}, func(f *facts, d Day, v []value) {
		if v[0].ok && v[1].ok {
			f.tl.add(v[0].i, int(v[1].i))
		}
		set(f.activityScore, d, v[2])
		set(f.steps, d, v[3])
		set(f.nonWear, d, v[4])
	}, func(f *facts) { f.tl = offsets{}; clear(f.activityScore); clear(f.steps); clear(f.nonWear) }},
	"daily_sleep":     {[]string{"score"}, func(f *facts, d Day, v []value) { set(f.sleepScore, d, v[0]) }, func(f *facts) { clear(f.sleepScore) }},
	"daily_readiness": {[]string{"score"}, func(f *facts, d Day, v []value) { set(f.readiness, d, v[0]) }, func(f *facts) { clear(f.readiness) }},
	"sleep": {[]string{"type", "time_in_bed", "total_sleep_duration", "deep_sleep_duration", "light_sleep_duration",
		"rem_sleep_duration", "awake_time", "lowest_heart_rate", "average_hrv"}, func(f *facts, d Day, v []value) {
		if v[1].ok {
			f.inBed[d] += v[1].f
		}
		if v[0].s != "long_sleep" {
			return
		}
		for i, m := range []map[Day]float64{f.total, f.deep, f.light, f.rem, f.awake} {
			if x := v[2+i]; x.ok {
				m[d] += x.f
			}
		}
		if x := v[7]; x.ok {
			if old, ok := f.rhr[d]; !ok || x.f < old {
				f.rhr[d] = x.f
			}
		}
		if x := v[8]; x.ok {
			f.hrvSum[d] += x.f
			f.hrvN[d]++
		}
	}, func(f *facts) {
		for _, m := range []map[Day]float64{f.inBed, f.total, f.deep, f.light, f.rem, f.awake, f.rhr, f.hrvSum, f.hrvN} {
			clear(m)
		}
	}},
}

// set records a value of a day, unless it is null.
func set(m map[Day]float64, d Day, v value) {
	if v.ok && !math.IsNaN(v.f) {
		m[d] = v.f
	}
}

// collect reads every top-level table the source has: daily_activity
// first, since its offsets place the instants of time series on local days.
func (s *Source) collect(ctx context.Context, parts map[string][]part) (*facts, error) {
	f := newFacts()
	var order []*schema.Table
	if _, ok := parts["daily_activity"]; ok {
		order = append(order, schema.Lookup("daily_activity"))
	}
	for _, t := range schema.Tables() {
		if _, ok := parts[t.Name]; ok && t.Parent == "" && t.Name != "daily_activity" {
			order = append(order, t)
		}
	}
	for _, t := range order {
		if err := s.collectTable(ctx, f, t, parts[t.Name]); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// A damaged file costs its table, not the report.
			f.unread = append(f.unread, err.Error())
			delete(f.tables, t.Name)
			if sp := specs[t.Name]; sp.reset != nil {
				sp.reset(f)
			}
			continue
		}
		for o, n := range f.tables[t.Name].origins {
			f.origins[o] += n
		}
		if t.Name == "daily_activity" {
			f.tl.sort()
		}
	}
	return f, nil
}

// collectTable reads one table's rows into f.
func (s *Source) collectTable(ctx context.Context, f *facts, t *schema.Table, ps []part) error {
	tf := &tableFacts{t: t, perDay: map[Day]int32{}, origins: map[string]int64{}}
	f.tables[t.Name] = tf
	var cols []string
	dated, timed := t.DatedBy != "", false
	if dated {
		cols = append(cols, t.DatedBy)
		timed = t.Columns[t.MustIndex(t.DatedBy)].Type == schema.Timestamp
		if timed {
			cols = append(cols, t.DatedBy+"_utc_offset")
		}
	}
	cols = append(cols, "origin")
	base := len(cols)
	sp := specs[t.Name]
	cols = append(cols, sp.cols...)
	return s.scan(ctx, t, ps, cols, func(v []value) {
		tf.rows++
		tf.origins[v[base-1].s]++
		if !dated || !v[0].ok {
			return
		}
		var d Day
		if timed {
			us, off := v[0].i, int(v[1].i)
			d = f.tl.localDay(us, off)
			if !tf.timed || us < tf.firstUs {
				tf.firstUs, tf.firstOff = us, off
			}
			if !tf.timed || us > tf.lastUs {
				tf.lastUs, tf.lastOff = us, off
			}
			tf.timed = true
		} else {
			d = Day(v[0].i)
		}
		if !tf.dated || d < tf.first {
			tf.first = d
		}
		if !tf.dated || d > tf.last {
			tf.last = d
		}
		tf.dated = true
		tf.perDay[d]++
		if sp.row != nil {
			sp.row(f, d, v[base:])
		}
	})
}
