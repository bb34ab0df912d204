package suggest

import "testing"

func TestClosest(t *testing.T) {
	names := []string{"api", "api-url", "out", "workers"}
	for _, tc := range []struct {
		word  string
		limit int
		want  string
	}{
		{"api-urll", 3, "api-url"},
		{"wokers", 3, "workers"},
		{"frobnicate", 3, ""},
		{"ou", 3, "out"},
		{"apu", 2, "api"},
		{"", 1, ""},
	} {
		if got := Closest(tc.word, names, tc.limit); got != tc.want {
			t.Errorf("Closest(%q, %d) = %q, want %q", tc.word, tc.limit, got, tc.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "ab", 2}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"same", "same", 0},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
