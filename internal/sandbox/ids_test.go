package sandbox

import (
	"testing"
)

func TestIDRoundTrip(t *testing.T) {
	c := newIDCodec(7)
	other := newIDCodec(8)
	keys := []idKey{
		{coll: 1, user: 1, day: 0, idx: 0},
		{coll: 19, user: maxIDUsers, day: dateFromCivil(2024, 2, 29), idx: 255},
		{coll: 15, user: 3, day: dateFromCivil(1999, 12, 31), idx: 7},
		{coll: 10, user: 42, day: -5000, idx: 1},
	}
	for _, k := range keys {
		id := c.encode(k)
		s := string(id[:])
		if s[14] != '4' || (s[19] != '8' && s[19] != '9' && s[19] != 'a' && s[19] != 'b') {
			t.Errorf("%s is not a version 4 UUID", s)
		}
		got, ok := c.decode(s)
		if !ok || got != k {
			t.Errorf("decode(encode(%+v)) = %+v, %v", k, got, ok)
		}
		if _, ok := other.decode(s); ok {
			t.Errorf("another seed's codec accepts %s", s)
		}
	}
	for _, bad := range []string{"", "not-existing", "3e8de08b-9fa1-4fb0-8edc-0ccf097f6693", "zzzzzzzz-zzzz-4zzz-8zzz-zzzzzzzzzzzz",
		"3e8de08b-9fa1-4fb0-8edc-0ccf097f669", "3e8de08b09fa1-4fb0-8edc-0ccf097f6693"} {
		if k, ok := c.decode(bad); ok {
			t.Errorf("decode(%q) = %+v", bad, k)
		}
	}
}

func TestDates(t *testing.T) {
	tests := []struct {
		s  string
		ok bool
	}{{"2024-02-29", true}, {"2023-02-29", false}, {"2024-13-01", false}, {"2024-1-01", false}, {"0001-01-01", true}, {"2024-01-01x", false}}
	for _, tt := range tests {
		d, err := ParseDate(tt.s)
		if (err == nil) != tt.ok {
			t.Errorf("ParseDate(%q) error %v", tt.s, err)
			continue
		}
		if tt.ok && d.String() != tt.s {
			t.Errorf("ParseDate(%q).String() = %s", tt.s, d)
		}
	}
	for d := Date(-800000); d < 800000; d += 997 {
		y, m, dd := d.civil()
		if dateFromCivil(y, m, dd) != d {
			t.Fatalf("civil round trip of %d", d)
		}
	}
	if got := dateFromCivil(2024, 1, 32); got.String() != "2024-02-01" {
		t.Errorf("normalised date %s", got)
	}
	if w := dateFromCivil(2024, 3, 10).Weekday().String(); w != "Sunday" {
		t.Errorf("weekday %s", w)
	}
}
