package schema

import (
	"errors"
	"strconv"
)

// ErrTimeFormat is returned (wrapped) by ParseDate and ParseDateTime for text
// that is not a date or date-time they accept.
var ErrTimeFormat = errors.New("not a valid date or time")

// ParseDate parses an ISO 8601 calendar date, YYYY-MM-DD, into days since
// 1970-01-01 (the value of a Date column).
func ParseDate(s string) (days int64, err error) {
	if len(s) != 10 {
		return 0, timeError(s)
	}
	y, m, d, ok := parseYMD(s)
	if !ok {
		return 0, timeError(s)
	}
	return daysFromCivil(y, m, d), nil
}

// ParseDateTime parses one of the date-time forms Oura uses into microseconds
// since the Unix epoch, UTC (the value of a Timestamp column), and the offset
// from UTC the text was stamped with, in minutes east of UTC.
//
// It accepts YYYY-MM-DDTHH:MM[:SS[.fraction]] followed by Z, ±HH:MM, ±HHMM or
// ±HH, or by nothing at all (Oura's LocalDateTime). A space may stand for the
// T. Without an offset, hasOffset is false and micros holds the wall-clock
// time as if it were UTC. A fraction may have up to nine digits, but digits
// below the microsecond must be zero: ParseDateTime never rounds.
func ParseDateTime(s string) (micros int64, offset int, hasOffset bool, err error) {
	micros, offset, hasOffset, ok := parseDateTime(s)
	if !ok {
		return 0, 0, false, timeError(s)
	}
	return micros, offset, hasOffset, nil
}

func timeError(s string) error {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return &timeErr{s}
}

type timeErr struct{ s string }

func (e *timeErr) Error() string { return strconv.Quote(e.s) + ": " + ErrTimeFormat.Error() }
func (e *timeErr) Unwrap() error { return ErrTimeFormat }

// parseDateTime is ParseDateTime without allocation; it takes any string-like
// input so the mapper can pass bytes of a document.
func parseDateTime[T string | []byte](s T) (micros int64, offset int, hasOffset, ok bool) {
	if len(s) < 16 {
		return 0, 0, false, false
	}
	y, mo, d, ok := parseYMD(s[:10])
	if !ok {
		return 0, 0, false, false
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return 0, 0, false, false
	}
	hh, ok1 := num2(s[11], s[12])
	mm, ok2 := num2(s[14], s[15])
	if !ok1 || !ok2 || s[13] != ':' || hh > 23 || mm > 59 {
		return 0, 0, false, false
	}
	i := 16
	var ss, frac int64
	if i < len(s) && s[i] == ':' {
		if i+3 > len(s) {
			return 0, 0, false, false
		}
		v, ok := num2(s[i+1], s[i+2])
		if !ok || v > 59 {
			return 0, 0, false, false
		}
		ss = v
		i += 3
		if i < len(s) && (s[i] == '.' || s[i] == ',') {
			i++
			n := 0
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				dg := int64(s[i] - '0')
				switch {
				case n < 6:
					frac = frac*10 + dg
				case dg != 0:
					return 0, 0, false, false // finer than a microsecond: would round
				}
				n++
				i++
			}
			if n == 0 || n > 9 {
				return 0, 0, false, false
			}
			for ; n < 6; n++ {
				frac *= 10
			}
		}
	}
	off := 0
	switch {
	case i == len(s):
	case s[i] == 'Z' || s[i] == 'z':
		hasOffset = true
		i++
	case s[i] == '+' || s[i] == '-':
		sign := 1
		if s[i] == '-' {
			sign = -1
		}
		rest := len(s) - i - 1
		var oh, om int64
		var ok bool
		switch rest {
		case 2:
			oh, ok = num2(s[i+1], s[i+2])
		case 4:
			var ok2 bool
			oh, ok = num2(s[i+1], s[i+2])
			om, ok2 = num2(s[i+3], s[i+4])
			ok = ok && ok2
		case 5:
			var ok2 bool
			oh, ok = num2(s[i+1], s[i+2])
			om, ok2 = num2(s[i+4], s[i+5])
			ok = ok && ok2 && s[i+3] == ':'
		}
		if !ok || oh > 23 || om > 59 {
			return 0, 0, false, false
		}
		off = sign * int(oh*60+om)
		hasOffset = true
		i = len(s)
	default:
		return 0, 0, false, false
	}
	if i != len(s) {
		return 0, 0, false, false
	}
	secs := daysFromCivil(y, mo, d)*86400 + hh*3600 + mm*60 + ss - int64(off)*60
	return secs*1_000_000 + frac, off, hasOffset, true
}

func parseYMD[T string | []byte](s T) (y, m, d int64, ok bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	y1, ok1 := num2(s[0], s[1])
	y2, ok2 := num2(s[2], s[3])
	m, ok3 := num2(s[5], s[6])
	d, ok4 := num2(s[8], s[9])
	if !ok1 || !ok2 || !ok3 || !ok4 || m < 1 || m > 12 || d < 1 {
		return 0, 0, 0, false
	}
	y = y1*100 + y2
	if d > daysIn(y, m) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

func num2(a, b byte) (int64, bool) {
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return 0, false
	}
	return int64(a-'0')*10 + int64(b-'0'), true
}

func daysIn(y, m int64) int64 {
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

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
