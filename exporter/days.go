package exporter

import (
	"time"

	"github.com/ouraexport/ouraexport/schema"
)

// The range of days an export asked for (--since, --until) is kept exactly:
// the fetch reaches beyond it on purpose (a day of margin for time zones,
// v1's summary_date a day before the day it stands for, windows padded for
// the server's boundary semantics), and the build trims what it wrote to
// the range, row by row, whatever the server sent around the edges.
//
// The day of a row is the value of its table's dated column
// (schema.Table.DatedBy): a date ("day", "start_day") as Oura assigns it, or
// for time series (heartrate, ring_battery_level) the calendar date of the
// sample's timestamp as Oura stamped it, which is the date of timestamp +
// timestamp_utc_offset. Oura stamps those samples in UTC, so their day is
// the UTC date. A row's child rows go with it.

// days is an inclusive range of days since 1970-01-01; an end is open when
// its flag is unset.
type days struct {
	from, to       int64
	hasFrom, hasTo bool
}

// dayRange returns the range since..until (inclusive; zero: open).
func dayRange(since, until time.Time) days {
	var d days
	if !since.IsZero() {
		d.from, d.hasFrom = epochDay(since), true
	}
	if !until.IsZero() {
		d.to, d.hasTo = epochDay(until), true
	}
	return d
}

// bounded reports whether the range has an end.
func (d days) bounded() bool { return d.hasFrom || d.hasTo }

func (d days) holds(day int64) bool {
	return (!d.hasFrom || day >= d.from) && (!d.hasTo || day <= d.to)
}

// epochDay returns the days since 1970-01-01 of t's date (in t's location).
func epochDay(t time.Time) int64 {
	y, m, dd := t.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// stampedDay reads the date that starts an ISO 8601 date or date-time:
// the date as stamped, in the offset the value carries.
func stampedDay(s string) (int64, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	num := func(b string) (int, bool) {
		n := 0
		for _, c := range []byte(b) {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(s[0:4])
	m, ok2 := num(s[5:7])
	dd, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || dd < 1 || dd > 31 {
		return 0, false
	}
	return time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC).Unix() / 86400, true
}

// holdsDoc reports whether a v2 document of c lies on a day of the range:
// its key field is its table's dated column. A document without a
// readable key is kept (the mapper keeps what it can of it).
func (d days) holdsDoc(c *Collection, doc []byte) bool {
	if !d.bounded() || (c.Kind != ByDate && c.Kind != ByInstant) {
		return true
	}
	v, err := topLevelStrings(doc, c.Key)
	if err != nil || v[0] == "" {
		return true
	}
	day, ok := stampedDay(v[0])
	return !ok || d.holds(day)
}

// datedColumns locates a table's dated column and, for an instant, its
// offset; -1 when absent.
type datedColumns struct{ col, offset int }

// holdsRow reports whether row i of top-level batch b lies on a day of the
// range. A row whose dated column is null is kept.
func (d days) holdsRow(b *schema.Batch, i int, dc datedColumns) bool {
	if !d.bounded() || dc.col < 0 {
		return true
	}
	v := &b.Cols[dc.col]
	if !v.Valid[i] {
		return true
	}
	if v.Type == schema.Date {
		return d.holds(v.Int[i])
	}
	us := v.Int[i]
	if dc.offset >= 0 && b.Cols[dc.offset].Valid[i] {
		us += b.Cols[dc.offset].Int[i] * int64(time.Minute/time.Microsecond)
	}
	const perDay = int64(24 * time.Hour / time.Microsecond)
	day := us / perDay
	if us < 0 && us%perDay != 0 {
		day--
	}
	return d.holds(day)
}

// datedOf returns where t's dated column is.
func datedOf(t *schema.Table) datedColumns {
	dc := datedColumns{col: -1, offset: -1}
	if t.DatedBy == "" {
		return dc
	}
	dc.col = t.Index(t.DatedBy)
	if dc.col >= 0 && t.Columns[dc.col].Type == schema.Timestamp {
		dc.offset = t.Index(t.DatedBy + "_utc_offset")
	}
	return dc
}
