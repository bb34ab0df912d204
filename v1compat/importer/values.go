package importer

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// numberText returns s as JSON number text (what the cell says, as a
// number; a decimal comma is not a number here), or false.
func numberText(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if json.Valid([]byte(s)) && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return s, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

// intText returns s as JSON integer text; a number with a zero fraction
// (what spreadsheets write, 85.0) counts.
func intText(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return strconv.FormatInt(n, 10), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<53 {
		return "", false
	}
	return strconv.FormatInt(int64(f), 10), true
}

// boolText reads the booleans of Oura's CSV files (True, False) and others.
func boolText(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "yes", "1":
		return "true", true
	case "false", "f", "no", "0":
		return "false", true
	}
	return "", false
}

// parseDay reads a calendar date as Oura's files write it (2021-04-19) or
// as a spreadsheet re-saved it (4/19/2021, 4/19/21, 2021/04/19, with or
// without a time after it).
func parseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i]
	}
	for _, layout := range []string{"2006-01-02", "1/2/2006", "2006/1/2", "1/2/06", "2006-1-2"} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() > 1900 {
			return t, true
		}
	}
	return time.Time{}, false
}

// quote returns s as a JSON string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// jsonObject builds a JSON object member by member, in order; members
// whose name repeats a member already written are nested values merged in
// (contributors_deep_sleep, contributors_efficiency: one contributors object).
type jsonObject struct {
	keys []string
	vals map[string]any // string: JSON text; *jsonObject: a nested object
}

func newObject() *jsonObject { return &jsonObject{vals: map[string]any{}} }

// set puts JSON text v at path, creating the objects on the way. It
// reports false when the path runs into a value already set.
func (o *jsonObject) set(path []string, v string) bool {
	cur := o
	for i, k := range path {
		last := i == len(path)-1
		old, exists := cur.vals[k]
		if last {
			if exists {
				return false
			}
			cur.keys = append(cur.keys, k)
			cur.vals[k] = v
			return true
		}
		next, isObj := old.(*jsonObject)
		if exists && !isObj {
			return false
		}
		if !exists {
			next = newObject()
			cur.keys = append(cur.keys, k)
			cur.vals[k] = next
		}
		cur = next
	}
	return true
}

func (o *jsonObject) has(k string) bool { _, ok := o.vals[k]; return ok }

// get returns the JSON text at key k ("" when absent or an object).
func (o *jsonObject) get(k string) string {
	s, _ := o.vals[k].(string)
	return s
}

// prepend puts k first.
func (o *jsonObject) prepend(k, v string) {
	o.keys = append([]string{k}, o.keys...)
	o.vals[k] = v
}

func (o *jsonObject) bytes() []byte { return o.appendTo(nil) }

func (o *jsonObject) appendTo(b []byte) []byte {
	b = append(b, '{')
	for i, k := range o.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, quote(k)...)
		b = append(b, ':')
		switch v := o.vals[k].(type) {
		case string:
			b = append(b, v...)
		case *jsonObject:
			b = v.appendTo(b)
		}
	}
	return append(b, '}')
}

// seriesText turns a series cell of the Oura on the Web downloads
// ("61;60;None;58;", a trailing separator, None for gaps) into a JSON array.
func seriesText(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ";")
	if s == "" {
		return "[]", true
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, p := range strings.Split(s, ";") {
		if i > 0 {
			b.WriteByte(',')
		}
		p = strings.TrimSpace(p)
		if blank(p) {
			b.WriteString("null")
			continue
		}
		n, ok := numberText(p)
		if !ok {
			return "", false
		}
		b.WriteString(n)
	}
	b.WriteByte(']')
	return b.String(), true
}

func dayText(t time.Time) string { return t.Format(time.DateOnly) }
