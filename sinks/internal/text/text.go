// Package text writes the text forms of unified values that the CSV and
// JSON sinks share, so that both spell a date, an instant or a float the
// same way. Every function appends to a byte slice and allocates nothing
// beyond its growth.
package text

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// Microseconds per unit of time.
const (
	microsPerSecond = 1_000_000
	microsPerDay    = 86_400 * microsPerSecond
)

// Civil returns the proleptic Gregorian calendar date of days since
// 1970-01-01. It is exact for |days| < 2^61.
func Civil(days int64) (year int64, month, day int) {
	// H. Hinnant's civil_from_days, with eras of 400 years.
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11]
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}

// Days returns the days since 1970-01-01 of a proleptic Gregorian date.
func Days(year int64, month, day int) int64 {
	y := year
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	m := int64(month)
	if m > 2 {
		m -= 3
	} else {
		m += 9
	}
	doy := (153*m+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// SplitMicros splits microseconds since the epoch into days since the epoch
// and microseconds into that day (floor division: the remainder is never
// negative).
func SplitMicros(micros int64) (days, rem int64) {
	days = micros / microsPerDay
	rem = micros % microsPerDay
	if rem < 0 {
		days--
		rem += microsPerDay
	}
	return days, rem
}

// Year returns the calendar year of a Date (days) or Timestamp
// (microseconds, UTC) value; timestamp says which.
func Year(v int64, timestamp bool) int64 {
	if timestamp {
		v, _ = SplitMicros(v)
	}
	y, _, _ := Civil(v)
	return y
}

// AppendDate appends days since 1970-01-01 as an ISO 8601 calendar date,
// YYYY-MM-DD. Years outside 0000..9999 take the expanded form with a sign
// (-0044-03-15, +10000-01-01).
func AppendDate(dst []byte, days int64) []byte {
	y, m, d := Civil(days)
	dst = appendYear(dst, y)
	return append(dst, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
}

func appendYear(dst []byte, y int64) []byte {
	if y >= 0 && y <= 9999 {
		return append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	}
	if y < 0 {
		dst = append(dst, '-')
		y = -y
	} else {
		dst = append(dst, '+')
	}
	for p := int64(1000); p > y; p /= 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, y, 10)
}

// AppendTimestamp appends microseconds since the epoch as an RFC 3339
// instant in UTC with a Z, with only as many fractional digits as needed:
// 2024-03-01T06:30:00Z, 2024-03-01T06:30:00.25Z, 2024-03-01T06:30:00.000001Z.
func AppendTimestamp(dst []byte, micros int64) []byte {
	days, rem := SplitMicros(micros)
	return appendClock(AppendDate(dst, days), rem)
}

// appendClock appends the time of day of rem microseconds after midnight
// ("T06:30:00.25Z") to a date.
func appendClock(dst []byte, rem int64) []byte {
	secs := rem / microsPerSecond
	frac := rem % microsPerSecond
	h, m, s := secs/3600, secs/60%60, secs%60
	dst = append(dst, 'T', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
	if frac != 0 {
		var digits [7]byte
		digits[0] = '.'
		for i := 6; i >= 1; i-- {
			digits[i] = byte('0' + frac%10)
			frac /= 10
		}
		n := 7
		for digits[n-1] == '0' {
			n--
		}
		dst = append(dst, digits[:n]...)
	}
	return append(dst, 'Z')
}

// Stamps writes dates and instants as AppendDate and AppendTimestamp do,
// remembering the text of the last day it wrote: rows come in time order,
// so most values share their day with the one before and skip the calendar
// arithmetic. The zero value is ready to use; a Stamps is not safe for
// concurrent use (a sink keeps its own).
type Stamps struct {
	day  int64
	n    int // bytes of text; 0 until a day is remembered
	text [12]byte
}

// AppendDate appends the date days after 1970-01-01, as AppendDate does.
func (st *Stamps) AppendDate(dst []byte, days int64) []byte {
	if st.n == 0 || days != st.day {
		d := AppendDate(st.text[:0], days)
		if len(d) > len(st.text) { // a year past 99999: not worth remembering
			st.n = 0
			return append(dst, d...)
		}
		st.day, st.n = days, len(d)
	}
	return append(dst, st.text[:st.n]...)
}

// AppendTimestamp appends an instant in microseconds since the epoch, as
// AppendTimestamp does.
func (st *Stamps) AppendTimestamp(dst []byte, micros int64) []byte {
	days, rem := SplitMicros(micros)
	return appendClock(st.AppendDate(dst, days), rem)
}

// smallInts holds the decimal text of 0 to 9999, four bytes each with
// leading zeros: sample numbers, heart rates and counts are small, and
// copying their text is cheaper than dividing them out.
var smallInts = func() (t [10000][4]byte) {
	for i := range t {
		t[i] = [4]byte{byte('0' + i/1000), byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)}
	}
	return t
}()

// AppendInt appends the decimal text of n, as strconv.AppendInt(dst, n, 10) does.
func AppendInt(dst []byte, n int64) []byte {
	if n < 0 || n >= 10000 {
		return strconv.AppendInt(dst, n, 10)
	}
	d := &smallInts[n]
	switch {
	case n >= 1000:
		return append(dst, d[:]...)
	case n >= 100:
		return append(dst, d[1:]...)
	case n >= 10:
		return append(dst, d[2:]...)
	}
	return append(dst, d[3])
}

// The spellings of the floats that have no decimal form. Go's strconv,
// Python's float(), pandas, polars and DuckDB all read them back.
const (
	NaN         = "NaN"
	Infinity    = "Infinity"
	NegInfinity = "-Infinity"
)

// AppendFloat appends f in the shortest form that reads back as the same
// float64, always with a decimal point or an exponent so that readers infer
// a float column (36 is written 36.0). Magnitudes below 1e-6 or from 1e21
// up use an exponent (1e-07, 1.5e+21), as JavaScript and JSON encoders do.
// NaN and the infinities are written NaN, Infinity and -Infinity.
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, NaN...)
	case math.IsInf(f, 1):
		return append(dst, Infinity...)
	case math.IsInf(f, -1):
		return append(dst, NegInfinity...)
	}
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(dst, f, 'e', -1, 64)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	for _, c := range dst[start:] {
		if c == '.' {
			return dst
		}
	}
	return append(dst, '.', '0')
}

// AppendBool appends true or false.
func AppendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes that stand for themselves inside a JSON string.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, other characters as they are, invalid UTF-8
// replaced by U+FFFD (as encoding/json does).
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendCompactJSON appends the JSON text s without the white space between
// its tokens, so that it fits on one line. s must be valid JSON (line breaks
// inside JSON strings are always escaped, so none remains).
func AppendCompactJSON(dst []byte, s string) []byte {
	inString, escaped := false, false
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			dst = append(dst, s[start:i]...)
			start = i + 1
		}
	}
	return append(dst, s[start:]...)
}

// Recent remembers, for each column, the last string written and its text,
// so that a value repeated down a column (a sample's parent id, an origin,
// a source) is copied rather than scanned and escaped again. The zero value
// is ready to use; a Recent is not safe for concurrent use.
type Recent struct {
	strs []string
	text [][]byte
	set  []bool
}

// Append appends the text encode gives for s in column col, from memory
// when col's last string was s. encode must always give the same text for
// the same string.
func (rc *Recent) Append(dst []byte, col int, s string, encode func([]byte, string) []byte) []byte {
	if col >= len(rc.strs) {
		n := col + 1
		rc.strs = append(rc.strs, make([]string, n-len(rc.strs))...)
		rc.text = append(rc.text, make([][]byte, n-len(rc.text))...)
		rc.set = append(rc.set, make([]bool, n-len(rc.set))...)
	}
	if rc.set[col] && rc.strs[col] == s {
		return append(dst, rc.text[col]...)
	}
	start := len(dst)
	dst = encode(dst, s)
	rc.strs[col], rc.set[col] = s, true
	rc.text[col] = append(rc.text[col][:0], dst[start:]...)
	return dst
}
