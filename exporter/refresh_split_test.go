package exporter

import (
	"testing"
	"time"
)

// A refresh's time series window is never longer than the API serves:
// two touched days 36 days apart once asked heartrate for 36 days (400).
func TestSplitSpans(t *testing.T) {
	d0 := time.Date(2024, 1, 20, 0, 0, 0, 0, time.UTC)
	ss := splitSpans(spans{{d0, d0.Add(36 * day)}, {d0.Add(40 * day), d0.Add(41 * day)}}, 30*day)
	want := spans{{d0, d0.Add(30 * day)}, {d0.Add(30 * day), d0.Add(36 * day)}, {d0.Add(40 * day), d0.Add(41 * day)}}
	if len(ss) != len(want) {
		t.Fatalf("got %v, want %v", ss, want)
	}
	for i := range ss {
		if !ss[i].From.Equal(want[i].From) || !ss[i].To.Equal(want[i].To) {
			t.Errorf("span %d: %v, want %v", i, ss[i], want[i])
		}
	}
	if got := splitSpans(ss, 0); len(got) != len(ss) {
		t.Errorf("no limit split the spans: %v", got)
	}
}
