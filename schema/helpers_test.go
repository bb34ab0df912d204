package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// testDoc is one v2 document of a collection, with where it came from.
type testDoc struct {
	coll string // v2 collection name
	name string // file (and position) it came from
	raw  []byte
}

const recordedDir = "../testdata/oura/samples/v2"

// recordedDocs returns every document in the recorded v2 responses: the
// elements of data arrays and the bare single-document bodies. Error bodies
// ({"detail": ...}) and webhook bodies are skipped.
func recordedDocs(t testing.TB) []testDoc {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(recordedDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var docs []testDoc
	for _, path := range files {
		base := strings.TrimSuffix(filepath.Base(path), ".json")
		rest, multi := strings.CutPrefix(base, "multiple_")
		if !multi {
			var single bool
			if rest, single = strings.CutPrefix(base, "single_"); !single {
				continue // webhook routes
			}
		}
		coll := collectionOfFile(t, rest)
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(body, &probe); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if _, isErr := probe["detail"]; isErr {
			continue
		}
		if !multi {
			docs = append(docs, testDoc{coll: coll, name: base, raw: body})
			continue
		}
		var page struct{ Data []json.RawMessage }
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for i, d := range page.Data {
			docs = append(docs, testDoc{coll: coll, name: base + "[" + strconv.Itoa(i) + "]", raw: d})
		}
	}
	if len(docs) < 15 {
		t.Fatalf("found only %d recorded documents in %s", len(docs), recordedDir)
	}
	return docs
}

// collectionOfFile finds the collection a recording is named after
// ("daily_sp02_x" is daily_spo2: the recording's name has a typo).
func collectionOfFile(t testing.TB, rest string) string {
	rest = strings.Replace(strings.ToLower(rest), "daily_sp02", "daily_spo2", 1)
	best := ""
	for _, c := range Collections() {
		lc := strings.ToLower(c)
		if (rest == lc || strings.HasPrefix(rest, lc+"_")) && len(lc) > len(best) {
			best = c
		}
	}
	if best == "" {
		t.Fatalf("recording %q names no known collection", rest)
	}
	return best
}

// syntheticDocs returns the documents of testdata/v2, written to the spec
// for the collections without a recording (one file per collection).
func syntheticDocs(t testing.TB) []testDoc {
	t.Helper()
	files, err := filepath.Glob("testdata/v2/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var docs []testDoc
	for _, path := range files {
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		coll := strings.TrimSuffix(filepath.Base(path), ".json")
		docs = append(docs, testDoc{coll: collectionOfFile(t, coll), name: "testdata/v2/" + filepath.Base(path), raw: bytes.TrimSpace(body)})
	}
	return docs
}

func allDocs(t testing.TB) []testDoc {
	return append(recordedDocs(t), syntheticDocs(t)...)
}

// rows holds emitted rows by table name; a row maps a column name to nil,
// int64, float64, string or bool.
type rows map[string][]map[string]any

// collector returns a Mapper whose batches are copied into the returned rows.
func collector(size int) (*Mapper, rows) {
	got := rows{}
	m := NewMapper(size, func(b *Batch) error {
		got[b.Table.Name] = append(got[b.Table.Name], batchRows(b)...)
		return nil
	})
	return m, got
}

func batchRows(b *Batch) []map[string]any {
	out := make([]map[string]any, b.Len())
	for i := range out {
		r := make(map[string]any, len(b.Cols))
		for j, c := range b.Table.Columns {
			v := &b.Cols[j]
			if len(v.Valid) != b.Len() {
				panic("vector " + c.Name + " has the wrong length")
			}
			if !v.Valid[i] {
				r[c.Name] = nil
				continue
			}
			switch c.Type {
			case Date, Timestamp, Int:
				r[c.Name] = v.Int[i]
			case Float:
				r[c.Name] = v.Float[i]
			case String, JSON:
				r[c.Name] = v.Str[i]
			case Bool:
				r[c.Name] = v.Bool[i]
			}
		}
		out[i] = r
	}
	return out
}

// mapOne maps one document with a fresh Mapper and returns its rows.
func mapOne(t testing.TB, coll string, doc []byte) (rows, *Mapper) {
	t.Helper()
	m, got := collector(0)
	if err := m.MapV2(coll, doc, OriginV2); err != nil {
		t.Fatalf("MapV2(%s): %v", coll, err)
	}
	if err := m.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return got, m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
