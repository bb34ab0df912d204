package csv_test

import (
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/csv"
	"github.com/ouraexport/ouraexport/sinks/sinktest"
)

func TestConformance(t *testing.T) {
	sinktest.Run(t, sinktest.Suite{
		Open:      func(o sinks.Options) (sinks.Sink, error) { return sinks.Open("csv", o) },
		Read:      readTable,
		Partition: true,
	})
}

// field is a CSV field and whether it was quoted (which tells "" from null).
type field struct {
	s      string
	quoted bool
}

// parseRFC4180 parses CSV strictly: CRLF line ends, quotes only around whole
// fields, doubled quotes inside. Unlike encoding/csv it keeps quotedness.
func parseRFC4180(data string) ([][]field, error) {
	var (
		records [][]field
		rec     []field
	)
	for i := 0; i < len(data); {
		var f field
		if data[i] == '"' {
			f.quoted = true
			i++
			var b strings.Builder
			for {
				j := strings.IndexByte(data[i:], '"')
				if j < 0 {
					return nil, errors.New("unterminated quote")
				}
				b.WriteString(data[i : i+j])
				i += j + 1
				if i < len(data) && data[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			f.s = b.String()
		} else {
			j := strings.IndexAny(data[i:], ",\r\n\"")
			if j < 0 {
				return nil, errors.New("record without line end")
			}
			if data[i+j] == '"' || data[i+j] == '\n' {
				return nil, fmt.Errorf("bare %q at %d", data[i+j], i+j)
			}
			f.s = data[i : i+j]
			i += j
		}
		rec = append(rec, f)
		switch {
		case strings.HasPrefix(data[i:], ","):
			i++
		case strings.HasPrefix(data[i:], "\r\n"):
			i += 2
			records = append(records, rec)
			rec = nil
		default:
			return nil, fmt.Errorf("unexpected text at %d", i)
		}
	}
	if rec != nil {
		return nil, errors.New("last record has no line end")
	}
	return records, nil
}

func readTable(t *testing.T, root string, files []sinks.File, table *schema.Table) [][]any {
	t.Helper()
	tf := sinktest.TableFiles(files, table.Name, csv.Ext)
	if len(tf) == 0 {
		t.Fatalf("no file for table %s among %v", table.Name, files)
	}
	var rows [][]any
	for _, f := range tf {
		data, err := os.ReadFile(filepath.Join(root, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
			t.Errorf("%s starts with a byte order mark", f.Path)
		}
		recs, err := parseRFC4180(string(data))
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		// The standard library reader must agree on the shape.
		std := stdcsv.NewReader(bytes.NewReader(data))
		all, err := std.ReadAll()
		if err != nil || len(all) != len(recs) {
			t.Fatalf("%s: encoding/csv reads %d records (%v), want %d", f.Path, len(all), err, len(recs))
		}
		if len(recs) == 0 {
			t.Fatalf("%s: no header", f.Path)
		}
		for i, c := range table.Columns {
			if recs[0][i].s != c.Name {
				t.Fatalf("%s: header %v, want column %s at %d", f.Path, recs[0], c.Name, i)
			}
		}
		for n, rec := range recs[1:] {
			if len(rec) != len(table.Columns) {
				t.Fatalf("%s record %d: %d fields", f.Path, n+1, len(rec))
			}
			row := make([]any, len(rec))
			for i, fld := range rec {
				v, err := sinktest.FromText(table.Columns[i].Type, fld.s, fld.quoted)
				if err != nil {
					t.Fatalf("%s record %d column %s: %v", f.Path, n+1, table.Columns[i].Name, err)
				}
				row[i] = v
			}
			rows = append(rows, row)
		}
		if f.Rows != int64(len(recs)-1) {
			t.Errorf("%s: Commit says %d rows, file has %d", f.Path, f.Rows, len(recs)-1)
		}
	}
	return rows
}

// TestFormat pins the exact text of values.
func TestFormat(t *testing.T) {
	tb := &schema.Table{Name: "f", Columns: []schema.Column{
		{Name: "d", Type: schema.Date}, {Name: "t", Type: schema.Timestamp}, {Name: "i", Type: schema.Int},
		{Name: "x", Type: schema.Float}, {Name: "s", Type: schema.String}, {Name: "j", Type: schema.JSON}, {Name: "b", Type: schema.Bool},
	}}
	cases := []struct {
		row  []any
		want string
	}{
		{[]any{nil, nil, nil, nil, nil, nil, nil}, ",,,,,,"},
		{[]any{sinktest.Date(2024, 3, 1), sinktest.Instant(2024, 3, 1, 6, 30, 0, 0), int64(-42), 36.0, "plain", `{"a": 1}`, true},
			`2024-03-01,2024-03-01T06:30:00Z,-42,36.0,plain,"{""a"": 1}",true`},
		{[]any{sinktest.Date(1969, 12, 31), sinktest.Instant(1969, 12, 31, 23, 59, 59, 250_000), int64(0), 0.1, "", `[]`, false},
			`1969-12-31,1969-12-31T23:59:59.25Z,0,0.1,"",[],false`},
		{[]any{nil, int64(1), nil, 1e-7, "a,b", nil, nil}, `,1970-01-01T00:00:00.000001Z,,1e-07,"a,b",,`},
		{[]any{nil, nil, nil, 1e21, "line\r\nbreak \"q\"", nil, nil}, ",,,1e+21,\"line\r\nbreak \"\"q\"\"\",,"},
		// Formula injection: text a spreadsheet would run gets a quote
		// before it; numbers never do.
		{[]any{nil, nil, int64(-5), -36.5, "=HYPERLINK(\"http://x\",\"y\")", `-1.5`, nil}, `,,-5,-36.5,"'=HYPERLINK(""http://x"",""y"")",'-1.5,`},
		{[]any{nil, nil, nil, nil, "+1", `{"a":"=1"}`, nil}, `,,,,'+1,"{""a"":""=1""}",`},
		{[]any{nil, nil, nil, nil, "-5 kg", nil, nil}, `,,,,'-5 kg,,`},
		{[]any{nil, nil, nil, nil, "@SUM(A1)", nil, nil}, `,,,,'@SUM(A1),,`},
		{[]any{nil, nil, nil, nil, "\tx", nil, nil}, ",,,,'\tx,,"},
		{[]any{nil, nil, nil, nil, "\rx", nil, nil}, ",,,,\"'\rx\",,"},
		{[]any{nil, nil, nil, nil, "'quoted", nil, nil}, `,,,,''quoted,,`},
		{[]any{nil, nil, nil, nil, "a=b", nil, nil}, `,,,,a=b,,`},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			dir := t.TempDir()
			d, err := sinks.LocalDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			sk, err := csv.New(sinks.Options{Dir: d, Tables: []*schema.Table{tb}})
			if err != nil {
				t.Fatal(err)
			}
			defer sk.Close()
			b := schema.NewBatch(tb, 1)
			sinktest.Fill(b, [][]any{c.row})
			if err := sk.Write(context.Background(), b); err != nil {
				t.Fatal(err)
			}
			if _, err := sk.Commit(context.Background(), sinktest.Meta()); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(dir, "f.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(data), "d,t,i,x,s,j,b\r\n"+c.want+"\r\n"; got != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name string
		data string
		rows int64
		ok   bool
	}{
		{"header only", "a,b\r\n", 0, true},
		{"rows", "a,b\r\n1,2\r\n\"x,\"\"y\",\r\n", 2, true},
		{"quoted line break", "a\r\n\"1\r\n2\"\r\n", 1, true},
		{"empty", "", 0, false},
		{"no final line break", "a,b\r\n1,2", 0, false},
		{"field count", "a,b\r\n1\r\n", 0, false},
		{"bad quote", "a,b\r\n1,x\"y\r\n", 0, false},
		{"unterminated quote", "a,b\r\n1,\"2\r\n", 0, false},
		{"repeated column", "a,a\r\n", 0, false},
		{"not UTF-8", "a\r\n\xff\r\n", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := csv.Check(context.Background(), strings.NewReader(c.data), int64(len(c.data)))
			if c.ok && (err != nil || rows != c.rows) {
				t.Errorf("got %d rows, %v; want %d rows", rows, err, c.rows)
			}
			if !c.ok && !errors.Is(err, sinks.ErrDecode) {
				t.Errorf("got %d rows, %v; want ErrDecode", rows, err)
			}
		})
	}
}

var _ io.ReaderAt = (*strings.Reader)(nil)

func FuzzCheck(f *testing.F) {
	f.Add("a,b\r\n1,2\r\n")
	f.Add("a\r\n\"x\r\ny\"\r\n")
	f.Add("a,b\r\n\"1,2\r\n")
	f.Fuzz(func(t *testing.T, data string) {
		rows, err := csv.Check(context.Background(), strings.NewReader(data), int64(len(data)))
		if err == nil {
			// What Check accepts, encoding/csv reads with the same count.
			all, rerr := stdcsv.NewReader(strings.NewReader(data)).ReadAll()
			if rerr != nil || int64(len(all)) != rows+1 {
				t.Fatalf("Check: %d rows; encoding/csv: %d records, %v", rows, len(all), rerr)
			}
		} else if !errors.Is(err, sinks.ErrDecode) {
			t.Fatalf("error %v does not wrap ErrDecode", err)
		}
	})
}
