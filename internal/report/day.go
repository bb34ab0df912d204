package report

import (
	"sort"
	"time"
)

// Day is a calendar day, as days since 1970-01-01: the user's local day,
// as Oura assigns it (the value of a Date column).
type Day int64

// dayOf returns the day of a calendar date.
func dayOf(t time.Time) Day {
	y, m, d := t.Date()
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// parseDay parses YYYY-MM-DD.
func parseDay(s string) (Day, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, false
	}
	return dayOf(t), true
}

// Time returns midnight of d, UTC.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String returns d as YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

// monthStart returns the first day of d's month.
func (d Day) monthStart() Day {
	y, m, _ := d.Time().Date()
	return dayOf(time.Date(y, m, 1, 0, 0, 0, 0, time.UTC))
}

// nextMonth returns the first day of the month after d's.
func (d Day) nextMonth() Day {
	y, m, _ := d.Time().Date()
	return dayOf(time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC))
}

// weekStart returns the Monday of d's ISO week.
func (d Day) weekStart() Day {
	wd := (int64(d) + 3) % 7 // 1970-01-01 was a Thursday: Monday is 0
	if wd < 0 {
		wd += 7
	}
	return d - Day(wd)
}

// microsPerDay is the number of microseconds in a day.
const microsPerDay = 86_400_000_000

// floorDay returns the day of microseconds since the epoch.
func floorDay(us int64) Day {
	d := us / microsPerDay
	if us%microsPerDay < 0 {
		d--
	}
	return Day(d)
}

// offsets is the user's offset from UTC over time, as the activity days
// record it (each starts at 04:00 local time, with its offset), so that
// instants stamped in UTC (heart rate, battery) fall on the user's local
// day.
type offsets struct {
	at  []int64 // instants (µs), ascending
	min []int   // offset from UTC in minutes east, from at[i] on
}

// add records that from instant us on, the offset was min minutes.
func (o *offsets) add(us int64, min int) {
	o.at = append(o.at, us)
	o.min = append(o.min, min)
}

// sort puts the offsets in time order.
func (o *offsets) sort() {
	idx := make([]int, len(o.at))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return o.at[idx[a]] < o.at[idx[b]] })
	at, min := make([]int64, len(idx)), make([]int, len(idx))
	for i, j := range idx {
		at[i], min[i] = o.at[j], o.min[j]
	}
	o.at, o.min = at, min
}

// localDay returns the user's local day of instant us: at the offset in
// force then (the latest recorded at or before it, else the first), or at
// own, the offset the row carries, when nothing is recorded.
func (o *offsets) localDay(us int64, own int) Day {
	if len(o.at) == 0 {
		return floorDay(us + int64(own)*60_000_000)
	}
	i := sort.Search(len(o.at), func(i int) bool { return o.at[i] > us }) - 1
	if i < 0 {
		i = 0
	}
	return floorDay(us + int64(o.min[i])*60_000_000)
}

// formatInstant writes an instant in the offset it was stamped with:
// 2024-05-01 06:12 +03:00.
func formatInstant(us int64, offsetMin int) string {
	t := time.UnixMicro(us).In(time.FixedZone("", offsetMin*60))
	return t.Format("2006-01-02 15:04 -07:00")
}
