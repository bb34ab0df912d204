package schema

import (
	"errors"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for an error
	}{
		{"1970-01-01", "1970-01-01"},
		{"2024-11-11", "2024-11-11"},
		{"2024-02-29", "2024-02-29"},
		{"2000-02-29", "2000-02-29"},
		{"1969-12-31", "1969-12-31"},
		{"0001-01-01", "0001-01-01"},
		{"0024-11-11", "0024-11-11"}, // a real query once used this start date
		{"9999-12-31", "9999-12-31"},
		{"2023-02-29", ""},
		{"1900-02-29", ""},
		{"2024-13-01", ""},
		{"2024-00-10", ""},
		{"2024-04-31", ""},
		{"2024-1-01", ""},
		{"2024/01/01", ""},
		{"2024-01-01T00:00:00", ""},
		{"", ""},
		{"２０２４-01-01", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if tt.want == "" {
				if err == nil || !errors.Is(err, ErrTimeFormat) {
					t.Fatalf("ParseDate(%q) = %d, %v; want an ErrTimeFormat error", tt.in, got, err)
				}
				return
			}
			day, _ := time.Parse("2006-01-02", tt.want)
			if want := floorDiv(day.Unix(), 86400); err != nil || got != want {
				t.Fatalf("ParseDate(%q) = %d, %v; want %d", tt.in, got, err, want)
			}
		})
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func TestParseDateTime(t *testing.T) {
	tests := []struct {
		in     string
		want   string // RFC 3339 of the instant (for no offset: the wall clock as UTC); "" for an error
		offset int
		hasOff bool
	}{
		{"2024-11-11T04:00:00+01:00", "2024-11-11T03:00:00Z", 60, true},
		{"2024-10-10T01:01:59.000+02:00", "2024-10-09T23:01:59Z", 120, true},
		{"2024-12-13T12:31:21+00:00", "2024-12-13T12:31:21Z", 0, true},
		{"2023-09-17T14:15:22Z", "2023-09-17T14:15:22Z", 0, true},
		{"2023-09-17t14:15:22z", "2023-09-17T14:15:22Z", 0, true},
		{"2020-12-25T11:57:26.123456+00:00", "2020-12-25T11:57:26.123456Z", 0, true},
		{"2020-12-25T11:57:26.1234560-05:00", "2020-12-25T16:57:26.123456Z", -300, true},
		{"2020-12-25T11:57:26.5-03:30", "2020-12-25T15:27:26.5Z", -210, true},
		{"2024-01-20T21:15:00", "2024-01-20T21:15:00Z", 0, false},
		{"2024-01-20 21:15:00+0545", "2024-01-20T15:30:00Z", 345, true},
		{"2024-01-20T21:15+01", "2024-01-20T20:15:00Z", 60, true},
		{"2024-01-20T21:15", "2024-01-20T21:15:00Z", 0, false},
		{"1970-01-01T00:00:00+00:00", "1970-01-01T00:00:00Z", 0, true},
		{"1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z", 0, true},
		{"2020-12-25T11:57:26.1234567+00:00", "", 0, false}, // would need rounding
		{"2020-12-25T11:57:26.+00:00", "", 0, false},
		{"2020-12-25T11:57:26.1234567891Z", "", 0, false},
		{"2024-11-11T24:00:00Z", "", 0, false},
		{"2024-11-11T23:60:00Z", "", 0, false},
		{"2024-11-11T23:59:60Z", "", 0, false},
		{"2024-11-11T04:00:00+24:00", "", 0, false},
		{"2024-11-11T04:00:00+01:0", "", 0, false},
		{"2024-11-11T04:00:00 +01:00", "", 0, false},
		{"2024-11-11", "", 0, false},
		{"2024-02-30T04:00:00Z", "", 0, false},
		{"2024-11-11X04:00:00Z", "", 0, false},
		{"2024-11-11T04:00:00ZZ", "", 0, false},
		{"", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			us, off, hasOff, err := ParseDateTime(tt.in)
			if tt.want == "" {
				if !errors.Is(err, ErrTimeFormat) {
					t.Fatalf("ParseDateTime(%q) = %d, %d, %v, %v; want an ErrTimeFormat error", tt.in, us, off, hasOff, err)
				}
				return
			}
			want, perr := time.Parse(time.RFC3339Nano, tt.want)
			if perr != nil {
				t.Fatal(perr)
			}
			if err != nil || us != want.UnixMicro() || off != tt.offset || hasOff != tt.hasOff {
				t.Fatalf("ParseDateTime(%q) = %s, %d, %v, %v; want %s, %d, %v",
					tt.in, time.UnixMicro(us).UTC().Format(time.RFC3339Nano), off, hasOff, err, tt.want, tt.offset, tt.hasOff)
			}
		})
	}
}

// FuzzParseDateTime checks ParseDateTime against the time package for every
// RFC 3339 text both accept.
func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"2024-11-11T04:00:00+01:00", "2024-10-10T01:01:59.000+02:00", "2023-09-17T14:15:22Z",
		"2024-01-20T21:15:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999-23:59"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		us, off, hasOff, err := ParseDateTime(s)
		if err != nil {
			return
		}
		if !hasOff {
			s += "Z"
		}
		want, perr := time.Parse(time.RFC3339Nano, s)
		if perr != nil {
			return // forms the time package does not take (space, +HHMM, no seconds)
		}
		_, zone := want.Zone()
		if us != want.UnixMicro() || hasOff && off != zone/60 {
			t.Fatalf("ParseDateTime(%q) = %d, %d; time.Parse says %d, %d", s, us, off, want.UnixMicro(), zone/60)
		}
	})
}
