// Package csv is the CSV sink: one RFC 4180 file per table (or per table and
// year, with Hive partitioning), UTF-8 without a byte order mark, CRLF line
// ends, a header row of column names, fields quoted only where needed.
//
// Values are written so that spreadsheet users and notebook readers alike
// read them back exactly:
//
//	Date       2024-03-01
//	Timestamp  2024-03-01T06:30:00Z, 2024-03-01T06:30:00.25Z (RFC 3339, UTC, fraction only as needed)
//	Int        -42
//	Float      36.5, 36.0, 1e-07 (shortest round-trip form, always with a point or exponent);
//	           NaN, Infinity, -Infinity
//	Bool       true, false
//	String     as is; quoted when it holds a comma, a quote or a line break; "" for the empty string
//	JSON       the JSON text, as a string
//	null       an empty field
//
// Readers that cannot tell "" from an empty field (most can't) read an empty
// string as null.
//
// A String or JSON value that a spreadsheet would run as a formula (it
// starts with =, +, -, @, a tab or a carriage return), or that starts with a
// single quote, is written with a single quote before it ('=1+2), OWASP's
// guard against formula injection; drop the first quote of such a cell to
// get the value back. Numbers, dates and instants are never guarded. The
// archive's JSON holds every value as it is.
//
// Importing the package registers the format as "csv" and a Checker for
// ".csv" files.
package csv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/internal/state"
	"github.com/ouraexport/ouraexport/sinks/internal/text"
)

// Ext is the extension of the files the sink writes.
const Ext = ".csv"

// flushAt is the size at which formatted rows are handed to the file.
const flushAt = 64 << 10

func init() {
	sinks.Register("csv", func(o sinks.Options) (sinks.Sink, error) { return New(o) })
	sinks.RegisterChecker(Ext, Check)
}

// Sink writes CSV files. It is safe for concurrent use.
type Sink struct {
	mu     sync.Mutex
	life   state.Life
	opts   sinks.Options
	tables map[string]*table
	order  []*table
	runs   []sinks.Run // scratch for partitioning
	buf    []byte      // formatted rows not yet written
	stamps text.Stamps // the last day written
	recent text.Recent // the last string of each column
}

var _ sinks.Sink = (*Sink)(nil)

type table struct {
	t      *schema.Table
	header []byte
	single *part
	parts  map[sinks.Partition]*part // with partitioning
}

// Schema returns the table the state is for.
func (t *table) Schema() *schema.Table { return t.t }

// part is one output file: a table, or a table's year.
type part struct {
	name string
	fw   sinks.FileWriter
	rows int64
}

// New returns a CSV sink writing into o.Dir.
func New(o sinks.Options) (*Sink, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	s := &Sink{opts: o, tables: make(map[string]*table, len(o.Tables)), buf: make([]byte, 0, flushAt+4096)}
	for _, t := range o.Tables {
		tab := &table{t: t}
		for i, c := range t.Columns {
			if i > 0 {
				tab.header = append(tab.header, ',')
			}
			tab.header = appendField(tab.header, c.Name)
		}
		tab.header = append(tab.header, '\r', '\n')
		if o.Partition && t.Partition != "" {
			tab.parts = make(map[sinks.Partition]*part)
		}
		s.tables[t.Name] = tab
		s.order = append(s.order, tab)
	}
	return s, nil
}

// Write formats the rows of b and appends them to their table's file.
func (s *Sink) Write(ctx context.Context, b *schema.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tab, err := state.Admit(&s.life, ctx, "csv", s.tables, b)
	if err != nil {
		return err
	}
	err = state.EachRun(b, tab.parts != nil, &s.runs, func(p sinks.Partition, lo, hi int) error {
		return s.writeRows(ctx, tab, p, b, lo, hi)
	})
	if err != nil {
		return s.life.Fail(err)
	}
	return nil
}

// part returns the part of tab for partition p, creating its file.
func (s *Sink) part(tab *table, p sinks.Partition) (*part, error) {
	pt := tab.single
	if tab.parts != nil {
		pt = tab.parts[p]
	}
	if pt != nil {
		return pt, nil
	}
	name := tab.t.Name + Ext
	if tab.parts != nil {
		name = p.Path(tab.t, Ext)
	}
	fw, err := s.opts.Dir.Create(name)
	if err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	if _, err := fw.Write(tab.header); err != nil {
		fw.Abort()
		return nil, fmt.Errorf("csv: %w", err)
	}
	pt = &part{name: name, fw: fw}
	if tab.parts != nil {
		tab.parts[p] = pt
	} else {
		tab.single = pt
	}
	return pt, nil
}

// writeRows formats rows [lo, hi) of b into the file of partition p.
func (s *Sink) writeRows(ctx context.Context, tab *table, p sinks.Partition, b *schema.Batch, lo, hi int) error {
	pt, err := s.part(tab, p)
	if err != nil {
		return err
	}
	for r := lo; r < hi; r++ {
		s.buf = appendRow(s.buf, &s.stamps, &s.recent, b, r)
		if len(s.buf) >= flushAt || r == hi-1 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("csv: %w", err)
			}
			if _, err := pt.fw.Write(s.buf); err != nil {
				return fmt.Errorf("csv: %w", err)
			}
			s.buf = s.buf[:0]
		}
	}
	pt.rows += int64(hi - lo)
	return nil
}

// appendRow appends row r of b as one CSV record.
func appendRow(dst []byte, st *text.Stamps, rc *text.Recent, b *schema.Batch, r int) []byte {
	for c := range b.Cols {
		if c > 0 {
			dst = append(dst, ',')
		}
		v := &b.Cols[c]
		if !v.Valid[r] {
			continue
		}
		switch v.Type {
		case schema.Date:
			dst = st.AppendDate(dst, v.Int[r])
		case schema.Timestamp:
			dst = st.AppendTimestamp(dst, v.Int[r])
		case schema.Int:
			dst = text.AppendInt(dst, v.Int[r])
		case schema.Float:
			dst = text.AppendFloat(dst, v.Float[r])
		case schema.Bool:
			dst = text.AppendBool(dst, v.Bool[r])
		case schema.String:
			dst = rc.Append(dst, c, v.Str[r], appendField)
		case schema.JSON:
			dst = appendField(dst, v.Str[r])
		}
	}
	return append(dst, '\r', '\n')
}

// appendField appends a text field, quoted if it holds a comma, a quote or
// a line break, or is empty (so that it differs from a null), and guarded
// against formula injection (text.Guarded).
func appendField(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, '"', '"')
	}
	quote := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ',' || c == '"' || c == '\n' || c == '\r' {
			quote = true
			break
		}
	}
	guard := text.Guarded(s)
	if !quote {
		if guard {
			dst = append(dst, text.FormulaGuard)
		}
		return append(dst, s...)
	}
	dst = append(dst, '"')
	if guard {
		dst = append(dst, text.FormulaGuard)
	}
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, '"')
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, '"')
}

// Commit publishes every file: a header-only file for a table without rows.
// It then removes the CSV files an earlier export left for these tables
// that this one did not write (partitions of other years, the other layout).
func (s *Sink) Commit(ctx context.Context, meta sinks.Meta) ([]sinks.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.life.Usable(); err != nil {
		return nil, err
	}
	if err := meta.Validate(); err != nil {
		return nil, s.life.Fail(fmt.Errorf("csv: %w", err))
	}
	var pending []sinks.Pending
	written := make(map[string]bool)
	for _, tab := range s.order {
		parts := tab.sortedParts()
		if len(parts) == 0 {
			pt, err := s.part(tab, sinks.Partition{Null: true})
			if err != nil {
				return nil, s.life.Fail(err)
			}
			parts = []*part{pt}
		}
		for _, pt := range parts {
			pending = append(pending, sinks.Pending{Name: pt.name, W: pt.fw, Rows: pt.rows})
			written[pt.name] = true
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, s.life.Fail(fmt.Errorf("csv: %w", err))
	}
	files, err := state.Publish(&s.life, "csv", s.opts.Dir, pending, Ext, s.opts.Tables, written)
	for _, tab := range s.order {
		for _, pt := range tab.sortedParts() {
			pt.fw = nil // published or aborted
		}
	}
	return files, err
}

func (tab *table) sortedParts() []*part {
	return state.SortedParts(tab.single, tab.parts, func(pt *part) string { return pt.name })
}

// Close releases the sink. Without a successful Commit it discards every
// file: none appears.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	first, discard := s.life.Close()
	if !first {
		return nil
	}
	var errs []error
	for _, tab := range s.order {
		for _, pt := range tab.sortedParts() {
			if discard && pt.fw != nil {
				errs = append(errs, pt.fw.Abort())
			}
			pt.fw = nil
		}
	}
	s.tables, s.order, s.buf = nil, nil, nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("csv: close: %w", err)
	}
	return nil
}
