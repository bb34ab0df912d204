package v1test

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/v1compat"
)

// Rows are mapped rows by table, each row by column name (nil for null;
// dates as days, instants as microseconds, as in a Batch).
type Rows map[string][]map[string]any

// MapRecords maps v1 records of kind k and returns the rows.
func MapRecords(t testing.TB, k v1compat.Kind, origin schema.Origin, docs ...[]byte) Rows {
	t.Helper()
	got := Rows{}
	m := schema.NewMapper(1<<20, func(b *schema.Batch) error {
		for i := range b.Len() {
			r := map[string]any{}
			for c, col := range b.Table.Columns {
				v := &b.Cols[c]
				if !v.Valid[i] {
					r[col.Name] = nil
					continue
				}
				switch v.Type {
				case schema.Date, schema.Timestamp, schema.Int:
					r[col.Name] = v.Int[i]
				case schema.Float:
					r[col.Name] = v.Float[i]
				case schema.String, schema.JSON:
					r[col.Name] = v.Str[i]
				case schema.Bool:
					r[col.Name] = v.Bool[i]
				}
			}
			got[b.Table.Name] = append(got[b.Table.Name], r)
		}
		return nil
	})
	for _, d := range docs {
		if err := v1compat.Map(m, k, d, origin); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	return got
}

// Typed converts rows read from an archive's data/ (JSON values) into
// the representation of MapRecords.
func Typed(t testing.TB, table string, rows []map[string]any) []map[string]any {
	t.Helper()
	tb := schema.Lookup(table)
	var out []map[string]any
	for _, r := range rows {
		o := map[string]any{}
		for _, c := range tb.Columns {
			v := r[c.Name]
			if v == nil {
				o[c.Name] = nil
				continue
			}
			switch c.Type {
			case schema.Date:
				d, err := time.Parse(time.DateOnly, v.(string))
				if err != nil {
					t.Fatal(err)
				}
				o[c.Name] = d.Unix() / 86400
			case schema.Timestamp:
				ts, err := time.Parse(time.RFC3339Nano, v.(string))
				if err != nil {
					t.Fatal(err)
				}
				o[c.Name] = ts.UnixMicro()
			case schema.Int:
				n, err := v.(json.Number).Int64()
				if err != nil {
					t.Fatal(err)
				}
				o[c.Name] = n
			case schema.Float:
				f, err := v.(json.Number).Float64()
				if err != nil {
					t.Fatal(err)
				}
				o[c.Name] = f
			case schema.JSON:
				b, _ := json.Marshal(v)
				o[c.Name] = string(b)
			default:
				o[c.Name] = v
			}
		}
		out = append(out, o)
	}
	return out
}

// Lossless checks the zero-loss walk of one v1 record of kind k: every
// leaf of doc is found in a column whose v1 field it is (converted as the
// mapping promises: days shifted, minutes to seconds, centimetres to
// metres, 0 marks to null), in a child row (arrays by position), or in the
// extra column; got holds the rows the record became.
func Lossless(t testing.TB, k v1compat.Kind, doc []byte, origin schema.Origin, got Rows) {
	t.Helper()
	walkLossless(t, k, doc, origin, got)
}

// zeroMarks are the v1 fields whose 0 meant "not available".
func zeroMark(field string) bool {
	switch field {
	case "hr_lowest", "hr_average", "rmssd", "breath_average", "hr_5min", "rmssd_5min":
		return true
	}
	return field == "score" || strings.HasPrefix(field, "score_")
}

// walkLossless maps doc and checks every leaf; it returns the rows.
func walkLossless(t testing.TB, k v1compat.Kind, doc []byte, origin schema.Origin, got Rows) {
	t.Helper()
	tables := v1compat.Tables(k)
	main := tables[0]
	if k == v1compat.Sleep {
		main = schema.Lookup("sleep")
	}
	if len(got[main.Name]) != 1 {
		t.Fatalf("%d %s rows, want 1", len(got[main.Name]), main.Name)
	}
	row := got[main.Name][0]
	if row["id"] == nil || row["origin"] != string(origin) {
		t.Errorf("id %v, origin %v", row["id"], row["origin"])
	}
	var extra any
	if s, ok := row["extra"].(string); ok {
		if err := json.Unmarshal([]byte(s), &extra); err != nil {
			t.Fatalf("extra %q: %v", s, err)
		}
	}
	var tree map[string]any
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		t.Fatal(err)
	}
	var tz *int64
	if n, ok := tree["timezone"].(json.Number); ok {
		if v, err := n.Int64(); err == nil {
			tz = &v
		}
	}
	inExtra := func(path ...any) bool {
		node := extra
		for _, p := range path {
			m, ok := node.(map[string]any)
			if !ok {
				return false
			}
			if node, ok = m[fmt.Sprint(p)]; !ok {
				return false
			}
		}
		return true
	}
	for key, v := range tree {
		if inExtra(key) {
			continue
		}
		switch x := v.(type) {
		case []any:
			ct, col := childFor(tables, key)
			if ct == nil {
				t.Errorf("%s: array %s has no child table", k, key)
				continue
			}
			rs := got[ct.Name]
			if len(rs) != len(x) {
				t.Errorf("%s: %d items, %d %s rows", key, len(x), len(rs), ct.Name)
				continue
			}
			for i, item := range x {
				want := numberOf(item)
				if f, isF := want.(float64); zeroMark(key) && isF && f == 0 {
					if rs[i][col.Name] != nil {
						t.Errorf("%s[%d] = 0 (a gap), %s holds %v", key, i, col.Name, rs[i][col.Name])
					}
				} else if rs[i][col.Name] != want || rs[i]["seq"] != int64(i) || rs[i][ct.Parent+"_id"] != parentID(got, ct) {
					t.Errorf("%s[%d] = %v, %s row: %v", key, i, item, ct.Name, rs[i])
				}
			}
		case map[string]any:
			for sub, sv := range x {
				if inExtra(key, sub) || !found(t, k, tables, got, key+"."+sub, sv, tz) {
					if !inExtra(key, sub) {
						t.Errorf("%s: %s.%s = %v is lost", k, key, sub, sv)
					}
				}
			}
		default:
			if !found(t, k, tables, got, key, v, tz) {
				t.Errorf("%s: %s = %v is neither in a column nor in extra (rows %v)", k, key, v, got)
			}
		}
	}
}

func parentID(got Rows, ct *schema.Table) any {
	return got[ct.Parent][0]["id"]
}

func numberOf(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return v
	}
	return f
}

// childFor returns the child table and value column of a v1 array field.
func childFor(tables []*schema.Table, field string) (*schema.Table, *schema.Column) {
	for _, t := range tables {
		if t.Parent == "" {
			continue
		}
		for i, c := range t.Columns {
			if c.V1 == field && c.Name != "code" {
				return t, &t.Columns[i]
			}
		}
	}
	return nil, nil
}

// found reports whether the leaf field = v is in a column of the mapped
// rows whose v1 field it is, converted as the mapping promises; every
// such column that has a value must agree.
func found(t testing.TB, k v1compat.Kind, tables []*schema.Table, got Rows, field string, v any, tz *int64) bool {
	t.Helper()
	ok := false
	for _, tb := range tables {
		if tb.Parent != "" {
			continue
		}
		for _, c := range tb.Columns {
			if c.V1 != field || len(got[tb.Name]) == 0 {
				continue
			}
			have := got[tb.Name][0][c.Name]
			want, check := expect(k, tb, c, field, v, tz)
			if !check {
				ok = ok || have == nil
				continue
			}
			if have == nil && want == nil {
				ok = true
				continue
			}
			if !reflect.DeepEqual(have, want) {
				if field == "timezone" {
					continue // one instant's offset says it; the other end may be across a DST change
				}
				t.Errorf("%s: %s = %v: %s.%s holds %v (%T), want %v (%T)", k, field, v, tb.Name, c.Name, have, have, want, want)
				continue
			}
			ok = true
		}
	}
	if !ok && (field == "hypnogram_5min" || field == "class_5min") {
		return false
	}
	return ok
}

// expect returns the value column c must hold for the v1 leaf field = v
// (check false when the leaf does not decide the column, e.g. a timezone
// next to an offset-bearing instant is checked against the offset).
func expect(k v1compat.Kind, tb *schema.Table, c schema.Column, field string, v any, tz *int64) (any, bool) {
	n, isNum := v.(json.Number)
	s, isStr := v.(string)
	if v == nil || isStr && s == "" && k == v1compat.UserInfo {
		return nil, true
	}
	if isNum && zeroMark(field) && string(n) == "0" {
		return nil, true
	}
	switch c.Type {
	case schema.Date:
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, false
		}
		if c.Name == "day" && (k == v1compat.Sleep || k == v1compat.Readiness || k == v1compat.RestfulPeriod) {
			d = d.AddDate(0, 0, 1)
		}
		return d.Unix() / 86400, true
	case schema.Timestamp:
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			// Without an offset, v1's timezone (minutes east) places it.
			local, lerr := time.Parse("2006-01-02T15:04:05", s)
			if lerr != nil || tz == nil {
				return nil, false
			}
			tm = local.Add(-time.Duration(*tz) * time.Minute)
		}
		return tm.UnixMicro(), true
	case schema.Int:
		if !isNum {
			return nil, false
		}
		f, _ := strconv.ParseFloat(string(n), 64)
		switch {
		case strings.HasSuffix(c.Name, "_utc_offset"):
			return int64(f), true // timezone: minutes east, the instant's offset
		case c.Unit == "s" && k == v1compat.Activity:
			f *= 60 // minutes to seconds
		case c.Unit == "m" && strings.HasSuffix(field, "_km"):
			f = math.Round(f * 1000)
		}
		return int64(f), true
	case schema.Float:
		if !isNum {
			return nil, false
		}
		f, _ := strconv.ParseFloat(string(n), 64)
		if c.Unit == "m" && field == "height" {
			f /= 100
		}
		return f, true
	case schema.Bool:
		return string(n) == "1", true
	case schema.String:
		return s, isStr
	}
	return nil, false
}
