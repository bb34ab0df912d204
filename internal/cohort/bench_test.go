package cohort_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/cohort"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/sinks/s3/s3test"
)

// benchParticipants and benchSince..benchUntil are the cohort the
// throughput benchmark exports: half a year of every collection each.
const (
	benchParticipants = 8
	benchSince        = "2023-09-11"
	benchUntil        = "2024-03-10"
)

// BenchmarkCohortLatency exports a cohort from an API that answers every
// request after 100 ms (about what Oura's servers take), into all three
// formats, with a pool of 1, 2, 4 and 8 workers; "s3" is the 8 workers into
// the loopback S3 server. It reports participants per minute, rows per
// second and requests per second. Run it with:
//
//	go test -run '^$' -bench CohortLatency -benchtime 1x ./internal/cohort/
func BenchmarkCohortLatency(b *testing.B) {
	w := newWorld(b, benchParticipants, benchSince, benchUntil, func(o *sandbox.Options) { o.Latency = 100 * time.Millisecond })
	accts := w.accounts(b, benchParticipants, nil)
	for _, workers := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			benchCohort(b, w, accts, workers, func(b *testing.B) output {
				return local(b, filepath.Join(b.TempDir(), "cohort"))
			})
		})
	}
	b.Run("workers=8/s3", func(b *testing.B) {
		srv := s3test.Start(b)
		srv.Bucket(b, "exports")
		n := 0
		benchCohort(b, w, accts, 8, func(b *testing.B) output {
			n++
			out, _ := remote(b, context.Background(), srv, fmt.Sprintf("bench%d", n), b.TempDir())
			return out
		})
	})
}

func benchCohort(b *testing.B, w *world, accts []cohort.Account, workers int, out func(*testing.B) output) {
	var participants, rows, requests int64
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		o := w.options(accts, out(b))
		o.Account.Fetch.Workers = workers
		o.Account.Fetch.Lookback = 0
		b.StartTimer()
		start := time.Now()
		res, err := cohort.Run(context.Background(), o)
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		participants += int64(len(res.Participants))
		rows += res.Rows()
		requests += res.Requests()
	}
	secs := elapsed.Seconds()
	b.ReportMetric(float64(participants)*60/secs, "participants/min")
	b.ReportMetric(float64(rows)/secs, "rows/s")
	b.ReportMetric(float64(requests)/secs, "requests/s")
	b.ReportMetric(float64(requests)/float64(participants), "requests/participant")
}
