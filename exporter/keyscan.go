package exporter

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/ouraexport/ouraexport/internal/jsonscan"
)

var errNotObject = errors.New("not a JSON object")

// topLevelStrings returns the values of the named top-level fields of the
// JSON object doc, when they are strings ("" when absent, null or not a
// string). It scans the document once without building it, stopping as soon
// as every name is found: keys and ids are read from every document of a
// page, and a daily_activity document carries 1440 MET values we need not
// parse here. It does not validate the parts it skips.
func topLevelStrings(doc []byte, names ...string) ([]string, error) {
	vals := make([]string, len(names))
	found := 0
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return nil, errNotObject
	}
	i++
	for {
		i = skipSpace(doc, i)
		if i >= len(doc) {
			return nil, errNotObject
		}
		if doc[i] == '}' {
			return vals, nil
		}
		if doc[i] == ',' {
			i++
			continue
		}
		if doc[i] != '"' {
			return nil, errNotObject
		}
		kEnd, err := skipString(doc, i)
		if err != nil {
			return nil, err
		}
		key := doc[i+1 : kEnd-1]
		i = skipSpace(doc, kEnd)
		if i >= len(doc) || doc[i] != ':' {
			return nil, errNotObject
		}
		i = skipSpace(doc, i+1)
		want := -1
		for n, name := range names {
			if vals[n] == "" && string(key) == name {
				want = n
				break
			}
		}
		if want >= 0 && i < len(doc) && doc[i] == '"' {
			end, err := skipString(doc, i)
			if err != nil {
				return nil, err
			}
			raw := doc[i:end]
			if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
				vals[want] = string(raw[1 : len(raw)-1])
			} else if err := json.Unmarshal(raw, &vals[want]); err != nil {
				return nil, err
			}
			found++
			if found == len(names) {
				return vals, nil
			}
			i = end
			continue
		}
		i, err = skipValue(doc, i)
		if err != nil {
			return nil, err
		}
	}
}

func skipSpace(b []byte, i int) int { return jsonscan.Space(b, i) }

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) { return scanned(jsonscan.String(b, i)) }

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) (int, error) { return scanned(jsonscan.Value(b, i)) }

func scanned(end int, ok bool) (int, error) {
	if !ok {
		return 0, errNotObject
	}
	return end, nil
}

// docKey reads where a document belongs in time. It runs for every
// document fetched and built, so it reads the key in place: the common
// forms are parsed without allocating, anything else as time.Parse does.
func docKey(c *Collection, doc []byte) (time.Time, bool) {
	raw, err := topLevelRaw(doc, c.Key)
	if err != nil || raw == nil {
		return time.Time{}, false
	}
	if bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw) {
		// Escapes: decode the string first.
		var v string
		if json.Unmarshal(raw, &v) != nil || v == "" {
			return time.Time{}, false
		}
		return parseKey(c, v)
	}
	s := raw[1 : len(raw)-1]
	if len(s) == 0 {
		return time.Time{}, false
	}
	if c.Kind == ByDate {
		if len(s) < 10 {
			return time.Time{}, false
		}
		if days, ok := fastDate(s[:10]); ok {
			return time.Unix(days*86400, 0).UTC(), true
		}
		return parseKey(c, string(s))
	}
	if t, ok := fastInstant(s); ok {
		return t, true
	}
	return parseKey(c, string(s))
}

// parseKey parses a key the slow way, as docKey did before it had a fast path.
func parseKey(c *Collection, v string) (time.Time, bool) {
	if c.Kind == ByDate {
		if len(v) < 10 {
			return time.Time{}, false
		}
		t, err := time.Parse(time.DateOnly, v[:10])
		return t, err == nil
	}
	return parseInstant(v)
}

// topLevelRaw returns the raw JSON string (quotes included) of the first
// occurrence of the named top-level field of doc that is a non-empty
// string; nil when there is none. It is topLevelStrings for one name,
// without copying.
func topLevelRaw(doc []byte, name string) ([]byte, error) {
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return nil, errNotObject
	}
	i++
	for {
		i = skipSpace(doc, i)
		if i >= len(doc) {
			return nil, errNotObject
		}
		if doc[i] == '}' {
			return nil, nil
		}
		if doc[i] == ',' {
			i++
			continue
		}
		if doc[i] != '"' {
			return nil, errNotObject
		}
		kEnd, err := skipString(doc, i)
		if err != nil {
			return nil, err
		}
		key := doc[i+1 : kEnd-1]
		i = skipSpace(doc, kEnd)
		if i >= len(doc) || doc[i] != ':' {
			return nil, errNotObject
		}
		i = skipSpace(doc, i+1)
		if string(key) == name && i < len(doc) && doc[i] == '"' {
			end, err := skipString(doc, i)
			if err != nil {
				return nil, err
			}
			if end-i > 2 {
				return doc[i:end], nil
			}
			i = end
			continue
		}
		i, err = skipValue(doc, i)
		if err != nil {
			return nil, err
		}
	}
}

// fastDate reads YYYY-MM-DD (a valid date) as days since 1970-01-01.
func fastDate(b []byte) (int64, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || y < 1 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m) {
		return 0, false
	}
	return civilDays(y, m, d), true
}

// fastInstant reads YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), the
// form Oura writes, exactly as time.Parse(time.RFC3339Nano) would; it
// reports false for anything else, which the caller parses the slow way.
func fastInstant(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	days, ok := fastDate(b[:10])
	h, ok1 := digits(b[11:13])
	mi, ok2 := digits(b[14:16])
	sec, ok3 := digits(b[17:19])
	if !ok || !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	i := 19
	var nsec int64
	if b[i] == '.' {
		j := i + 1
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		n := j - i - 1
		if n == 0 || n > 9 {
			return time.Time{}, false
		}
		f, _ := digits(b[i+1 : j])
		for range 9 - n {
			f *= 10
		}
		nsec, i = f, j
	}
	var off int64
	switch rest := b[i:]; {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		off = (oh*60 + om) * 60
		if rest[0] == '-' {
			off = -off
		}
	default:
		return time.Time{}, false
	}
	unix := days*86400 + h*3600 + mi*60 + sec - off
	return time.Unix(unix, nsec).UTC(), true
}

// digits reads a run of ASCII digits.
func digits(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, len(b) > 0
}

func daysInMonth(y, m int64) int64 {
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

// civilDays returns the days since 1970-01-01 of a date (H. Hinnant's
// days_from_civil; years 0 to 9999).
func civilDays(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// parseInstant parses Oura's instants: RFC 3339 with or without fractional
// seconds, with an offset or Z.
func parseInstant(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// Some servers write +0000 without a colon.
		t, err = time.Parse("2006-01-02T15:04:05.999999999Z0700", s)
	}
	return t.UTC(), err == nil
}
