package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchClient reads bodies without keeping them; DisableCompression
// follows the option (Go's client asks for gzip by default).
func benchClient(gzip bool) *http.Client {
	return &http.Client{Transport: &http.Transport{DisableCompression: !gzip, MaxIdleConnsPerHost: 8}}
}

// fetch GETs u with user 1's token and returns the next_token, the number
// of documents and the body size.
func fetch(b testing.TB, c *http.Client, u string) (next string, docs, size int) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer sandbox-token-1")
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("GET %s: %d %v %.200s", u, resp.StatusCode, err, body)
	}
	var p struct {
		Data      []json.RawMessage `json:"data"`
		NextToken *string           `json:"next_token"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return "", 1, len(body) // a bare document
	}
	if p.NextToken != nil {
		next = *p.NextToken
	}
	return next, len(p.Data), len(body)
}

// BenchmarkPage measures requests per second for typical pages.
func BenchmarkPage(b *testing.B) {
	for _, gz := range []bool{false, true} {
		for _, tc := range []struct{ name, path string }{
			{"heartrate", "/v2/usercollection/heartrate?start_datetime=2024-03-01T00:00:00Z&end_datetime=2024-03-31T00:00:00Z"},
			{"sleep", "/v2/usercollection/sleep?start_date=2024-01-01&end_date=2024-03-31"},
			{"daily_activity", "/v2/usercollection/daily_activity?start_date=2024-01-01&end_date=2024-03-31"},
		} {
			b.Run(fmt.Sprintf("%s/gzip=%v", tc.name, gz), func(b *testing.B) {
				_, base := newTestServer(b, Options{})
				c := benchClient(gz)
				var docs, size int
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					_, docs, size = fetch(b, c, base+tc.path)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
				b.ReportMetric(float64(docs), "docs/page")
				b.ReportMetric(float64(size), "bytes/page")
			})
		}
	}
}

// pullAll pulls every collection of user 1 over the server's whole history
// the way an exporter would (30-day windows for the time series) and
// returns the documents and bytes read.
func pullAll(b testing.TB, c *http.Client, base string, since, until Date) (docs, size int) {
	for _, coll := range CollectionNames() {
		cl := collectionByName(coll)
		var queries []string
		switch cl.kind {
		case kindDaily:
			queries = []string{"start_date=" + since.String() + "&end_date=" + (until + 1).String()}
		case kindSeries:
			for d := since - 1; d <= until+1; d += 30 {
				q := url.Values{}
				q.Set("start_datetime", d.String()+"T00:00:00Z")
				q.Set("end_datetime", (d+30).String()+"T00:00:00Z")
				queries = append(queries, q.Encode())
			}
		default:
			queries = []string{""}
		}
		for _, q := range queries {
			next := ""
			for {
				u := base + "/v2/usercollection/" + coll + "?" + q
				if next != "" {
					u += "&next_token=" + url.QueryEscape(next)
				}
				var n, sz int
				next, n, sz = fetch(b, c, u)
				docs += n
				size += sz
				if next == "" {
					break
				}
			}
		}
	}
	return docs, size
}

// BenchmarkFullPull pulls five years of every collection of one user.
func BenchmarkFullPull(b *testing.B) {
	for _, gz := range []bool{false, true} {
		b.Run(fmt.Sprintf("years=5/gzip=%v", gz), func(b *testing.B) {
			since, until := dateFromCivil(2020, 1, 1), dateFromCivil(2024, 12, 31)
			_, base := newTestServer(b, Options{Since: since, Until: until, RateLimit: -1})
			c := benchClient(gz)
			var docs, size int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				docs, size = pullAll(b, c, base, since, until)
			}
			b.ReportMetric(float64(docs), "docs")
			b.ReportMetric(float64(size)/1e6, "MB")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/pull")
		})
	}
}

// BenchmarkPeakMemory serves a whole history end to end (1 and 10 years)
// and reports the peak heap in use and the peak memory obtained from the OS.
func BenchmarkPeakMemory(b *testing.B) {
	for _, years := range []int{1, 10} {
		b.Run(fmt.Sprintf("years=%d", years), func(b *testing.B) {
			until := dateFromCivil(2024, 12, 31)
			since := dateFromCivil(2024-years, 12, 31) + 1
			_, base := newTestServer(b, Options{Since: since, Until: until, RateLimit: -1})
			c := benchClient(true)
			runtime.GC()
			var peakHeap, peakSys atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				var ms runtime.MemStats
				t := time.NewTicker(5 * time.Millisecond)
				defer t.Stop()
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peakHeap.Load() {
						peakHeap.Store(ms.HeapInuse)
					}
					if ms.Sys > peakSys.Load() {
						peakSys.Store(ms.Sys)
					}
					select {
					case <-stop:
						return
					case <-t.C:
					}
				}
			}()
			var docs int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				docs, _ = pullAll(b, c, base, since, until)
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(docs), "docs")
			b.ReportMetric(float64(peakHeap.Load())/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(peakSys.Load())/(1<<20), "peak-sys-MiB")
		})
	}
}

// tailWriter is a ResponseWriter that keeps only the status, the size and
// the end of the body (where next_token is).
type tailWriter struct {
	h      http.Header
	status int
	size   int
	tail   []byte
}

func (w *tailWriter) Header() http.Header { return w.h }
func (w *tailWriter) WriteHeader(s int)   { w.status = s }
func (w *tailWriter) Write(b []byte) (int, error) {
	w.size += len(b)
	if len(b) >= 256 {
		w.tail = append(w.tail[:0], b[len(b)-256:]...)
	} else {
		w.tail = append(w.tail, b...)
		if len(w.tail) > 256 {
			w.tail = w.tail[len(w.tail)-256:]
		}
	}
	return len(b), nil
}

// nextToken reads "next_token" from the end of a list body.
func nextToken(tail []byte) string {
	const key = `"next_token":"`
	s := string(tail)
	for i := len(s) - len(key); i >= 0; i-- {
		if s[i:i+len(key)] == key {
			rest := s[i+len(key):]
			for j := 0; j < len(rest); j++ {
				if rest[j] == '"' {
					return rest[:j]
				}
			}
		}
	}
	return ""
}

// BenchmarkServe measures the sandbox's own cost of a full five-year pull of
// every collection of one user: ServeHTTP called in process, no network,
// no client-side decoding, no gzip.
func BenchmarkServe(b *testing.B) {
	since, until := dateFromCivil(2020, 1, 1), dateFromCivil(2024, 12, 31)
	s, err := New(Options{Since: since, Until: until, RateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	var bytes, reqs int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bytes, reqs = 0, 0
		for _, coll := range CollectionNames() {
			cl := collectionByName(coll)
			var queries []string
			switch cl.kind {
			case kindDaily:
				queries = []string{"start_date=" + since.String() + "&end_date=" + (until + 1).String()}
			case kindSeries:
				for d := since - 1; d <= until+1; d += 30 {
					queries = append(queries, "start_datetime="+d.String()+"T00:00:00Z&end_datetime="+(d+30).String()+"T00:00:00Z")
				}
			default:
				queries = []string{""}
			}
			for _, q := range queries {
				next := ""
				for {
					u := "/v2/usercollection/" + coll + "?" + q
					if next != "" {
						u += "&next_token=" + next
					}
					req, _ := http.NewRequest(http.MethodGet, u, nil)
					req.Header.Set("Authorization", "Bearer sandbox-token-1")
					w := &tailWriter{h: http.Header{}}
					s.ServeHTTP(w, req)
					if w.status != 200 {
						b.Fatalf("%s: %d %s", u, w.status, w.tail)
					}
					bytes += w.size
					reqs++
					if next = nextToken(w.tail); next == "" {
						break
					}
				}
			}
		}
	}
	b.ReportMetric(float64(bytes)/1e6, "MB")
	b.ReportMetric(float64(reqs), "requests")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/pull")
}

// BenchmarkDocumentsHeartRate walks ten years of heart rate through the
// truth API and reports the peak heap: it must not grow with the range.
func BenchmarkDocumentsHeartRate(b *testing.B) {
	since, until := dateFromCivil(2015, 1, 1), dateFromCivil(2024, 12, 31)
	s, err := New(Options{Since: since, Until: until})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var peak uint64
	var ms runtime.MemStats
	rows := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows = 0
		for _, err := range s.Documents(1, "heartrate", dayTime(since), dayTime(until+1)) {
			if err != nil {
				b.Fatal(err)
			}
			rows++
			if rows%200000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
	}
	b.ReportMetric(float64(rows), "rows")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkServePage measures the sandbox's own requests per second for
// typical pages (ServeHTTP in process: no network, no client decoding).
func BenchmarkServePage(b *testing.B) {
	s, err := New(Options{Since: testSince, Until: testUntil, RateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	for _, gz := range []bool{false, true} {
		for _, tc := range []struct{ name, path string }{
			{"heartrate", "/v2/usercollection/heartrate?start_datetime=2024-03-01T00:00:00Z&end_datetime=2024-03-31T00:00:00Z"},
			{"sleep", "/v2/usercollection/sleep?start_date=2024-01-01&end_date=2024-03-31"},
			{"daily_activity", "/v2/usercollection/daily_activity?start_date=2024-01-01&end_date=2024-03-31"},
			{"daily_sleep_one_day", "/v2/usercollection/daily_sleep?start_date=2024-03-01&end_date=2024-03-01"},
		} {
			b.Run(fmt.Sprintf("%s/gzip=%v", tc.name, gz), func(b *testing.B) {
				var size int
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						req, _ := http.NewRequest(http.MethodGet, tc.path, nil)
						req.Header.Set("Authorization", "Bearer sandbox-token-1")
						if gz {
							req.Header.Set("Accept-Encoding", "gzip")
						}
						w := &tailWriter{h: http.Header{}}
						s.ServeHTTP(w, req)
						if w.status != 200 {
							b.Fatalf("%d", w.status)
						}
						size = w.size
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
				b.ReportMetric(float64(size), "wire-bytes/page")
			})
		}
	}
}
