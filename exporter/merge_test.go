package exporter

import (
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/schema"
)

// row appends a row to b with the given column values (by name).
func row(b *schema.Batch, vals map[string]any) {
	r := b.Append()
	for name, v := range vals {
		c := b.Table.MustIndex(name)
		switch x := v.(type) {
		case int:
			r.SetInt(c, int64(x))
		case int64:
			r.SetInt(c, x)
		case string:
			r.SetString(c, x)
		}
	}
	r.SetString(b.Table.MustIndex(schema.ColOrigin), "v2")
}

func dayNum(s string) int64 {
	t, _ := time.Parse(time.DateOnly, s)
	return t.Unix() / 86400
}

func TestMergerKeyedTables(t *testing.T) {
	m := newMerger()
	ds := schema.Lookup("daily_sleep")
	sl := schema.Lookup("sleep")
	top := schema.NewBatch(ds, 4)
	row(top, map[string]any{"id": "a", "day": dayNum("2024-01-01")})
	row(top, map[string]any{"id": "b", "day": dayNum("2024-01-02")})
	sleeps := schema.NewBatch(sl, 4)
	row(sleeps, map[string]any{"id": "s1", "day": dayNum("2024-01-02"), "bedtime_start": int64(1000)})
	m.setLevel("v2")
	m.record(top)
	m.record(sleeps)
	m.setLevel("v1")

	tests := []struct {
		name  string
		table *schema.Table
		vals  map[string]any
		want  bool
	}{
		{"same day", ds, map[string]any{"id": "v1-x", "day": dayNum("2024-01-01")}, false},
		{"same id", ds, map[string]any{"id": "b", "day": dayNum("2024-02-01")}, false},
		{"new day", ds, map[string]any{"id": "v1-y", "day": dayNum("2024-01-03")}, true},
		{"the new day again, same source", ds, map[string]any{"id": "v1-z", "day": dayNum("2024-01-03")}, false},
		{"no key, no id", ds, map[string]any{}, true},
		{"same bedtime", sl, map[string]any{"id": "v1-s", "day": dayNum("2024-01-09"), "bedtime_start": int64(1000)}, false},
		{"another nap on a night v2 has", sl, map[string]any{"id": "v1-n", "day": dayNum("2024-01-02"), "bedtime_start": int64(5000)}, true},
		{"no bedtime: the day decides", sl, map[string]any{"id": "v1-t", "day": dayNum("2024-01-02")}, false},
		{"no bedtime, a day of none", sl, map[string]any{"id": "v1-u", "day": dayNum("2024-01-05")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := schema.NewBatch(tt.table, 1)
			row(b, tt.vals)
			if got := m.admit(b, 0); got != tt.want {
				t.Errorf("admit = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMergerSeries(t *testing.T) {
	m := newMerger()
	hr := schema.Lookup("heartrate")
	at := func(min int) int64 { return int64(min) * 60e6 }
	v2 := schema.NewBatch(hr, 4)
	for _, min := range []int{0, 1, 2, 10} {
		row(v2, map[string]any{"timestamp": at(min), "source": "awake"})
	}
	m.setLevel("v2")
	m.record(v2)
	m.setLevel("import:9")
	admit := func(min int) bool {
		b := schema.NewBatch(hr, 1)
		row(b, map[string]any{"timestamp": at(min), "source": "rest"})
		return m.admit(b, 0)
	}
	// Minutes 0-4 and 10-14 are covered by v2; 5-9 and 15+ are not, and a
	// source's own rows never hide each other.
	for _, tt := range []struct {
		min  int
		want bool
	}{{3, false}, {4, false}, {5, true}, {6, true}, {9, true}, {12, false}, {15, true}, {-1, true}} {
		if got := admit(tt.min); got != tt.want {
			t.Errorf("minute %d: admit = %v, want %v", tt.min, got, tt.want)
		}
	}
	// The next source sees what this one added.
	m.setLevel("import:8")
	if admit(6) || admit(16) || !admit(30) {
		t.Error("an older import's rows in periods a newer one covers should be left out")
	}
}

func TestBitset(t *testing.T) {
	s := bitset{}
	for _, n := range []int64{0, 1, 63, 64, 4095, 4096, -1, -4097, 1 << 40} {
		if s.has(n) {
			t.Fatalf("%d set before", n)
		}
		s.set(n)
		if !s.has(n) {
			t.Fatalf("%d not set", n)
		}
	}
	o := bitset{}
	o.set(77)
	s.or(o)
	if !s.has(77) || s.has(78) {
		t.Fatal("or")
	}
	if period(-1) != -1 || period(0) != 0 || period(seriesPeriod) != 1 || period(seriesPeriod-1) != 0 {
		t.Fatal("period of negative instants")
	}
}
