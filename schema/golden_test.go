package schema

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden maps one document of each collection (the first recorded one,
// or the spec-shaped one in testdata/v2) and compares every row of every
// table with testdata/golden/<collection>.txt. Run with -update to rewrite
// the files after a deliberate change, and review the diff.
func TestGolden(t *testing.T) {
	docs := map[string]testDoc{}
	for _, d := range recordedDocs(t) {
		if _, ok := docs[d.coll]; !ok {
			docs[d.coll] = d
		}
	}
	for _, d := range syntheticDocs(t) {
		docs[d.coll] = d // richer than the recordings where both exist
	}
	for _, coll := range Collections() {
		t.Run(coll, func(t *testing.T) {
			d, ok := docs[coll]
			if !ok {
				t.Fatalf("no test document for %s", coll)
			}
			got, _ := mapOne(t, coll, d.raw)
			var buf bytes.Buffer
			fmt.Fprintf(&buf, "# %s, mapped from %s\n", coll, d.name)
			for _, tb := range TablesOf(coll) {
				writeGoldenTable(t, &buf, tb, got[tb.Name])
			}
			path := filepath.Join("testdata", "golden", TablesOf(coll)[0].Name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./schema -run TestGolden -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("rows differ from %s (run with -update and review the diff):\n%s", path, firstDiff(buf.Bytes(), want))
			}
		})
	}
}

// writeGoldenTable writes a table's rows: a header line of column names,
// then one JSON array per row, dates and instants written out.
func writeGoldenTable(t *testing.T, buf *bytes.Buffer, tb *Table, rs []map[string]any) {
	fmt.Fprintf(buf, "\n## %s: %d rows\n", tb.Name, len(rs))
	if len(rs) == 0 {
		return
	}
	var names []string
	for _, c := range tb.Columns {
		names = append(names, c.Name)
	}
	line, _ := json.Marshal(names)
	buf.Write(line)
	buf.WriteByte('\n')
	for _, r := range rs {
		vals := make([]any, len(tb.Columns))
		for i, c := range tb.Columns {
			v := r[c.Name]
			switch {
			case v == nil:
			case c.Type == Date:
				v = time.Unix(v.(int64)*86400, 0).UTC().Format("2006-01-02")
			case c.Type == Timestamp:
				v = time.UnixMicro(v.(int64)).UTC().Format(time.RFC3339Nano)
			}
			vals[i] = v
		}
		var line bytes.Buffer
		enc := json.NewEncoder(&line)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(vals); err != nil {
			t.Fatal(err)
		}
		buf.Write(line.Bytes())
	}
}

func firstDiff(got, want []byte) string {
	gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w []byte
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if !bytes.Equal(g, w) {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, g, w)
		}
	}
	return ""
}
