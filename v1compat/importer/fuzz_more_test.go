package importer

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/schema"
)

// FuzzImportArchive imports two well-formed ouraexport archives whose
// manifest.json and raw/ entry are arbitrary (FuzzImport mutates whole
// zips, whose checksums keep the fuzzer out of the entries). The import
// never panics; an error is a one-line *FileError and stores nothing;
// archives of two different people are refused; and what a successful
// import stores maps, and is as many documents as it reports.
func FuzzImportArchive(f *testing.F) {
	colls := archiveCollections()
	names := make([]string, 0, len(colls)+1)
	for n := range colls {
		names = append(names, n)
	}
	sort.Strings(names)
	names = append(names, "future_collection")
	index := func(name string) uint8 { return uint8(sort.SearchStrings(names[:len(names)-1], name)) }
	for _, s := range []struct {
		m1, m2 string
		coll   string
		raw    string
	}{
		{`{"subject":{"id":"u1","email":"a@b.c"},"files":[]}`, `{"subject":{"id":"u1"}}`, "daily_sleep",
			`{"id":"a","day":"2024-01-01","score":80,"contributors":{"deep_sleep":90},"timestamp":"2024-01-01T00:00:00+00:00"}` + "\n\n"},
		{`{"subject":{"id":"u1"}}`, `{"subject":{"id":"u2"}}`, "sleep", ""},
		{`{}`, `not json`, "heartrate", `{"bpm":60,"source":"awake","timestamp":"2024-01-01T00:00:00+00:00"}` + "\r\n"},
		{`{"subject":{"id":""}}`, `{"subject":{"id":"u1"}}`, "v1_sleep",
			`{"summary_date":"2020-01-01","bedtime_start":"2020-01-01T23:00:00+01:00","hr_5min":[0,50],"score":80}`},
		{`{"subject":{"id":"u1"}}`, `{"subject":null}`, "daily_activity", `{"id":"x","day":"2024-01-01","score":[1,` + "\r" + `2]}`},
		{`[]`, `{"subject":{"id":1}}`, "sleep", `[1]` + "\n" + `{"a":` + "\n"},
	} {
		i := index(s.coll)
		if names[i] != s.coll {
			f.Fatalf("no collection %s", s.coll)
		}
		f.Add([]byte(s.m1), []byte(s.m2), i, []byte(s.raw))
	}
	f.Add([]byte(`{}`), []byte(`{}`), uint8(len(names)-1), []byte(`{"x":1}`))
	f.Fuzz(func(t *testing.T, m1, m2 []byte, coll uint8, raw []byte) {
		name := names[int(coll)%len(names)]
		dir := t.TempDir()
		var paths []string
		for i, m := range [][]byte{m1, m2} {
			var z bytes.Buffer
			zw := zip.NewWriter(&z)
			for _, e := range []struct {
				name string
				body []byte
			}{
				{"manifest.json", m},
				{"raw/" + name + ".ndjson", raw},
				{"data/daily_sleep.ndjson", []byte(`{"id":"a"}` + "\n")},
			} {
				w, err := zw.Create(e.name)
				if err != nil {
					t.Fatal(err)
				}
				w.Write(e.body)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "archive"+string(rune('1'+i))+".zip")
			if err := os.WriteFile(p, z.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
		st, err := exporter.OpenStore(filepath.Join(dir, "store"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		all := append(Collections(), archiveCollectionsList()...)
		res, err := Import(context.Background(), Options{Store: st, Paths: paths})
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, ErrBadFile) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error %q is not a one-line *FileError", err)
			}
			for _, c := range all {
				if segs, _ := st.Segments(c.API, c.Name); len(segs) > 0 {
					t.Fatalf("a failed import stored %s", c.Name)
				}
			}
			return
		}
		if a, b := subjectID(m1), subjectID(m2); a != "" && b != "" && a != b {
			t.Fatalf("archives of %q and %q imported together", a, b)
		}
		m := schema.NewMapper(1<<20, func(*schema.Batch) error { return nil })
		stored := 0
		seen := map[string]bool{}
		for _, c := range all {
			if seen[c.API+"/"+c.Name] {
				continue
			}
			seen[c.API+"/"+c.Name] = true
			segs, err := st.Segments(c.API, c.Name)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range segs {
				err := st.Read(s, func(doc []byte) error {
					stored++
					if c.Map == nil {
						return m.MapV2(c.Name, doc, schema.OriginV2)
					}
					return c.Map(m, doc)
				})
				if err != nil {
					t.Fatalf("%s: %v", c.Name, err)
				}
			}
		}
		if err := m.Flush(); err != nil {
			t.Fatalf("what the import stored does not build: %v", err)
		}
		if stored != res.Docs() {
			t.Fatalf("%d documents stored, the result says %d", stored, res.Docs())
		}
	})
}

// subjectID returns the subject id of a manifest as the importer reads it
// ("" when it has none).
func subjectID(manifest []byte) string {
	var m struct {
		Subject struct {
			ID any `json:"id"`
		} `json:"subject"`
	}
	if json.Unmarshal(manifest, &m) != nil {
		return ""
	}
	id, _ := m.Subject.ID.(string)
	return id
}
