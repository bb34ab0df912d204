package exporter_test

import (
	"context"
	"encoding/json"
	"os"
	"runtime/debug"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/sandbox"
)

// BenchmarkRefresh5Years refreshes an export of five years of every
// collection with the events of one change: a revised day (an update of
// each of its documents), a new day (advance: a create of each), a deleted
// tag. It reports the requests a refresh made, those an incremental export
// makes for the same change (measured once, on a copy), and the wall time.
func BenchmarkRefresh5Years(b *testing.B) {
	for _, kind := range []string{"revise", "advance", "delete"} {
		b.Run(kind, func(b *testing.B) { benchRefresh(b, kind) })
	}
}

func benchRefresh(b *testing.B, kind string) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(128 << 20))
	w := newWorld(b, "2021-11-01", "2026-10-31", nil)
	out := b.TempDir()
	w.exportAccount(b, out)
	tags := w.truth(b, 1, "tag")
	change := func(i int) []exporter.Change {
		switch kind {
		case "revise":
			d, _ := sandbox.ParseDate(w.until.AddDate(0, 0, -3-i%20).Format(time.DateOnly))
			cs, err := w.srv.ReviseChanges(1, d)
			if err != nil {
				b.Fatal(err)
			}
			return events(cs)
		case "advance":
			until, cs := w.srv.AdvanceChanges(1)
			w.until, _ = time.Parse(time.DateOnly, until.String())
			return events(cs)
		default:
			var tag struct{ ID string }
			json.Unmarshal([]byte(tags[len(tags)-1-i]), &tag)
			if err := w.srv.Delete(1, "tag", tag.ID); err != nil {
				b.Fatal(err)
			}
			return []exporter.Change{{Collection: "tag", ObjectID: tag.ID, Op: exporter.OpDelete}}
		}
	}
	// The same kind of change, taken up by an incremental export.
	incr := b.TempDir()
	copyDir(b, out, incr)
	change(b.N + 1)
	ires, err := exporter.ExportAccount(context.Background(), w.account(b, incr))
	if err != nil {
		b.Fatal(err)
	}
	// Bring the folder up to date with it (not measured).
	if _, err := exporter.ExportAccount(context.Background(), w.account(b, out)); err != nil {
		b.Fatal(err)
	}
	os.RemoveAll(incr)

	var requests, changes int64
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cs := change(i)
		b.StartTimer()
		start := time.Now()
		res, err := exporter.Refresh(context.Background(), w.account(b, out), cs)
		wall += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Retry) > 0 {
			b.Fatalf("%d changes to retry", len(res.Retry))
		}
		requests += res.Requests
		changes += int64(len(cs))
	}
	b.ReportMetric(float64(requests)/float64(b.N), "requests/refresh")
	b.ReportMetric(float64(requests)/float64(changes), "requests/change")
	b.ReportMetric(float64(changes)/float64(b.N), "changes/refresh")
	b.ReportMetric(float64(ires.Requests), "requests/incremental-export")
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/refresh")
}
