// Package parquet is the Parquet sink: one file per table (or per table and
// year, with Hive partitioning), zstd-compressed, with statistics, in large
// row groups. Rows are buffered in memory, each table's up to a quarter of
// the memory budget (a table's files together); past it, the table's
// largest buffered row group is written out, so memory does not grow with
// the length of the history. Where a table's row groups end depends on its
// own rows alone, never on what other tables buffered, so the same rows
// make the same file whatever order the tables' batches arrive in. Flush
// (sinks.Flusher) writes out what a table buffers once the engine has
// written a collection's rows, so that idle tables hold no memory.
//
// Logical types follow the unified schema: DATE, TIMESTAMP(MICROS,
// isAdjustedToUTC=true), INT64 (INT(64, signed)), DOUBLE, STRING (for String
// and JSON) and BOOLEAN; required columns are REQUIRED, the others OPTIONAL.
// Strings, floats and booleans are dictionary-encoded; integers, dates and
// instants use DELTA_BINARY_PACKED. Each file carries key-value metadata:
// ouraexport.version, ouraexport.schema_version, ouraexport.table,
// ouraexport.exported_at and ouraexport.table_schema (the table's definition
// as JSON, with units and meanings).
//
// The sink writes with arrow-go's column writers (parquet/file), handing
// them each column's values in bulk, as buffered. It registers a zstd codec
// for arrow-go with encoders sized for pages (see zstd.go).
//
// Importing the package registers the format as "parquet" and a Checker
// for ".parquet" files.
package parquet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	pqschema "github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/internal/state"
)

// errDictionary is a dictionary arrow-go did not take as given.
var errDictionary = errors.New("parquet: the column writer changed the dictionary")

// Ext is the extension of the files the sink writes.
const Ext = ".parquet"

func init() {
	sinks.Register("parquet", func(o sinks.Options) (sinks.Sink, error) { return New(o) })
	sinks.RegisterChecker(Ext, Check)
}

// Sink writes Parquet files. It is safe for concurrent use.
type Sink struct {
	mu     sync.Mutex
	life   state.Life
	opts   sinks.Options
	budget int64 // bytes a table's parts may buffer together
	held   int64 // bytes held by the row buffers of all parts
	tables map[string]*table
	order  []*table
	runs   []sinks.Run        // scratch for partitioning
	values []pq.ByteArray     // scratch for string columns
	dict   dictScratch        // scratch for string columns written by index
	parts  map[*part]struct{} // every part not yet published, for the budget
}

var (
	_ sinks.Sink    = (*Sink)(nil)
	_ sinks.Flusher = (*Sink)(nil)
)

// table is the state of one table.
type table struct {
	t      *schema.Table
	root   *pqschema.GroupNode
	props  *pq.WriterProperties
	single *part                     // without partitioning
	parts  map[sinks.Partition]*part // with partitioning
	kv     metadata.KeyValueMetadata // metadata known at Open
	held   int64                     // bytes held by the row buffers of its parts
}

// Schema returns the table the state is for.
func (t *table) Schema() *schema.Table { return t.t }

// part is one output file: a table, or a table's year.
type part struct {
	tab     *table
	name    string // path within the Dir
	buf     *rowBuffer
	written int64 // rows already in row groups
	fw      sinks.FileWriter
	pw      *file.Writer
}

// New returns a Parquet sink writing into o.Dir.
func New(o sinks.Options) (*Sink, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.CompressionLevel > 22 {
		return nil, fmt.Errorf("parquet: zstd level %d is above 22", o.CompressionLevel)
	}
	s := &Sink{opts: o, budget: max(o.Budget()/tableShare, 1), tables: make(map[string]*table, len(o.Tables)), parts: make(map[*part]struct{})}
	for _, t := range o.Tables {
		root, err := fileSchema(t)
		if err != nil {
			return nil, fmt.Errorf("parquet: %w", err)
		}
		def, err := json.Marshal(t)
		if err != nil {
			return nil, fmt.Errorf("parquet: table %s: %w", t.Name, err)
		}
		tab := &table{t: t, root: root, props: writerProps(t, o.CompressionLevel)}
		tab.kv.Append("ouraexport.table", t.Name)
		tab.kv.Append("ouraexport.table_schema", string(def))
		if o.Partition && t.Partition != "" {
			tab.parts = make(map[sinks.Partition]*part)
		}
		s.tables[t.Name] = tab
		s.order = append(s.order, tab)
	}
	return s, nil
}

// tableShare is how many tables fill the memory budget: each table's parts
// buffer at most budget/tableShare bytes together.
const tableShare = 4

// Write buffers the rows of b, writing out row groups as the memory budget requires.
func (s *Sink) Write(ctx context.Context, b *schema.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tab, err := state.Admit(&s.life, ctx, "parquet", s.tables, b)
	if err != nil {
		return err
	}
	err = state.EachRun(b, tab.parts != nil, &s.runs, func(p sinks.Partition, lo, hi int) error {
		return s.add(ctx, s.partOf(tab, p), b, lo, hi)
	})
	if err != nil {
		return s.life.Fail(err)
	}
	return nil
}

// partOf returns the part of tab for partition p, creating it.
func (s *Sink) partOf(tab *table, p sinks.Partition) *part {
	if tab.parts == nil {
		if tab.single == nil {
			tab.single = &part{tab: tab, name: tab.t.Name + Ext, buf: newRowBuffer(tab.t)}
			s.parts[tab.single] = struct{}{}
		}
		return tab.single
	}
	pt := tab.parts[p]
	if pt == nil {
		pt = &part{tab: tab, name: p.Path(tab.t, Ext), buf: newRowBuffer(tab.t)}
		tab.parts[p] = pt
		s.parts[pt] = struct{}{}
	}
	return pt
}

// add buffers rows [lo, hi) of b in pt, writing a row group whenever pt
// reaches the row-group size, and then keeps pt's table within its budget.
func (s *Sink) add(ctx context.Context, pt *part, b *schema.Batch, lo, hi int) error {
	for lo < hi {
		n := min(hi-lo, maxRowGroupRows-pt.buf.rows)
		s.grow(pt.tab, pt.buf.add(b, lo, lo+n))
		lo += n
		if pt.buf.rows >= maxRowGroupRows {
			if err := s.flush(pt); err != nil {
				return err
			}
		}
	}
	return s.keepBudget(ctx, pt.tab)
}

// grow accounts for n more bytes (fewer, when negative) held by tab's buffers.
func (s *Sink) grow(tab *table, n int64) {
	tab.held += n
	s.held += n
}

// keepBudget brings the bytes held by tab's row buffers under its budget:
// first by releasing empty chunks kept for reuse, then by writing out its
// largest buffered row group (keeping as many of its chunks as the budget
// allows). Only tab's own rows decide: its parts are visited in name order
// and ties go to the first, so the same rows cut the same row groups.
func (s *Sink) keepBudget(ctx context.Context, tab *table) error {
	for tab.held > s.budget {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("parquet: %w", err)
		}
		var largest, freest *part
		var most, mostFree int64
		for _, pt := range tab.sortedParts() {
			used := pt.buf.usedBytes()
			if free := pt.buf.held - used; free > mostFree {
				freest, mostFree = pt, free
			}
			if pt.buf.rows > 0 && used > most {
				largest, most = pt, used
			}
		}
		if freest != nil {
			s.grow(tab, -freest.buf.trim(freest.buf.held-(tab.held-s.budget)))
			continue
		}
		if largest == nil {
			return nil
		}
		if err := s.flush(largest); err != nil {
			return err
		}
		s.grow(tab, -largest.buf.trim(largest.buf.held-(tab.held-s.budget)))
	}
	return nil
}

// Flush writes out the rows buffered for tables as row groups and releases
// their buffers: the engine calls it once it has written the rows of a
// collection, so that tables not written to for a while hold no memory.
func (s *Sink) Flush(ctx context.Context, tables []*schema.Table) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.life.Usable(); err != nil {
		return err
	}
	for _, t := range tables {
		tab := s.tables[t.Name]
		if tab == nil {
			continue
		}
		for _, pt := range tab.sortedParts() {
			if err := ctx.Err(); err != nil {
				return s.life.Fail(fmt.Errorf("parquet: %w", err))
			}
			if err := s.flush(pt); err != nil {
				return s.life.Fail(err)
			}
			s.grow(tab, -pt.buf.trim(0))
		}
	}
	return nil
}

// usedBytes returns the bytes of the chunks that hold rows.
func (rb *rowBuffer) usedBytes() int64 {
	var n int64
	for _, c := range rb.chunks {
		n += c.size()
	}
	return n
}

// flush writes the rows buffered in pt as one row group.
func (s *Sink) flush(pt *part) (err error) {
	if pt.buf.rows == 0 {
		return nil
	}
	if pt.pw == nil {
		if err := s.open(pt); err != nil {
			return err
		}
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("parquet: write %s: %v", pt.name, p)
		}
	}()
	rg, err := pt.pw.AppendRowGroupChecked()
	if err != nil {
		return fmt.Errorf("parquet: write %s: %w", pt.name, err)
	}
	for ci := range pt.buf.cols {
		cw, err := rg.NextColumn()
		if err != nil {
			return fmt.Errorf("parquet: write %s column %s: %w", pt.name, pt.tab.t.Columns[ci].Name, err)
		}
		if err := s.writeColumn(cw, pt.buf, ci); err != nil {
			return fmt.Errorf("parquet: write %s column %s: %w", pt.name, pt.tab.t.Columns[ci].Name, err)
		}
		if err := cw.Close(); err != nil {
			return fmt.Errorf("parquet: write %s column %s: %w", pt.name, pt.tab.t.Columns[ci].Name, err)
		}
	}
	if err := rg.Close(); err != nil {
		return fmt.Errorf("parquet: write %s: %w", pt.name, err)
	}
	pt.written += int64(pt.buf.rows)
	pt.buf.recycle()
	return nil
}

// writeColumn writes column ci of every chunk of rb, in bulk.
func (s *Sink) writeColumn(cw file.ColumnChunkWriter, rb *rowBuffer, ci int) error {
	spec := rb.cols[ci]
	for _, c := range rb.chunks {
		cc := &c.cols[ci]
		defs := c.levels(ci, spec)
		var err error
		switch w := cw.(type) {
		case *file.Int32ColumnChunkWriter:
			_, err = w.WriteBatch(cc.i32, defs, nil)
		case *file.Int64ColumnChunkWriter:
			_, err = w.WriteBatch(cc.i64, defs, nil)
		case *file.Float64ColumnChunkWriter:
			_, err = w.WriteBatch(cc.f64, defs, nil)
		case *file.BooleanColumnChunkWriter:
			_, err = w.WriteBatch(cc.bools, defs, nil)
		case *file.ByteArrayColumnChunkWriter:
			if len(rb.chunks) > 0 && c == rb.chunks[0] {
				if done, err := s.writeByIndex(w, rb, ci); done || err != nil {
					return err
				}
			}
			s.values = s.values[:0]
			off := 0
			for _, n := range cc.lens {
				s.values = append(s.values, cc.bytes[off:off+int(n):off+int(n)])
				off += int(n)
			}
			_, err = w.WriteBatch(s.values, defs, nil)
			clear(s.values) // drop the references into the chunk
		default:
			err = fmt.Errorf("unexpected column writer %T", cw)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// open creates pt's file and its Parquet writer.
func (s *Sink) open(pt *part) error {
	fw, err := s.opts.Dir.Create(pt.name)
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	pw, err := file.NewParquetWriterWithError(fw, pt.tab.root, file.WithWriterProps(pt.tab.props), file.WithWriteMetadata(slices.Clone(pt.tab.kv)))
	if err != nil {
		fw.Abort()
		return fmt.Errorf("parquet: start %s: %w", pt.name, err)
	}
	pt.fw, pt.pw = fw, pw
	return nil
}

// Commit writes the last row groups and the footers, publishes every file
// (an empty file for a table without rows) and removes the files an earlier
// export left for these tables that this one did not write.
func (s *Sink) Commit(ctx context.Context, meta sinks.Meta) ([]sinks.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.life.Usable(); err != nil {
		return nil, err
	}
	if err := meta.Validate(); err != nil {
		return nil, s.life.Fail(fmt.Errorf("parquet: %w", err))
	}
	var pending []sinks.Pending
	written := make(map[string]bool)
	for _, tab := range s.order {
		parts := tab.sortedParts()
		if len(parts) == 0 {
			// An empty table still gets a file, so readers find its columns.
			parts = []*part{s.partOf(tab, sinks.Partition{Null: true})}
		}
		for _, pt := range parts {
			if err := ctx.Err(); err != nil {
				return nil, s.life.Fail(fmt.Errorf("parquet: %w", err))
			}
			if err := s.finish(pt, meta); err != nil {
				return nil, s.life.Fail(err)
			}
			pending = append(pending, sinks.Pending{Name: pt.name, W: pt.fw, Rows: pt.written})
			written[pt.name] = true
		}
	}
	files, err := state.Publish(&s.life, "parquet", s.opts.Dir, pending, Ext, s.opts.Tables, written)
	for pt := range s.parts {
		pt.fw = nil // published or aborted
	}
	return files, err
}

func (tab *table) sortedParts() []*part {
	return state.SortedParts(tab.single, tab.parts, func(pt *part) string { return pt.name })
}

// finish writes pt's last row group and footer; the file is then ready to publish.
func (s *Sink) finish(pt *part, meta sinks.Meta) (err error) {
	if err := s.flush(pt); err != nil {
		return err
	}
	s.grow(pt.tab, -pt.buf.trim(0))
	if pt.pw == nil {
		if err := s.open(pt); err != nil {
			return err
		}
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("parquet: finish %s: %v", pt.name, p)
		}
	}()
	for _, kv := range [][2]string{
		{"ouraexport.version", meta.ToolVersion},
		{"ouraexport.schema_version", strconv.Itoa(meta.SchemaVersion)},
		{"ouraexport.exported_at", meta.ExportedAt.UTC().Format(time.RFC3339)},
	} {
		if err := pt.pw.AppendKeyValueMetadata(kv[0], kv[1]); err != nil {
			return fmt.Errorf("parquet: finish %s: %w", pt.name, err)
		}
	}
	err = pt.pw.Close()
	pt.pw = nil
	if err != nil {
		return fmt.Errorf("parquet: finish %s: %w", pt.name, err)
	}
	return nil
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
	for pt := range s.parts {
		if discard && pt.fw != nil {
			errs = append(errs, pt.fw.Abort())
		}
		pt.fw, pt.pw, pt.buf = nil, nil, nil
	}
	s.parts, s.tables, s.order, s.held = nil, nil, nil, 0
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("parquet: close: %w", err)
	}
	return nil
}
