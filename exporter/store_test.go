package exporter

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStoreSegments(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(filepath.Join(dir, StoreDir))
	if err != nil {
		t.Fatal(err)
	}
	w, err := st.Create("v2", "sleep", d("2024-01-01"), d("2024-02-01"), 1)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 1000 {
		doc := fmt.Sprintf(`{"id":"%d","day":"2024-01-%02d","x":"%s"}`, i, i%28+1, strings.Repeat("y", i%50))
		want = append(want, doc)
		if err := w.Add([]byte(doc)); err != nil {
			t.Fatal(err)
		}
	}
	// Not visible before Commit.
	if segs, _ := st.Segments("v2", "sleep"); len(segs) != 0 {
		t.Fatalf("uncommitted segment listed: %v", segs)
	}
	seg, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	w.Abort() // harmless after Commit
	segs, err := st.Segments("v2", "sleep")
	if err != nil || len(segs) != 1 {
		t.Fatalf("Segments = %v, %v", segs, err)
	}
	got := segs[0]
	if !got.From.Equal(seg.From) || !got.To.Equal(seg.To) || got.Gen != 1 || got.Docs != 1000 {
		t.Errorf("listed %+v, committed %+v", got, seg)
	}
	var read []string
	if err := st.Read(got, func(doc []byte) error { read = append(read, string(doc)); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(read) != len(want) {
		t.Fatalf("read %d documents, want %d", len(read), len(want))
	}
	for i := range want {
		if read[i] != want[i] {
			t.Fatalf("document %d: got %s, want %s", i, read[i], want[i])
		}
	}
	info, err := os.Stat(got.path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("segment mode %v, want 0600 (%v)", info.Mode().Perm(), err)
	}

	// An aborted segment leaves nothing.
	w2, _ := st.Create("v2", "sleep", d("2024-02-01"), d("2024-03-01"), 2)
	w2.Add([]byte(`{}`))
	w2.Abort()
	if segs, _ := st.Segments("v2", "sleep"); len(segs) != 1 {
		t.Errorf("after Abort: %d segments, want 1", len(segs))
	}
	ents, _ := os.ReadDir(filepath.Dir(got.path))
	if len(ents) != 1 {
		t.Errorf("after Abort the folder holds %d files, want 1", len(ents))
	}

	// A killed run's temporary file is cleaned up on the next open.
	w3, _ := st.Create("v2", "sleep", d("2024-03-01"), d("2024-04-01"), 3)
	w3.Add([]byte(`{}`))
	st.Close()
	st2, err := OpenStore(st.Dir())
	if err != nil {
		t.Fatal(err)
	}
	ents, _ = os.ReadDir(filepath.Dir(got.path))
	if len(ents) != 1 {
		t.Errorf("reopen left %d files, want 1", len(ents))
	}

	// A damaged segment is an error, not silently short.
	b, _ := os.ReadFile(got.path)
	os.WriteFile(got.path, b[:len(b)/2], 0o600)
	if err := st2.Read(got, func([]byte) error { return nil }); err == nil {
		t.Error("reading a truncated segment: no error")
	}
}

func TestSegmentNames(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, s := range []Segment{
		{From: d("2024-01-01"), To: d("2024-02-01"), Gen: 3, Docs: 10, Fetched: at},
		{From: at, To: at.Add(30 * day), Gen: 12, Docs: 0, Fetched: at},
		{Gen: 1, Docs: 1, Fetched: at},
	} {
		got, ok := parseSegmentName(segmentName(s))
		if !ok || !got.From.Equal(s.From) || !got.To.Equal(s.To) || got.Gen != s.Gen || got.Docs != s.Docs || !got.Fetched.Equal(s.Fetched) {
			t.Errorf("round trip of %+v: %+v, %v", s, got, ok)
		}
	}
	for _, bad := range []string{"x.seg", ".a_b_g1_1_1.seg", "20240101_20240201_g1_1.seg", "20240101_20240201_g1_1_1.txt"} {
		if _, ok := parseSegmentName(bad); ok {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestStoreState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), StoreDir)
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	st.State.Account = "abc"
	st.State.Runs = 4
	if err := st.SaveState(); err != nil {
		t.Fatal(err)
	}
	// A second run into the same folder stops at once.
	if _, err := OpenStore(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second OpenStore: got %v, want ErrLocked", err)
	}
	st.Close()
	st2, err := OpenStore(dir)
	if err != nil || st2.State.Account != "abc" || st2.State.Runs != 4 {
		t.Fatalf("reopened state %+v, %v", st2.State, err)
	}
	st2.Close()
	os.WriteFile(filepath.Join(dir, "state.json"), []byte(`{"format":99}`), 0o600)
	if _, err := OpenStore(dir); !errors.Is(err, ErrStoreFormat) {
		t.Errorf("format 99: got %v, want ErrStoreFormat", err)
	}
	os.WriteFile(filepath.Join(dir, "state.json"), []byte(`{"format":`), 0o600)
	if _, err := OpenStore(dir); !errors.Is(err, ErrStoreFormat) {
		t.Errorf("truncated state: got %v, want ErrStoreFormat", err)
	}
}

func TestStoreCompact(t *testing.T) {
	st, err := OpenStore(filepath.Join(t.TempDir(), StoreDir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := V2Collection("daily_activity")
	docs := func(from, to time.Time, rev int) []string {
		var out []string
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			out = append(out, fmt.Sprintf(`{"id":"%s","day":"%s","rev":%d}`, d.Format("0102"), d.Format(time.DateOnly), rev))
		}
		return out
	}
	write := func(from, to time.Time, gen int) {
		w, err := st.Create(c.API, c.Name, from, to, gen)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range docs(from, to, gen) {
			w.Add([]byte(doc))
		}
		w.SetFetched(to)
		if _, err := w.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	// A year of nightly runs, each fetching its last 15 days again.
	start := d("2024-01-01")
	write(start, start.AddDate(0, 0, 10), 1)
	for gen := 2; gen <= 300; gen++ {
		end := start.AddDate(0, 0, 8+gen)
		write(end.AddDate(0, 0, -15), end, gen)
		if err := st.compact(c, gen); err != nil {
			t.Fatal(err)
		}
		segs, _ := st.Segments(c.API, c.Name)
		if len(segs) > compactAbove+1 {
			t.Fatalf("run %d: %d segments", gen, len(segs))
		}
	}
	// What the store holds is every day once, each at its newest revision.
	segs, _ := st.Segments(c.API, c.Name)
	got := map[string]string{}
	for _, p := range effectiveParts(segs) {
		st.Read(p.seg, func(doc []byte) error {
			if p.keep(c, doc) {
				v, _ := topLevelStrings(doc, "day")
				if _, dup := got[v[0]]; dup {
					t.Errorf("day %s twice", v[0])
				}
				got[v[0]] = string(doc)
			}
			return nil
		})
	}
	first, end := start.AddDate(0, 0, -5), start.AddDate(0, 0, 308) // run 2 reached 5 days back
	if want := int(end.Sub(first) / (24 * time.Hour)); len(got) != want {
		t.Errorf("%d days stored, want %d", len(got), want)
	}
	for day, doc := range got {
		dd, _ := time.Parse(time.DateOnly, day)
		// The newest run that fetched a day: the last whose window held it.
		want := 0
		for gen := 300; gen >= 2; gen-- {
			e := start.AddDate(0, 0, 8+gen)
			if !dd.Before(e.AddDate(0, 0, -15)) && dd.Before(e) {
				want = gen
				break
			}
		}
		if want == 0 {
			want = 1
		}
		if !strings.Contains(doc, fmt.Sprintf(`"rev":%d}`, want)) {
			t.Errorf("%s: %s, want revision %d", day, doc, want)
		}
	}
}

// An interrupted run leaves islands of segments with gaps between them;
// compaction must merge only what touches, never claim the gaps as covered.
func TestStoreCompactKeepsGaps(t *testing.T) {
	st, err := OpenStore(filepath.Join(t.TempDir(), StoreDir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := V2Collection("daily_activity")
	start := d("2024-01-01")
	var want spans
	for i := 0; i < 2*compactAbove; i++ {
		from := start.AddDate(0, 0, i)
		if i >= compactAbove { // a second island, after a 30-day gap
			from = from.AddDate(0, 0, 30)
		}
		w, err := st.Create(c.API, c.Name, from, from.AddDate(0, 0, 1), 1)
		if err != nil {
			t.Fatal(err)
		}
		w.Add([]byte(fmt.Sprintf(`{"id":"%d","day":"%s"}`, i, from.Format(time.DateOnly))))
		if _, err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		want = want.add(span{from, from.AddDate(0, 0, 1)})
	}
	if err := st.compact(c, 2); err != nil {
		t.Fatal(err)
	}
	segs, err := st.Segments(c.API, c.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != 2 {
		t.Errorf("%d segments after compaction, want 2 (one per island)", len(segs))
	}
	var got spans
	docs := 0
	for _, sg := range segs {
		got = got.add(span{sg.From, sg.To})
		st.Read(sg, func([]byte) error { docs++; return nil })
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("coverage after compaction %v, want %v", got, want)
	}
	if docs != 2*compactAbove {
		t.Errorf("%d documents after compaction, want %d", docs, 2*compactAbove)
	}
}
