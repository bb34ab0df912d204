package schema

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzCheckV2 feeds arbitrary documents to the strict v2 checker on its
// own (FuzzMapV2 compares it with the Mapper). It returns nil or an
// *InvalidError of at most 20 problems; the error is one line that names
// the collection; and the verdict does not depend on what was checked
// before (the checker is pooled and reused).
func FuzzCheckV2(f *testing.F) {
	colls := Collections()
	index := func(coll string) uint8 { return uint8(slices.Index(colls, lookupCollection(coll).name)) }
	for _, d := range allDocs(f) {
		f.Add(index(d.coll), d.raw)
	}
	for _, d := range oddDocs {
		f.Add(index(d[0]), []byte(d[1]))
	}
	for _, s := range []string{
		``, `{`, `[]`, `null`, `{"id":"x","day":"2024-01-01"}`, "{\"id\":\n[1,\n2]}", `{"id":"` + strings.Repeat("\u00e9", 30) + `"}`,
		`{"a":1,"a":2,"b":{"c":[{"d":[[[[[[]]]]]]}]}}`, "{\"id\":\"\xff\"}", `{"day":"2024-02-30","score":1.5}`,
		strings.Repeat(`{"a":`, 200) + strings.Repeat(`}`, 200),
	} {
		f.Add(uint8(0), []byte(s))
	}
	f.Fuzz(func(t *testing.T, ci uint8, doc []byte) {
		coll := colls[int(ci)%len(colls)]
		err := CheckV2(coll, doc)
		// A different document in between: the pooled walker must keep nothing.
		_ = CheckV2(colls[(int(ci)+1)%len(colls)], []byte(`{"id":"other","day":"x","extra":[1,2,{"z":null}]}`))
		again := CheckV2(coll, doc)
		if (err == nil) != (again == nil) || err != nil && err.Error() != again.Error() {
			t.Fatalf("two checks differ: %v / %v", err, again)
		}
		if err == nil {
			return
		}
		var inv *InvalidError
		if !errors.As(err, &inv) || !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v is not an *InvalidError", err)
		}
		if len(inv.Problems) == 0 || len(inv.Problems) > maxProblems || inv.Collection != coll {
			t.Fatalf("%d problems for %q: %v", len(inv.Problems), inv.Collection, err)
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, coll+" document: ") {
			t.Fatalf("error is not one line about %s: %q", coll, msg)
		}
	})
}

// FuzzParseDate checks ParseDate against the time package: they accept the
// same ten-character dates and agree on the day.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2023-02-29", "1970-01-01", "0000-01-01", "9999-12-31", "2024-1-01", "2024-01-1 ",
		"+024-01-01", "2024-13-01", "2024-00-10", "2024-01-32", "2024/01/01", "20240101", "2024-01-01T00:00:00Z", "١٢٣٤-01-01"} {
		f.Add(s)
	}
	epoch := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		days, err := ParseDate(s)
		want, werr := time.Parse(time.DateOnly, s)
		if werr != nil || len(s) != 10 {
			if err == nil {
				t.Fatalf("ParseDate(%q) = %d; time.Parse says %v", s, days, werr)
			}
			if !errors.Is(err, ErrTimeFormat) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("ParseDate(%q): error %q", s, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseDate(%q): %v; time.Parse accepts it", s, err)
		}
		if w := int64(want.Sub(epoch) / (24 * time.Hour)); want.Year() > 1700 && want.Year() < 2200 && days != w {
			t.Fatalf("ParseDate(%q) = %d, time.Parse %d", s, days, w)
		}
		if got := epoch.AddDate(0, 0, int(days)); !got.Equal(want) {
			t.Fatalf("ParseDate(%q) = %d days, which is %v", s, days, got)
		}
	})
}
