package report

import (
	"bufio"
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ouraexport/ouraexport/schema"
)

// value is one cell as the report reads it: dates as days since
// 1970-01-01, instants as microseconds since the epoch (UTC), as in a
// schema.Batch. Numbers are in both i and f.
type value struct {
	ok bool // false: null, or a column the file lacks
	i  int64
	f  float64
	s  string
}

// intValue and floatValue make numeric values.
func intValue(n int64) value     { return value{ok: true, i: n, f: float64(n)} }
func floatValue(x float64) value { return value{ok: true, i: int64(x), f: x} }

// num returns a numeric value as a float, NaN for null.
func (v value) num() float64 {
	if !v.ok {
		return math.NaN()
	}
	return v.f
}

// scan reads the columns cols of table t from every part, in order, and
// calls fn with each row's values (the slice is reused).
func (s *Source) scan(ctx context.Context, t *schema.Table, parts []part, cols []string, fn func([]value)) error {
	types := make([]schema.Type, len(cols))
	for i, c := range cols {
		j := t.Index(c)
		if j < 0 {
			return fmt.Errorf("table %s has no column %s", t.Name, c)
		}
		types[i] = t.Columns[j].Type
	}
	for _, p := range parts {
		var err error
		switch p.format {
		case formatParquet:
			err = s.scanParquet(ctx, p, cols, types, fn)
		case formatCSV:
			err = s.scanText(ctx, p, cols, types, fn, readCSV)
		case formatNDJSON:
			err = s.scanText(ctx, p, cols, types, fn, readNDJSON)
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", p.file.Path, err)
		}
	}
	return nil
}

// scanParquet reads a Parquet file's columns with the Arrow reader.
func (s *Source) scanParquet(ctx context.Context, p part, cols []string, types []schema.Type, fn func([]value)) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the Parquet reader failed: %v; the file is damaged (run 'ouraexport verify')", r)
		}
	}()
	b, err := s.open(ctx, p.file.Path)
	if err != nil {
		return err
	}
	defer b.close()
	pf, err := file.NewParquetReader(io.NewSectionReader(b.r, 0, b.size))
	if err != nil {
		return err
	}
	defer pf.Close()
	if pf.NumRows() == 0 {
		return nil
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	sc := pf.MetaData().Schema
	var idx []int
	pos := make([]int, len(cols)) // position of each column in the records, -1 if absent
	for i, c := range cols {
		pos[i] = -1
		if j := sc.ColumnIndexByName(c); j >= 0 {
			pos[i] = len(idx)
			idx = append(idx, j)
		}
	}
	if len(idx) == 0 {
		for range pf.NumRows() {
			fn(make([]value, len(cols)))
		}
		return nil
	}
	rr, err := fr.GetRecordReader(ctx, idx, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	row := make([]value, len(cols))
	for rr.Next() {
		rec := rr.RecordBatch()
		arrs := make([]arrow.Array, len(cols))
		for i := range cols {
			if pos[i] >= 0 {
				arrs[i] = rec.Column(pos[i])
			}
		}
		for r := 0; r < int(rec.NumRows()); r++ {
			for i, a := range arrs {
				row[i] = arrowValue(a, r)
			}
			fn(row)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// arrowValue returns row r of an Arrow column as a value.
func arrowValue(a arrow.Array, r int) value {
	if a == nil || a.IsNull(r) {
		return value{}
	}
	switch x := a.(type) {
	case *array.Date32:
		return intValue(int64(x.Value(r)))
	case *array.Timestamp:
		return intValue(int64(x.Value(r)))
	case *array.Int64:
		return intValue(x.Value(r))
	case *array.Int32:
		return intValue(int64(x.Value(r)))
	case *array.Float64:
		return floatValue(x.Value(r))
	case *array.String:
		return value{ok: true, s: x.Value(r)}
	case *array.Boolean:
		if x.Value(r) {
			return intValue(1)
		}
		return intValue(0)
	}
	return value{}
}

// textReader reads rows of text values: a CSV file's fields or an NDJSON
// entry's keys, for the columns asked, as raw text ("" and false: null).
type textReader func(r io.Reader, cols []string, fn func(fields []string, ok []bool) error) error

// scanText reads a CSV file of the export, or an NDJSON entry of its archive.
func (s *Source) scanText(ctx context.Context, p part, cols []string, types []schema.Type, fn func([]value), read textReader) error {
	var r io.Reader
	if p.format == formatNDJSON {
		f, err := s.zipped.Open(p.file.Path)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	} else {
		b, err := s.open(ctx, p.file.Path)
		if err != nil {
			return err
		}
		defer b.close()
		r = io.NewSectionReader(b.r, 0, b.size)
	}
	row := make([]value, len(cols))
	n := 0
	return read(ctxReader{ctx, bufio.NewReaderSize(r, 256<<10)}, cols, func(fields []string, ok []bool) error {
		for i, f := range fields {
			v, err := parseText(f, ok[i], types[i])
			if err != nil {
				return fmt.Errorf("row %d, %s: %w", n+1, cols[i], err)
			}
			row[i] = v
		}
		n++
		fn(row)
		return nil
	})
}

// parseText parses a value's text form (that of the CSV and NDJSON sinks).
func parseText(f string, ok bool, t schema.Type) (value, error) {
	if !ok || f == "" && t != schema.String && t != schema.JSON {
		return value{}, nil
	}
	switch t {
	case schema.Date:
		d, err := schema.ParseDate(f)
		if err != nil {
			return value{}, err
		}
		return intValue(d), nil
	case schema.Timestamp:
		us, _, _, err := schema.ParseDateTime(f)
		if err != nil {
			return value{}, err
		}
		return intValue(us), nil
	case schema.Int:
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return value{}, err
		}
		return intValue(n), nil
	case schema.Float:
		x, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return value{}, err
		}
		return floatValue(x), nil
	case schema.Bool:
		switch f {
		case "true":
			return intValue(1), nil
		case "false":
			return intValue(0), nil
		}
		return value{}, fmt.Errorf("%q is not true or false", f)
	}
	return value{ok: true, s: f}, nil
}

// readCSV reads a CSV file of the export: a header of column names, then
// rows; an empty field is null.
func readCSV(r io.Reader, cols []string, fn func([]string, []bool) error) error {
	cr := stdcsv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	at := make([]int, len(cols))
	for i, c := range cols {
		at[i] = -1
		for j, h := range header {
			if h == c {
				at[i] = j
			}
		}
	}
	fields := make([]string, len(cols))
	ok := make([]bool, len(cols))
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		for i, j := range at {
			fields[i], ok[i] = "", false
			if j >= 0 && j < len(rec) {
				fields[i], ok[i] = rec[j], rec[j] != ""
			}
		}
		if err := fn(fields, ok); err != nil {
			return err
		}
	}
}

// readNDJSON reads an archive's data/ entry: one JSON object per line,
// keys the column names; dates and instants are strings.
func readNDJSON(r io.Reader, cols []string, fn func([]string, []bool) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	want := make(map[string]int, len(cols))
	for i, c := range cols {
		want[c] = i
	}
	fields := make([]string, len(cols))
	ok := make([]bool, len(cols))
	var obj map[string]json.RawMessage
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			clear(obj)
			if err := json.Unmarshal(b, &obj); err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
			for i := range fields {
				fields[i], ok[i] = "", false
			}
			for k, raw := range obj {
				i, found := want[k]
				if !found || string(raw) == "null" {
					continue
				}
				if raw[0] == '"' {
					var s string
					if err := json.Unmarshal(raw, &s); err != nil {
						return fmt.Errorf("line %d: %s: %w", line, k, err)
					}
					fields[i] = s
				} else {
					fields[i] = strings.TrimSpace(string(raw))
				}
				ok[i] = true
			}
			if err := fn(fields, ok); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
