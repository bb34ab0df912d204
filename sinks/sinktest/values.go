package sinktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/internal/text"
)

// Canonical values, the form the suite compares rows in:
//
//	nil      null
//	int64    Int; Date (days since 1970-01-01); Timestamp (microseconds since the epoch, UTC)
//	float64  Float
//	string   String; JSON (compacted)
//	bool     Bool

// Fill appends rows of canonical values to b.
func Fill(b *schema.Batch, rows [][]any) {
	for _, vals := range rows {
		r := b.Append()
		for c, v := range vals {
			switch v := v.(type) {
			case nil:
			case int64:
				r.SetInt(c, v)
			case float64:
				r.SetFloat(c, v)
			case string:
				r.SetString(c, v)
			case bool:
				r.SetBool(c, v)
			default:
				panic(fmt.Sprintf("sinktest: value %T", v))
			}
		}
	}
}

// Canonical returns rows with JSON columns compacted, as readers see them.
func Canonical(t *schema.Table, rows [][]any) [][]any {
	out := make([][]any, len(rows))
	for i, row := range rows {
		out[i] = append([]any(nil), row...)
		for c, v := range row {
			if s, ok := v.(string); ok && t.Columns[c].Type == schema.JSON {
				out[i][c] = compactJSON(s)
			}
		}
	}
	return out
}

func compactJSON(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return s
	}
	return b.String()
}

// Equal reports whether two canonical values are the same: floats by their
// bits (so -0 differs from 0), except that any NaN equals any NaN.
func Equal(a, b any) bool {
	fa, ok1 := a.(float64)
	fb, ok2 := b.(float64)
	if ok1 && ok2 {
		return math.Float64bits(fa) == math.Float64bits(fb) || (math.IsNaN(fa) && math.IsNaN(fb))
	}
	return a == b
}

// FromText parses a text field (CSV) of a column of type typ into a
// canonical value. An unquoted empty field is null; a String or JSON
// field loses the quote that guards it against formula injection.
func FromText(typ schema.Type, field string, quoted bool) (any, error) {
	if field == "" && !quoted {
		return nil, nil
	}
	if typ == schema.String || typ == schema.JSON {
		field = text.Unguard(field)
	}
	return fromText(typ, field)
}

func fromText(typ schema.Type, field string) (any, error) {
	switch typ {
	case schema.Date:
		return ParseDate(field)
	case schema.Timestamp:
		return ParseInstant(field)
	case schema.Int:
		return strconv.ParseInt(field, 10, 64)
	case schema.Float:
		return strconv.ParseFloat(field, 64)
	case schema.Bool:
		return strconv.ParseBool(field)
	case schema.String:
		return field, nil
	case schema.JSON:
		if !json.Valid([]byte(field)) {
			return nil, fmt.Errorf("not JSON: %q", field)
		}
		return compactJSON(field), nil
	}
	return nil, fmt.Errorf("type %v", typ)
}

// FromJSON parses a JSON value (the archive's data/) of a column of type
// typ into a canonical value.
func FromJSON(typ schema.Type, raw json.RawMessage) (any, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	var s string
	switch typ {
	case schema.Date, schema.Timestamp, schema.String:
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return fromText(typ, s)
	case schema.Int:
		return strconv.ParseInt(string(raw), 10, 64)
	case schema.Float:
		if json.Unmarshal(raw, &s) == nil {
			switch s { // the floats JSON has no number for
			case text.NaN, text.Infinity, text.NegInfinity:
				return strconv.ParseFloat(s, 64)
			}
			return nil, fmt.Errorf("float as string %q", s)
		}
		return strconv.ParseFloat(string(raw), 64)
	case schema.Bool:
		return strconv.ParseBool(string(raw))
	case schema.JSON:
		return string(raw), nil
	}
	return nil, fmt.Errorf("type %v", typ)
}

// ParseDate parses YYYY-MM-DD (or a signed expanded year) into days since 1970-01-01.
func ParseDate(s string) (int64, error) {
	i := strings.LastIndexByte(s, '-')
	j := strings.LastIndexByte(s[:max(i, 0)], '-')
	if i < 0 || j <= 0 || len(s)-i != 3 || i-j != 3 {
		return 0, fmt.Errorf("not a date: %q", s)
	}
	y, err1 := strconv.ParseInt(strings.TrimPrefix(s[:j], "+"), 10, 64)
	m, err2 := strconv.Atoi(s[j+1 : i])
	d, err3 := strconv.Atoi(s[i+1:])
	if err1 != nil || err2 != nil || err3 != nil || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, fmt.Errorf("not a date: %q", s)
	}
	return text.Days(y, m, d), nil
}

// ParseInstant parses an RFC 3339 UTC instant with a Z (and an optional
// fraction of up to 6 digits) into microseconds since the epoch.
func ParseInstant(s string) (int64, error) {
	date, clock, ok := strings.Cut(s, "T")
	if !ok || !strings.HasSuffix(clock, "Z") || len(clock) < 9 {
		return 0, fmt.Errorf("not an instant: %q", s)
	}
	days, err := ParseDate(date)
	if err != nil {
		return 0, err
	}
	clock = strings.TrimSuffix(clock, "Z")
	hms, frac, hasFrac := strings.Cut(clock, ".")
	parts := strings.Split(hms, ":")
	if len(parts) != 3 || (hasFrac && (len(frac) == 0 || len(frac) > 6)) {
		return 0, fmt.Errorf("not an instant: %q", s)
	}
	var secs int64
	for _, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || len(p) != 2 {
			return 0, fmt.Errorf("not an instant: %q", s)
		}
		secs = secs*60 + v
	}
	var micros int64
	if hasFrac {
		f, err := strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("not an instant: %q", s)
		}
		micros = f
	}
	return days*86_400_000_000 + secs*1_000_000 + micros, nil
}

// TableFiles returns the files of table among files: "<dir>/<table><ext>",
// or its partitions "<dir>/<table>/year=<y>/part-0<ext>", in path order.
func TableFiles(files []sinks.File, table, ext string) []sinks.File {
	var out []sinks.File
	for _, f := range files {
		p := f.Path
		if i := strings.LastIndex(p, "/"+table+ext); i >= 0 && i+len(table)+len(ext)+1 == len(p) {
			out = append(out, f)
			continue
		}
		if i := strings.Index(p, "/"+table+"/year="); i >= 0 && strings.HasSuffix(p, ext) {
			out = append(out, f)
		}
	}
	return out
}
