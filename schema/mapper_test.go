package schema

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func heartrateDoc(i int) []byte {
	return fmt.Appendf(nil, `{"bpm":%d,"source":"awake","timestamp":"2024-12-13T12:%02d:%02d+00:00"}`, 50+i, i/60, i%60)
}

func TestMapperBatches(t *testing.T) {
	var sizes []int
	var bpms []any
	m := NewMapper(3, func(b *Batch) error {
		sizes = append(sizes, b.Len())
		for _, r := range batchRows(b) {
			bpms = append(bpms, r["bpm"])
		}
		return nil
	})
	for i := range 10 {
		if err := m.MapV2("heartrate", heartrateDoc(i), OriginV2); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(sizes) != "[3 3 3]" {
		t.Errorf("batches before Flush: %v, want [3 3 3]", sizes)
	}
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := m.Flush(); err != nil { // nothing left: no empty batch
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[3 3 3 1]" {
		t.Errorf("batches: %v, want [3 3 3 1]", sizes)
	}
	if fmt.Sprint(bpms) != "[50 51 52 53 54 55 56 57 58 59]" {
		t.Errorf("rows out of order or lost: %v", bpms)
	}
}

// TestMapperBatchAtDocumentBoundary: a document's rows are never split
// between an emitted batch and a later one, so a batch can exceed batchRows.
func TestMapperBatchAtDocumentBoundary(t *testing.T) {
	doc, err := os.ReadFile(recordedDir + "/single_daily_activity.json")
	if err != nil {
		t.Fatal(err)
	}
	emitted := map[string][]int{}
	m := NewMapper(100, func(b *Batch) error {
		emitted[b.Table.Name] = append(emitted[b.Table.Name], b.Len())
		return nil
	})
	if err := m.MapV2("daily_activity", doc, OriginV2); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(emitted); got != "map[daily_activity_class_5_min:[288] daily_activity_met:[1440]]" {
		t.Errorf("emitted after the document: %s", got)
	}
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := emitted["daily_activity"]; fmt.Sprint(got) != "[1]" {
		t.Errorf("parent batches: %v", got)
	}
}

func TestMapperInvalidDocumentAddsNothing(t *testing.T) {
	good, err := os.ReadFile("testdata/v2/sleep.json")
	if err != nil {
		t.Fatal(err)
	}
	cut := good[:strings.Index(string(good), `"hrv"`)+30] // inside the hrv items
	m, got := collector(0)
	if err := m.MapV2("sleep", good, OriginV2); err != nil {
		t.Fatal(err)
	}
	err = m.MapV2("sleep", cut, OriginV2)
	var inv *InvalidError
	if !errors.As(err, &inv) || !errors.Is(err, ErrInvalid) || inv.Collection != "sleep" || !strings.Contains(err.Error(), "sleep") {
		t.Fatalf("MapV2(truncated) = %v, want an *InvalidError naming sleep", err)
	}
	if err := m.MapV2("sleep", good, OriginV2); err != nil {
		t.Fatal(err)
	}
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := len(got["sleep"]); n != 2 {
		t.Errorf("sleep rows = %d, want 2 (the truncated document adds none)", n)
	}
	if n := len(got["sleep_heart_rate"]); n != 24 {
		t.Errorf("sleep_heart_rate rows = %d, want 24", n)
	}
	if w := m.Warnings(); len(w) != 0 {
		t.Errorf("a rejected document left warnings: %v", w)
	}
}

func TestMapperRejects(t *testing.T) {
	tests := []struct {
		name, coll, doc string
		origin          Origin
		want            error
	}{
		{"unknown collection", "meal", `{}`, OriginV2, ErrUnknownCollection},
		{"bad origin", "sleep", `{}`, "v3", nil},
		{"empty", "sleep", ``, OriginV2, ErrInvalid},
		{"null", "sleep", `null`, OriginV2, ErrInvalid},
		{"array", "heartrate", `[{"bpm":1}]`, OriginV2, ErrInvalid},
		{"string", "heartrate", `"x"`, OriginV2, ErrInvalid},
		{"two documents", "heartrate", `{"bpm":1}{"bpm":2}`, OriginV2, ErrInvalid},
		{"trailing comma", "heartrate", `{"bpm":1,}`, OriginV2, ErrInvalid},
		{"bad escape", "heartrate", `{"source":"\x"}`, OriginV2, ErrInvalid},
		{"control character", "heartrate", "{\"source\":\"a\nb\"}", OriginV2, ErrInvalid},
		{"bad number", "heartrate", `{"bpm":01}`, OriginV2, ErrInvalid},
		{"bad literal", "heartrate", `{"bpm":nul}`, OriginV2, ErrInvalid},
		{"too deep", "heartrate", `{"x":` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + `}`, OriginV2, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, got := collector(0)
			err := m.MapV2(tt.coll, []byte(tt.doc), tt.origin)
			if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("MapV2 = %v, want %v", err, tt.want)
			}
			if err := m.Flush(); err != nil {
				t.Fatal(err)
			}
			if len(got) != 0 {
				t.Errorf("rows were emitted: %v", got)
			}
		})
	}
}

func TestMapperOriginAndCase(t *testing.T) {
	doc, err := os.ReadFile("testdata/v2/session.json")
	if err != nil {
		t.Fatal(err)
	}
	m, got := collector(0)
	if err := m.MapV2("SESSION", doc, OriginImport); err != nil {
		t.Fatal(err)
	}
	if err := m.MapV2("vo2_max", []byte(`{"id":"v","day":"2023-09-17","timestamp":"2023-09-17T14:15:22Z","vo2_max":62}`), OriginImport); err != nil {
		t.Fatal(err)
	}
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	n := 0
	for table, rs := range got {
		for _, r := range rs {
			n++
			if r[ColOrigin] != "import" {
				t.Errorf("%s row has origin %v", table, r[ColOrigin])
			}
		}
	}
	if n != 1+24+24+24+1 {
		t.Errorf("got %d rows, want %d", n, 1+24+24+24+1)
	}
}

func TestMapperCodes(t *testing.T) {
	got, _ := mapOne(t, "daily_activity", []byte(`{"id":"a","class_5_min":"0125x\u00e99","timestamp":"2024-11-11T04:00:00+01:00"}`))
	rs := got["daily_activity_class_5_min"]
	want := []struct {
		code, label any
	}{{int64(0), "non_wear"}, {int64(1), "rest"}, {int64(2), "inactive"}, {int64(5), "high"}, {nil, nil}, {nil, nil}, {int64(9), nil}}
	if len(rs) != len(want) {
		t.Fatalf("got %d rows, want one per character (%d)", len(rs), len(want))
	}
	for i, w := range want {
		if rs[i]["code"] != w.code || rs[i]["label"] != w.label || rs[i]["seq"] != int64(i) {
			t.Errorf("row %d = %v, want code %v label %v", i, rs[i], w.code, w.label)
		}
		if ts := rs[i]["timestamp"]; ts != int64(1731294000_000000)+int64(i)*300_000000 || rs[i]["timestamp_utc_offset"] != int64(60) {
			t.Errorf("row %d timestamp %v offset %v", i, ts, rs[i]["timestamp_utc_offset"])
		}
	}
	// The string comes before the instant it starts at, and without it: no timestamps.
	got, _ = mapOne(t, "sleep", []byte(`{"id":"s","sleep_phase_5_min":"12","movement_30_sec":"4"}`))
	for _, name := range []string{"sleep_phase_5_min", "sleep_movement_30_sec"} {
		for _, r := range got[name] {
			if r["timestamp"] != nil || r["sleep_id"] != "s" {
				t.Errorf("%s row %v", name, r)
			}
		}
	}
}

func TestMapperInvalidUTF8(t *testing.T) {
	got, m := mapOne(t, "tag", []byte("{\"id\":\"t\",\"text\":\"caf\xe9\",\"tags\":[\"\xff\"],\"n\xfe\":1}"))
	r := got["tag"][0]
	if r["text"] != "caf\uFFFD" || r["tags"] != "[\"\uFFFD\"]" {
		t.Errorf("text %q tags %q", r["text"], r["tags"])
	}
	for _, v := range r {
		if s, ok := v.(string); ok && !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8 in %q", s)
		}
	}
	w := m.Warnings()
	if len(w) != 2 || w[0].Issue != IssueInvalidUTF8 || w[1].Issue != IssueUnknown {
		t.Errorf("warnings %+v", w)
	}
}

func TestMapperEmitErrorSticks(t *testing.T) {
	boom := errors.New("disk full")
	calls := 0
	m := NewMapper(1, func(*Batch) error { calls++; return boom })
	err := m.MapV2("heartrate", heartrateDoc(1), OriginV2)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "heartrate") {
		t.Fatalf("MapV2 = %v, want the emit error", err)
	}
	for _, err := range []error{m.MapV2("heartrate", heartrateDoc(2), OriginV2), m.Flush(), appendErr(m)} {
		if !errors.Is(err, boom) {
			t.Errorf("later call = %v, want the emit error", err)
		}
	}
	if calls != 1 {
		t.Errorf("emit called %d times after failing", calls)
	}
}

func appendErr(m *Mapper) error {
	_, err := m.Append(Lookup("heartrate"), OriginV2)
	return err
}

// TestAppend uses the generic row API the way v1compat will: a v1 sleep
// period with its heart rate series.
func TestAppend(t *testing.T) {
	m, got := collector(2)
	sleep, hr := Lookup("sleep"), Lookup("sleep_heart_rate")
	r, err := m.Append(sleep, OriginV1)
	if err != nil {
		t.Fatal(err)
	}
	day, _ := ParseDate("2017-11-06")
	r.SetString(sleep.MustIndex("id"), "v1-sleep-2017-11-05-0")
	r.SetInt(sleep.MustIndex("day"), day)
	r.SetBool(sleep.MustIndex("is_longest"), true)
	r.SetInt(sleep.MustIndex("restless_percent"), 39)
	for seq, bpm := range []float64{0, 53, 51, 0, 50} {
		c, err := m.Append(hr, OriginV1)
		if err != nil {
			t.Fatal(err)
		}
		c.SetString(hr.MustIndex("sleep_id"), "v1-sleep-2017-11-05-0")
		c.SetInt(hr.MustIndex("seq"), int64(seq))
		if bpm != 0 {
			c.SetFloat(hr.MustIndex("bpm"), bpm)
		}
	}
	if len(got["sleep_heart_rate"]) != 4 {
		t.Errorf("full batches were not emitted on Append: %d rows so far", len(got["sleep_heart_rate"]))
	}
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(got["sleep"]) != 1 || len(got["sleep_heart_rate"]) != 5 {
		t.Fatalf("rows: %v", got)
	}
	s := got["sleep"][0]
	if s["origin"] != "v1" || s["is_longest"] != true || s["restless_percent"] != int64(39) || s["day"] != day || s["bedtime_start"] != nil {
		t.Errorf("sleep row %v", s)
	}
	if h := got["sleep_heart_rate"][3]; h["seq"] != int64(3) || h["bpm"] != nil || h["origin"] != "v1" {
		t.Errorf("heart rate row %v", h)
	}
}

func TestAppendRejects(t *testing.T) {
	m, _ := collector(0)
	if _, err := m.Append(&Table{Name: "mine", Columns: []Column{{Name: "origin", Type: String}}}, OriginV1); !errors.Is(err, ErrUnknownCollection) {
		t.Errorf("Append(foreign table) = %v", err)
	}
	if _, err := m.Append(nil, OriginV1); !errors.Is(err, ErrUnknownCollection) {
		t.Errorf("Append(nil) = %v", err)
	}
	if _, err := m.Append(Lookup("sleep"), "v9"); err == nil {
		t.Error("Append with a bad origin succeeded")
	}
	// A child row without its seq is caught before it reaches a sink.
	if _, err := m.Append(Lookup("sleep_hrv"), OriginV1); err != nil {
		t.Fatal(err)
	}
	if err := m.Flush(); err == nil || !strings.Contains(err.Error(), "seq") {
		t.Errorf("Flush = %v, want an error about the null seq", err)
	}
}

// TestConcurrentUse maps and checks in parallel: CheckV2, the catalog and
// the tables are shared; each goroutine has its own Mapper (run with -race).
func TestConcurrentUse(t *testing.T) {
	docs := allDocs(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			m, _ := collector(7)
			for _, d := range docs {
				if err := CheckV2(d.coll, d.raw); err != nil {
					t.Error(err)
				}
				if err := m.MapV2(d.coll, d.raw, OriginV2); err != nil {
					t.Error(err)
				}
				for _, tb := range TablesOf(d.coll) {
					tb.Index(ColOrigin)
				}
			}
			if err := m.Flush(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
