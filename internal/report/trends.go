package report

import (
	"math"
)

// valueFormat says how a trend's values are written.
type valueFormat uint8

const (
	// oneDecimal writes 78.4.
	oneDecimal valueFormat = iota
	// whole writes 8,412.
	whole
	// hoursMinutes writes seconds as 7 h 12 min.
	hoursMinutes
)

// trendDef is a metric the report summarises.
type trendDef struct {
	key, name, unit, what string
	format                valueFormat
	// values returns the metric by day.
	values func(f *facts) map[Day]float64
}

var trendDefs = []trendDef{
	{key: "sleep_score", name: "Sleep score", what: "daily_sleep.score", format: oneDecimal,
		values: func(f *facts) map[Day]float64 { return f.sleepScore }},
	{key: "readiness", name: "Readiness score", what: "daily_readiness.score", format: oneDecimal,
		values: func(f *facts) map[Day]float64 { return f.readiness }},
	{key: "activity_score", name: "Activity score", what: "daily_activity.score", format: oneDecimal,
		values: func(f *facts) map[Day]float64 { return f.activityScore }},
	{key: "total_sleep", name: "Total sleep", what: "sleep.total_sleep_duration of the day's long sleep periods", format: hoursMinutes,
		values: func(f *facts) map[Day]float64 { return f.total }},
	{key: "resting_hr", name: "Resting heart rate", unit: "bpm", what: "the lowest sleep.lowest_heart_rate of the day's long sleep periods", format: oneDecimal,
		values: func(f *facts) map[Day]float64 { return f.rhr }},
	{key: "hrv", name: "Heart rate variability", unit: "ms", what: "the mean sleep.average_hrv of the day's long sleep periods", format: whole,
		values: func(f *facts) map[Day]float64 {
			out := make(map[Day]float64, len(f.hrvN))
			for d, n := range f.hrvN {
				out[d] = f.hrvSum[d] / n
			}
			return out
		}},
	{key: "steps", name: "Steps", what: "daily_activity.steps, on days with an activity score (the ring worn)", format: whole,
		values: func(f *facts) map[Day]float64 {
			out := make(map[Day]float64, len(f.steps))
			for d, n := range f.steps {
				if _, ok := f.activityScore[d]; ok {
					out[d] = n
				}
			}
			return out
		}},
}

// trends summarises every metric the export has values of, over p.
func trends(f *facts, p Period) []*Trend {
	var out []*Trend
	for _, def := range trendDefs {
		vals := def.values(f)
		t := &Trend{Key: def.key, Name: def.name, Unit: def.unit, Format: def.format, What: def.what}
		var sum float64
		for i := range p.Days() {
			if v, ok := vals[p.First+Day(i)]; ok {
				sum += v
				t.Days++
			}
		}
		if t.Days == 0 {
			continue
		}
		t.Mean = sum / float64(t.Days)
		t.Weekly = means(vals, p, Day.weekStart, func(d Day) Day { return d.weekStart() + 7 })
		t.Monthly = means(vals, p, Day.monthStart, Day.nextMonth)
		out = append(out, t)
	}
	return out
}

// means returns the mean of vals over each span of p (weeks or months:
// start gives a day's span, next the start of the following one), over the
// days with a value; spans without one are left out.
func means(vals map[Day]float64, p Period, start, next func(Day) Day) []Point {
	var out []Point
	for from := start(p.First); from <= p.Last; from = next(from) {
		to := min(next(from)-1, p.Last)
		var sum float64
		n := 0
		for d := max(from, p.First); d <= to; d++ {
			if v, ok := vals[d]; ok {
				sum += v
				n++
			}
		}
		if n > 0 {
			out = append(out, Point{From: max(from, p.First), To: to, Mean: sum / float64(n), Days: n})
		}
	}
	return out
}

// stages returns the monthly means of the sleep stages, in hours a night,
// over the nights with a long sleep period.
func stages(f *facts, p Period) []StageMonth {
	var out []StageMonth
	for from := p.First.monthStart(); from <= p.Last; from = from.nextMonth() {
		to := min(from.nextMonth()-1, p.Last)
		m := StageMonth{From: max(from, p.First), To: to}
		for d := m.From; d <= to; d++ {
			if _, ok := f.total[d]; !ok {
				continue
			}
			m.Nights++
			m.Deep += f.deep[d]
			m.Light += f.light[d]
			m.REM += f.rem[d]
			m.Wake += f.awake[d]
		}
		if m.Nights == 0 {
			continue
		}
		n := float64(m.Nights) * 3600
		m.Deep, m.Light, m.REM, m.Wake = m.Deep/n, m.Light/n, m.REM/n, m.Wake/n
		out = append(out, m)
	}
	return out
}

// finite reports whether x is a number.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
