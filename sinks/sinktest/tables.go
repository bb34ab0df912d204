// Package sinktest is the conformance suite every sink passes (Run), with
// the synthetic tables and rows it writes, a Dir that fails on demand, and
// helpers that turn a format's text back into values.
package sinktest

import (
	"fmt"
	"math"
	"time"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/internal/text"
)

// AllTypes returns a new table with a column of every schema.Type, required
// and optional, partitioned by its timestamp column "at".
func AllTypes() *schema.Table {
	return &schema.Table{
		Name:      "alltypes",
		Doc:       "Every type of column, for the conformance suite.",
		Key:       []string{"id"},
		Partition: "at",
		Columns: []schema.Column{
			{Name: "id", Type: schema.Int, Required: true, Doc: "Row number."},
			{Name: "label", Type: schema.String, Required: true, Doc: "What the row tests."},
			{Name: "day", Type: schema.Date, TZ: "local", Doc: "A date."},
			{Name: "at", Type: schema.Timestamp, TZ: "UTC", Doc: "An instant."},
			{Name: "n", Type: schema.Int, Unit: "bpm", Doc: "An integer."},
			{Name: "x", Type: schema.Float, Unit: "°C", Doc: "A float."},
			{Name: "s", Type: schema.String, Doc: "A string."},
			{Name: "j", Type: schema.JSON, Doc: "A JSON value."},
			{Name: "b", Type: schema.Bool, Doc: "A boolean."},
			{Name: "on", Type: schema.Date, Required: true, Doc: "A required date."},
			{Name: "since", Type: schema.Timestamp, Required: true, Doc: "A required instant."},
			{Name: "ok", Type: schema.Bool, Required: true, Doc: "A required boolean."},
			{Name: "w", Type: schema.Float, Required: true, Doc: "A required float."},
		},
	}
}

// Samples returns a new child table shaped like a heart-rate series:
// required columns only, partitioned by day.
func Samples() *schema.Table {
	return &schema.Table{
		Name:      "samples",
		Doc:       "A series of samples, for the conformance suite.",
		Parent:    "alltypes",
		Key:       []string{"timestamp"},
		Partition: "day",
		Columns: []schema.Column{
			{Name: "origin", Type: schema.String, Required: true, Doc: "Where the row came from."},
			{Name: "day", Type: schema.Date, Required: true, TZ: "local", Doc: "The day."},
			{Name: "timestamp", Type: schema.Timestamp, Required: true, TZ: "UTC", Doc: "When."},
			{Name: "bpm", Type: schema.Int, Required: true, Unit: "bpm", Doc: "Heart rate."},
			{Name: "source", Type: schema.String, Doc: "What measured it."},
		},
	}
}

// Empty returns a new table that the suite never writes rows to.
func Empty() *schema.Table {
	return &schema.Table{
		Name: "empty",
		Doc:  "A table without rows.",
		Columns: []schema.Column{
			{Name: "k", Type: schema.String, Required: true, Doc: "A key."},
			{Name: "d", Type: schema.Date, Doc: "A date."},
			{Name: "t", Type: schema.Timestamp, Doc: "An instant."},
		},
	}
}

// Tables returns new copies of the suite's tables.
func Tables() []*schema.Table { return []*schema.Table{AllTypes(), Samples(), Empty()} }

// Meta returns the export description the suite commits with.
func Meta() sinks.Meta {
	return sinks.Meta{
		ToolVersion:   "v0.0.0-test",
		SchemaVersion: schema.Version,
		ExportedAt:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Subject:       sinks.Subject{ID: "user-1", Email: "someone@example.org"},
		Period:        sinks.Period{Since: "2019-01-01", Until: "2025-12-31"},
		Sources:       []sinks.Source{{Name: "Oura Cloud API v2", URL: "http://127.0.0.1", Collections: []string{"heartrate", "sleep"}}},
		Counts:        map[string]int64{"heartrate": 3, "sleep": 1},
		Notes:         []string{"A note for people."},
	}
}

// Date returns the Date value (days since 1970-01-01) of a calendar date.
func Date(y, m, d int) int64 { return text.Days(int64(y), m, d) }

// Instant returns the Timestamp value (microseconds since the epoch) of a UTC time.
func Instant(y, m, d, hh, mm, ss, micro int) int64 {
	return Date(y, m, d)*86_400_000_000 + int64(hh*3600+mm*60+ss)*1_000_000 + int64(micro)
}

// AllTypesRows returns the rows the suite writes to AllTypes, as canonical
// values (see Canonical), covering extremes of every type and nulls.
func AllTypesRows() [][]any {
	dates := []int64{0, -1, Date(1900, 1, 1), Date(1969, 12, 31), Date(2024, 2, 29), Date(2100, 3, 1), Date(2200, 12, 31), Date(1, 1, 1), Date(9999, 12, 31)}
	instants := []int64{0, -1, 1_500_000, 1, Instant(1900, 1, 1, 0, 0, 0, 0), Instant(2024, 2, 29, 23, 59, 59, 999_999),
		Instant(2150, 6, 15, 12, 30, 0, 250_000), Instant(1, 1, 1, 0, 0, 0, 0), Instant(9999, 12, 31, 23, 59, 59, 999_999), Instant(2021, 7, 1, 4, 5, 6, 120)}
	ints := []int64{0, 1, -1, math.MaxInt64, math.MinInt64, 1<<53 + 1, 62}
	tenth := 0.1
	floats := []float64{0, math.Copysign(0, -1), 1.5, 36, tenth + 0.2, 1e-7, 1e21, -2.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1), 123456789.125}
	strs := []string{"", "plain", "has,comma", `has "quotes"`, "line\nbreak", "crlf\r\nend", "unicode: ümlaut 日本語 😀", " leading space", "trailing space ",
		"tab\there", `back\slash`, "control\x01char", "\"", ",", "\n", "=1+2", "#hash", "null", "NULL", "NA",
		"+1", "-1", "@SUM(A1)", "\tlead", "\rcr", "'quoted", "'=1", "=a,\"b\""}
	jsons := []string{`{}`, `[]`, `{"a":1,"b":[true,null,"x"]}`, `"text"`, `123`, "{\n  \"pretty\": [1, 2],\n  \"s\": \"a\\nb\"\n}", `{"q":"comma, \"quote\""}`, `-1.5e+10`, `{"u":"\u00fc"}`}
	var rows [][]any
	n := max(len(dates), len(instants), len(ints), len(floats), len(strs), len(jsons)) + 8
	for i := range n {
		row := []any{
			int64(i),
			fmt.Sprintf("row %d", i),
			pick(dates, i), pick(instants, i), pick(ints, i), pick(floats, i), pick(strs, i), pick(jsons, i),
			pickBool(i),
			dates[i%len(dates)], instants[(i+3)%len(instants)], i%3 == 0, floats[(i+5)%len(floats)],
		}
		// Every optional column null in some rows, all of them null in row n-1.
		for c := 2; c <= 8; c++ {
			if (i+c)%5 == 0 || i == n-1 {
				row[c] = nil
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func pick[T any](vs []T, i int) any { return vs[i%len(vs)] }

func pickBool(i int) any { return i%2 == 0 }

// SampleRows returns n rows for Samples: one every 5 seconds from
// 2023-12-31T23:00:00Z, crossing into a new year, with realistic heart rates.
func SampleRows(n int) [][]any {
	start := Instant(2023, 12, 31, 23, 0, 0, 0)
	sources := []string{"awake", "rest", "sleep", "workout", "live", "session"}
	rows := make([][]any, n)
	for i := range rows {
		ts := start + int64(i)*5_000_000
		day, _ := text.SplitMicros(ts)
		var src any = sources[i/97%len(sources)]
		if i%101 == 0 {
			src = nil
		}
		rows[i] = []any{"v2", day, ts, int64(50 + (i*7)%90), src}
	}
	return rows
}
