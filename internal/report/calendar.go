package report

import (
	"math"
	"slices"
	"strings"

	"github.com/ouraexport/ouraexport/schema"
)

// groupDef is a group of collections shown as one coverage calendar.
type groupDef struct {
	key, name, shade string
	tables           []string
	events           bool
	// level returns how much data a day has, from 0 (none) to 1 (all
	// that is expected), given the tables the export has.
	level func(f *facts, d Day, has []string) float64
}

// Thresholds of the calendars' shades.
const (
	// fullBed is the time in bed that shades a night fully.
	fullBed = 8 * 3600.0
	// fullHeartRate is a day's heart-rate samples at one every 5 minutes.
	fullHeartRate = 288.0
	// fullBattery is a day's battery readings that shade it fully (one
	// every 30 minutes).
	fullBattery = 48.0
	// notWornSeconds is the non-wear time from which a day counts as not
	// worn: 20 of its 24 hours off the finger.
	notWornSeconds = 20 * 3600.0
)

var groupDefs = []groupDef{
	{key: "scores", name: "Daily scores", shade: "how many of the sleep, readiness and activity scores the day has",
		tables: []string{"daily_sleep", "daily_readiness", "daily_activity"},
		level: func(f *facts, d Day, _ []string) float64 {
			n := 0.0
			for _, m := range []map[Day]float64{f.sleepScore, f.readiness, f.activityScore} {
				if _, ok := m[d]; ok {
					n++
				}
			}
			return n / 3
		}},
	{key: "sleep", name: "Sleep", shade: "time in bed, up to 8 hours", tables: []string{"sleep"},
		level: func(f *facts, d Day, _ []string) float64 {
			return ratio(f.inBed[d], fullBed, f.tables["sleep"].perDay[d])
		}},
	{key: "activity", name: "Activity", shade: "the time the ring was worn, from the activity record",
		tables: []string{"daily_activity"},
		level: func(f *facts, d Day, _ []string) float64 {
			if f.tables["daily_activity"].perDay[d] == 0 {
				return 0
			}
			nw, ok := f.nonWear[d]
			if !ok {
				return 1
			}
			return math.Max(0, 1-nw/86400)
		}},
	{key: "heartrate", name: "Heart rate", shade: "samples, up to one every 5 minutes", tables: []string{"heartrate"},
		level: func(f *facts, d Day, _ []string) float64 {
			n := float64(f.tables["heartrate"].perDay[d])
			return ratio(n, fullHeartRate, int32(n))
		}},
	{key: "daily", name: "Other daily metrics", shade: "how many of SpO2, stress, resilience, cardiovascular age and bedtime guidance the day has",
		tables: []string{"daily_spo2", "daily_stress", "daily_resilience", "daily_cardiovascular_age", "sleep_time"},
		level: func(f *facts, d Day, has []string) float64 {
			n := 0.0
			for _, t := range has {
				if f.tables[t].perDay[d] > 0 {
					n++
				}
			}
			return n / float64(len(has))
		}},
	{key: "battery", name: "Ring battery", shade: "battery readings, up to one every 30 minutes", tables: []string{"ring_battery_level"},
		level: func(f *facts, d Day, _ []string) float64 {
			n := float64(f.tables["ring_battery_level"].perDay[d])
			return ratio(n, fullBattery, int32(n))
		}},
	{key: "events", name: "Workouts, sessions and tags", shade: "the number of records", events: true,
		tables: []string{"workout", "session", "tag", "enhanced_tag", "vo2_max", "rest_mode_period"},
		level: func(f *facts, d Day, has []string) float64 {
			n := 0.0
			for _, t := range has {
				n += float64(f.tables[t].perDay[d])
			}
			return n / 4
		}},
}

// ratio is x/full, at most 1, and above 0 whenever the day has records.
func ratio(x, full float64, records int32) float64 {
	r := math.Min(1, x/full)
	if records > 0 && r <= 0 {
		r = 0.01
	}
	return r
}

// levelOf turns a share of what is expected into a shade, 0 to 4.
func levelOf(x float64) uint8 {
	switch {
	case !(x > 0):
		return 0
	case x >= 1:
		return 4
	}
	return uint8(min(4, max(1, math.Ceil(x*4))))
}

// notWorn reports whether the ring was not worn on day d: its activity
// record shows the ring off the finger for at least 20 of the 24 hours,
// and no sleep was recorded.
func (f *facts) notWorn(d Day) bool {
	nw, ok := f.nonWear[d]
	if !ok || nw < notWornSeconds {
		return false
	}
	if t := f.tables["sleep"]; t != nil && t.perDay[d] > 0 {
		return false
	}
	return true
}

// calendars builds the coverage calendar of every group the export has,
// and the gaps, with the reasons the export knows: the days the ring was
// not worn, and the collections the manifest's notes say were refused.
func calendars(f *facts, p Period, refused map[string]string) ([]*Group, []Gap, int) {
	var groups []*Group
	var gaps []Gap
	days := p.Days()
	notWorn := 0
	for i := range days {
		if f.notWorn(p.First + Day(i)) {
			notWorn++
		}
	}
	for _, def := range groupDefs {
		var has []string
		for _, t := range def.tables {
			if f.tables[t] != nil {
				has = append(has, t)
			}
		}
		if len(has) == 0 {
			continue
		}
		g := &Group{Key: def.key, Name: def.name, Shade: def.shade, Tables: has, Events: def.events,
			Levels: make([]uint8, days), Kinds: make([]Kind, days)}
		last := Day(math.MinInt64)
		for i := range days {
			d := p.First + Day(i)
			any := false
			for _, t := range has {
				if n := f.tables[t].perDay[d]; n > 0 {
					g.Records += int64(n)
					any = true
				}
			}
			if any {
				g.DaysWith++
			}
			g.Levels[i] = levelOf(def.level(f, d, has))
			if g.Levels[i] > 0 {
				last = d
			}
		}
		why := refusal(has, refused)
		var reasons []string
		for i := range days {
			if def.events || g.Levels[i] > 0 {
				reasons = append(reasons, "")
				continue
			}
			d := p.First + Day(i)
			kind, reason := Missing, "No records"
			switch {
			case f.notWorn(d):
				kind, reason = NotWorn, notWornReason
			case def.key == "sleep" && f.notWorn(d-1):
				kind, reason = NotWorn, nightAfter
			case why != "" && d > last:
				kind, reason = Refused, why
			case why != "":
				reason = "No records; in the last run, " + why
			}
			g.Kinds[i] = kind
			reasons = append(reasons, reason)
		}
		gaps = append(gaps, runs(g, p, reasons)...)
		groups = append(groups, g)
	}
	return groups, mergeGaps(gaps), notWorn
}

// Reasons of the days without the ring.
const (
	notWornReason = "Ring not worn"
	nightAfter    = "No night recorded: the ring was off the evening before"
)

// refusal returns what the notes say about the collections of tables
// (one sentence, "" when nothing).
func refusal(tables []string, refused map[string]string) string {
	var out []string
	for _, t := range tables {
		tb := schema.Lookup(t)
		if r, ok := refused[tb.Collection]; ok && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return strings.Join(out, "; ")
}

// runs returns a group's gaps: runs of days with the same reason.
func runs(g *Group, p Period, reasons []string) []Gap {
	var out []Gap
	for i := 0; i < len(reasons); {
		if reasons[i] == "" {
			i++
			continue
		}
		j := i
		for j+1 < len(reasons) && reasons[j+1] == reasons[i] && g.Kinds[j+1] == g.Kinds[i] {
			j++
		}
		out = append(out, Gap{From: p.First + Day(i), To: p.First + Day(j), Groups: []string{g.Name}, Kind: g.Kinds[i], Reason: reasons[i]})
		i = j + 1
	}
	return out
}

// mergeGaps lists each range once with every group that misses it, in
// order of days.
func mergeGaps(gaps []Gap) []Gap {
	type key struct {
		from, to Day
		reason   string
	}
	at := map[key]int{}
	var out []Gap
	for _, g := range gaps {
		k := key{g.From, g.To, g.Reason}
		if i, ok := at[k]; ok {
			out[i].Groups = append(out[i].Groups, g.Groups...)
			continue
		}
		at[k] = len(out)
		out = append(out, g)
	}
	slices.SortStableFunc(out, func(a, b Gap) int {
		if a.From != b.From {
			return int(a.From - b.From)
		}
		return int(a.To - b.To)
	})
	return out
}

// refusals reads the manifest's notes on incomplete collections
// ("<collection> is incomplete: <why>"), by collection.
func refusals(notes []string) map[string]string {
	out := map[string]string{}
	for _, n := range notes {
		coll, why, ok := strings.Cut(n, " is incomplete: ")
		if ok && !strings.Contains(coll, " ") {
			out[coll] = why
		}
	}
	return out
}
