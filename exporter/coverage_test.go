package exporter

import (
	"testing"
	"time"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func sp(a, b string) span { return span{d(a), d(b)} }

func TestSpans(t *testing.T) {
	var ss spans
	ss = ss.add(sp("2024-01-10", "2024-01-20"))
	ss = ss.add(sp("2024-01-01", "2024-01-05"))
	ss = ss.add(sp("2024-01-05", "2024-01-07")) // adjacent: merges
	ss = ss.add(sp("2024-02-01", "2024-02-02"))
	want := spans{sp("2024-01-01", "2024-01-07"), sp("2024-01-10", "2024-01-20"), sp("2024-02-01", "2024-02-02")}
	if len(ss) != len(want) {
		t.Fatalf("add: got %v, want %v", ss, want)
	}
	for i := range want {
		if ss[i] != want[i] {
			t.Fatalf("add: got %v, want %v", ss, want)
		}
	}
	gaps := ss.subtract(sp("2023-12-30", "2024-03-01"))
	wantGaps := spans{sp("2023-12-30", "2024-01-01"), sp("2024-01-07", "2024-01-10"), sp("2024-01-20", "2024-02-01"), sp("2024-02-02", "2024-03-01")}
	if len(gaps) != len(wantGaps) {
		t.Fatalf("subtract: got %v, want %v", gaps, wantGaps)
	}
	for i := range wantGaps {
		if gaps[i] != wantGaps[i] {
			t.Fatalf("subtract: got %v, want %v", gaps, wantGaps)
		}
	}
	if g := ss.subtract(sp("2024-01-11", "2024-01-12")); len(g) != 0 {
		t.Errorf("subtract inside a span: got %v, want nothing", g)
	}
	for _, c := range []struct {
		at   string
		want bool
	}{{"2024-01-01", true}, {"2024-01-06", true}, {"2024-01-07", false}, {"2024-01-19", true}, {"2024-01-20", false}, {"2023-01-01", false}} {
		if got := ss.contains(d(c.at)); got != c.want {
			t.Errorf("contains(%s) = %v, want %v", c.at, got, c.want)
		}
	}
}

func TestEffective(t *testing.T) {
	segs := []Segment{
		{From: d("2024-01-01"), To: d("2024-03-01"), Gen: 1},
		{From: d("2024-02-10"), To: d("2024-03-05"), Gen: 2}, // a later run's look-back
		{From: d("2024-02-20"), To: d("2024-02-25"), Gen: 3},
		{Gen: 1}, // whole
		{Gen: 4}, // whole, newer
	}
	eff := effective(segs)
	want := [][]span{
		{sp("2024-01-01", "2024-02-10")},
		{sp("2024-02-10", "2024-02-20"), sp("2024-02-25", "2024-03-05")},
		{sp("2024-02-20", "2024-02-25")},
		nil,
		{{}},
	}
	for i := range want {
		if len(eff[i]) != len(want[i]) {
			t.Fatalf("segment %d: got %v, want %v", i, eff[i], want[i])
		}
		for k := range want[i] {
			if eff[i][k] != want[i][k] {
				t.Errorf("segment %d: got %v, want %v", i, eff[i], want[i])
			}
		}
	}
}
