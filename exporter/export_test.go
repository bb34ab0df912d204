package exporter_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	_ "github.com/ouraexport/ouraexport/sinks/csv"
	_ "github.com/ouraexport/ouraexport/sinks/jsonarchive"
	_ "github.com/ouraexport/ouraexport/sinks/parquet"
)

// world is a sandbox and the history it serves.
type world struct {
	srv          *sandbox.Server
	url          string
	since, until time.Time
	latency      time.Duration
}

func newWorld(t testing.TB, since, until string, mod func(*sandbox.Options)) *world {
	t.Helper()
	s, err := sandbox.ParseDate(since)
	if err != nil {
		t.Fatal(err)
	}
	u, err := sandbox.ParseDate(until)
	if err != nil {
		t.Fatal(err)
	}
	o := sandbox.Options{Users: 2, Seed: 7, Since: s, Until: u, NoGzip: true}
	if mod != nil {
		mod(&o)
	}
	srv, err := sandbox.New(o)
	if err != nil {
		t.Fatal(err)
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	w := &world{srv: srv, url: base, latency: o.Latency}
	w.since, _ = time.Parse(time.DateOnly, since)
	w.until, _ = time.Parse(time.DateOnly, until)
	return w
}

type run struct {
	out     string
	user    int
	workers int
	fetch   func(*exporter.FetchOptions)
	client  func(*oura.ClientOptions)
	ctx     context.Context
	budget  int64 // the sinks' memory budget (0: their default)
}

// export runs a whole export of the world into r.out.
func (w *world) export(t testing.TB, r run) (*exporter.Result, error) {
	t.Helper()
	if r.user == 0 {
		r.user = 1
	}
	if r.ctx == nil {
		r.ctx = context.Background()
	}
	co := oura.ClientOptions{BaseURL: w.url, Tokens: oura.StaticToken(w.srv.Token(r.user)),
		Retry: &oura.Retry{Attempts: 10, MaxRateLimited: 1000, Base: time.Millisecond, Max: 20 * time.Millisecond}}
	if r.client != nil {
		r.client(&co)
	}
	client, err := oura.NewClient(co)
	if err != nil {
		t.Fatal(err)
	}
	st, err := exporter.OpenStore(filepath.Join(r.out, exporter.StoreDir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	root, err := sinks.LocalDir(r.out)
	if err != nil {
		t.Fatal(err)
	}
	var ss []sinks.Sink
	for _, f := range []string{"parquet", "csv", "archive"} {
		s, err := sinks.Open(f, sinks.Options{Dir: root.Sub(f), Tables: schema.Tables(), MemoryBudget: r.budget})
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
	}
	fo := exporter.FetchOptions{Client: client, Store: st, Collections: exporter.V2Collections(schema.CheckV2),
		Until: w.until, Workers: r.workers, Lookback: 14, Now: func() time.Time { return w.until.Add(20 * time.Hour) }}
	if r.fetch != nil {
		r.fetch(&fo)
	}
	return exporter.Export(r.ctx, exporter.Options{Fetch: fo, Sinks: ss, Root: root, ToolVersion: "test",
		Registry: exporter.MustRegistry(exporter.V2Collections(schema.CheckV2)...)})
}

// rawDocs reads raw/<collection>.ndjson of the export's archive.
func rawDocs(t testing.TB, out string) map[string][]string {
	t.Helper()
	zr, err := zip.OpenReader(filepath.Join(out, "archive", "oura-export.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	docs := map[string][]string{}
	for _, f := range zr.File {
		name, ok := strings.CutPrefix(f.Name, "raw/")
		if !ok {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(rc)
		sc.Buffer(nil, 64<<20)
		coll := strings.TrimSuffix(name, ".ndjson")
		docs[coll] = []string{}
		for sc.Scan() {
			docs[coll] = append(docs[coll], sc.Text())
		}
		rc.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return docs
}

// truth is what the sandbox holds for the user over the exported history.
func (w *world) truth(t testing.TB, user int, collection string) []string {
	t.Helper()
	from, to := w.since, w.until.AddDate(0, 0, 1)
	if c := exporter.V2Collection(collection); c != nil && c.Kind == exporter.ByInstant {
		from, to = w.since.AddDate(0, 0, -1), w.until.AddDate(0, 0, 2)
	}
	var out []string
	for doc, err := range w.srv.Documents(user, collection, from, to) {
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.Write(doc)
		out = append(out, b.String())
	}
	return out
}

// dataFiles hashes the export's CSV files and the archive's data/ and raw/
// entries: everything that must be the same in two exports of the same data.
func dataFiles(t testing.TB, out string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	filepath.Walk(filepath.Join(out, "csv"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			h := sha256.Sum256(b)
			rel, _ := filepath.Rel(out, p)
			sums[rel] = hex.EncodeToString(h[:])
		}
		return nil
	})
	zr, err := zip.OpenReader(filepath.Join(out, "archive", "oura-export.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "raw/") && !strings.HasPrefix(f.Name, "data/") {
			continue
		}
		rc, _ := f.Open()
		h := sha256.New()
		io.Copy(h, rc)
		rc.Close()
		sums["archive:"+f.Name] = hex.EncodeToString(h.Sum(nil))
	}
	return sums
}

func TestExportMatchesTruth(t *testing.T) {
	w := newWorld(t, "2022-12-20", "2023-02-28", nil) // holds a rest mode period
	out := t.TempDir()
	res, err := w.export(t, run{out: out, workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	got := rawDocs(t, out)
	for _, c := range exporter.V2Collections(nil) {
		want := w.truth(t, 1, c.Name)
		if len(want) == 0 && c.Name != "daily_cycle_phases" { // user 1 has no cycle: see TestOptionalCollections
			t.Errorf("%s: the sandbox holds no documents; the test proves nothing", c.Name)
		}
		if len(got[c.Name]) != len(want) {
			t.Errorf("%s: exported %d documents, the sandbox holds %d", c.Name, len(got[c.Name]), len(want))
			continue
		}
		for i := range want {
			if got[c.Name][i] != want[i] {
				t.Errorf("%s: document %d differs:\n got %.200s\nwant %.200s", c.Name, i, got[c.Name][i], want[i])
				break
			}
		}
		if res.Docs[c.Name] != int64(len(want)) {
			t.Errorf("%s: result counts %d documents, want %d", c.Name, res.Docs[c.Name], len(want))
		}
	}
	if len(res.Failed()) > 0 {
		t.Errorf("failed collections: %v", res.Failed())
	}
	// The outputs verify, and their row counts are the mapped truth's.
	rep, err := sinks.Verify(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify: %v", rep.Problems)
	}
	want := map[string]int64{}
	m := schema.NewMapper(4096, func(b *schema.Batch) error { want[b.Table.Name] += int64(b.Len()); return nil })
	for _, c := range exporter.V2Collections(nil) {
		for _, doc := range w.truth(t, 1, c.Name) {
			if err := m.MapV2(c.Name, []byte(doc), schema.OriginV2); err != nil {
				t.Fatal(err)
			}
		}
	}
	m.Flush()
	man, err := sinks.ReadManifest(mustDir(t, out))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range man.Files {
		if !strings.HasPrefix(f.Path, "parquet/") {
			continue
		}
		table := strings.TrimSuffix(strings.TrimPrefix(f.Path, "parquet/"), ".parquet")
		if f.Rows != want[table] {
			t.Errorf("%s: %d rows, the mapped truth has %d", f.Path, f.Rows, want[table])
		}
	}
}

func mustDir(t testing.TB, p string) sinks.Dir {
	d, err := sinks.LocalDir(p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestExportSameOutputEveryWay exports the same history under hostile
// conditions and requires the same data files as a plain export.
func TestExportSameOutputEveryWay(t *testing.T) {
	cases := []struct {
		name    string
		since   string
		sandbox func(*sandbox.Options)
		fetch   func(*exporter.FetchOptions)
	}{
		{name: "page size 1", since: "2024-03-09", sandbox: func(o *sandbox.Options) { o.PageSize = 1 }},
		{name: "windows cut through nights", since: "2024-02-20", fetch: func(o *exporter.FetchOptions) {
			for _, c := range o.Collections {
				if c.Kind == exporter.ByDate {
					c.MaxWindow = 2 * 24 * time.Hour
				}
				if c.Kind == exporter.ByInstant {
					c.MaxWindow = 29 * time.Hour
				}
			}
		}},
		{name: "small pages and splits", since: "2024-02-25", sandbox: func(o *sandbox.Options) { o.PageSize = 9 }, fetch: func(o *exporter.FetchOptions) { o.ChainLimit = 2 }},
		{name: "latency", since: "2024-02-20", sandbox: func(o *sandbox.Options) { o.Latency = 20 * time.Millisecond }},
		{name: "10% faults", since: "2024-02-20", sandbox: func(o *sandbox.Options) { o.FaultRate = 0.1 }},
		{name: "garbled answers", since: "2024-02-20", sandbox: func(o *sandbox.Options) {
			o.FaultRate = 0.15
			o.Faults = []string{"html", "malformed", "wrongtype", "duplicate", "loop", "reset", "truncate", "503"}
			o.PageSize = 20
		}},
		{name: "tight rate limit", since: "2024-03-01", sandbox: func(o *sandbox.Options) {
			o.RateLimit, o.RateWindow = 20, time.Second
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := newWorld(t, tc.since, "2024-03-10", nil)
			want := t.TempDir()
			if _, err := base.export(t, run{out: want}); err != nil {
				t.Fatal(err)
			}
			w := newWorld(t, tc.since, "2024-03-10", tc.sandbox)
			got := t.TempDir()
			res, err := w.export(t, run{out: got, workers: 4, fetch: tc.fetch})
			if err != nil {
				if res != nil && res.Fetch != nil {
					for _, f := range res.Failed() {
						t.Errorf("%s: %v", f.Collection.Name, f.Err)
					}
				}
				t.Fatal(err)
			}
			compareData(t, dataFiles(t, got), dataFiles(t, want))
			t.Logf("%d requests, %d retries, %d rate limited, %d faults", res.Requests, res.Retries, res.RateLimited, res.Faults)
			if tc.name == "tight rate limit" && res.RateLimited > 0 {
				t.Errorf("%d answers were 429: the client should pace itself within the limit", res.RateLimited)
			}
		})
	}
}

func compareData(t *testing.T, got, want map[string]string) {
	t.Helper()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(got) != len(want) {
		t.Errorf("%d data files, want %d", len(got), len(want))
	}
	for _, n := range names {
		if got[n] != want[n] {
			t.Errorf("%s differs from a plain export", n)
		}
	}
}

func TestExportResumes(t *testing.T) {
	w := newWorld(t, "2024-02-01", "2024-03-10", func(o *sandbox.Options) { o.PageSize = 50 })
	want := t.TempDir()
	if _, err := w.export(t, run{out: want}); err != nil {
		t.Fatal(err)
	}
	// Interrupt an export after some pages, then run it again.
	got := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var pages atomic.Int64
	_, err := w.export(t, run{out: got, ctx: ctx, fetch: func(o *exporter.FetchOptions) {
		o.Progress = progressFunc(func() {
			if pages.Add(1) == 15 {
				cancel()
			}
		})
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted export: got %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(got, "MANIFEST.json")); err == nil {
		t.Fatal("an interrupted export published a manifest")
	}
	res, err := w.export(t, run{out: got})
	if err != nil {
		t.Fatal(err)
	}
	compareData(t, dataFiles(t, got), dataFiles(t, want))
	t.Logf("resume made %d requests", res.Requests)
}

type progressFunc func()

func (f progressFunc) Planned(int, int)        {}
func (f progressFunc) Page(string, int)        { f() }
func (f progressFunc) Done(string, int, error) {}

// TestExportIncremental grows the history by three days and revises two
// recent ones: a second run fetches only what changed, and its output
// equals a fresh export of the new history.
func TestExportIncremental(t *testing.T) {
	w := newWorld(t, "2024-01-01", "2024-03-10", nil)
	out := t.TempDir()
	first, err := w.export(t, run{out: out})
	if err != nil {
		t.Fatal(err)
	}
	before := dataFiles(t, out)
	newUntil := w.srv.Advance(3)
	for _, day := range []string{"2024-03-05", "2024-03-08"} {
		d, _ := sandbox.ParseDate(day)
		if err := w.srv.Revise(1, d); err != nil {
			t.Fatal(err)
		}
	}
	w.until, _ = time.Parse(time.DateOnly, newUntil.String())
	again, err := w.export(t, run{out: out})
	if err != nil {
		t.Fatal(err)
	}
	fresh := t.TempDir()
	if _, err := w.export(t, run{out: fresh}); err != nil {
		t.Fatal(err)
	}
	after := dataFiles(t, out)
	compareData(t, after, dataFiles(t, fresh))
	if after["csv/daily_sleep.csv"] == before["csv/daily_sleep.csv"] || after["csv/sleep.csv"] == before["csv/sleep.csv"] {
		t.Error("the revised and new days did not reach the outputs")
	}
	t.Logf("first run %d requests, incremental run %d requests", first.Requests, again.Requests)
	// personal_info, ring_configuration, one window per date collection and
	// one or two per time series: far from a full export.
	if again.Requests > 30 {
		t.Errorf("the incremental run made %d requests, want a handful (a full export made %d)", again.Requests, first.Requests)
	}
}

// The time series are complete, and so can be built, as soon as their own
// windows are in: they do not wait for every date collection, only for the
// date collections' days before the first one the time series were
// planned from (their heads, fetched first).
func TestSeriesCompleteBeforeDates(t *testing.T) {
	w := newWorld(t, "2025-01-01", "2025-06-30", nil)
	co := oura.ClientOptions{BaseURL: w.url, Tokens: oura.StaticToken(w.srv.Token(1))}
	client, err := oura.NewClient(co)
	if err != nil {
		t.Fatal(err)
	}
	st, err := exporter.OpenStore(filepath.Join(t.TempDir(), exporter.StoreDir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var order []string
	fo := exporter.FetchOptions{Client: client, Store: st, Collections: exporter.V2Collections(schema.CheckV2),
		Until: w.until, Workers: 1, Lookback: 14, Now: func() time.Time { return w.until.Add(20 * time.Hour) }}
	if _, err := exporter.Fetch(context.Background(), fo, func(c *exporter.Collection) { order = append(order, c.Name) }); err != nil {
		t.Fatal(err)
	}
	at := func(name string) int {
		i := slices.Index(order, name)
		if i < 0 {
			t.Fatalf("%s never completed: %v", name, order)
		}
		return i
	}
	if hr, tag := at("heartrate"), at("tag"); hr > tag {
		t.Errorf("heartrate completed after tag, a date collection fetched after it (order %v): the time series waited for every date collection", order)
	}
}
