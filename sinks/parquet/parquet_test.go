package parquet_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/parquet"
	"github.com/ouraexport/ouraexport/sinks/sinktest"
)

func TestConformance(t *testing.T) {
	sinktest.Run(t, sinktest.Suite{
		Open:      func(o sinks.Options) (sinks.Sink, error) { return sinks.Open("parquet", o) },
		Read:      readTable,
		Partition: true,
	})
}

// readTable reads a table's files back with the arrow-go reader (pqarrow),
// checking the Arrow types the files map to.
func readTable(t *testing.T, root string, files []sinks.File, table *schema.Table) [][]any {
	t.Helper()
	tf := sinktest.TableFiles(files, table.Name, parquet.Ext)
	if len(tf) == 0 {
		t.Fatalf("no file for table %s among %v", table.Name, files)
	}
	var rows [][]any
	for _, f := range tf {
		got := readFile(t, filepath.Join(root, f.Path), table)
		if int64(len(got)) != f.Rows {
			t.Errorf("%s: Commit says %d rows, file has %d", f.Path, f.Rows, len(got))
		}
		rows = append(rows, got...)
	}
	return rows
}

func readFile(t *testing.T, path string, table *schema.Table) [][]any {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1000}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	sc := tbl.Schema()
	if sc.NumFields() != len(table.Columns) {
		t.Fatalf("%s: %d columns, want %d", path, sc.NumFields(), len(table.Columns))
	}
	for i, c := range table.Columns {
		f := sc.Field(i)
		want := map[schema.Type]arrow.DataType{
			schema.Date: arrow.FixedWidthTypes.Date32, schema.Timestamp: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
			schema.Int: arrow.PrimitiveTypes.Int64, schema.Float: arrow.PrimitiveTypes.Float64, schema.String: arrow.BinaryTypes.String,
			schema.JSON: arrow.BinaryTypes.String, schema.Bool: arrow.FixedWidthTypes.Boolean,
		}[c.Type]
		if f.Name != c.Name || !arrow.TypeEqual(f.Type, want) || f.Nullable == c.Required {
			t.Errorf("%s: field %d is %s %v nullable=%v, want %s %v nullable=%v", path, i, f.Name, f.Type, f.Nullable, c.Name, want, !c.Required)
		}
	}
	rows := make([][]any, tbl.NumRows())
	for i := range rows {
		rows[i] = make([]any, len(table.Columns))
	}
	for c := range table.Columns {
		off := 0
		for _, chunk := range tbl.Column(c).Data().Chunks() {
			for i := 0; i < chunk.Len(); i++ {
				rows[off+i][c] = value(chunk, i)
			}
			off += chunk.Len()
		}
	}
	return rows
}

func value(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Date32:
		return int64(a.Value(i))
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	}
	panic("unexpected array " + a.DataType().String())
}

// TestRowGroups checks that a small budget splits a table into several row
// groups, that a big one keeps it in one, and that the file metadata says
// what the package promises.
func TestRowGroups(t *testing.T) {
	cases := []struct {
		budget    int64
		rows      int
		minGroups int
		maxGroups int
		rowCap    int
	}{
		{budget: 64 << 20, rows: 100_000, minGroups: 1, maxGroups: 1},
		{budget: 512 << 10, rows: 100_000, minGroups: 3, maxGroups: 100},
		{budget: 64 << 20, rows: 25_000, minGroups: 3, maxGroups: 3, rowCap: 10_000},
	}
	for _, c := range cases {
		t.Run("", func(t *testing.T) {
			if c.rowCap > 0 {
				defer parquet.SetMaxRowGroupRows(c.rowCap)()
			}
			root := t.TempDir()
			d, _ := sinks.LocalDir(root)
			samples := sinktest.Samples()
			samples.Partition = ""
			sk, err := parquet.New(sinks.Options{Dir: d, Tables: []*schema.Table{samples}, MemoryBudget: c.budget})
			if err != nil {
				t.Fatal(err)
			}
			defer sk.Close()
			rows := sinktest.SampleRows(c.rows)
			b := schema.NewBatch(samples, 8192)
			for lo := 0; lo < len(rows); lo += 8192 {
				b.Reset()
				sinktest.Fill(b, rows[lo:min(lo+8192, len(rows))])
				if err := sk.Write(context.Background(), b); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := sk.Commit(context.Background(), sinktest.Meta()); err != nil {
				t.Fatal(err)
			}
			pf, err := file.OpenParquetFile(filepath.Join(root, "samples.parquet"), false)
			if err != nil {
				t.Fatal(err)
			}
			defer pf.Close()
			if n := pf.NumRowGroups(); n < c.minGroups || n > c.maxGroups {
				t.Errorf("%d row groups, want %d..%d", n, c.minGroups, c.maxGroups)
			}
			if pf.NumRows() != int64(c.rows) {
				t.Errorf("%d rows, want %d", pf.NumRows(), c.rows)
			}
			md := pf.MetaData()
			kv := md.KeyValueMetadata()
			for k, want := range map[string]string{"ouraexport.version": "v0.0.0-test", "ouraexport.schema_version": "1", "ouraexport.table": "samples", "ouraexport.exported_at": "2026-01-02T03:04:05Z"} {
				if got := kv.FindValue(k); got == nil || *got != want {
					t.Errorf("key-value %s = %v, want %s", k, got, want)
				}
			}
			if kv.FindValue("ouraexport.table_schema") == nil {
				t.Error("no ouraexport.table_schema")
			}
			if root := md.Schema.Root(); root.RepetitionType() != pq.Repetitions.Required {
				t.Errorf("root repetition %v, want REQUIRED", root.RepetitionType())
			}
		})
	}
}

// TestCheck damages Parquet files and checks that Check reports them.
func TestCheck(t *testing.T) {
	root := t.TempDir()
	d, _ := sinks.LocalDir(root)
	samples := sinktest.Samples()
	samples.Partition = ""
	sk, err := parquet.New(sinks.Options{Dir: d, Tables: []*schema.Table{samples}, MemoryBudget: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	b := schema.NewBatch(samples, 50_000)
	sinktest.Fill(b, sinktest.SampleRows(50_000))
	if err := sk.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	files, err := sk.Commit(context.Background(), sinktest.Meta())
	if err != nil {
		t.Fatal(err)
	}
	sk.Close()
	good, err := os.ReadFile(filepath.Join(root, files[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		damage func([]byte) []byte
		ok     bool
	}{
		{"intact", func(b []byte) []byte { return b }, true},
		{"truncated", func(b []byte) []byte { return b[:len(b)-50] }, false},
		{"cut in half", func(b []byte) []byte { return b[:len(b)/2] }, false},
		{"empty", func(b []byte) []byte { return nil }, false},
		{"page scrambled", func(b []byte) []byte {
			for i := 200; i < 400; i++ {
				b[i] ^= 0x5a
			}
			return b
		}, false},
		{"footer length", func(b []byte) []byte { b[len(b)-8] ^= 0xff; return b }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.damage(append([]byte(nil), good...))
			p := filepath.Join(t.TempDir(), "x.parquet")
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
			f, _ := os.Open(p)
			defer f.Close()
			rows, err := parquet.Check(context.Background(), f, int64(len(data)))
			if c.ok && (err != nil || rows != 50_000) {
				t.Errorf("got %d rows, %v", rows, err)
			}
			if !c.ok && !errors.Is(err, sinks.ErrDecode) {
				t.Errorf("got %d rows, %v; want ErrDecode", rows, err)
			}
		})
	}
}

func FuzzCheck(f *testing.F) {
	root := f.TempDir()
	d, _ := sinks.LocalDir(root)
	samples := sinktest.Samples()
	samples.Partition = ""
	sk, _ := parquet.New(sinks.Options{Dir: d, Tables: []*schema.Table{samples, sinktest.AllTypes()}})
	b := schema.NewBatch(samples, 100)
	sinktest.Fill(b, sinktest.SampleRows(100))
	sk.Write(context.Background(), b)
	files, err := sk.Commit(context.Background(), sinktest.Meta())
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		good, _ := os.ReadFile(filepath.Join(root, file.Path))
		f.Add(good)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parquet.Check(context.Background(), bytes.NewReader(data), int64(len(data)))
		if err != nil && !errors.Is(err, sinks.ErrDecode) {
			t.Fatalf("error %v does not wrap ErrDecode", err)
		}
		if err == nil && rows < 0 {
			t.Fatalf("%d rows", rows)
		}
	})
}
