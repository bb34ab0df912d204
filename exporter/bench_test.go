package exporter_test

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/sandbox"
)

// BenchmarkExport5Years exports five years of every collection into all
// three formats, the sandbox running in the same process.
func BenchmarkExport5Years(b *testing.B) {
	benchExport(b, "2021-11-01", "2026-10-31", 4, nil)
}

// BenchmarkExport1Year is the same over one year (memory should be flat).
func BenchmarkExport1Year(b *testing.B) {
	benchExport(b, "2025-11-01", "2026-10-31", 4, nil)
}

// BenchmarkExport5YearsLatency adds 100 ms to every answer.
func BenchmarkExport5YearsLatency(b *testing.B) {
	benchExport(b, "2021-11-01", "2026-10-31", 8, func(o *sandbox.Options) { o.Latency = 100 * time.Millisecond })
}

func benchExport(b *testing.B, since, until string, workers int, mod func(*sandbox.Options)) {
	// The same soft memory limit as the command (main.go).
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(128 << 20))
	w := newWorld(b, since, until, mod)
	minimal := w.minimalRequests(b)
	var peak uint64
	for i := 0; i < b.N; i++ {
		out, _ := os.MkdirTemp("", "bench")
		stop := sampleHeap(&peak)
		start := time.Now()
		res, err := w.export(b, run{out: out, workers: workers})
		el := time.Since(start)
		stop()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Requests), "requests")
		b.ReportMetric(float64(minimal), "minimal-requests")
		b.ReportMetric(el.Seconds(), "wall-s")
		if lat := w.latency; lat > 0 {
			// The floor: every request waits the latency, workers at a time.
			floor := time.Duration(res.Requests) * lat / time.Duration(workers)
			b.ReportMetric(el.Seconds()/floor.Seconds(), "x-latency-floor")
		}
		os.RemoveAll(out)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// sampleHeap records the peak heap in use until the returned func is called.
func sampleHeap(peak *uint64) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > *peak {
				*peak = ms.HeapInuse
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// minimalRequests is the fewest requests that could fetch the world's
// history for user 1: every collection's documents in full pages (100
// documents, 10 000 rows), the time series in windows of at most 30 days,
// plus personal_info and ring_configuration.
func (w *world) minimalRequests(b *testing.B) int {
	n := 0
	for _, c := range exporter.V2Collections(nil) {
		docs := len(w.truth(b, 1, c.Name))
		switch c.Kind {
		case exporter.ByDate:
			n += max(1, (docs+99)/100)
		case exporter.ByInstant:
			span := w.until.AddDate(0, 0, 2).Sub(w.since.AddDate(0, 0, -1))
			n += max((docs+9999)/10000, int((span+30*24*time.Hour-1)/(30*24*time.Hour)))
		default:
			n++
		}
	}
	return n
}
