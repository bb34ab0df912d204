package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLosslessRecorded is the issue's acceptance test: every recorded real
// response maps with zero loss. For each document, every leaf of the raw
// JSON (scalar, null, empty array or object) is found in its column (with
// instants compared as instants), in a child row (items by seq), or in
// extra.
func TestLosslessRecorded(t *testing.T) {
	for _, d := range recordedDocs(t) {
		t.Run(d.name, func(t *testing.T) {
			got, m := checkLossless(t, d.coll, d.raw)
			if w := m.Warnings(); len(w) != 0 {
				t.Errorf("a recorded document should map without warnings, got %+v", w)
			}
			if n := len(got[TablesOf(d.coll)[0].Name]); n != 1 {
				t.Errorf("got %d rows, want 1", n)
			}
		})
	}
}

// TestLosslessSynthetic runs the walk over the spec-shaped documents of
// testdata/v2 (collections without a recording).
func TestLosslessSynthetic(t *testing.T) {
	for _, d := range syntheticDocs(t) {
		t.Run(d.name, func(t *testing.T) {
			_, m := checkLossless(t, d.coll, d.raw)
			if w := m.Warnings(); len(w) != 0 {
				t.Errorf("want no warnings, got %+v", w)
			}
		})
	}
}

// TestLosslessOddDocuments maps documents with unknown fields at several
// depths, wrong-typed known fields and duplicates: all of it must land in
// extra, under its path, and be counted.
func TestLosslessOddDocuments(t *testing.T) {
	tests := []struct {
		name  string
		coll  string
		doc   string
		extra string // the extra column, exactly
		warns []Warning
		nulls []string // columns of the parent row that must be null
	}{
		{
			name:  "unknown fields at three depths",
			coll:  "sleep",
			doc:   `{"id":"s1","day":"2024-10-10","bedtime_start":"2024-10-10T01:00:00+02:00","new_top":{"a":[1,2.50,null],"b":{}},"readiness":{"score":80,"contributors":{"hrv_balance":70,"new_c":5},"new_r":true},"heart_rate":{"interval":300,"items":[60,null],"timestamp":"2024-10-10T01:00:00+02:00","new_s":"x"}}`,
			extra: `{"new_top":{"a":[1,2.50,null],"b":{}},"readiness":{"contributors":{"new_c":5},"new_r":true},"heart_rate":{"new_s":"x"}}`,
			warns: []Warning{
				{Table: "sleep", Field: "heart_rate.new_s", Issue: IssueUnknown, Count: 1},
				{Table: "sleep", Field: "new_top", Issue: IssueUnknown, Count: 1},
				{Table: "sleep", Field: "readiness.contributors.new_c", Issue: IssueUnknown, Count: 1},
				{Table: "sleep", Field: "readiness.new_r", Issue: IssueUnknown, Count: 1},
			},
		},
		{
			name:  "wrong types for scalars",
			coll:  "sleep",
			doc:   `{"id":"s2","efficiency":"83","average_breath":"fast","low_battery_alert":"no","type":7,"period":1.5,"day":"2024/10/10","bedtime_start":12345,"bedtime_end":"yesterday","sleep_phase_5_min":4411,"time_in_bed":1e400}`,
			extra: `{"efficiency":"83","average_breath":"fast","low_battery_alert":"no","type":7,"period":1.5,"day":"2024/10/10","bedtime_start":12345,"bedtime_end":"yesterday","sleep_phase_5_min":4411,"time_in_bed":1e400}`,
			nulls: []string{"efficiency", "average_breath", "low_battery_alert", "type", "period", "day", "bedtime_start", "bedtime_start_utc_offset", "bedtime_end", "sleep_phase_5_min", "time_in_bed"},
			warns: []Warning{
				{Table: "sleep", Field: "average_breath", Issue: IssueMisfit, Count: 1},
				{Table: "sleep", Field: "bedtime_end", Issue: IssueMisfit, Count: 1},
				{Table: "sleep", Field: "bedtime_start", Issue: IssueMisfit, Count: 1},
				{Table: "sleep", Field: "day", Issue: IssueMisfit, Count: 1},
				{Table: "sleep", Field: "efficiency", Issue: IssueMisfit, Count: 1},
				{Table: "sleep", Field: "low_battery_alert", Issue: IssueMisfit, Count: 1},
				{Table: "sleep", Field: "period", Issue: IssueMisfit, Count: 1},
				{Table: "sleep", Field: "sleep_phase_5_min", Issue: IssueMisfit, Count: 1},
				{Table: "sleep", Field: "time_in_bed", Issue: IssueMisfit, Count: 1},
				{Table: "sleep", Field: "type", Issue: IssueMisfit, Count: 1},
			},
		},
		{
			name:  "wrong types for objects and samples",
			coll:  "sleep",
			doc:   `{"id":"s3","readiness":"high","heart_rate":[1,2],"hrv":{"interval":"5m","items":{"a":1},"timestamp":false}}`,
			extra: `{"readiness":"high","heart_rate":[1,2],"hrv":{"interval":"5m","items":{"a":1},"timestamp":false}}`,
			nulls: []string{"readiness_score", "heart_rate_interval", "hrv_interval", "hrv_timestamp"},
			warns: []Warning{
				{Table: "sleep", Field: "heart_rate", Issue: IssueMisfit, Count: 1},
				{Table: "sleep", Field: "hrv.interval", Issue: IssueMisfit, Count: 1},
				{Table: "sleep", Field: "hrv.items", Issue: IssueMisfit, Count: 1},
				{Table: "sleep", Field: "hrv.timestamp", Issue: IssueMisfit, Count: 1},
				{Table: "sleep", Field: "readiness", Issue: IssueMisfit, Count: 1},
			},
		},
		{
			name:  "wrong items in a sample",
			coll:  "session",
			doc:   `{"id":"x1","start_datetime":"2024-10-12T21:30:00+02:00","heart_rate":{"interval":5,"items":[60,"61",null,true,{"v":1},62],"timestamp":"2024-10-12T21:30:00+02:00"}}`,
			extra: `{"heart_rate":{"items":{"1":"61","3":true,"4":{"v":1}}}}`,
			warns: []Warning{{Table: "session", Field: "heart_rate.items[]", Issue: IssueMisfit, Count: 3}},
		},
		{
			name:  "episodes with unknown fields, bad tags and a stray element",
			coll:  "rest_mode_period",
			doc:   `{"id":"r1","start_day":"2024-03-17","episodes":[{"tags":["a"],"timestamp":"2024-03-17T11:45:56+01:00","mood":"meh"},"oops",{"tags":["b",3],"timestamp":"2024-03-18T08:00:00+01:00"}]}`,
			extra: `{"episodes":{"0":{"mood":"meh"},"1":"oops","2":{"tags":["b",3]}}}`,
			warns: []Warning{
				{Table: "rest_mode_period", Field: "episodes[]", Issue: IssueMisfit, Count: 1},
				{Table: "rest_mode_period", Field: "episodes[].mood", Issue: IssueUnknown, Count: 1},
				{Table: "rest_mode_period", Field: "episodes[].tags", Issue: IssueMisfit, Count: 1},
			},
		},
		{
			name:  "heart rate row with a fractional bpm",
			coll:  "heartrate",
			doc:   `{"bpm":61.5,"source":"awake","timestamp":"2024-12-13T12:31:21+00:00","timestamp_unix":"1734093081000","quality":"good"}`,
			extra: `{"bpm":61.5,"timestamp_unix":"1734093081000","quality":"good"}`,
			nulls: []string{"bpm", "timestamp_unix"},
			warns: []Warning{
				{Table: "heartrate", Field: "bpm", Issue: IssueMisfit, Count: 1},
				{Table: "heartrate", Field: "quality", Issue: IssueUnknown, Count: 1},
				{Table: "heartrate", Field: "timestamp_unix", Issue: IssueMisfit, Count: 1},
			},
		},
		{
			name:  "duplicate keys keep the first, escaped keys match",
			coll:  "daily_stress",
			doc:   `{"id":"d1","\u0064ay":"2024-11-11","stress_high":1800,"stress_high":2400,"n\u00e9w":1}`,
			extra: `{"stress_high":2400,"n\u00e9w":1}`,
			warns: []Warning{
				{Table: "daily_stress", Field: "n\\u00e9w", Issue: IssueUnknown, Count: 1},
				{Table: "daily_stress", Field: "stress_high", Issue: IssueDuplicate, Count: 1},
			},
		},
		{
			name: "null and empty objects",
			coll: "sleep",
			doc:  `{"id":"s4","readiness":{"contributors":{},"score":null},"heart_rate":null,"hrv":{"interval":null,"items":[],"timestamp":null},"type":null}`,
			nulls: []string{"readiness_score", "readiness_contributors_hrv_balance", "heart_rate_interval", "heart_rate_timestamp",
				"hrv_interval", "hrv_timestamp", "type"},
		},
		{
			name:  "null objects",
			coll:  "daily_spo2",
			doc:   `{"id":"o1","day":"2024-11-11","spo2_percentage":null,"breathing_disturbance_index":null}`,
			nulls: []string{"spo2_percentage_average", "breathing_disturbance_index"},
		},
		{
			name:  "null items and episodes are kept",
			coll:  "rest_mode_period",
			doc:   `{"id":"r2","start_day":"2024-03-17","episodes":null}`,
			extra: `{"episodes":null}`,
			warns: []Warning{{Table: "rest_mode_period", Field: "episodes", Issue: IssueMisfit, Count: 1}},
		},
		{
			name:  "null items are kept",
			coll:  "session",
			doc:   `{"id":"x2","motion_count":{"interval":5,"items":null,"timestamp":"2024-10-12T21:30:00+02:00"}}`,
			extra: `{"motion_count":{"items":null}}`,
			warns: []Warning{{Table: "session", Field: "motion_count.items", Issue: IssueMisfit, Count: 1}},
		},
		{
			name:  "white space inside kept values is compacted",
			coll:  "daily_activity",
			doc:   "{\"id\":\"a1\",\"contributors\": [ 1 , \"a b\" ] ,\"met\" : { \"interval\" : 60 , \"items\" : [ 1.5 , null ] , \"timestamp\" : \"2024-11-11T04:00:00+01:00\" , \"x\" : { \"y\" : [ ] } } }",
			extra: `{"contributors":[1,"a b"],"met":{"x":{"y":[]}}}`,
			warns: []Warning{
				{Table: "daily_activity", Field: "contributors", Issue: IssueMisfit, Count: 1},
				{Table: "daily_activity", Field: "met.x", Issue: IssueUnknown, Count: 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, m := checkLossless(t, tt.coll, []byte(tt.doc))
			parent := got[TablesOf(tt.coll)[0].Name][0]
			var wantExtra any
			if tt.extra != "" {
				wantExtra = tt.extra
			}
			if parent["extra"] != wantExtra {
				t.Errorf("extra = %v\nwant    %s", parent["extra"], tt.extra)
			}
			if w := m.Warnings(); len(w)+len(tt.warns) > 0 && !reflect.DeepEqual(w, tt.warns) {
				t.Errorf("warnings = %+v\nwant       %+v", w, tt.warns)
			}
			for _, c := range tt.nulls {
				if parent[c] != nil {
					t.Errorf("column %s = %v, want null", c, parent[c])
				}
			}
		})
	}
}

// checkLossless maps doc with a fresh Mapper and checks that nothing of it
// is lost; it returns the rows.
func checkLossless(t *testing.T, coll string, doc []byte) (rows, *Mapper) {
	t.Helper()
	got, m := mapOne(t, coll, doc)
	tabs := TablesOf(coll)
	prows := got[tabs[0].Name]
	if len(prows) != 1 {
		t.Fatalf("%s: got %d parent rows, want 1", coll, len(prows))
	}
	l := &lossless{t: t, parent: tabs[0], children: tabs[1:], row: prows[0], got: got}
	if s, ok := l.row[ColExtra].(string); ok {
		if err := decodeNumbers([]byte(s), &l.extra); err != nil {
			t.Fatalf("extra is not JSON: %v: %s", err, s)
		}
		if _, isObj := l.extra.(map[string]any); !isObj {
			t.Fatalf("extra is not a JSON object: %s", s)
		}
	}
	var tree any
	if err := decodeNumbers(doc, &tree); err != nil {
		t.Fatalf("test document is not JSON: %v", err)
	}
	l.walk(tree, nil)
	l.checkChildren()
	return got, m
}

func decodeNumbers(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

type lossless struct {
	t        *testing.T
	parent   *Table
	children []*Table
	row      map[string]any
	extra    any
	got      rows
}

func (l *lossless) walk(node any, path []any) {
	switch n := node.(type) {
	case map[string]any:
		if len(n) == 0 {
			l.leaf(path, n)
		}
		for k, v := range n {
			l.walk(v, append(append([]any(nil), path...), k))
		}
	case []any:
		if len(n) == 0 {
			l.leaf(path, n)
		}
		for i, v := range n {
			l.walk(v, append(append([]any(nil), path...), i))
		}
	default:
		l.leaf(path, n)
	}
}

func (l *lossless) leaf(path []any, v any) {
	if l.inColumn(path, v) || l.inExtra(path, v) {
		return
	}
	l.t.Errorf("%s: %s = %v is neither in a column nor in extra (row %v)", l.parent.Name, fmtPath(path), v, l.row)
}

func fmtPath(path []any) string {
	var parts []string
	for _, p := range path {
		parts = append(parts, fmt.Sprint(p))
	}
	return strings.Join(parts, ".")
}

// leadingNames returns the dotted path of the leading member names of path
// and how many elements that is.
func leadingNames(path []any) (string, int) {
	var names []string
	for _, p := range path {
		s, ok := p.(string)
		if !ok {
			break
		}
		names = append(names, s)
	}
	return strings.Join(names, "."), len(names)
}

func (l *lossless) inColumn(path []any, v any) bool {
	if len(path) == 0 {
		return false
	}
	// Items of a sample: the child row with that seq.
	if len(path) == 3 && path[1] == "items" {
		if seq, ok := path[2].(int); ok {
			if ct, col := l.childColumn(path[0].(string) + ".items"); ct != nil {
				r := l.childRow(ct, seq)
				return r != nil && l.equal(ct, col, r, v)
			}
		}
	}
	// Members of array elements (rest mode episodes): the child row with that seq.
	if len(path) >= 3 {
		if seq, ok := path[1].(int); ok {
			if name, ok := path[2].(string); ok {
				if ct, col := l.childColumn(path[0].(string) + "." + name); ct != nil {
					r := l.childRow(ct, seq)
					if r == nil {
						return false
					}
					if col.Type == JSON {
						return inJSON(r[col.Name], path[3:], v)
					}
					return len(path) == 3 && l.equal(ct, col, r, v)
				}
			}
		}
	}
	dotted, k := leadingNames(path)
	if isEmpty(v) && k == len(path) {
		// An empty items or episodes array: no child rows. An empty object: all its columns null.
		if ct, _ := l.childColumn(dotted); ct != nil && strings.HasSuffix(dotted, ".items") {
			return len(l.got[ct.Name]) == 0
		}
		if l.childPrefix(dotted) != nil {
			return len(l.got[l.childPrefix(dotted).Name]) == 0
		}
	}
	col := l.column(l.parent, dotted)
	if _, isObj := v.(map[string]any); col == nil && k == len(path) && (v == nil || isObj && isEmpty(v)) {
		return l.allNull(dotted)
	}
	if col == nil {
		return false
	}
	if col.Type == JSON {
		return inJSON(l.row[col.Name], path[k:], v)
	}
	return k == len(path) && l.equal(l.parent, col, l.row, v)
}

// allNull reports whether the object at dotted (null, or empty) left all
// its columns null and, for a sample, no child rows.
func (l *lossless) allNull(dotted string) bool {
	if ct, _ := l.childColumn(dotted + ".items"); ct != nil && len(l.got[ct.Name]) > 0 {
		return false
	}
	n := 0
	for _, c := range l.parent.Columns {
		if strings.HasPrefix(c.V2, dotted+".") {
			n++
			if l.row[c.Name] != nil {
				return false
			}
		}
	}
	return n > 0
}

func isEmpty(v any) bool {
	switch n := v.(type) {
	case map[string]any:
		return len(n) == 0
	case []any:
		return len(n) == 0
	}
	return false
}

// column returns the first column of t that comes from the v2 field at
// dotted (for an instant, its Timestamp column).
func (l *lossless) column(t *Table, dotted string) *Column {
	for i := range t.Columns {
		if t.Columns[i].V2 == dotted {
			return &t.Columns[i]
		}
	}
	return nil
}

func (l *lossless) childColumn(dotted string) (*Table, *Column) {
	for _, ct := range l.children {
		if c := l.column(ct, dotted); c != nil {
			return ct, c
		}
	}
	return nil, nil
}

func (l *lossless) childPrefix(dotted string) *Table {
	for _, ct := range l.children {
		for _, c := range ct.Columns {
			if strings.HasPrefix(c.V2, dotted+".") {
				return ct
			}
		}
	}
	return nil
}

func (l *lossless) childRow(ct *Table, seq int) map[string]any {
	for _, r := range l.got[ct.Name] {
		if r[ColSeq] == int64(seq) {
			return r
		}
	}
	return nil
}

// equal reports whether the JSON leaf v is what column col of row r holds.
func (l *lossless) equal(t *Table, col *Column, r map[string]any, v any) bool {
	got := r[col.Name]
	if v == nil || got == nil {
		return v == nil && got == nil
	}
	switch col.Type {
	case Int:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return got == i
		}
		f, err := strconv.ParseFloat(string(n), 64)
		return err == nil && float64(got.(int64)) == f
	case Float:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		f, err := strconv.ParseFloat(string(n), 64)
		return err == nil && got == f
	case String:
		return got == v
	case Bool:
		return got == v
	case Date:
		s, ok := v.(string)
		if !ok {
			return false
		}
		d, err := time.Parse("2006-01-02", s)
		return err == nil && got == d.Unix()/86400
	case Timestamp:
		s, ok := v.(string)
		if !ok {
			return false
		}
		tm, hasOff, err := leafTime(s)
		if err != nil || got != tm.UnixMicro() {
			return false
		}
		off := r[col.Name+"_utc_offset"]
		if !hasOff {
			return off == nil
		}
		_, secs := tm.Zone()
		return off == int64(secs/60)
	}
	return false
}

// leafTime parses a date-time the way the test expects Oura's to be read:
// with an offset it is that instant; without, the wall clock read as UTC.
func leafTime(s string) (time.Time, bool, error) {
	if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return tm, true, nil
	}
	tm, err := time.Parse("2006-01-02T15:04:05.999999999", s)
	return tm, false, err
}

// inJSON reports whether the JSON text col holds v at path.
func inJSON(col any, path []any, v any) bool {
	s, ok := col.(string)
	if !ok {
		return false
	}
	var tree any
	if decodeNumbers([]byte(s), &tree) != nil {
		return false
	}
	return reflect.DeepEqual(at(tree, path), v)
}

// at navigates a decoded JSON tree; array positions may also be object keys.
func at(node any, path []any) any {
	for _, p := range path {
		switch n := node.(type) {
		case map[string]any:
			key, ok := p.(string)
			if !ok {
				key = strconv.Itoa(p.(int))
			}
			var found bool
			if node, found = n[key]; !found {
				return missing{}
			}
		case []any:
			i, ok := p.(int)
			if !ok || i >= len(n) {
				return missing{}
			}
			node = n[i]
		default:
			return missing{}
		}
	}
	return node
}

type missing struct{}

func (l *lossless) inExtra(path []any, v any) bool {
	return l.extra != nil && reflect.DeepEqual(at(l.extra, path), v)
}

// checkChildren checks what the walk does not: child rows carry the parent
// id, origin and consecutive seqs, their timestamps step from the series
// start, and encoded strings read back from their code rows.
func (l *lossless) checkChildren() {
	id := l.row[ColID]
	for _, ct := range l.children {
		rs := l.got[ct.Name]
		for i, r := range rs {
			// seq is the position in the source array: consecutive, except
			// that an episode that is not an object (kept in extra) leaves a gap.
			seqOK := r[ColSeq] == int64(i)
			if ct.Name == "rest_mode_period_episode" && i > 0 {
				seqOK = r[ColSeq].(int64) > rs[i-1][ColSeq].(int64)
			}
			if r[ct.Parent+"_id"] != id || r[ColOrigin] != "v2" || !seqOK {
				l.t.Errorf("%s row %d: parent id %v (want %v), origin %v, seq %v", ct.Name, i, r[ct.Parent+"_id"], id, r[ColOrigin], r[ColSeq])
			}
		}
		valCol := ct.Columns[4]
		switch {
		case strings.HasSuffix(valCol.V2, ".items"):
			field := strings.TrimSuffix(valCol.V2, ".items")
			start, iv, off := l.row[field+"_timestamp"], l.row[field+"_interval"], l.row[field+"_timestamp_utc_offset"]
			if start == nil || iv == nil {
				continue
			}
			for i, r := range rs {
				want := start.(int64) + int64(float64(i)*iv.(float64)*1e6)
				if r["timestamp"] != want || r["timestamp_utc_offset"] != off {
					l.t.Errorf("%s row %d: timestamp %v%+v, want %v%+v", ct.Name, i, r["timestamp"], r["timestamp_utc_offset"], want, off)
				}
			}
		case valCol.Name == "code":
			s, _ := l.row[valCol.V2].(string)
			var rebuilt strings.Builder
			for _, r := range rs {
				if c, ok := r["code"].(int64); ok {
					rebuilt.WriteByte(byte('0' + c))
				} else {
					rebuilt.WriteByte('?')
				}
			}
			if rebuilt.String() != s {
				l.t.Errorf("%s codes read back as %q, want %q", ct.Name, rebuilt.String(), s)
			}
			startField := ct.Columns[3].V2 // the offset column names the instant the series starts at
			start := l.row[startField]
			step := map[string]int64{"daily_activity_class_5_min": 300e6, "sleep_phase_5_min": 300e6,
				"sleep_app_phase_5_min": 300e6, "sleep_phase_30_sec": 30e6, "sleep_movement_30_sec": 30e6}[ct.Name]
			if step == 0 {
				l.t.Fatalf("no step known for %s", ct.Name)
			}
			for i, r := range rs {
				if start == nil {
					if r["timestamp"] != nil {
						l.t.Errorf("%s row %d has a timestamp without a start", ct.Name, i)
					}
					continue
				}
				if want := start.(int64) + int64(i)*step; r["timestamp"] != want || r["timestamp_utc_offset"] != l.row[startField+"_utc_offset"] {
					l.t.Errorf("%s row %d: timestamp %v, want %v", ct.Name, i, r["timestamp"], want)
				}
				if lbl := r["label"]; r["code"] != nil && lbl == nil && ct.Name != "daily_activity_class_5_min" && r["code"] != int64(0) {
					l.t.Errorf("%s row %d: code %v without a label", ct.Name, i, r["code"])
				}
			}
		}
	}
}
