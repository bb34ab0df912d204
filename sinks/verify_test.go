package sinks_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	_ "github.com/ouraexport/ouraexport/sinks/csv"
	_ "github.com/ouraexport/ouraexport/sinks/jsonarchive"
	_ "github.com/ouraexport/ouraexport/sinks/parquet"
	"github.com/ouraexport/ouraexport/sinks/sinktest"
)

const sampleRows = 20_000

// makeExport writes a complete export, as the engine does: every format
// into its folder, then MANIFEST.json. It returns the export folder.
func makeExport(t testing.TB, partition bool) string {
	t.Helper()
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "oura-export")
	d, err := sinks.LocalDir(root)
	if err != nil {
		t.Fatal(err)
	}
	tables := sinktest.Tables()
	var all []sinks.File
	for _, format := range []string{"parquet", "csv", "archive"} {
		sk, err := sinks.Open(format, sinks.Options{Dir: d.Sub(format), Tables: tables, Partition: partition, Name: "oura"})
		if err != nil {
			t.Fatal(err)
		}
		ab := schema.NewBatch(tables[0], 8)
		sinktest.Fill(ab, sinktest.AllTypesRows())
		sb := schema.NewBatch(tables[1], 8)
		sinktest.Fill(sb, sinktest.SampleRows(sampleRows))
		if err := sk.Write(ctx, ab); err != nil {
			t.Fatal(err)
		}
		if err := sk.Write(ctx, sb); err != nil {
			t.Fatal(err)
		}
		if raw, ok := sk.(sinks.RawSink); ok {
			if err := raw.WriteRaw(ctx, "heartrate", []byte(`{"bpm":60}`)); err != nil {
				t.Fatal(err)
			}
		}
		files, err := sk.Commit(ctx, sinktest.Meta())
		if err != nil {
			t.Fatal(err)
		}
		sk.Close()
		all = append(all, files...)
	}
	if err := sinks.WriteManifest(d, sinks.NewManifest(sinktest.Meta(), all)); err != nil {
		t.Fatal(err)
	}
	return root
}

func verify(t *testing.T, path string) sinks.Report {
	t.Helper()
	rep, err := sinks.Verify(context.Background(), path)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

// expect checks that the report names exactly the wanted problems, as
// (path, kind) pairs.
func expect(t *testing.T, rep sinks.Report, want ...any) {
	t.Helper()
	type pk struct {
		path string
		kind error
	}
	var wants []pk
	for i := 0; i < len(want); i += 2 {
		wants = append(wants, pk{want[i].(string), want[i+1].(error)})
	}
	for _, p := range rep.Problems {
		if !slices.ContainsFunc(wants, func(w pk) bool { return p.Path == w.path && errors.Is(p.Err, w.kind) }) {
			t.Errorf("unexpected problem: %s", p)
		}
	}
	for _, w := range wants {
		if !slices.ContainsFunc(rep.Problems, func(p sinks.Problem) bool { return p.Path == w.path && errors.Is(p.Err, w.kind) }) {
			t.Errorf("no %q problem reported for %s; report: %v", w.kind, w.path, rep.Problems)
		}
	}
}

func TestVerify(t *testing.T) {
	clean := makeExport(t, false)
	allRows := int64(len(sinktest.AllTypesRows()) + sampleRows)

	// fresh returns a private copy of the clean export.
	fresh := func(t *testing.T) string {
		t.Helper()
		dst := filepath.Join(t.TempDir(), "copy")
		if err := os.CopyFS(dst, os.DirFS(clean)); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	edit := func(t *testing.T, root, name string, f func([]byte) []byte) {
		t.Helper()
		p := filepath.Join(root, name)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	flip := func(at int) func([]byte) []byte {
		return func(b []byte) []byte {
			if at < 0 {
				at += len(b)
			}
			b[at] ^= 0x01
			return b
		}
	}

	t.Run("intact", func(t *testing.T) {
		rep := verify(t, clean)
		expect(t, rep)
		if rep.Files != 7 || rep.Rows != 3*allRows {
			t.Errorf("verified %d files, %d rows; want 7, %d", rep.Files, rep.Rows, 3*allRows)
		}
	})
	t.Run("intact partitioned", func(t *testing.T) {
		rep := verify(t, makeExport(t, true))
		expect(t, rep)
		if rep.Rows != 3*allRows {
			t.Errorf("verified %d rows, want %d", rep.Rows, 3*allRows)
		}
	})
	t.Run("flipped byte in a parquet page", func(t *testing.T) {
		root := fresh(t)
		edit(t, root, "parquet/samples.parquet", flip(100))
		rep := verify(t, root)
		if !slices.ContainsFunc(rep.Problems, func(p sinks.Problem) bool {
			return p.Path == "parquet/samples.parquet" && errors.Is(p.Err, sinks.ErrDigest)
		}) {
			t.Errorf("no digest problem: %v", rep.Problems)
		}
		for _, p := range rep.Problems {
			if p.Path != "parquet/samples.parquet" || errors.Is(p.Err, sinks.ErrSize) {
				t.Errorf("unexpected problem: %s", p)
			}
		}
	})
	t.Run("flipped byte in a csv", func(t *testing.T) {
		root := fresh(t)
		edit(t, root, "csv/alltypes.csv", func(b []byte) []byte {
			i := strings.Index(string(b), "row 1")
			b[i+4] = '7' // still a valid CSV, just different
			return b
		})
		expect(t, verify(t, root), "csv/alltypes.csv", sinks.ErrDigest)
	})
	t.Run("flipped byte in the archive", func(t *testing.T) {
		root := fresh(t)
		edit(t, root, "archive/oura.zip", flip(-30)) // in the zip's directory
		rep := verify(t, root)
		if len(rep.Problems) == 0 || !errors.Is(rep.Problems[0].Err, sinks.ErrDigest) {
			t.Errorf("report %v, want a digest problem first", rep.Problems)
		}
	})
	t.Run("truncated parquet", func(t *testing.T) {
		root := fresh(t)
		edit(t, root, "parquet/alltypes.parquet", func(b []byte) []byte { return b[:len(b)-10] })
		expect(t, verify(t, root), "parquet/alltypes.parquet", sinks.ErrSize, "parquet/alltypes.parquet", sinks.ErrDecode)
	})
	t.Run("truncated csv", func(t *testing.T) {
		root := fresh(t)
		edit(t, root, "csv/samples.csv", func(b []byte) []byte { return b[:len(b)-7] })
		expect(t, verify(t, root), "csv/samples.csv", sinks.ErrSize, "csv/samples.csv", sinks.ErrDecode)
	})
	t.Run("truncated archive", func(t *testing.T) {
		root := fresh(t)
		edit(t, root, "archive/oura.zip", func(b []byte) []byte { return b[:len(b)/2] })
		expect(t, verify(t, root), "archive/oura.zip", sinks.ErrSize, "archive/oura.zip", sinks.ErrDecode)
	})
	t.Run("missing file", func(t *testing.T) {
		root := fresh(t)
		os.Remove(filepath.Join(root, "csv", "empty.csv"))
		expect(t, verify(t, root), "csv/empty.csv", sinks.ErrMissing)
	})
	t.Run("extra file", func(t *testing.T) {
		root := fresh(t)
		os.WriteFile(filepath.Join(root, "csv", "notes.txt"), []byte("mine"), 0o600)
		os.WriteFile(filepath.Join(root, "csv", ".DS_Store"), []byte("finder"), 0o600) // not counted
		os.MkdirAll(filepath.Join(root, ".ouraexport", "segments"), 0o700)             // the engine's state: not counted
		os.WriteFile(filepath.Join(root, ".ouraexport", "segments", "x.seg"), []byte("state"), 0o600)
		os.WriteFile(filepath.Join(root, "parquet", ".samples.parquet.tmp-99999999-0123456789abcdef"), []byte("x"), 0o600)
		rep := verify(t, root)
		expect(t, rep, "csv/notes.txt", sinks.ErrExtra, "parquet/.samples.parquet.tmp-99999999-0123456789abcdef", sinks.ErrExtra)
		if !strings.Contains(rep.Problems[1].String(), "interrupted run") {
			t.Errorf("temporary file not explained: %s", rep.Problems[1])
		}
	})
	t.Run("row count mismatch", func(t *testing.T) {
		root := fresh(t)
		d, _ := sinks.LocalDir(root)
		m, err := sinks.ReadManifest(d)
		if err != nil {
			t.Fatal(err)
		}
		for i := range m.Files {
			if m.Files[i].Path == "parquet/samples.parquet" || m.Files[i].Path == "archive/oura.zip" {
				m.Files[i].Rows++
			}
		}
		if err := sinks.WriteManifest(d, m); err != nil {
			t.Fatal(err)
		}
		expect(t, verify(t, root), "parquet/samples.parquet", sinks.ErrRows, "archive/oura.zip", sinks.ErrRows)
	})
	t.Run("damaged manifest", func(t *testing.T) {
		root := fresh(t)
		edit(t, root, sinks.ManifestName, func(b []byte) []byte { return b[:len(b)/2] })
		rep := verify(t, root)
		expect(t, rep, sinks.ManifestName, sinks.ErrManifest)
		if rep.Files != 7 {
			t.Errorf("re-read %d files, want all 7", rep.Files)
		}
	})
	t.Run("single archive", func(t *testing.T) {
		rep := verify(t, filepath.Join(clean, "archive", "oura.zip"))
		expect(t, rep)
		if rep.Files != 1 || rep.Rows != allRows {
			t.Errorf("verified %d files, %d rows; want 1, %d", rep.Files, rep.Rows, allRows)
		}
	})
	t.Run("not an export", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "x.csv"), []byte("a\r\n"), 0o600)
		for _, p := range []string{dir, filepath.Join(dir, "x.csv")} {
			if _, err := sinks.Verify(context.Background(), p); !errors.Is(err, sinks.ErrNotExport) {
				t.Errorf("Verify(%s) = %v, want ErrNotExport", p, err)
			}
		}
		if _, err := sinks.Verify(context.Background(), filepath.Join(dir, "nothing")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Verify of a missing path = %v, want ErrNotExist", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := sinks.Verify(ctx, clean); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
}
