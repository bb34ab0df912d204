// Package v1test holds what the tests of v1compat and its importer share:
// a sandbox world, exports of it, and readers of the outputs. Only tests
// import it.
package v1test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
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

// World is a sandbox (one user) and the history it serves.
type World struct {
	Srv          *sandbox.Server
	URL          string
	Since, Until time.Time
	// Formats are the outputs Export writes (nil: all three). The tests
	// read the CSV files and the archive; leaving Parquet out saves time.
	Formats []string
	// Registry is every collection Export's store may hold (nil: v2 and
	// the collections exported).
	Registry *exporter.Registry
}

// NewWorld starts a sandbox of one user for the days since..until.
func NewWorld(t testing.TB, since, until string, mod func(*sandbox.Options)) *World {
	t.Helper()
	s, err := sandbox.ParseDate(since)
	if err != nil {
		t.Fatal(err)
	}
	u, err := sandbox.ParseDate(until)
	if err != nil {
		t.Fatal(err)
	}
	o := sandbox.Options{Users: 1, Seed: 11, Since: s, Until: u, NoGzip: true}
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
	w := &World{Srv: srv, URL: base}
	w.Since, _ = time.Parse(time.DateOnly, since)
	w.Until, _ = time.Parse(time.DateOnly, until)
	return w
}

// Export runs a whole export of colls from the world into out, with sinks
// for every table the export may write.
func (w *World) Export(t testing.TB, out string, colls []*exporter.Collection, mod func(*exporter.FetchOptions)) (*exporter.Result, error) {
	t.Helper()
	client, err := oura.NewClient(oura.ClientOptions{BaseURL: w.URL, Tokens: oura.StaticToken(w.Srv.Token(1)),
		Retry: &oura.Retry{Attempts: 10, MaxRateLimited: 1000, Base: time.Millisecond, Max: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := exporter.OpenStore(filepath.Join(out, exporter.StoreDir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	root, err := sinks.LocalDir(out)
	if err != nil {
		t.Fatal(err)
	}
	tables := exporter.OutputTables(colls)
	ss := OpenSinks(t, root, tables, w.Formats...)
	fo := exporter.FetchOptions{Client: client, Store: st, Collections: colls, Until: w.Until, Workers: 4, Lookback: 14,
		Now: func() time.Time { return w.Until.Add(20 * time.Hour) }}
	if mod != nil {
		mod(&fo)
	}
	reg := w.Registry
	if reg == nil {
		known := exporter.V2Collections(schema.CheckV2)
		for _, c := range colls {
			if c.API != exporter.APIv2 {
				known = append(known, c)
			}
		}
		reg = exporter.MustRegistry(known...)
	}
	return exporter.Export(context.Background(), exporter.Options{Fetch: fo, Sinks: ss, Root: root, Tables: tables, ToolVersion: "test", Registry: reg})
}

// Rebuild writes the outputs of out from its store alone, every stored
// collection of w.Registry (the whole history the store holds, merged),
// as an import does.
func (w *World) Rebuild(t testing.TB, out string) (*exporter.Result, error) {
	t.Helper()
	st, err := exporter.OpenStore(filepath.Join(out, exporter.StoreDir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	root, err := sinks.LocalDir(out)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := exporter.Stored(st, w.Registry.Collections())
	if err != nil {
		t.Fatal(err)
	}
	tables := exporter.OutputTables(stored)
	return exporter.Rebuild(context.Background(), exporter.RebuildOptions{Store: st, Collections: w.Registry.Collections(),
		Sinks: OpenSinks(t, root, tables, w.Formats...), Root: root, Tables: tables, ToolVersion: "test"})
}

// OpenSinks opens the formats (none named: all three) for tables below root.
func OpenSinks(t testing.TB, root sinks.Dir, tables []*schema.Table, formats ...string) []sinks.Sink {
	t.Helper()
	if len(formats) == 0 {
		formats = []string{"parquet", "csv", "archive"}
	}
	var ss []sinks.Sink
	for _, f := range formats {
		s, err := sinks.Open(f, sinks.Options{Dir: root.Sub(f), Tables: tables})
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
	}
	return ss
}

// TableRows reads data/<table>.ndjson of an export's archive: every table's
// rows, as JSON objects (numbers as json.Number).
func TableRows(t testing.TB, out string) map[string][]map[string]any {
	t.Helper()
	return ArchiveEntries(t, filepath.Join(out, "archive", "oura-export.zip"), "data/")
}

// RawDocs reads raw/<collection>.ndjson of an export's archive.
func RawDocs(t testing.TB, out string) map[string][]string {
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
	}
	return docs
}

// ArchiveEntries reads the JSON lines of the archive entries below prefix.
func ArchiveEntries(t testing.TB, path, prefix string) map[string][]map[string]any {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]map[string]any{}
	for _, f := range zr.File {
		name, ok := strings.CutPrefix(f.Name, prefix)
		if !ok {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		table := strings.TrimSuffix(name, ".ndjson")
		out[table] = []map[string]any{}
		dec := json.NewDecoder(rc)
		dec.UseNumber()
		for {
			var row map[string]any
			if err := dec.Decode(&row); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			out[table] = append(out[table], row)
		}
		rc.Close()
	}
	return out
}

// DataFiles hashes an export's CSV files and its archive's data/ and raw/
// entries: what must be equal in two exports of the same data.
func DataFiles(t testing.TB, out string) map[string]string {
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

// CompareFiles reports the files that differ between two DataFiles (skip: names to leave out).
func CompareFiles(t testing.TB, got, want map[string]string, skip func(name string) bool) {
	t.Helper()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if skip != nil && skip(n) {
			continue
		}
		if got[n] != want[n] {
			t.Errorf("%s differs", n)
		}
	}
}

// V1Twins are the v2 collections the v1 routes correspond to.
var V1Twins = []string{"personal_info", "sleep", "daily_sleep", "daily_activity", "daily_readiness", "sleep_time"}

// V2Subset returns the v2 collections named.
func V2Subset(names ...string) []*exporter.Collection {
	var out []*exporter.Collection
	for _, c := range exporter.V2Collections(schema.CheckV2) {
		for _, n := range names {
			if c.Name == n {
				out = append(out, c)
			}
		}
	}
	return out
}

// MustJSON is the JSON text of v.
func MustJSON(t testing.TB, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(b.String())
}
