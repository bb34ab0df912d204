package jsonarchive_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/jsonarchive"
	"github.com/ouraexport/ouraexport/sinks/sinktest"
)

func TestConformance(t *testing.T) {
	sinktest.Run(t, sinktest.Suite{
		Open: func(o sinks.Options) (sinks.Sink, error) { return sinks.Open("archive", o) },
		Read: readTable,
	})
}

func archiveOf(t *testing.T, root string, files []sinks.File) string {
	t.Helper()
	if len(files) != 1 || !strings.HasSuffix(files[0].Path, ".zip") {
		t.Fatalf("archive sink published %v, want one zip", files)
	}
	return filepath.Join(root, files[0].Path)
}

func readEntry(t *testing.T, zipPath, name string) []byte {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc) // checks the CRC-32 at the end
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return data
}

func readTable(t *testing.T, root string, files []sinks.File, table *schema.Table) [][]any {
	t.Helper()
	data := readEntry(t, archiveOf(t, root, files), "data/"+table.Name+".ndjson")
	var rows [][]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		// Keys must be the columns, in order.
		dec := json.NewDecoder(bytes.NewReader(line))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("line %q is not an object", line)
		}
		row := make([]any, 0, len(table.Columns))
		for i := 0; dec.More(); i++ {
			key, err := dec.Token()
			if err != nil || i >= len(table.Columns) || key != table.Columns[i].Name {
				t.Fatalf("line %q: key %d is %v, want %s", line, i, key, table.Columns[min(i, len(table.Columns)-1)].Name)
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatal(err)
			}
			v, err := sinktest.FromJSON(table.Columns[i].Type, raw)
			if err != nil {
				t.Fatalf("line %q column %s: %v", line, table.Columns[i].Name, err)
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	if bytes.Count(data, []byte{'\n'}) != len(rows) || (len(data) > 0 && data[len(data)-1] != '\n') {
		t.Errorf("data/%s.ndjson is not one object per line", table.Name)
	}
	return rows
}

func newSink(t *testing.T, o sinks.Options) (*jsonarchive.Sink, string) {
	t.Helper()
	root := t.TempDir()
	d, err := sinks.LocalDir(root)
	if err != nil {
		t.Fatal(err)
	}
	o.Dir = d
	sk, err := jsonarchive.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sk.Close() })
	return sk, root
}

func TestRawManifestReadme(t *testing.T) {
	ctx := context.Background()
	samples := sinktest.Samples()
	sk, root := newSink(t, sinks.Options{Tables: []*schema.Table{samples, sinktest.Empty()}, Name: "my-export"})
	docs := []string{
		`{"id":"a","bpm":60}`,
		"{\n  \"id\": \"b\",\n  \"text\": \"two\\nlines\"\r\n}",
		`  {"id":"c"}  `,
	}
	for _, d := range docs {
		if err := sk.WriteRaw(ctx, "heartrate", []byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	if err := sk.WriteRaw(ctx, "sleep", []byte(`{"id":"s"}`)); err != nil {
		t.Fatal(err)
	}
	b := schema.NewBatch(samples, 10)
	sinktest.Fill(b, sinktest.SampleRows(10))
	if err := sk.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	files, err := sk.Commit(ctx, sinktest.Meta())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Path != "my-export.zip" || files[0].Rows != 10 {
		t.Fatalf("files %+v", files)
	}
	zipPath := filepath.Join(root, "my-export.zip")

	raw := string(readEntry(t, zipPath, "raw/heartrate.ndjson"))
	want := `{"id":"a","bpm":60}` + "\n" + `{"id":"b","text":"two\nlines"}` + "\n" + `  {"id":"c"}  ` + "\n"
	if raw != want {
		t.Errorf("raw/heartrate.ndjson:\n got %q\nwant %q", raw, want)
	}

	var m sinks.Manifest
	if err := json.Unmarshal(readEntry(t, zipPath, jsonarchive.ManifestName), &m); err != nil {
		t.Fatal(err)
	}
	if m.Tool != "ouraexport" || m.ToolVersion != "v0.0.0-test" || m.SchemaVersion != schema.Version || m.Subject.ID != "user-1" ||
		m.Period.Since != "2019-01-01" || len(m.Sources) != 1 || !m.ExportedAt.Equal(sinktest.Meta().ExportedAt) {
		t.Errorf("manifest meta: %+v", m)
	}
	wantEntries := map[string]int64{"README.md": 0, "data/samples.ndjson": 10, "data/empty.ndjson": 0, "raw/heartrate.ndjson": 3, "raw/sleep.ndjson": 1}
	if len(m.Files) != len(wantEntries) {
		t.Errorf("manifest lists %d entries, want %d: %+v", len(m.Files), len(wantEntries), m.Files)
	}
	for _, f := range m.Files {
		rows, ok := wantEntries[f.Path]
		if !ok || rows != f.Rows {
			t.Errorf("manifest entry %+v, want rows %d (listed: %v)", f, rows, ok)
		}
		data := readEntry(t, zipPath, f.Path)
		sum := sha256.Sum256(data)
		if int64(len(data)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("%s: manifest size/digest does not match the entry", f.Path)
		}
	}

	readme := string(readEntry(t, zipPath, jsonarchive.ReadmeName))
	for _, s := range []string{"user-1", "someone@example.org", "2019-01-01", "2025-12-31", "Oura Cloud API v2", "Article 15", "Article 20",
		"ouraexport verify my-export.zip", "| data/samples.ndjson |", "| raw/heartrate.ndjson |", "A note for people.", "### samples", "| bpm | int | bpm |",
		"compacted", "schema, version 1"} {
		if !strings.Contains(readme, s) {
			t.Errorf("README does not mention %q", s)
		}
	}

	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Mode().Perm() != 0o600 || !f.Modified.Equal(sinktest.Meta().ExportedAt) {
			t.Errorf("%s: mode %v, modified %v", f.Name, f.Mode(), f.Modified)
		}
	}
	if zr.File[0].Name != jsonarchive.ReadmeName || zr.File[1].Name != jsonarchive.ManifestName {
		t.Errorf("the archive does not start with README.md and manifest.json")
	}
	r, size := mustOpen(t, zipPath)
	if rows, err := jsonarchive.Check(ctx, r, size); err != nil || rows != 10 {
		t.Errorf("Check: %d rows, %v", rows, err)
	}
}

func TestWriteRawRejects(t *testing.T) {
	cases := map[string]struct{ coll, doc string }{
		"not JSON":        {"heartrate", `{"a":`},
		"empty":           {"heartrate", ``},
		"bad collection":  {"../x", `{}`},
		"collection path": {"a/b", `{}`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			sk, _ := newSink(t, sinks.Options{Tables: []*schema.Table{sinktest.Samples()}})
			if err := sk.WriteRaw(context.Background(), c.coll, []byte(c.doc)); err == nil {
				t.Fatal("WriteRaw accepted it")
			}
			if _, err := sk.Commit(context.Background(), sinktest.Meta()); err == nil {
				t.Fatal("Commit succeeded after a failed WriteRaw")
			}
		})
	}
}

// TestLargeEntries spools entries bigger than a chunk, interleaved, and
// checks that the assembled deflate streams inflate back exactly.
func TestLargeEntries(t *testing.T) {
	ctx := context.Background()
	samples := sinktest.Samples()
	sk, root := newSink(t, sinks.Options{Tables: []*schema.Table{samples}, CompressionLevel: 1})
	rows := sinktest.SampleRows(20_000)
	b := schema.NewBatch(samples, 1000)
	var raw bytes.Buffer
	for lo := 0; lo < len(rows); lo += 1000 {
		b.Reset()
		sinktest.Fill(b, rows[lo:lo+1000])
		if err := sk.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
		doc := []byte(`{"chunk":"` + strings.Repeat("x", lo%977) + `"}`)
		raw.Write(doc)
		raw.WriteByte('\n')
		if err := sk.WriteRaw(ctx, "heartrate", doc); err != nil {
			t.Fatal(err)
		}
	}
	files, err := sk.Commit(ctx, sinktest.Meta())
	if err != nil {
		t.Fatal(err)
	}
	got := readTable(t, root, files, samples)
	if len(got) != len(rows) {
		t.Fatalf("read %d rows, want %d", len(got), len(rows))
	}
	if r := readEntry(t, filepath.Join(root, files[0].Path), "raw/heartrate.ndjson"); !bytes.Equal(r, raw.Bytes()) {
		t.Errorf("raw entry differs: %d bytes, want %d", len(r), raw.Len())
	}
}

func mustOpen(t *testing.T, path string) (io.ReaderAt, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return f, fi.Size()
}

// TestCheck tampers with an archive's entries and checks that Check names
// each problem.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	samples := sinktest.Samples()
	sk, root := newSink(t, sinks.Options{Tables: []*schema.Table{samples}})
	b := schema.NewBatch(samples, 100)
	sinktest.Fill(b, sinktest.SampleRows(100))
	if err := sk.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := sk.WriteRaw(ctx, "heartrate", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	files, err := sk.Commit(ctx, sinktest.Meta())
	if err != nil {
		t.Fatal(err)
	}
	orig := filepath.Join(root, files[0].Path)

	// rewrite copies the archive, letting edit change entries (nil drops one) and add adds some.
	rewrite := func(t *testing.T, edit func(name string, data []byte) []byte, add map[string]string) string {
		t.Helper()
		zr, err := zip.OpenReader(orig)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		var out bytes.Buffer
		zw := zip.NewWriter(&out)
		for _, f := range zr.File {
			rc, _ := f.Open()
			data, _ := io.ReadAll(rc)
			rc.Close()
			if data = edit(f.Name, data); data == nil {
				continue
			}
			w, _ := zw.Create(f.Name)
			w.Write(data)
		}
		for name, body := range add {
			w, _ := zw.Create(name)
			io.WriteString(w, body)
		}
		zw.Close()
		p := filepath.Join(t.TempDir(), "x.zip")
		os.WriteFile(p, out.Bytes(), 0o600)
		return p
	}
	same := func(_ string, d []byte) []byte { return d }
	cases := []struct {
		name string
		path func(t *testing.T) string
		want []error
	}{
		{"intact copy", func(t *testing.T) string { return rewrite(t, same, nil) }, nil},
		{"changed byte", func(t *testing.T) string {
			return rewrite(t, func(n string, d []byte) []byte {
				if n == "data/samples.ndjson" {
					copy(d[bytes.Index(d, []byte(`"v2"`)):], `"v3"`)
				}
				return d
			}, nil)
		}, []error{sinks.ErrDigest}},
		{"truncated entry", func(t *testing.T) string {
			return rewrite(t, func(n string, d []byte) []byte {
				if n == "raw/heartrate.ndjson" {
					return d[:3]
				}
				return d
			}, nil)
		}, []error{sinks.ErrDecode}},
		{"missing entry", func(t *testing.T) string {
			return rewrite(t, func(n string, d []byte) []byte {
				if n == "README.md" {
					return nil
				}
				return d
			}, nil)
		}, []error{sinks.ErrMissing}},
		{"extra entry", func(t *testing.T) string { return rewrite(t, same, map[string]string{"data/x.ndjson": "{}\n"}) }, []error{sinks.ErrExtra}},
		{"line dropped", func(t *testing.T) string {
			return rewrite(t, func(n string, d []byte) []byte {
				if n == "data/samples.ndjson" {
					return d[bytes.IndexByte(d, '\n')+1:]
				}
				return d
			}, nil)
		}, []error{sinks.ErrSize}},
		{"no manifest", func(t *testing.T) string {
			return rewrite(t, func(n string, d []byte) []byte {
				if n == "manifest.json" {
					return nil
				}
				return d
			}, nil)
		}, []error{sinks.ErrManifest}},
		{"bad JSON line", func(t *testing.T) string {
			return rewrite(t, func(n string, d []byte) []byte {
				if n == "data/samples.ndjson" {
					d[0] = '['
				}
				return d
			}, nil)
		}, []error{sinks.ErrDecode}},
		{"truncated zip", func(t *testing.T) string {
			data, _ := os.ReadFile(orig)
			p := filepath.Join(t.TempDir(), "x.zip")
			os.WriteFile(p, data[:len(data)-100], 0o600)
			return p
		}, []error{sinks.ErrDecode}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, size := mustOpen(t, c.path(t))
			rows, err := jsonarchive.Check(ctx, r, size)
			if c.want == nil {
				if err != nil || rows != 100 {
					t.Fatalf("got %d rows, %v", rows, err)
				}
				return
			}
			for _, w := range c.want {
				if !errors.Is(err, w) {
					t.Errorf("got %v, want %v", err, w)
				}
			}
		})
	}
}

func FuzzCheck(f *testing.F) {
	samples := sinktest.Samples()
	root := f.TempDir()
	d, _ := sinks.LocalDir(root)
	sk, _ := jsonarchive.New(sinks.Options{Dir: d, Tables: []*schema.Table{samples}})
	b := schema.NewBatch(samples, 3)
	sinktest.Fill(b, sinktest.SampleRows(3))
	sk.Write(context.Background(), b)
	sk.WriteRaw(context.Background(), "heartrate", []byte(`{"a":1}`))
	files, err := sk.Commit(context.Background(), sinktest.Meta())
	if err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(root, files[0].Path))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := jsonarchive.Check(context.Background(), bytes.NewReader(data), int64(len(data)))
		if err == nil && rows < 0 {
			t.Fatalf("%d rows", rows)
		}
	})
}
