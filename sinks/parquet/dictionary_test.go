package parquet_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/parquet"
	"github.com/ouraexport/ouraexport/sinks/sinktest"
)

// TestStringDictionary writes string columns of every shape the sink meets
// (long runs of few values, runs with nulls, all null, unique values) over
// several row groups and pages, and checks that they read back as written,
// that the repetitive ones are dictionary-encoded, and that each column
// chunk's statistics (min, max, nulls) are those of its values.
func TestStringDictionary(t *testing.T) {
	defer parquet.SetMaxRowGroupRows(60_000)()
	table := &schema.Table{Name: "runs", Doc: "String columns.", Columns: []schema.Column{
		{Name: "origin", Type: schema.String, Required: true, Doc: "Where the row came from."},
		{Name: "parent", Type: schema.String, Required: true, Doc: "A parent id, in runs."},
		{Name: "label", Type: schema.String, Doc: "Runs with nulls."},
		{Name: "never", Type: schema.String, Doc: "Always null."},
		{Name: "uid", Type: schema.String, Doc: "Unique, mostly."},
		{Name: "n", Type: schema.Int, Required: true, Doc: "The row."},
	}}
	const rows = 150_000
	want := make([][]any, rows)
	for i := range want {
		var label, uid any
		if i%7 != 3 && (i/5000)%4 != 2 { // nulls here and there, and whole pages of them
			label = fmt.Sprintf("label-%d", (i/300)%9)
		}
		if i%11 != 0 {
			uid = fmt.Sprintf("uid-%08d-%x", i, i*7919)
		}
		want[i] = []any{"v2", fmt.Sprintf("parent-%04d", i/1440), label, nil, uid, int64(i)}
	}
	root := t.TempDir()
	d, _ := sinks.LocalDir(root)
	sk, err := parquet.New(sinks.Options{Dir: d, Tables: []*schema.Table{table}})
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Close()
	b := schema.NewBatch(table, 8192)
	for lo := 0; lo < rows; lo += 5000 {
		b.Reset()
		sinktest.Fill(b, want[lo:min(lo+5000, rows)])
		if err := sk.Write(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sk.Commit(context.Background(), sinktest.Meta()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "runs.parquet")
	got := readFile(t, path, table)
	if len(got) != rows {
		t.Fatalf("%d rows, want %d", len(got), rows)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("row %d: got %v, want %v", i, got[i], want[i])
		}
	}

	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if pf.NumRowGroups() < 3 {
		t.Fatalf("%d row groups: the test wants several", pf.NumRowGroups())
	}
	first := 0
	for g := range pf.NumRowGroups() {
		rg := pf.MetaData().RowGroup(g)
		n := int(rg.NumRows())
		for c := range 5 {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			name := table.Columns[c].Name
			if c < 3 && !slices.Contains(cc.Encodings(), pq.Encodings.RLEDict) {
				t.Errorf("row group %d, %s: encodings %v, want dictionary", g, name, cc.Encodings())
			}
			var vals []string
			nulls := 0
			for _, r := range want[first : first+n] {
				if r[c] == nil {
					nulls++
				} else {
					vals = append(vals, r[c].(string))
				}
			}
			st, err := cc.Statistics()
			if err != nil || st == nil {
				t.Fatalf("row group %d, %s: no statistics (%v)", g, name, err)
			}
			if st.NullCount() != int64(nulls) {
				t.Errorf("row group %d, %s: %d nulls, want %d", g, name, st.NullCount(), nulls)
			}
			bs := st.(*metadata.ByteArrayStatistics)
			if len(vals) == 0 {
				if bs.HasMinMax() {
					t.Errorf("row group %d, %s: min/max for a column of nulls", g, name)
				}
				continue
			}
			if !bs.HasMinMax() || string(bs.Min()) != slices.Min(vals) || string(bs.Max()) != slices.Max(vals) {
				t.Errorf("row group %d, %s: min %q max %q, want %q %q", g, name, bs.Min(), bs.Max(), slices.Min(vals), slices.Max(vals))
			}
		}
		first += n
	}
}
