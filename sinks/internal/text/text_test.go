package text

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"
)

func TestCivil(t *testing.T) {
	// Against the standard library over a wide range, including BC years.
	for days := int64(-1_000_000); days <= 3_000_000; days += 97 {
		tm := time.Unix(days*86400, 0).UTC()
		y, m, d := Civil(days)
		if y != int64(tm.Year()) || m != int(tm.Month()) || d != tm.Day() {
			t.Fatalf("Civil(%d) = %d-%d-%d, want %s", days, y, m, d, tm.Format(time.DateOnly))
		}
		if back := Days(y, m, d); back != days {
			t.Fatalf("Days(Civil(%d)) = %d", days, back)
		}
	}
}

func TestAppendDate(t *testing.T) {
	cases := []struct {
		days int64
		want string
	}{
		{0, "1970-01-01"},
		{-1, "1969-12-31"},
		{Days(2024, 2, 29), "2024-02-29"},
		{Days(1, 1, 1), "0001-01-01"},
		{Days(9999, 12, 31), "9999-12-31"},
		{Days(0, 3, 1), "0000-03-01"},
		{Days(-44, 3, 15), "-0044-03-15"},
		{Days(10000, 1, 1), "+10000-01-01"},
		{math.MinInt32, "-5877641-06-23"},
		{math.MaxInt32, "+5881580-07-11"},
	}
	for _, c := range cases {
		if got := string(AppendDate(nil, c.days)); got != c.want {
			t.Errorf("AppendDate(%d) = %s, want %s", c.days, got, c.want)
		}
	}
}

func TestAppendTimestamp(t *testing.T) {
	cases := []struct {
		micros int64
		want   string
	}{
		{0, "1970-01-01T00:00:00Z"},
		{-1, "1969-12-31T23:59:59.999999Z"},
		{1, "1970-01-01T00:00:00.000001Z"},
		{1_500_000, "1970-01-01T00:00:01.5Z"},
		{1_709_274_600_000_000, "2024-03-01T06:30:00Z"},
		{1_709_274_600_120_000, "2024-03-01T06:30:00.12Z"},
		{math.MaxInt64, "+294247-01-10T04:00:54.775807Z"},
		{math.MinInt64, "-290308-12-21T19:59:05.224192Z"},
	}
	for _, c := range cases {
		if got := string(AppendTimestamp(nil, c.micros)); got != c.want {
			t.Errorf("AppendTimestamp(%d) = %s, want %s", c.micros, got, c.want)
		}
	}
}

func FuzzAppendTimestamp(f *testing.F) {
	for _, v := range []int64{0, -1, 1, 1_709_274_600_120_000, -62135596800000000, 253402300799999999} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, micros int64) {
		// Within Go's time range the text must match time.Format and parse back.
		if micros < -62135596800000000 || micros > 253402300799999999 {
			AppendTimestamp(nil, micros)
			return
		}
		got := string(AppendTimestamp(nil, micros))
		tm := time.UnixMicro(micros).UTC()
		if want := tm.Format(time.RFC3339Nano); got != want {
			t.Fatalf("AppendTimestamp(%d) = %s, want %s", micros, got, want)
		}
		back, err := time.Parse(time.RFC3339Nano, got)
		if err != nil || back.UnixMicro() != micros {
			t.Fatalf("%s parses back to %v, %v", got, back, err)
		}
	})
}

func TestAppendFloat(t *testing.T) {
	tenth, fifth := 0.1, 0.2
	cases := []struct {
		f    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{36, "36.0"},
		{36.5, "36.5"},
		{tenth + fifth, "0.30000000000000004"},
		{1e-6, "0.000001"},
		{1e-7, "1e-07"},
		{1e20, "100000000000000000000.0"},
		{1e21, "1e+21"},
		{-2.5e-300, "-2.5e-300"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
	}
	for _, c := range cases {
		if got := string(AppendFloat(nil, c.f)); got != c.want {
			t.Errorf("AppendFloat(%v) = %s, want %s", c.f, got, c.want)
		}
	}
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, 1, -1.5, 1e-7, 1e21, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		s := string(AppendFloat(nil, v))
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || (math.Float64bits(back) != math.Float64bits(v) && !(math.IsNaN(v) && math.IsNaN(back))) {
			t.Fatalf("%v -> %s -> %v, %v", v, s, back, err)
		}
		if !math.IsNaN(v) && !math.IsInf(v, 0) && !json.Valid([]byte(s)) {
			t.Fatalf("%s is not a JSON number", s)
		}
	})
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"b\s`, "line\nbreak\r\t\x00\x1f", "ümlaut 😀", "\xff\xfe", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendJSONString([]byte("x"), s)[1:]
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q -> %s: %v", s, out, err)
		}
		want := s
		if !utf8.ValidString(s) {
			want = string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD")))
			// encoding/json replaces each invalid byte; ToValidUTF8 runs of them.
			var std string
			stdOut, _ := json.Marshal(s)
			json.Unmarshal(stdOut, &std)
			want = std
		}
		if back != want {
			t.Fatalf("%q -> %s -> %q, want %q", s, out, back, want)
		}
		if bytes.ContainsAny(out, "\n\r") {
			t.Fatalf("%s holds a line break", out)
		}
	})
}

func FuzzAppendCompactJSON(f *testing.F) {
	for _, s := range []string{`{}`, "{\n \"a\" : [ 1 , 2 ],\r\n\t\"b\":\"x y\\n\\\"z \" }", `"a\\"`, ` 1 `, `[ "\\\\" , " " ]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return
		}
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(s)); err != nil {
			t.Fatal(err)
		}
		if got := AppendCompactJSON(nil, s); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("AppendCompactJSON(%q) = %s, want %s", s, got, want.Bytes())
		}
	})
}

func TestYear(t *testing.T) {
	if y := Year(-1, true); y != 1969 {
		t.Errorf("Year(-1µs) = %d", y)
	}
	if y := Year(Days(2024, 12, 31), false); y != 2024 {
		t.Errorf("Year(2024-12-31) = %d", y)
	}
}

func BenchmarkAppendTimestamp(b *testing.B) {
	buf := make([]byte, 0, 64)
	for i := range b.N {
		buf = AppendTimestamp(buf[:0], 1_709_274_600_000_000+int64(i)*5_000_000)
	}
}

// TestStamps checks that Stamps writes what AppendDate and AppendTimestamp
// write, whatever order values come in.
func TestStamps(t *testing.T) {
	var st Stamps
	values := []int64{0, -1, 1, 86_400_000_000 - 1, 86_400_000_000, 1_709_274_600_250_000, 1_709_274_600_250_000 + 1,
		-62_135_596_800_000_000, 253_402_300_799_999_999, 253_402_300_800_000_000, -62_135_596_800_000_001, 1 << 62, -(1 << 62)}
	for range 3 {
		for _, v := range values {
			if got, want := string(st.AppendTimestamp(nil, v)), string(AppendTimestamp(nil, v)); got != want {
				t.Errorf("timestamp %d: got %s, want %s", v, got, want)
			}
			d := v / 86_400_000_000
			if got, want := string(st.AppendDate([]byte("x"), d)), string(AppendDate([]byte("x"), d)); got != want {
				t.Errorf("date %d: got %s, want %s", d, got, want)
			}
		}
	}
}

func TestAppendInt(t *testing.T) {
	for _, n := range []int64{0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, -1, -10000, 1 << 62, -1 << 63, 1<<63 - 1} {
		if got, want := string(AppendInt([]byte("x"), n)), "x"+strconv.FormatInt(n, 10); got != want {
			t.Errorf("%d: got %s, want %s", n, got, want)
		}
	}
}

func TestRecent(t *testing.T) {
	var rc Recent
	calls := 0
	enc := func(dst []byte, s string) []byte { calls++; return AppendJSONString(dst, s) }
	var got []byte
	for _, v := range []struct {
		col int
		s   string
	}{{0, "a"}, {0, "a"}, {2, "a"}, {0, "b\""}, {0, "b\""}, {2, ""}, {2, ""}, {0, "a"}} {
		got = rc.Append(got, v.col, v.s, enc)
	}
	if want := `"a""a""a""b\"""b\""""""` + `"a"`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if calls != 5 {
		t.Errorf("%d encodings, want 5", calls)
	}
}
