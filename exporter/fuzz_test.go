package exporter

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ouraexport/ouraexport/internal/oura"
)

// FuzzDecodeSingle feeds arbitrary bodies to the bare-document decoder and
// the documents to every collection's KeyOf: an accepted body is exactly
// one JSON object; a date key is a UTC midnight, an instant key is UTC,
// and both survive the segment name's stamp.
func FuzzDecodeSingle(f *testing.F) {
	for _, s := range []string{
		`{"id":"a","age":30}`, " \n{\"day\":\"2024-01-02\",\"timestamp\":\"2024-01-02T03:04:05+02:00\"}\t",
		`{"day":"2024-02-30"}`, `{"timestamp":"2024-01-02T03:04:05.123456789Z"}`, `{"timestamp":"2024-01-02T03:04:05+0000"}`,
		`{"day":"2024-01-02xyz"}`, `{"day":1}`, `[{}]`, `{"a":1} {"b":2}`, `{`, ``, `{"timestamp":"9999-12-31T23:59:59-23:59"}`,
	} {
		f.Add([]byte(s))
	}
	colls := V2Collections(nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		docs, next, err := decodeSingle(body)
		if err != nil {
			if docs != nil || next != "" {
				t.Fatal("documents with an error")
			}
		} else if len(docs) != 1 || next != "" || !json.Valid(docs[0]) || docs[0][0] != '{' {
			t.Fatalf("decodeSingle(%q) = %q, %q", body, docs, next)
		}
		for _, c := range colls {
			key, ok := c.KeyOf(body)
			if !ok {
				if !key.IsZero() && c.Kind != ByInstant {
					t.Fatalf("%s: no key, but %v", c.Name, key)
				}
				continue
			}
			if c.Kind != ByDate && c.Kind != ByInstant {
				t.Fatalf("%s: a key for a collection of kind %d", c.Name, c.Kind)
			}
			if key.Location() != time.UTC {
				t.Fatalf("%s: key %v is not in UTC", c.Name, key)
			}
			if c.Kind == ByDate && !key.Equal(key.Truncate(day)) {
				t.Fatalf("%s: day key %v is not a midnight", c.Name, key)
			}
			if key.Year() >= 1 && key.Year() <= 9999 && key.Nanosecond() == 0 {
				if back, ok := parseStamp(stamp(key)); !ok || !back.Equal(key) {
					t.Fatalf("%s: key %v does not survive the segment name (%q)", c.Name, key, stamp(key))
				}
			}
		}
	})
}

// FuzzParseSegmentName feeds arbitrary file names to the segment-name
// parser: a name it accepts names a segment whose own name parses back to
// the same segment.
func FuzzParseSegmentName(f *testing.F) {
	for _, s := range []string{
		"20240101_20240201_g000001_1000_1700000000.seg", "all_all_g000003_1_1.seg",
		"20240101T120000Z_20240102T000000Z_g000012_5_1700000000.seg", "20240101T000000Z_20240102_g1_0_0.seg",
		".20240101_20240201_g000001_1_1.seg", "20240101_20240201_g000001_1_1.seg.tmp-abc", "a_b_c_d_e.seg",
		"20240101_20240201_g-1_-5_-9.seg", "20240101_20240201_g+1_+5_+9.seg", "20241301_20240201_g1_1_1.seg",
		"20240101_20240201_g1_1_99999999999999999999.seg", "_____.seg",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		seg, ok := parseSegmentName(name)
		if !ok {
			return
		}
		if !strings.HasSuffix(name, ".seg") || strings.HasPrefix(name, ".") {
			t.Fatalf("accepted %q", name)
		}
		again := segmentName(seg)
		back, ok := parseSegmentName(again)
		if !ok || !back.From.Equal(seg.From) || !back.To.Equal(seg.To) || back.Gen != seg.Gen || back.Docs != seg.Docs || !back.Fetched.Equal(seg.Fetched) {
			t.Fatalf("%q parses to %+v, named %q, which parses to %+v (%v)", name, seg, again, back, ok)
		}
	})
}

// frames splits a segment's plain text into its documents the way
// SegmentWriter.Add wrote them; ok is false when it is not a whole number
// of well-formed frames.
func frames(b []byte) (docs [][]byte, ok bool) {
	for len(b) > 0 {
		size, n := binary.Uvarint(b)
		if n <= 0 || size > oura.MaxBody || uint64(len(b)-n) < size {
			return docs, false
		}
		docs = append(docs, b[n:n+int(size)])
		b = b[n+int(size):]
	}
	return docs, true
}

// FuzzStoreRead feeds Store.Read arbitrary segment files: raw bytes
// (compressed=false) or an arbitrary plain text compressed as segments are
// (compressed=true, so the fuzzer explores the framing rather than zstd's).
// Read never panics; for a compressed text it succeeds exactly when the
// text is whole frames, as many as the segment's name says, and then hands
// back exactly those documents.
func FuzzStoreRead(f *testing.F) {
	frame := func(docs ...string) []byte {
		var b []byte
		for _, d := range docs {
			b = binary.AppendUvarint(b, uint64(len(d)))
			b = append(b, d...)
		}
		return b
	}
	enc, err := zstd.NewWriter(nil, zstdOptions...)
	if err != nil {
		f.Fatal(err)
	}
	good := frame(`{"id":"1","day":"2024-01-01"}`, `{}`, ``)
	f.Add(true, uint8(0), good)
	f.Add(true, uint8(7), good)
	f.Add(true, uint8(0), good[:len(good)-3])
	f.Add(true, uint8(0), []byte{})
	f.Add(true, uint8(0), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add(true, uint8(0), []byte{0x80, 0x80, 0x80, 0x80, 0x02, 'x'}) // 512 MiB + 0 announced
	f.Add(false, uint8(6), enc.EncodeAll(good, nil))
	f.Add(false, uint8(2), []byte("not zstd at all"))
	f.Add(false, uint8(0), []byte{})
	f.Add(false, uint8(6), enc.EncodeAll(good, nil)[:10])
	f.Fuzz(func(t *testing.T, compressed bool, docs uint8, data []byte) {
		dir := t.TempDir()
		st, err := OpenStore(filepath.Join(dir, StoreDir))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		want, whole := frames(data)
		seg := Segment{From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), Gen: 1, Docs: int(docs / 2)}
		if docs%2 == 0 {
			seg.Docs = len(want) // mostly the right count, so that the documents are read and compared
		}
		file := data
		if compressed {
			file = enc.EncodeAll(data, nil)
		}
		segDir := filepath.Join(st.Dir(), "segments", "v2", "sleep")
		if err := os.MkdirAll(segDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(segDir, segmentName(seg)), file, 0o600); err != nil {
			t.Fatal(err)
		}
		segs, err := st.Segments("v2", "sleep")
		if err != nil || len(segs) != 1 {
			t.Fatalf("segments %v, %v", segs, err)
		}
		var got [][]byte
		err = st.Read(segs[0], func(doc []byte) error {
			got = append(got, bytes.Clone(doc))
			return nil
		})
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		}
		if !compressed {
			return
		}
		if ok := whole && len(want) == seg.Docs; (err == nil) != ok {
			t.Fatalf("Read: %v; the text is whole frames: %v, %d documents, the name says %d", err, whole, len(want), seg.Docs)
		}
		if err != nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("%d documents read, %d written", len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("document %d: read %q, wrote %q", i, got[i], want[i])
			}
		}
	})
}

// FuzzOpenStore feeds arbitrary state.json and imports.json files to
// OpenStore and Imports. Errors are ErrStoreFormat (or, for state.json, a
// lock or file error) on one line; an accepted state survives SaveState
// and a reopening; an accepted import log survives RecordImports.
func FuzzOpenStore(f *testing.F) {
	state, _ := json.Marshal(State{Format: storeFormat, Account: "u1", APIURL: "https://api.ouraring.com", Runs: 3,
		Created: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Updated: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		Earliest: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Email: "a@b.c"})
	imports, _ := json.Marshal([]ImportRecord{{File: "a.zip", SHA256: strings.Repeat("0", 64), Gen: 2,
		Imported: time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600)), Collections: []string{"sleep"}, Docs: 5}})
	for _, s := range []struct{ state, imports string }{
		{string(state), string(imports)},
		{`{"format":1}`, `[]`},
		{`{"format":2,"runs":1}`, `null`},
		{`{"format":1,"created":"2024-01-01T00:00:00+23:59","earliest":"0001-01-01T00:00:00Z"}`, `[{"gen":-1,"imported":"9999-12-31T23:59:59-23:59"}]`},
		{`{"format":1,"runs":"1"}`, `{}`},
		{`{"format":1.0}`, `[{"file":"\u0000\ud800"}]`},
		{"", ""},
		{`{"format":1}{`, `[1]`},
	} {
		f.Add([]byte(s.state), []byte(s.imports))
	}
	f.Fuzz(func(t *testing.T, stateJSON, importsJSON []byte) {
		dir := filepath.Join(t.TempDir(), StoreDir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "state.json"), stateJSON, 0o600)
		os.WriteFile(filepath.Join(dir, importsFile), importsJSON, 0o600)
		st, err := OpenStore(dir)
		if err != nil {
			if !errors.Is(err, ErrStoreFormat) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("OpenStore: %q", err)
			}
			return
		}
		defer func() { st.Close() }()
		if st.State.Format != storeFormat {
			t.Fatalf("opened a store of format %d", st.State.Format)
		}
		before := st.State
		if err := st.SaveState(); err != nil {
			t.Fatalf("SaveState of an accepted state: %v", err)
		}
		st.Close()
		st, err = OpenStore(dir)
		if err != nil {
			t.Fatalf("a saved state does not open: %v", err)
		}
		after := st.State
		after.Updated = before.Updated
		if a, b := jsonOf(t, before), jsonOf(t, after); a != b {
			t.Fatalf("state changed on saving:\n%s\n%s", a, b)
		}
		recs, err := Imports(st)
		if err != nil {
			if !errors.Is(err, ErrStoreFormat) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("Imports: %q", err)
			}
			return
		}
		if err := RecordImports(st, nil); err != nil {
			t.Fatalf("RecordImports of an accepted log: %v", err)
		}
		again, err := Imports(st)
		if err != nil {
			t.Fatalf("a rewritten import log does not read: %v", err)
		}
		if a, b := jsonOf(t, recs), jsonOf(t, again); a != b {
			t.Fatalf("import log changed on rewriting:\n%s\n%s", a, b)
		}
	})
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
