package sandbox

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Query parameters are read the way Oura's FastAPI service reads them:
// the last value of a repeated parameter wins; dates accept YYYY-MM-DD,
// ISO 8601 date-times and Unix timestamps (which is why start_date=1 is a
// valid date in 1970 and answers an empty page); anything else is a 422.

// last returns the last value of a query parameter.
func last(q url.Values, k string) string {
	v := q[k]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// isoTime is a parsed ISO 8601 date or date-time.
type isoTime struct {
	y, mo, d, h, mi, s, nanos int
	offset                    int // seconds
	hasTime, hasOffset        bool
}

// parseISO parses YYYY-MM-DD[(T|t| |_)HH:MM[:SS[.fraction]][Z|±HH[:MM]]].
func parseISO(s string) (isoTime, string) {
	var t isoTime
	y, m, d, ok := parseYMD(s)
	if !ok {
		if len(s) < 10 {
			return t, "input is too short"
		}
		return t, "invalid date"
	}
	t.y, t.mo, t.d = y, m, d
	rest := s[10:]
	if rest == "" {
		return t, ""
	}
	if c := rest[0]; c != 'T' && c != 't' && c != ' ' && c != '_' {
		return t, "invalid date separator, expected `T`, `t`, `_` or space"
	}
	rest = rest[1:]
	if len(rest) < 5 || rest[2] != ':' {
		return t, "invalid time"
	}
	h, ok1 := atoiN(rest[0:2])
	mi, ok2 := atoiN(rest[3:5])
	if !ok1 || !ok2 || h > 23 || mi > 59 {
		return t, "invalid time"
	}
	t.h, t.mi, t.hasTime = h, mi, true
	rest = rest[5:]
	if len(rest) >= 3 && rest[0] == ':' {
		sec, ok := atoiN(rest[1:3])
		if !ok || sec > 59 {
			return t, "invalid second"
		}
		t.s = sec
		rest = rest[3:]
		if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
			k := 1
			for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
				k++
			}
			if k == 1 || k > 10 {
				return t, "invalid fractional seconds"
			}
			frac := rest[1:k] + strings.Repeat("0", 9-(k-1))
			t.nanos, _ = atoiN(frac)
			rest = rest[k:]
		}
	}
	switch {
	case rest == "":
	case rest == "Z" || rest == "z":
		t.hasOffset = true
	case rest[0] == '+' || rest[0] == '-':
		sign := 1
		if rest[0] == '-' {
			sign = -1
		}
		o := strings.Replace(rest[1:], ":", "", 1)
		var oh, om int
		var ok bool
		switch len(o) {
		case 2:
			oh, ok = atoiN(o)
		case 4:
			var ok2 bool
			oh, ok = atoiN(o[:2])
			om, ok2 = atoiN(o[2:])
			ok = ok && ok2
		}
		if !ok || oh > 23 || om > 59 {
			return t, "invalid timezone sign"
		}
		t.offset = sign * (oh*3600 + om*60)
		t.hasOffset = true
	default:
		return t, "unexpected extra characters at the end of the input"
	}
	return t, ""
}

func (t isoTime) unixMilli() int64 {
	days := int64(dateFromCivil(t.y, t.mo, t.d))
	sec := days*86400 + int64(t.h*3600+t.mi*60+t.s) - int64(t.offset)
	return sec*1000 + int64(t.nanos/1e6)
}

// parseUnix reads a Unix timestamp in seconds (milliseconds above 2e10, as
// pydantic reads them).
func parseUnix(s string) (ms int64, ok bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(s, "xXnNiI_") {
		return 0, false
	}
	if math.Abs(f) > 2e10 {
		f /= 1000
	}
	if math.Abs(f) > 1e13 {
		return 0, false
	}
	return int64(math.Floor(f * 1000)), true
}

// parseDateParam reads a start_date/end_date value as a calendar day: a
// date, the date a date-time names (in its own offset), or the UTC date of a
// Unix timestamp.
func parseDateParam(s string) (Date, string) {
	if ms, ok := parseUnix(s); ok {
		return Date(floorDiv64(floorDiv64(ms, 1000), 86400)), ""
	}
	t, why := parseISO(s)
	if why != "" {
		return 0, why
	}
	return dateFromCivil(t.y, t.mo, t.d), ""
}

// parseInstantParam reads a start_datetime/end_datetime value (unix ms).
// Date-times without an offset and bare dates are taken as UTC.
func parseInstantParam(s string) (int64, string) {
	if ms, ok := parseUnix(s); ok {
		return ms, ""
	}
	t, why := parseISO(s)
	if why != "" {
		return 0, why
	}
	return t.unixMilli(), ""
}

// parseBool reads a boolean the way pydantic does.
func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "on", "t", "y":
		return true, true
	case "false", "0", "no", "off", "f", "n":
		return false, true
	}
	return false, false
}

// parseFields reads the fields parameter: comma-separated field names.
func parseFields(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" && len(out) < 64 {
			out = append(out, f)
		}
	}
	if out == nil {
		return nil
	}
	return out
}

// validationError is one entry of a FastAPI 422 detail.
type validationError struct {
	typ   string
	loc   []string
	msg   string
	input string
}

func (e *enc) validationErrors(errs []validationError) {
	e.obj()
	e.key("detail")
	e.arrOpen()
	for _, v := range errs {
		e.obj()
		e.keyStr("type", v.typ)
		e.key("loc")
		e.arrOpen()
		for _, l := range v.loc {
			e.str(l)
		}
		e.arrEnd()
		e.keyStr("msg", v.msg)
		e.key("input")
		in := v.input
		if len(in) > 200 {
			in = in[:200]
		}
		e.str(in)
		e.objEnd()
	}
	e.arrEnd()
	e.objEnd()
}

func dateParseErrors(param, input, why string) []validationError {
	return []validationError{
		{typ: "datetime_from_date_parsing", loc: []string{"query", param, "datetime"}, msg: "Input should be a valid datetime or date, " + why, input: input},
		{typ: "date_from_datetime_parsing", loc: []string{"query", param, "date"}, msg: "Input should be a valid date or datetime, " + why, input: input},
	}
}

func instantParseErrors(param, input, why string) []validationError {
	return []validationError{{typ: "datetime_from_date_parsing", loc: []string{"query", param}, msg: "Input should be a valid datetime or date, " + why, input: input}}
}

// windowText describes a duration for error messages.
func windowText(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	}
	return d.String()
}
