package sandbox

import (
	"fmt"
	"time"
)

// Date is a calendar date without a time zone: the local day Oura assigns a
// record to. It counts days since 1970-01-01, so dates compare and subtract
// as integers. The zero Date is 1970-01-01, which Options treats as "unset".
type Date int32

// ParseDate parses a YYYY-MM-DD date.
func ParseDate(s string) (Date, error) {
	y, m, d, ok := parseYMD(s)
	if !ok || len(s) != 10 {
		return 0, fmt.Errorf("invalid date %q: want YYYY-MM-DD", s)
	}
	return dateFromCivil(y, m, d), nil
}

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return dateFromCivil(y, int(m), d)
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return string(d.appendTo(make([]byte, 0, 10))) }

// AddDays returns d moved n days (n may be negative).
func (d Date) AddDays(n int) Date { return d + Date(n) }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	// 1970-01-01 was a Thursday.
	return time.Weekday((int(d)%7 + 7 + 4) % 7)
}

// civil returns the year, month and day of d.
func (d Date) civil() (y, m, day int) {
	// Howard Hinnant's days-to-civil algorithm.
	z := int64(d) + 719468
	era := z
	if z < 0 {
		era = z - 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd := doy - (153*mp+2)/5 + 1
	mm := mp + 3
	if mp >= 10 {
		mm = mp - 9
	}
	if mm <= 2 {
		yy++
	}
	return int(yy), int(mm), int(dd)
}

// dateFromCivil converts a proleptic Gregorian date to a Date. Out-of-range
// months and days are normalised the way time.Date does.
func dateFromCivil(y, m, d int) Date {
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		t := time.Date(y, time.Month(m), d, 12, 0, 0, 0, time.UTC)
		yy, mm, dd := t.Date()
		y, m, d = yy, int(mm), dd
	}
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy
	if yy < 0 {
		era = yy - 399
	}
	era /= 400
	yoe := yy - era*400
	mm := int64(m)
	var mp int64
	if mm > 2 {
		mp = mm - 3
	} else {
		mp = mm + 9
	}
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return Date(era*146097 + doe - 719468)
}

// at returns the instant of the local wall-clock time d 00:00 + sec seconds
// in loc (sec may be negative or exceed a day; DST gaps are resolved the way
// time.Date resolves them).
func (d Date) at(loc *time.Location, sec int) int64 {
	y, m, dd := d.civil()
	return time.Date(y, time.Month(m), dd, 0, 0, sec, 0, loc).Unix()
}

// appendTo appends YYYY-MM-DD.
func (d Date) appendTo(b []byte) []byte {
	y, m, dd := d.civil()
	return appendYMD(b, y, m, dd)
}

func appendYMD(b []byte, y, m, d int) []byte {
	if y < 0 || y > 9999 {
		return fmt.Appendf(b, "%04d-%02d-%02d", y, m, d)
	}
	return append(b,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-',
		byte('0'+d/10), byte('0'+d%10))
}

// parseYMD reads YYYY-MM-DD at the start of s and checks the day exists.
func parseYMD(s string) (y, m, d int, ok bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	y, ok1 := atoiN(s[0:4])
	m, ok2 := atoiN(s[5:7])
	d, ok3 := atoiN(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

func atoiN(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// floorMod is the non-negative remainder of a / b.
func floorMod(a, b int) int {
	r := a % b
	if r < 0 {
		r += b
	}
	return r
}

// appendLocal appends the wall-clock time of the instant unix (seconds) at the
// given UTC offset (seconds) as 2006-01-02T15:04:05+07:00, with .000
// milliseconds when millis is set.
func appendLocal(b []byte, unix int64, offset int, millis bool) []byte {
	local := unix + int64(offset)
	days := floorDiv64(local, 86400)
	sec := int(local - days*86400)
	b = Date(days).appendTo(b)
	h, mi, s := sec/3600, sec/60%60, sec%60
	b = append(b, 'T', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
	if millis {
		b = append(b, ".000"...)
	}
	return appendOffset(b, offset)
}

// appendOffset appends +07:00 style offsets.
func appendOffset(b []byte, offset int) []byte {
	sign := byte('+')
	if offset < 0 {
		sign = '-'
		offset = -offset
	}
	oh, om := offset/3600, offset/60%60
	return append(b, sign, byte('0'+oh/10), byte('0'+oh%10), ':', byte('0'+om/10), byte('0'+om%10))
}

func floorDiv64(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// offsetAt returns the UTC offset in seconds of loc at the instant unix.
func offsetAt(loc *time.Location, unix int64) int {
	_, off := time.Unix(unix, 0).In(loc).Zone()
	return off
}
