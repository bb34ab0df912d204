package exporter_test

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

// optionalColls returns the v2 collections with daily_cycle_phases and
// interbeat_interval optional, as internal/catalog makes them.
func optionalColls() []*exporter.Collection {
	cs := exporter.V2Collections(schema.CheckV2)
	for _, c := range cs {
		switch c.Name {
		case "daily_cycle_phases":
			c.Optional = &exporter.Optional{Scopes: []string{"reproductive_cycle"}, Adds: "the table daily_cycle_phases (cycle phases)"}
		case "interbeat_interval":
			c.Optional = &exporter.Optional{Scopes: []string{"interbeat_interval"}, Adds: "the table interbeat_interval (beat-to-beat intervals)"}
		}
	}
	return cs
}

// TestOptionalCollections exports a login without the scopes of the two
// optional collections: everything else is exported, the run does not
// fail, each optional collection cost one request and is named, with its
// scope and what it would add, in the result and the manifest's notes.
// With the scopes, they are exported like any other.
func TestOptionalCollections(t *testing.T) {
	var scopes []string
	for _, s := range sandbox.Scopes {
		if s != "reproductive_cycle" && s != "interbeat_interval" {
			scopes = append(scopes, "extapi:"+s)
		}
	}
	w := newWorld(t, "2024-02-01", "2024-03-10", func(o *sandbox.Options) { o.Scopes = scopes })
	out := t.TempDir()
	res, err := w.export(t, run{out: out, user: 2, workers: 4, fetch: func(o *exporter.FetchOptions) { o.Collections = optionalColls() }})
	if err != nil {
		t.Fatalf("export: %v (failed: %v)", err, res.Failed())
	}
	if len(res.Failed()) != 0 {
		t.Errorf("failed: %v", res.Failed())
	}
	var names []string
	for _, c := range res.Unavailable() {
		names = append(names, c.Collection.Name)
		var ue *exporter.UnavailableError
		if !errors.As(c.Err, &ue) || !errors.Is(c.Err, exporter.ErrUnavailable) {
			t.Errorf("%s: %v is no UnavailableError", c.Collection.Name, c.Err)
		}
		if d := exporter.Describe(c.Err); !strings.Contains(d, "lacks the "+c.Collection.Optional.Scopes[0]+" scope") || !strings.Contains(d, "would add the table "+c.Collection.Name) {
			t.Errorf("%s: %q does not name the scope and what it adds", c.Collection.Name, d)
		}
	}
	if want := []string{"daily_cycle_phases", "interbeat_interval"}; !slices.Equal(names, want) {
		t.Errorf("unavailable %v, want %v", names, want)
	}
	for _, coll := range []string{"daily_cycle_phases", "interbeat_interval"} {
		if n := w.srv.Stats().Routes["v2/"+coll]; n != 1 {
			t.Errorf("%s: %d requests, want the one probe", coll, n)
		}
	}
	got := rawDocs(t, out)
	for _, coll := range []string{"daily_sleep", "heartrate", "daily_resilience"} {
		want := w.truth(t, 2, coll)
		if coll == "heartrate" {
			want = throughUntil(t, want, w.until) // a sample's day is its UTC date: the export holds none after --until
		}
		if len(want) == 0 || !slices.Equal(got[coll], want) {
			t.Errorf("%s: %d documents exported, the sandbox holds %d", coll, len(got[coll]), len(want))
		}
	}
	man, err := sinks.ReadManifest(mustDir(t, out))
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(man.Notes, "\n")
	for _, want := range []string{"daily_cycle_phases was not exported: the login lacks the reproductive_cycle scope (HTTP 403)",
		"interbeat_interval was not exported: the login lacks the interbeat_interval scope"} {
		if !strings.Contains(notes, want) {
			t.Errorf("manifest notes %q lack %q", man.Notes, want)
		}
	}

	// With the scopes, the same collections are exported like any other.
	w2 := newWorld(t, "2024-02-01", "2024-03-10", nil)
	out2 := t.TempDir()
	res, err = w2.export(t, run{out: out2, user: 2, workers: 4, fetch: func(o *exporter.FetchOptions) { o.Collections = optionalColls() }})
	if err != nil || len(res.Unavailable()) != 0 {
		t.Fatalf("export with every scope: %v, unavailable %v", err, res.Unavailable())
	}
	got = rawDocs(t, out2)
	for _, coll := range []string{"daily_cycle_phases", "interbeat_interval"} {
		if want := w2.truth(t, 2, coll); len(want) == 0 || !slices.Equal(got[coll], want) {
			t.Errorf("%s with its scope: %d documents exported, the sandbox holds %d", coll, len(got[coll]), len(want))
		}
	}
}

// TestDriftKeepsEverything exports from a sandbox that serves fields no
// model has and a collection no spec has: every field reaches the extra
// column, and the raw archive holds every document as served, the extra
// collection's too (noted in the manifest); a rebuild without the server
// keeps the extra collection.
func TestDriftKeepsEverything(t *testing.T) {
	w := newWorld(t, "2024-02-20", "2024-03-10", func(o *sandbox.Options) {
		o.ExtraFields, o.ExtraCollections = true, []string{"daily_drift"}
	})
	drift, err := exporter.RawCollection("daily_drift")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	res, err := w.export(t, run{out: out, workers: 4, fetch: func(o *exporter.FetchOptions) {
		o.Collections = append(exporter.V2Collections(schema.CheckV2), drift)
	}})
	if err != nil {
		t.Fatalf("export: %v (failed: %v)", err, res.Failed())
	}
	if raw := res.Raw(); len(raw) != 1 || raw[0].Collection.Name != "daily_drift" || raw[0].Collection == drift {
		t.Errorf("Raw() = %v, want the settled daily_drift", raw)
	}
	got := rawDocs(t, out)
	for _, c := range append(exporter.V2Collections(nil), drift) {
		want := w.truth(t, 1, c.Name)
		if len(want) == 0 && (c.Name == "daily_drift" || c.Name == "daily_readiness" || c.Name == "heartrate") {
			t.Errorf("%s: no documents in the sandbox; the test proves nothing", c.Name)
		}
		if !slices.Equal(got[c.Name], want) {
			t.Errorf("%s: the archive's raw documents differ from the served ones (%d, %d)", c.Name, len(got[c.Name]), len(want))
		}
	}
	// Every document's drift fields are in its row's extra column.
	rows := dataRows(t, out)
	for _, coll := range []string{"daily_readiness", "sleep", "workout", "ring_configuration", "personal_info"} {
		table := schema.TablesOf(coll)[0].Name
		byID := map[string]map[string]any{}
		for _, r := range rows[table] {
			byID[r["id"].(string)] = r
		}
		for _, doc := range got[coll] {
			var d map[string]any
			if err := json.Unmarshal([]byte(doc), &d); err != nil {
				t.Fatal(err)
			}
			row := byID[d["id"].(string)]
			extra, _ := row["extra"].(map[string]any)
			for _, k := range []string{"x_drift_level", "x_drift_note", "x_drift_detail"} {
				if !reflect.DeepEqual(extra[k], d[k]) {
					t.Fatalf("%s %s: extra[%s] = %v, the document has %v", coll, d["id"], k, extra[k], d[k])
				}
			}
		}
	}
	if n := len(rows["heartrate"]); n == 0 || n != len(got["heartrate"]) {
		t.Errorf("heartrate: %d rows for %d documents", n, len(got["heartrate"]))
	}
	for _, r := range rows["heartrate"] {
		if extra, _ := r["extra"].(map[string]any); extra["x_drift_detail"] == nil {
			t.Fatalf("a heartrate row without its drift fields: %v", r)
		}
	}
	if rep, err := sinks.Verify(context.Background(), out); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
	man, err := sinks.ReadManifest(mustDir(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if notes := strings.Join(man.Notes, "\n"); !strings.Contains(notes, "daily_drift is not modelled by this version of ouraexport: its "+
		itoa(len(got["daily_drift"]))+" documents are kept exactly as received in the archive's raw/daily_drift.ndjson") {
		t.Errorf("manifest notes %q do not name daily_drift", man.Notes)
	}

	// A rebuild from the store alone (what an import does) keeps it.
	st, err := exporter.OpenStore(filepath.Join(out, exporter.StoreDir))
	if err != nil {
		t.Fatal(err)
	}
	if sh := st.State.Raw["daily_drift"]; sh.Kind != exporter.ByDate || sh.Key != "day" {
		t.Errorf("the store remembers daily_drift as %+v", sh)
	}
	root := mustDir(t, out)
	ar, err := sinks.Open("archive", sinks.Options{Dir: root.Sub("archive"), Tables: schema.Tables()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = exporter.Rebuild(context.Background(), exporter.RebuildOptions{Store: st, Collections: exporter.V2Collections(nil),
		Sinks: []sinks.Sink{ar}, Root: root, Tables: schema.Tables(), ToolVersion: "test"})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if after := rawDocs(t, out); !slices.Equal(after["daily_drift"], got["daily_drift"]) {
		t.Errorf("after a rebuild the archive holds %d daily_drift documents, want %d", len(after["daily_drift"]), len(got["daily_drift"]))
	}
}

// TestRawCollectionNotServed asks for a raw collection the server lacks:
// the export is partial, and the others are complete.
func TestRawCollectionNotServed(t *testing.T) {
	w := newWorld(t, "2024-03-01", "2024-03-10", nil)
	nope, _ := exporter.RawCollection("nope")
	res, err := w.export(t, run{out: t.TempDir(), fetch: func(o *exporter.FetchOptions) {
		o.Collections = append(exporter.V2Collections(schema.CheckV2), nope)
	}})
	if !errors.Is(err, exporter.ErrPartial) {
		t.Fatalf("export: %v, want partial", err)
	}
	if f := res.Failed(); len(f) != 1 || f[0].Collection.Name != "nope" || !strings.Contains(exporter.Describe(f[0].Err), "404") {
		t.Errorf("failed %v", f)
	}
}

// dataRows reads the archive's data/<table>.ndjson rows.
func dataRows(t testing.TB, out string) map[string][]map[string]any {
	t.Helper()
	zr, err := zip.OpenReader(filepath.Join(out, "archive", "oura-export.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	rows := map[string][]map[string]any{}
	for _, f := range zr.File {
		name, ok := strings.CutPrefix(f.Name, "data/")
		if !ok {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(rc)
		sc.Buffer(nil, 64<<20)
		table := strings.TrimSuffix(name, ".ndjson")
		for sc.Scan() {
			var r map[string]any
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			rows[table] = append(rows[table], r)
		}
		rc.Close()
	}
	return rows
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// throughUntil keeps the time-series rows whose instant falls on a UTC day
// no later than until.
func throughUntil(t testing.TB, rows []string, until time.Time) []string {
	t.Helper()
	var out []string
	for _, r := range rows {
		var v struct {
			Timestamp time.Time `json:"timestamp"`
		}
		if err := json.Unmarshal([]byte(r), &v); err != nil {
			t.Fatal(err)
		}
		if v.Timestamp.UTC().Before(until.AddDate(0, 0, 1)) {
			out = append(out, r)
		}
	}
	return out
}
