package sinks_test

import (
	"context"
	"flag"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

var benchRows = flag.Int("sink.rows", 10_000_000, "heart-rate rows BenchmarkSink writes per run")

// BenchmarkSink writes -sink.rows heart-rate rows (default 10 million: one
// every 5 seconds for about 19 months) to each sink in batches of 8192, and
// reports rows per second, bytes on disk and peak memory: the heap in use
// (sampled every few milliseconds) and the process's peak resident set.
// Run each format on its own for a meaningful peak RSS:
//
//	go test ./sinks -run '^$' -bench 'Sink/parquet' -benchtime 1x
//	go test ./sinks -run '^$' -bench 'Sink/parquet' -benchtime 1x -sink.rows 1000000
func BenchmarkSink(b *testing.B) {
	hr := schema.Lookup("heartrate")
	if hr == nil {
		b.Skip("schema has no heartrate table")
	}
	for _, format := range []string{"parquet", "csv", "archive", "all"} {
		b.Run(format, func(b *testing.B) {
			n := *benchRows
			var bytes int64
			var peak heapPeak
			b.ReportAllocs()
			for range b.N {
				bytes = writeHeartRate(b, format, hr, n, &peak)
			}
			secs := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(n)/secs, "rows/s")
			b.ReportMetric(float64(bytes), "disk-bytes")
			b.ReportMetric(float64(bytes)/float64(n), "disk-bytes/row")
			b.ReportMetric(float64(peak.max.Load())/(1<<20), "peak-heap-MiB")
			if rss := maxRSS(); rss > 0 {
				b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MiB")
			}
		})
	}
}

// writeHeartRate exports n synthetic heart-rate rows with one sink (or
// "all" three, each batch written to each, as an export does) and returns
// the bytes published.
func writeHeartRate(b *testing.B, format string, hr *schema.Table, n int, peak *heapPeak) int64 {
	b.StopTimer()
	dir, err := os.MkdirTemp("", "ouraexport-bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	d, err := sinks.LocalDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	formats := []string{format}
	if format == "all" {
		formats = sinks.Names()
	}
	var sks []sinks.Sink
	for _, f := range formats {
		sk, err := sinks.Open(f, sinks.Options{Dir: d.Sub(f), Tables: []*schema.Table{hr}, Name: "oura"})
		if err != nil {
			b.Fatal(err)
		}
		defer sk.Close()
		sks = append(sks, sk)
	}
	var (
		ts     = hr.MustIndex("timestamp")
		offset = hr.MustIndex("timestamp_utc_offset")
		unix   = hr.MustIndex("timestamp_unix")
		bpm    = hr.MustIndex("bpm")
		source = hr.MustIndex("source")
		origin = hr.MustIndex("origin")
	)
	sources := []string{"awake", "rest", "sleep", "workout", "live", "session"}
	batch := schema.NewBatch(hr, 8192)
	// Realistic rows: a sample every 5 s, a second early or late now and
	// then, gaps of minutes to hours where the ring was off the finger,
	// a heart rate that wanders, sources in runs, the offset of the time
	// zone changing twice a year.
	rng := rand.New(rand.NewPCG(1, 2))
	t := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	rate, src := int64(60), 0
	ctx := context.Background()
	runtime.GC()
	stop := peak.sample()
	b.StartTimer()
	for i := 0; i < n; {
		batch.Reset()
		for ; i < n && batch.Len() < 8192; i++ {
			t += 5_000_000
			if rng.IntN(4) == 0 {
				t += int64(rng.IntN(3)-1) * 1_000_000
			}
			if rng.IntN(2000) == 0 {
				t += rng.Int64N(3*3600) * 1_000_000
			}
			if rng.IntN(1500) == 0 {
				src = rng.IntN(len(sources))
			}
			rate = max(38, min(195, rate+int64(rng.IntN(7)-3)))
			r := batch.Append()
			r.SetInt(ts, t)
			r.SetInt(offset, []int64{60, 120}[t/(182*86_400_000_000)%2])
			r.SetInt(unix, t/1000)
			r.SetInt(bpm, rate)
			r.SetString(source, sources[src])
			r.SetString(origin, "v2")
		}
		for _, sk := range sks {
			if err := sk.Write(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
	}
	var files []sinks.File
	for _, sk := range sks {
		fs, err := sk.Commit(ctx, benchMeta())
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, fs...)
	}
	b.StopTimer()
	stop()
	defer b.StartTimer()
	var total int64
	for _, f := range files {
		total += f.Size
	}
	return total
}

func benchMeta() sinks.Meta {
	return sinks.Meta{ToolVersion: "bench", SchemaVersion: schema.Version, ExportedAt: time.Now()}
}

// heapPeak records the largest heap in use seen while sampling.
type heapPeak struct{ max atomic.Uint64 }

// sample samples the heap every 5 ms until the returned function is called.
func (p *heapPeak) sample() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > p.max.Load() {
				p.max.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
