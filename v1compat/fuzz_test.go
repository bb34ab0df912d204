package v1compat_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/v1compat"
)

// addSeeds adds the documentation examples, whole answers and records.
func addSeeds(f *testing.F, each func(kind uint8, doc []byte)) {
	files, _ := filepath.Glob(filepath.Join(samplesV1, "*.json"))
	kinds := v1compat.Kinds()
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for i := range kinds {
			each(uint8(i), b)
		}
	}
	for _, s := range docSamples(f) {
		for i, k := range kinds {
			if k == s.kind {
				each(uint8(i), s.doc)
			}
		}
	}
	for i := range kinds {
		each(uint8(i), []byte(`{"summary_date":"2020-01-01","bedtime_start":"2020-01-01T23:00:00","timezone":99999,"hr_5min":[0,1e400],"met_1min":null,"class_5min":"\u00e9"}`))
		each(uint8(i), []byte(`{"summary_date":"2020-02-30","date":1,"bedtime_window":[],"height":"x","score":-1,"score":1}`))
		each(uint8(i), []byte(`[]`))
	}
}

// FuzzCheck: Check never panics, and a record it accepts maps without
// error and keeps in extra only fields Check does not know.
func FuzzCheck(f *testing.F) {
	addSeeds(f, func(kind uint8, doc []byte) { f.Add(kind, doc) })
	kinds := v1compat.Kinds()
	f.Fuzz(func(t *testing.T, kind uint8, doc []byte) {
		k := kinds[int(kind)%len(kinds)]
		if err := v1compat.Check(k, doc); err != nil {
			return
		}
		m := schema.NewMapper(1<<20, func(*schema.Batch) error { return nil })
		if err := v1compat.Map(m, k, doc, schema.OriginV1); err != nil {
			t.Fatalf("Check accepted a %s record Map rejects: %v", k, err)
		}
		if err := m.Flush(); err != nil {
			t.Fatalf("a checked %s record left a required column empty: %v", k, err)
		}
	})
}

// FuzzMap: Map never panics, on anything; it fails only for what is not a
// JSON object, and maps the same input the same way twice.
func FuzzMap(f *testing.F) {
	addSeeds(f, func(kind uint8, doc []byte) { f.Add(kind, doc) })
	kinds := v1compat.Kinds()
	f.Fuzz(func(t *testing.T, kind uint8, doc []byte) {
		k := kinds[int(kind)%len(kinds)]
		once := func() (string, error) {
			var out []byte
			m := schema.NewMapper(1<<20, func(b *schema.Batch) error {
				out = append(out, b.Table.Name...)
				for c := range b.Cols {
					v := &b.Cols[c]
					for i := range b.Len() {
						if v.Valid[i] {
							out = append(out, byte(c), byte(i))
							if v.Str != nil {
								out = append(out, v.Str[i]...)
							}
						}
					}
				}
				return nil
			})
			if err := v1compat.Map(m, k, doc, schema.OriginImport); err != nil {
				return "", err
			}
			return string(out), m.Flush()
		}
		a, err1 := once()
		b, err2 := once()
		if (err1 == nil) != (err2 == nil) || a != b {
			t.Fatalf("two mappings of one record differ: %v / %v", err1, err2)
		}
	})
}

// FuzzDecodeEnvelope: the v1 answer decoder never panics, and every record
// it returns is a JSON object Check can read.
func FuzzDecodeEnvelope(f *testing.F) {
	addSeeds(f, func(kind uint8, doc []byte) { f.Add(kind, doc) })
	f.Add(uint8(0), []byte(`{"sleep":[{},{"a":1}],"x":2}`))
	f.Add(uint8(1), []byte(`{"activity":[1]}`))
	kinds := v1compat.Kinds()
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		k := kinds[int(kind)%len(kinds)]
		name := v1compat.Envelope(k)
		if name == "" {
			name = "sleep"
		}
		docs, err := v1compat.DecodeEnvelope(name, body)
		if err != nil {
			return
		}
		for _, d := range docs {
			if len(d) == 0 || d[0] != '{' {
				t.Fatalf("record %q is not an object", d)
			}
			_ = v1compat.Check(k, d)
		}
	})
}
