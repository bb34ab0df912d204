package schema

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"unicode/utf8"
)

// FuzzMapV2 feeds arbitrary documents to every collection's mapping. The
// seed corpus is every recorded and spec-shaped document, the odd documents
// of the tests, and some broken JSON. MapV2 must never panic; it either
// rejects a document whole or maps it into one well-formed parent row whose
// extra is a JSON object; and CheckV2 agrees with it.
func FuzzMapV2(f *testing.F) {
	colls := Collections()
	index := func(coll string) uint8 { return uint8(slices.Index(colls, lookupCollection(coll).name)) }
	for _, d := range allDocs(f) {
		f.Add(index(d.coll), d.raw)
	}
	for _, d := range oddDocs {
		f.Add(index(d[0]), []byte(d[1]))
	}
	for _, s := range []string{``, `{`, `{"id":`, `{"id":"x",}`, `[]`, `{"a":"\ud800"}`, `{"met":{"items":[1e999]}}`, "{\"x\":\"\xff\"}"} {
		f.Add(uint8(0), []byte(s))
	}
	f.Fuzz(func(t *testing.T, ci uint8, doc []byte) {
		coll := colls[int(ci)%len(colls)]
		tabs := TablesOf(coll)
		got := rows{}
		m := NewMapper(0, func(b *Batch) error {
			for i, v := range b.Cols {
				if len(v.Valid) != b.Len() {
					t.Fatalf("%s.%s has %d values for %d rows", b.Table.Name, b.Table.Columns[i].Name, len(v.Valid), b.Len())
				}
			}
			got[b.Table.Name] = append(got[b.Table.Name], batchRows(b)...)
			return nil
		})
		mapErr := m.MapV2(coll, doc, OriginV2)
		if err := m.Flush(); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		checkErr := CheckV2(coll, doc)
		if mapErr != nil {
			var inv *InvalidError
			if !errors.As(mapErr, &inv) {
				t.Fatalf("MapV2 error %v is not an *InvalidError", mapErr)
			}
			if len(got) != 0 {
				t.Fatalf("a rejected document emitted rows: %v", got)
			}
			if checkErr == nil {
				t.Fatalf("CheckV2 accepts what MapV2 rejects: %v", mapErr)
			}
			return
		}
		if n := len(got[tabs[0].Name]); n != 1 {
			t.Fatalf("%d parent rows", n)
		}
		for table, rs := range got {
			tb := Lookup(table)
			for _, r := range rs {
				for _, c := range tb.Columns {
					s, isStr := r[c.Name].(string)
					if isStr && !utf8.ValidString(s) {
						t.Fatalf("%s.%s is not UTF-8: %q", table, c.Name, s)
					}
					if isStr && c.Type == JSON && !json.Valid([]byte(s)) {
						t.Fatalf("%s.%s is not JSON: %s", table, c.Name, s)
					}
				}
			}
		}
		if s, ok := got[tabs[0].Name][0][ColExtra].(string); ok && (len(s) < 2 || s[0] != '{') {
			t.Fatalf("extra is not a JSON object: %s", s)
		}
		if checkErr == nil {
			for _, w := range m.Warnings() {
				if w.Issue != IssueUnknown {
					t.Fatalf("CheckV2 accepts a document the Mapper warns about: %+v", w)
				}
			}
		}
	})
}
