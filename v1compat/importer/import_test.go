package importer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/v1compat"
	"github.com/ouraexport/ouraexport/v1compat/importer"
	"github.com/ouraexport/ouraexport/v1compat/internal/v1test"
)

// allCollections are every collection a store can hold.
func allCollections() []*exporter.Collection {
	cs := exporter.V2Collections(schema.CheckV2)
	cs = append(cs, v1compat.Collections()...)
	return append(cs, importer.Collections()...)
}

// importInto imports paths into the export folder out and builds its
// outputs (every format), as the import command does.
func importInto(t testing.TB, out string, paths ...string) (*importer.Result, *exporter.Result, error) {
	t.Helper()
	return importAs(t, out, nil, paths...)
}

// lean are the formats the tests read (CSV and the archive): tests that
// compare tables leave Parquet out to save time.
var lean = []string{"csv", "archive"}

// importAs is importInto writing the formats given (nil: all).
func importAs(t testing.TB, out string, formats []string, paths ...string) (*importer.Result, *exporter.Result, error) {
	t.Helper()
	st, err := exporter.OpenStore(filepath.Join(out, exporter.StoreDir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := importer.Import(context.Background(), importer.Options{Store: st, Paths: paths})
	if err != nil {
		return nil, nil, err
	}
	stored, err := exporter.Stored(st, allCollections())
	if err != nil {
		t.Fatal(err)
	}
	tables := exporter.OutputTables(stored)
	for _, t := range res.Tables {
		if !slices.Contains(tables, t) {
			tables = append(tables, t)
		}
	}
	sort.Slice(tables, func(i, j int) bool { return tableIndex(tables[i]) < tableIndex(tables[j]) })
	root, err := sinks.LocalDir(out)
	if err != nil {
		t.Fatal(err)
	}
	built, err := exporter.Rebuild(context.Background(), exporter.RebuildOptions{Store: st, Collections: allCollections(),
		Sinks: v1test.OpenSinks(t, root, tables, formats...), Root: root, Tables: tables, ToolVersion: "test"})
	return res, built, err
}

func num(v any) int64 {
	n, _ := v.(json.Number).Int64()
	return n
}

func tableIndex(t *schema.Table) int { return slices.Index(schema.Tables(), t) }

// pairKey is what pairs an imported row with the API's.
func pairKey(table string, r map[string]any) string {
	switch table {
	case "sleep":
		if r["bedtime_start"] != nil {
			return fmt.Sprint(r["bedtime_start"])
		}
		return fmt.Sprint("day ", r["day"])
	case "heartrate":
		return fmt.Sprint(r["timestamp"], r["source"])
	case "ring_battery_level":
		return fmt.Sprint(r["timestamp"])
	case "workout", "session":
		return fmt.Sprint(r["start_datetime"])
	case "enhanced_tag":
		return fmt.Sprint(r["start_time"], r["tag_type_code"])
	case "personal_info":
		return "the user"
	}
	return fmt.Sprint(r["day"])
}

// index pairs the rows of every table: top-level ones by natural key,
// child rows by their parent's key and seq.
func index(rows map[string][]map[string]any, tables []string) map[string]map[string]map[string]any {
	out := map[string]map[string]map[string]any{}
	parentKey := map[string]map[any]string{}
	wanted := map[string]bool{}
	for _, name := range tables {
		wanted[name] = true
		if p := schema.Lookup(name).Parent; p != "" {
			wanted[p] = true
		}
	}
	for _, t := range schema.Tables() {
		if !wanted[t.Name] {
			continue
		}
		m := map[string]map[string]any{}
		if t.Parent == "" {
			parentKey[t.Name] = map[any]string{}
			longest := map[any]map[string]any{}
			for _, r := range rows[t.Name] {
				k := pairKey(t.Name, r)
				if _, dup := m[k]; !dup {
					m[k] = r
				}
				parentKey[t.Name][r["id"]] = k
				// Rows without a bedtime pair with the day's longest period (v1's is_longest).
				if t.Name == "sleep" && r["type"] != "rest" && r["type"] != "deleted" {
					if l := longest[r["day"]]; l == nil || num(r["time_in_bed"]) > num(l["time_in_bed"]) {
						longest[r["day"]] = r
					}
				}
			}
			for day, r := range longest {
				if k := fmt.Sprint("day ", day); m[k] == nil {
					m[k] = r
				}
			}
		} else {
			for _, r := range rows[t.Name] {
				m[fmt.Sprint(parentKey[t.Parent][r[t.Parent+"_id"]], "#", r["seq"])] = r
			}
		}
		out[t.Name] = m
	}
	return out
}

// compareRows checks the imported rows of tables against the API
// export's. strict: every value the API row has must be in the imported
// row (but for the columns of skip); else only the values the import has
// must agree (a format carries a subset). It returns the values compared.
func compareRows(t *testing.T, got, want map[string][]map[string]any, tables []string, strict bool, skip map[string]bool) int {
	t.Helper()
	gi, wi := index(got, tables), index(want, tables)
	n := 0
	for _, table := range tables {
		tb := schema.Lookup(table)
		if len(got[table]) == 0 {
			t.Errorf("%s: no rows imported", table)
			continue
		}
		for k, g := range gi[table] {
			w, ok := wi[table][k]
			if !ok {
				t.Errorf("%s %s: imported, but the API has no such record", table, k)
				continue
			}
			if g["origin"] != "import" {
				t.Errorf("%s %s: origin %v", table, k, g["origin"])
			}
			for _, c := range tb.Columns {
				if c.Name == schema.ColID || c.Name == schema.ColOrigin || c.Name == schema.ColExtra || c.Name == tb.Parent+"_id" || skip[table+"."+c.Name] {
					continue
				}
				a, b := fmt.Sprint(g[c.Name]), fmt.Sprint(w[c.Name])
				switch {
				case a == b:
					if g[c.Name] != nil {
						n++
					}
				case g[c.Name] == nil && (!strict || w[c.Name] == nil):
				case c.V2 == "" && w[c.Name] == nil:
					// a v1-only column the API export leaves null
				case table == "sleep" && strings.HasPrefix(c.Name, "readiness_temperature") && w[c.Name] == nil && w["type"] != "long_sleep":
					// v2 gives a readiness to the long sleep only; v1 gave every period the night's deviation
				default:
					t.Errorf("%s %s: %s imported as %v, the API has %v", table, k, c.Name, g[c.Name], w[c.Name])
				}
			}
			if t.Failed() {
				return n
			}
		}
		if strict && len(gi[table]) != len(wi[table]) {
			t.Errorf("%s: %d records imported, the API has %d", table, len(gi[table]), len(wi[table]))
		}
	}
	return n
}

// TestImportEveryKind writes the sandbox's history in the layout of every
// kind of file Oura gave people, imports each, and compares the tables
// with an API export of the same history.
func TestImportEveryKind(t *testing.T) {
	w := v1test.NewWorld(t, "2024-03-30", "2024-04-08", nil) // across the daylight saving changes of Europe and New Zealand
	w.Registry = exporter.MustRegistry(allCollections()...)
	w.Formats = lean
	api := t.TempDir()
	if _, err := w.Export(t, api, exporter.V2Collections(schema.CheckV2), nil); err != nil {
		t.Fatal(err)
	}
	want := v1test.TableRows(t, api)
	sleepTables := []string{"sleep", "sleep_heart_rate", "sleep_hrv", "sleep_phase_5_min"}
	activityTables := []string{"daily_activity", "daily_activity_met", "daily_activity_class_5_min"}
	cases := []struct {
		name   string
		files  func(dir string) []string
		kind   string
		tables []string
		strict bool
		skip   map[string]bool
	}{
		{name: "Oura on the Web CSV", kind: importer.KindWebCSV, strict: true,
			files: func(dir string) []string {
				return []string{
					writeFile(t, dir, "oura_sleep_2024-04-19T10-00-00.csv", webCSV(t, w, "sleep", true)),
					writeFile(t, dir, "oura_daily-sleep_2024-04-19T10-00-00.csv", webCSV(t, w, "daily_sleep", true)),
					writeFile(t, dir, "oura_daily-activity_2024-04-19T10-00-00.csv", webCSV(t, w, "daily_activity", true)),
					writeFile(t, dir, "oura_daily-readiness_2024-04-19T10-00-00.csv", webCSV(t, w, "daily_readiness", true)),
					writeFile(t, dir, "oura_daily-spo2_2024-04-19T10-00-00.csv", webCSV(t, w, "daily_spo2", false)),
					writeFile(t, dir, "oura_heart-rate_2024-04-19T10-00-00.csv", webCSV(t, w, "heartrate", false)),
				}
			},
			tables: append(append([]string{"daily_sleep", "daily_readiness", "daily_spo2", "heartrate", "sleep_app_phase_5_min", "sleep_phase_30_sec",
				"sleep_movement_30_sec"}, sleepTables...), activityTables...),
			skip: map[string]bool{"heartrate.timestamp_unix": true}},
		{name: "Oura on the Web bedtime CSV", kind: importer.KindWebCSV,
			files: func(dir string) []string {
				return []string{writeFile(t, dir, "oura_bedtime_x.csv", webBedtimeCSV(t, w))}
			},
			tables: []string{"sleep_time"}},
		{name: "Oura on the Web JSON", kind: importer.KindWebJSON, strict: true,
			files: func(dir string) []string {
				return []string{writeFile(t, dir, "oura_daily_2024.json", webJSON(t, w, "daily_sleep", "daily_readiness", "sleep", "daily_activity"))}
			},
			tables: append(append([]string{"daily_sleep", "daily_readiness"}, sleepTables...), activityTables...)},
		{name: "Membership Hub zip", kind: importer.KindHubCSV, strict: true,
			files: func(dir string) []string { return []string{writeFile(t, dir, "oura-data-export.zip", hubZip(t, w))} },
			tables: append(append([]string{"daily_sleep", "daily_readiness", "daily_spo2", "daily_stress", "daily_cardiovascular_age",
				"daily_resilience", "workout", "enhanced_tag", "sleep_time", "heartrate", "ring_battery_level"}, sleepTables...), activityTables...)},
		{name: "Oura Cloud JSON", kind: importer.KindCloudJSON,
			files: func(dir string) []string {
				main, heart := cloudJSON(t, w)
				return []string{writeFile(t, dir, "oura_2024-04-19T10-00-00.json", main), writeFile(t, dir, "heart_rate.json", heart)}
			},
			tables: append(append([]string{"daily_sleep", "daily_readiness", "heartrate"}, sleepTables...), activityTables...)},
	}
	for _, era := range trendsEras {
		tables := []string{"daily_sleep", "daily_activity", "daily_readiness", "sleep"}
		cases = append(cases, struct {
			name   string
			files  func(dir string) []string
			kind   string
			tables []string
			strict bool
			skip   map[string]bool
		}{name: "trends CSV " + era.name, kind: importer.KindTrends, tables: tables,
			files: func(dir string) []string { return []string{writeFile(t, dir, "trends.csv", trendsCSV(t, w, era))} }})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, out := t.TempDir(), t.TempDir()
			// Names that say nothing: the kind is told by the content.
			var files []string
			for i, f := range tc.files(dir) {
				neutral := filepath.Join(dir, fmt.Sprintf("file%d.dat", i))
				if err := os.Rename(f, neutral); err != nil {
					t.Fatal(err)
				}
				files = append(files, neutral)
			}
			res, built, err := importAs(t, out, lean, files...)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Files {
				if f.Kind != tc.kind && !strings.HasSuffix(f.File, "temperature.csv") {
					t.Errorf("%s read as %q, want %q", f.File, f.Kind, tc.kind)
				}
			}
			got := v1test.TableRows(t, out)
			n := compareRows(t, got, want, tc.tables, tc.strict, tc.skip)
			if n < 10 {
				t.Errorf("only %d values compared", n)
			}
			rep, err := sinks.Verify(context.Background(), out)
			if err != nil || !rep.OK() {
				t.Errorf("verify: %v %v", err, rep.Problems)
			}
			if built.Meta.Period.Since == "" || len(built.Meta.Sources) == 0 {
				t.Errorf("meta %+v", built.Meta)
			}
			t.Logf("%d values compared", n)
		})
	}
}

// TestImportOverlapsMergeOnce imports files that overlap in time (two
// downloads of the same days, the same history in several formats): every
// record is in the tables once, and the file read last wins.
func TestImportOverlapsMergeOnce(t *testing.T) {
	w := v1test.NewWorld(t, "2024-01-05", "2024-01-14", nil)
	w.Registry = exporter.MustRegistry(allCollections()...)
	dir, out := t.TempDir(), t.TempDir()
	w.Formats = lean
	main, heart := cloudJSON(t, w)
	hr := webCSV(t, w, "heartrate", false)
	lines := strings.SplitAfter(string(hr), "\n")
	half := len(lines) / 2
	first := strings.Join(lines[:half+200], "")
	second := lines[0] + strings.Join(lines[half-200:], "")
	files := []string{
		writeFile(t, dir, "a/oura_2024.json", main),
		writeFile(t, dir, "a/heart.json", heart),
		writeFile(t, dir, "b/hr1.csv", []byte(first)),
		writeFile(t, dir, "b/hr2.csv", []byte(second)),
		writeFile(t, dir, "c/trends.csv", trendsCSV(t, w, trendsEras[0])),
		writeFile(t, dir, "d/hub.zip", hubZip(t, w)),
	}
	if _, _, err := importAs(t, out, lean, filepath.Join(dir, "a"), filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	res, _, err := importAs(t, out, lean, files[4], files[5])
	if err != nil {
		t.Fatal(err)
	}
	rows := v1test.TableRows(t, out)
	for _, tb := range schema.Tables() {
		if tb.Parent != "" {
			continue
		}
		seen := map[string]int{}
		for _, r := range rows[tb.Name] {
			k := pairKey(tb.Name, r)
			if tb.Name == "sleep" {
				k = fmt.Sprint(r["bedtime_start"])
			}
			seen[k]++
			if seen[k] == 2 {
				t.Errorf("%s %s: %d rows", tb.Name, k, seen[k])
			}
		}
	}
	if got, want := len(rows["heartrate"]), len(v2Docs(t, w, "heartrate")); got != want {
		t.Errorf("%d heart rate rows, the history has %d", got, want)
	}
	// The hub zip, read last, speaks for the days it holds.
	for _, r := range rows["daily_activity"] {
		if !strings.HasPrefix(fmt.Sprint(r["id"]), "import-") && r["id"] == nil {
			t.Errorf("daily_activity %v without id", r["day"])
		}
	}
	if sk := res.Skipped(); len(sk) != 1 || !strings.HasSuffix(sk[0].File, "temperature.csv") || sk[0].Kind != importer.KindUnknown {
		t.Errorf("skipped %+v, want the hub's temperature.csv", sk)
	}
}

// TestArchiveRoundTrip: an export's archive, imported into a new folder,
// gives the same outputs (rows, origins, raw documents), v1 and v2 alike.
func TestArchiveRoundTrip(t *testing.T) {
	w := v1test.NewWorld(t, "2024-01-10", "2024-01-21", nil)
	w.Registry = exporter.MustRegistry(allCollections()...)
	orig, again := t.TempDir(), t.TempDir()
	colls := append(exporter.V2Collections(schema.CheckV2), v1compat.Collections()...)
	// v1 alone first, for days v2 will not cover: the archive holds rows of both origins.
	if _, err := w.Export(t, orig, v1compat.Collections(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Export(t, orig, colls, func(o *exporter.FetchOptions) { o.Since = w.Since.AddDate(0, 0, 5) }); err != nil {
		t.Fatal(err)
	}
	// An import on top, so that the archive holds imported records too.
	mw := v1test.NewWorld(t, "2023-12-30", "2024-01-05", nil)
	mw.Registry = exporter.MustRegistry(allCollections()...)
	main, _ := cloudJSON(t, mw)
	if _, _, err := importInto(t, orig, writeFile(t, t.TempDir(), "old.json", main)); err != nil {
		t.Fatal(err)
	}
	res, _, err := importInto(t, again, filepath.Join(orig, "archive", "oura-export.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || res.Files[0].Kind != importer.KindArchive {
		t.Fatalf("read %+v", res.Files)
	}
	v1test.CompareFiles(t, v1test.DataFiles(t, again), v1test.DataFiles(t, orig), nil)
	origins := map[any]int{}
	for _, r := range v1test.TableRows(t, again)["daily_activity"] {
		origins[r["origin"]]++
	}
	if origins["v1"] == 0 || origins["v2"] == 0 || origins["import"] == 0 {
		t.Errorf("origins after the round trip: %v", origins)
	}
}

// TestImportV1SamplesLossless imports the v1 documentation examples and
// walks every leaf of every record into the outputs.
func TestImportV1SamplesLossless(t *testing.T) {
	out := t.TempDir()
	samples := "../../testdata/oura/samples/v1"
	if _, _, err := importInto(t, out, samples); err != nil {
		t.Fatal(err)
	}
	rows := v1test.TableRows(t, out)
	raw := v1test.RawDocs(t, out)
	if len(raw["import_files"]) != 0 {
		t.Errorf("%d unrecognised files kept without KeepUnrecognised", len(raw["import_files"]))
	}
	walked := 0
	for _, k := range v1compat.Kinds() {
		for _, doc := range raw["import_v1_"+string(k)] {
			got := v1test.Rows{}
			var ids []any
			for _, tb := range v1compat.Tables(k) {
				if tb.Parent != "" {
					continue
				}
				// The record's rows: those whose id it made.
				mapped := v1test.MapRecords(t, k, schema.OriginImport, []byte(doc))
				for _, r := range mapped[tb.Name] {
					ids = append(ids, r["id"])
				}
			}
			for _, tb := range v1compat.Tables(k) {
				for _, r := range v1test.Typed(t, tb.Name, rows[tb.Name]) {
					ref := r["id"]
					if tb.Parent != "" {
						ref = r[tb.Parent+"_id"]
					}
					if slices.Contains(ids, ref) {
						got[tb.Name] = append(got[tb.Name], r)
					}
				}
			}
			v1test.Lossless(t, k, []byte(doc), schema.OriginImport, got)
			walked++
		}
	}
	if walked < 6 {
		t.Errorf("walked %d records", walked)
	}
	// The error example is no record: skipped (the import command says so,
	// exit 3), or kept whole when asked.
	res, err := importer.Import(context.Background(), importer.Options{Store: openStore(t, t.TempDir()), Paths: []string{samples}})
	if err != nil {
		t.Fatal(err)
	}
	if sk := res.Skipped(); len(sk) != 1 || sk[0].Kind != importer.KindUnknown {
		t.Errorf("skipped %+v, want the error example", sk)
	}
	kept := t.TempDir()
	st := openStore(t, kept)
	if res, err = importer.Import(context.Background(), importer.Options{Store: st, Paths: []string{samples}, KeepUnrecognised: true}); err != nil {
		t.Fatal(err)
	}
	if sk := res.Skipped(); len(sk) != 0 || res.Docs() == 0 {
		t.Errorf("with KeepUnrecognised: skipped %+v", sk)
	}
}

// openStore opens the store of the export folder out for the test.
func openStore(t testing.TB, out string) *exporter.Store {
	t.Helper()
	st, err := exporter.OpenStore(filepath.Join(out, exporter.StoreDir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestBadFiles: a file that cannot be read fails the import with its name
// and line, and the store is left as it was.
func TestBadFiles(t *testing.T) {
	w := v1test.NewWorld(t, "2024-01-05", "2024-01-12", nil)
	w.Registry = exporter.MustRegistry(allCollections()...)
	good := trendsCSV(t, w, trendsEras[0])
	hub := hubCSV(t, w, "daily_stress")
	main, _ := cloudJSON(t, w)
	zipped := hubZip(t, w)
	tests := []struct {
		name string
		body []byte
		line int
		msg  string
	}{
		{"cut.csv", good[:len(good)-len(good)/3], -1, "fields"},
		{"quote.csv", append(append([]byte(nil), hub...), []byte("abc;\"{\"day\n")...), -1, "quoted field"},
		{"date.csv", []byte("date,Sleep Score,Activity Score\r\n2024-01-01,80,70\r\n2024-13-45,81,71\r\n"), 3, "not a date"},
		{"ragged.csv", []byte("date,Sleep Score,Activity Score\n2024-01-01,80,70\n2024-01-02,81\n"), 3, "fields"},
		{"cut.json", main[:len(main)-10], 1, "cut short"},
		{"notobject.json", []byte(`{"sleep":[{"summary_date":"2020-01-01"},` + "\n" + `7]}`), 2, "not a JSON object"},
		{"cut.zip", zipped[:len(zipped)/2], 0, "zip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			dir := t.TempDir()
			ok := writeFile(t, dir, "0-good.json", main)
			bad := writeFile(t, dir, tt.name, tt.body)
			_, _, err := importInto(t, out, ok, bad)
			var fe *importer.FileError
			if !errors.As(err, &fe) || !errors.Is(err, importer.ErrBadFile) {
				t.Fatalf("got %v, want a FileError", err)
			}
			if fe.File != bad || (tt.line > 0 && fe.Line != tt.line) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %q (file %s, line %d), want %s line %d, %q", err, fe.File, fe.Line, bad, tt.line, tt.msg)
			}
			if tt.line < 0 && fe.Line <= 0 {
				t.Errorf("got %q, want a line number", err)
			}
			if tt.line > 0 && !strings.HasPrefix(err.Error(), fmt.Sprintf("%s:%d: ", bad, tt.line)) {
				t.Errorf("message %q does not start with file:line", err)
			}
			// Nothing was stored, not even the good file.
			ents, _ := os.ReadDir(filepath.Join(out, exporter.StoreDir))
			for _, e := range ents {
				if e.Name() == "segments" {
					t.Errorf("segments were stored")
				}
			}
		})
	}
}
