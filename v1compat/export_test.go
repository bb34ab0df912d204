package v1compat_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/v1compat"
)

// naturalKey is how the test pairs a v1 row with its v2 twin.
func naturalKey(table string, r map[string]any) string {
	switch table {
	case "sleep":
		return fmt.Sprint(r["bedtime_start"])
	case "personal_info":
		return "the user"
	}
	return fmt.Sprint(r["day"])
}

// pairRows pairs the rows of a table of two exports by natural key.
func pairRows(table string, a, b []map[string]any) (map[string]map[string]any, map[string]map[string]any) {
	ia, ib := map[string]map[string]any{}, map[string]map[string]any{}
	for _, r := range a {
		ia[naturalKey(table, r)] = r
	}
	for _, r := range b {
		ib[naturalKey(table, r)] = r
	}
	return ia, ib
}

// v1Shared reports whether v1 and v2 both fill column c (a v2 concept v1 had).
func v1Shared(c schema.Column) bool {
	return c.V2 != "" && c.Name != schema.ColID && c.Name != schema.ColOrigin && c.Name != schema.ColExtra
}

// TestV1ExportEqualsV2 is the acceptance test: over the sandbox's
// whole history (across a daylight-saving change), the v1 export mapped
// into the schema equals the v2 export on every field both have, night by
// night and day by day, child rows included.
func TestV1ExportEqualsV2(t *testing.T) {
	w := newWorld(t, "2023-10-25", "2023-11-09", nil) // across the daylight saving changes of Europe and America
	out2, out1 := t.TempDir(), t.TempDir()
	if _, err := export(t, w, out2, v2Subset(v1Twins...), nil); err != nil {
		t.Fatal(err)
	}
	res1, err := export(t, w, out1, v1compat.Collections(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res1.Fetch.Collections {
		if c.Err != nil || res1.Docs[c.Collection.Name] == 0 {
			t.Errorf("%s: %d documents, error %v", c.Collection.Name, res1.Docs[c.Collection.Name], c.Err)
		}
	}
	v1rows, v2rows := tableRows(t, out1), tableRows(t, out2)
	compared := 0
	for _, table := range []string{"sleep", "daily_sleep", "daily_activity", "daily_readiness", "sleep_time", "personal_info"} {
		t.Run(table, func(t *testing.T) {
			tb := schema.Lookup(table)
			one, two := pairRows(table, v1rows[table], v2rows[table])
			for k, r2 := range two {
				if _, ok := one[k]; !ok && !(table == "sleep" && (r2["type"] == "rest" || r2["type"] == "deleted")) {
					t.Errorf("v2 %s %s has no v1 twin", table, k)
				}
			}
			for k, r1 := range one {
				r2, ok := two[k]
				if !ok {
					t.Errorf("v1 %s %s has no v2 twin", table, k)
					continue
				}
				if r1["origin"] != "v1" {
					t.Errorf("v1 row origin %v", r1["origin"])
				}
				for _, c := range tb.Columns {
					if !v1Shared(c) {
						continue
					}
					a, b := r1[c.Name], r2[c.Name]
					switch {
					case fmt.Sprint(a) == fmt.Sprint(b):
						if a != nil {
							compared++
						}
					case a == nil && c.V1 == "":
						// a v2-only field (type, ring_id, readiness contributors, ...)
					case b == nil && table == "sleep" && (c.Name == "readiness_temperature_deviation" || c.Name == "readiness_temperature_trend_deviation") && r2["type"] != "long_sleep":
						// v2 has a readiness only for the long sleep; v1 gave every period the night's deviation.
					default:
						t.Errorf("%s %s: %s is %v from v1, %v from v2", table, k, c.Name, a, b)
					}
				}
			}
		})
	}
	// Child rows, joined through their parent's natural key.
	children := map[string]string{"sleep_heart_rate": "sleep", "sleep_hrv": "sleep", "sleep_phase_5_min": "sleep",
		"daily_activity_met": "daily_activity", "daily_activity_class_5_min": "daily_activity"}
	for child, parent := range children {
		key := func(rows map[string][]map[string]any) map[string]map[string]any {
			parentKey := map[any]string{}
			for _, p := range rows[parent] {
				parentKey[p["id"]] = naturalKey(parent, p)
			}
			out := map[string]map[string]any{}
			for _, r := range rows[child] {
				out[fmt.Sprint(parentKey[r[parent+"_id"]], "#", r["seq"])] = r
			}
			return out
		}
		one, two := key(v1rows), key(v2rows)
		if len(one) == 0 {
			t.Errorf("%s: no v1 rows", child)
		}
		for k, r1 := range one {
			r2, ok := two[k]
			if !ok {
				t.Errorf("%s %s: no v2 twin", child, k)
				continue
			}
			for _, c := range schema.Lookup(child).Columns {
				if c.Name == parent+"_id" || c.Name == schema.ColOrigin {
					continue
				}
				if fmt.Sprint(r1[c.Name]) != fmt.Sprint(r2[c.Name]) {
					t.Errorf("%s %s: %s is %v from v1, %v from v2", child, k, c.Name, r1[c.Name], r2[c.Name])
				} else if r1[c.Name] != nil {
					compared++
				}
			}
		}
		if t.Failed() {
			break
		}
	}
	if compared < 10000 {
		t.Errorf("only %d values compared", compared)
	}
	t.Logf("%d values compared", compared)
}

// TestMergeV1UnderV2 exports v1 and v2 together: the unified tables are
// those of v2 alone, byte for byte (every v1 record of the sandbox has its
// v2 twin, which wins), while the archive keeps every v1 document.
func TestMergeV1UnderV2(t *testing.T) {
	w := newWorld(t, "2024-01-10", "2024-01-20", nil)
	only2, both := t.TempDir(), t.TempDir()
	v2 := v2Subset(v1Twins...) // the collections v1 has twins of
	if _, err := export(t, w, only2, v2, nil); err != nil {
		t.Fatal(err)
	}
	res, err := export(t, w, both, append(v2Subset(v1Twins...), v1compat.Collections()...), nil)
	if err != nil {
		t.Fatal(err)
	}
	compareFiles(t, dataFiles(t, both), dataFiles(t, only2), func(n string) bool { return len(n) > 12 && n[:12] == "archive:raw/" })
	raw := rawDocs(t, both)
	for _, c := range v1compat.Collections() {
		if len(raw[c.Name]) == 0 || int64(len(raw[c.Name])) != res.Docs[c.Name] {
			t.Errorf("raw/%s.ndjson holds %d documents, the export counted %d", c.Name, len(raw[c.Name]), res.Docs[c.Name])
		}
	}
	var names []string
	for _, s := range res.Meta.Sources {
		names = append(names, s.Name)
	}
	if !slices.Contains(names, "Oura Cloud API v1") || !slices.Contains(names, "Oura Cloud API v2") {
		t.Errorf("sources %v", names)
	}
}

// TestMergeKeepsV1OnlyRecords: v1 fetched over the whole history, then v2
// from a later day on into the same folder. That export's outputs hold only
// the days it asked for; a build of the whole store holds v2's rows where
// v2 has the record, v1's before, each record once, and child rows only
// with their parent.
func TestMergeKeepsV1OnlyRecords(t *testing.T) {
	w := newWorld(t, "2024-01-01", "2024-01-14", nil)
	out := t.TempDir()
	if _, err := export(t, w, out, v1compat.Collections(), nil); err != nil {
		t.Fatal(err)
	}
	cut := w.Since.AddDate(0, 0, 6)
	if _, err := export(t, w, out, v2Subset(v1Twins...), func(o *exporter.FetchOptions) { o.Since = cut }); err != nil {
		t.Fatal(err)
	}
	for _, r := range tableRows(t, out)["daily_activity"] {
		if d := r["day"].(string); d < cut.Format("2006-01-02") {
			t.Errorf("the export --since %s holds daily_activity of %s (%v)", cut.Format("2006-01-02"), d, r["origin"])
		}
	}
	if _, err := w.Rebuild(t, out); err != nil {
		t.Fatal(err)
	}
	rows := tableRows(t, out)
	days := int(w.Until.Sub(w.Since).Hours()/24) + 1
	byDay := map[string]string{}
	for _, r := range rows["daily_activity"] {
		d := r["day"].(string)
		if prev, dup := byDay[d]; dup {
			t.Errorf("daily_activity %s twice (%s, %v)", d, prev, r["origin"])
		}
		byDay[d] = r["origin"].(string)
		want := "v2"
		if d < cut.Format("2006-01-02") {
			want = "v1"
		}
		if r["origin"] != want {
			t.Errorf("daily_activity %s from %v, want %s", d, r["origin"], want)
		}
	}
	if len(byDay) != days {
		t.Errorf("%d activity days, want %d", len(byDay), days)
	}
	// Every child row belongs to a parent in the outputs, with its origin.
	for child, parent := range map[string]string{"daily_activity_met": "daily_activity", "sleep_heart_rate": "sleep", "sleep_phase_5_min": "sleep"} {
		origin := map[any]any{}
		for _, p := range rows[parent] {
			origin[p["id"]] = p["origin"]
		}
		n := map[any]int{}
		for _, r := range rows[child] {
			o, ok := origin[r[parent+"_id"]]
			if !ok || o != r["origin"] {
				t.Fatalf("%s row of %v (origin %v) has no parent of its origin", child, r[parent+"_id"], r["origin"])
			}
			n[o]++
		}
		if n["v1"] == 0 || n["v2"] == 0 {
			t.Errorf("%s: %v rows by origin, want both", child, n)
		}
	}
	// Sleep: one row per night, whatever the source.
	seen := map[any]bool{}
	for _, r := range rows["sleep"] {
		if seen[r["bedtime_start"]] {
			t.Errorf("sleep at %v twice", r["bedtime_start"])
		}
		seen[r["bedtime_start"]] = true
	}
}

// TestV1Retired: a server that answers v1 with 404 fails the v1
// collections plainly; v2 is exported (partial), and v1 alone exports nothing.
func TestV1Retired(t *testing.T) {
	w := newWorld(t, "2024-02-01", "2024-02-10", func(o *sandbox.Options) { o.V1Retired = true })
	out := t.TempDir()
	res, err := export(t, w, out, append(v2Subset("daily_activity"), v1compat.Collections()...), nil)
	if !errors.Is(err, exporter.ErrPartial) {
		t.Fatalf("got %v, want a partial export", err)
	}
	for _, f := range res.Failed() {
		var re *exporter.RetiredError
		if !errors.As(f.Err, &re) || re.API != "v1" || re.Status != 404 || f.Collection.API != "v1" {
			t.Errorf("%s failed with %v", f.Collection.Name, f.Err)
		}
		if msg := exporter.Describe(f.Err); !containsAll(msg, "retired", "ouraexport import") {
			t.Errorf("message %q", msg)
		}
	}
	if len(res.Failed()) != 5 || res.Docs["daily_activity"] == 0 {
		t.Errorf("%d failed, %d activity documents", len(res.Failed()), res.Docs["daily_activity"])
	}
	_, err = export(t, w, t.TempDir(), v1compat.Collections(), nil)
	if !errors.Is(err, exporter.ErrNothing) || !errors.Is(err, exporter.ErrRetired) {
		t.Fatalf("v1 alone: got %v, want nothing exported because v1 is retired", err)
	}

	// What v1 gave before it was retired stays in the outputs of later runs.
	before := newWorld(t, "2024-02-01", "2024-02-10", nil)
	kept := t.TempDir()
	if _, err := export(t, before, kept, v1compat.Collections(), nil); err != nil {
		t.Fatal(err)
	}
	cut := w.Since.AddDate(0, 0, 5)
	_, err = export(t, w, kept, append(v2Subset("daily_activity"), v1compat.Collections()...), func(o *exporter.FetchOptions) { o.Since = cut })
	if !errors.Is(err, exporter.ErrPartial) {
		t.Fatalf("v1,v2 after v1 was retired: %v", err)
	}
	if _, err := w.Rebuild(t, kept); err != nil {
		t.Fatal(err)
	}
	origins := map[any]int{}
	for _, r := range tableRows(t, kept)["daily_activity"] {
		origins[r["origin"]]++
	}
	if origins["v1"] == 0 || origins["v2"] == 0 {
		t.Errorf("daily_activity rows by origin after v1 was retired: %v, want both", origins)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
