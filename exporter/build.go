package exporter

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

// The APIs a collection can belong to. The build merges their rows in this
// order of preference: v2, then v1, then imported files (newest first).
const (
	APIv2     = "v2"
	APIv1     = "v1"
	APIImport = "import"
)

// BuildOptions configure the building half of an export: the stored
// documents, through the schema's mapper, into the sinks.
type BuildOptions struct {
	Store *Store
	Sinks []sinks.Sink
	// Since and Until (days, inclusive) bound the rows that reach the
	// outputs, by each table's dated column (see days.go); zero: no bound.
	Since, Until time.Time
	// BatchRows is how many rows a batch holds (default 8192).
	BatchRows int
	// Tables are the tables the sinks were opened with; rows of other
	// tables (from stored collections outside the export's selection) are
	// left out. Nil: every table.
	Tables []*schema.Table
}

// Builder streams stored documents into the sinks, one collection at a
// time. Every collection is read in time order from the segments that
// speak for each part of it (a newer fetch supersedes an older one), so the
// outputs hold each record once, sorted, and the same store always builds
// the same files.
//
// Collections of API v2 are written as they are. Those of other APIs and
// imported files are merged under them (see merge.go): build every v2
// collection first, then v1 ones, then Imports.
type Builder struct {
	o        BuildOptions
	mapper   *schema.Mapper
	out      *fanout
	ctx      context.Context
	docs     map[string]int64
	merge    *merger
	declared map[*schema.Table]bool // nil: all
	primary  bool                   // building v2: rows are written unchecked and claim their keys
	first    time.Time              // the earliest and latest day of the documents built
	last     time.Time
	gen      int                            // the store generation of the document being built
	genRows  map[int]map[string]int64       // top-level rows written, by generation and table
	top      map[*Collection]*schema.Table  // the top-level table of a v2 collection
	days     days                           // the days the outputs hold
	datedCol map[*schema.Table]datedColumns // where each table's rows are dated

	// The merge of a lower source maps each document into scratch first.
	scratch   *schema.Mapper
	kept      int              // rows of the current document written
	produced  int              // rows it mapped to
	tops      int              // its top-level rows
	trimmed   int              // its top-level rows outside the days asked for
	dropped   map[dropKey]bool // its top-level rows left out, by table and id
	scratchEr error            // an error of copying into the outputs
}

type dropKey struct {
	table string
	id    string
}

// NewBuilder returns a builder writing to o.Sinks.
func NewBuilder(ctx context.Context, o BuildOptions) *Builder {
	if o.BatchRows <= 0 {
		o.BatchRows = 8192
	}
	b := &Builder{o: o, ctx: ctx, docs: map[string]int64{}, out: newFanout(ctx, o.Sinks), merge: newMerger(), dropped: map[dropKey]bool{},
		days: dayRange(o.Since, o.Until), datedCol: map[*schema.Table]datedColumns{}, genRows: map[int]map[string]int64{},
		top: map[*Collection]*schema.Table{}}
	if o.Tables != nil {
		b.declared = map[*schema.Table]bool{}
		for _, t := range o.Tables {
			b.declared[t] = true
		}
	}
	b.mapper = schema.NewMapper(o.BatchRows, b.emit)
	b.scratch = schema.NewMapper(1<<30, b.emitScratch)
	return b
}

// Close waits until the sinks have written everything handed to them and
// returns the first error any of them met. Call it before committing them.
func (b *Builder) Close() error { return b.out.close() }

// Docs returns how many documents of each collection reached the outputs.
func (b *Builder) Docs() map[string]int64 { return b.docs }

// RowsByGen returns how many top-level rows of each table reached the
// outputs from the documents of each store generation (an export's run,
// an imported file: exporter.ImportRecord.Gen).
func (b *Builder) RowsByGen() map[int]map[string]int64 { return b.genRows }

// count adds a top-level row of t from the current generation.
func (b *Builder) count(t *schema.Table) {
	m := b.genRows[b.gen]
	if m == nil {
		m = map[string]int64{}
		b.genRows[b.gen] = m
	}
	m[t.Name]++
}

// Days returns the first and last day of the dated documents built (zero
// when there were none).
func (b *Builder) Days() (first, last time.Time) { return b.first, b.last }

func (b *Builder) wants(t *schema.Table) bool { return b.declared == nil || b.declared[t] }

// emit hands a batch of the main mapper to the sinks; while v2 is built it
// also claims the batch's records for the merge.
func (b *Builder) emit(batch *schema.Batch) error {
	if !b.wants(batch.Table) {
		return nil
	}
	if b.primary {
		b.merge.record(batch)
	}
	return b.out.write(batch)
}

type part struct {
	seg   Segment
	cover span // zero: the whole segment
	first bool // the first part of its segment (takes documents without a key)
}

// Collection writes every stored document of c to the sinks: of API v2 as
// they are, of other APIs merged under what was built before.
func (b *Builder) Collection(c *Collection) error {
	segs, err := b.o.Store.Segments(c.API, c.Name)
	if err != nil {
		return err
	}
	b.primary = c.API == APIv2
	b.merge.setLevel(mergeLevel(c, 0))
	eff := effective(segs)
	var parts []part
	for i, spans := range eff {
		for k, sp := range spans {
			parts = append(parts, part{seg: segs[i], cover: sp, first: k == 0})
		}
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].cover.From.Before(parts[j].cover.From) })
	seen := map[string]struct{}{}
	for _, p := range parts {
		b.gen = p.seg.Gen
		err := b.o.Store.Read(p.seg, func(doc []byte) error {
			if err := b.ctx.Err(); err != nil {
				return err
			}
			if c.Kind == ByDate || c.Kind == ByInstant {
				key, ok := docKey(c, doc)
				switch {
				case !ok && !p.first:
					return nil
				case ok && !p.seg.Whole() && (key.Before(p.cover.From) || !key.Before(p.cover.To)):
					return nil
				case b.primary && !b.days.holdsDoc(c, doc):
					// A v2 document is its table's row: its key is the dated
					// column. Other sources are trimmed row by row (their
					// keys are not their rows' days: v1's summary_date).
					return nil
				}
			}
			if c.ID != "" {
				if v, err := topLevelStrings(doc, c.ID); err == nil && v[0] != "" {
					if _, dup := seen[v[0]]; dup {
						return nil
					}
					seen[v[0]] = struct{}{}
				}
			}
			if b.primary {
				return b.direct(c, doc)
			}
			return b.merged(c, doc, true)
		})
		if err != nil {
			return fmt.Errorf("build %s: %w", c.Name, err)
		}
	}
	return b.finish(c)
}

// finish flushes what c left in the mapper and the raw documents, and has
// the sinks write out what they buffer of c's tables: every row of c is
// written, so where a sink cuts its files there depends on c's rows alone.
func (b *Builder) finish(c *Collection) error {
	if err := b.mapper.Flush(); err != nil {
		return fmt.Errorf("build %s: %w", c.Name, err)
	}
	if err := b.out.flushRaw(c.Name); err != nil {
		return err
	}
	var tables []*schema.Table
	for _, t := range TablesOf(c) {
		if b.wants(t) {
			tables = append(tables, t)
		}
	}
	return b.out.flushTables(tables)
}

// direct writes a v2 document: raw, then mapped straight into the outputs.
func (b *Builder) direct(c *Collection, doc []byte) error {
	if err := b.out.writeRaw(c.Name, doc); err != nil {
		return err
	}
	b.docs[c.Name]++
	b.dated(c, doc)
	t, ok := b.top[c]
	if !ok {
		if ts := TablesOf(c); len(ts) > 0 && b.wants(ts[0]) {
			t = ts[0]
		}
		b.top[c] = t
	}
	if t != nil {
		b.count(t) // a v2 document is one row of its collection's table
	}
	return c.mapDoc(b.mapper, doc)
}

// merged writes a document of a lower source: mapped into scratch, then the
// rows no higher source holds (with their child rows) are copied into the
// outputs. The raw document is kept when always is set (API documents: the
// archive keeps every one) or when it added a row or maps to none at all
// (imported files: a record another file supplied too is kept once).
func (b *Builder) merged(c *Collection, doc []byte, always bool) error {
	b.kept, b.produced, b.tops, b.trimmed = 0, 0, 0, 0
	clear(b.dropped)
	if err := c.mapDoc(b.scratch, doc); err != nil {
		return err
	}
	if err := b.scratch.Flush(); err != nil {
		if b.scratchEr != nil {
			return b.scratchEr
		}
		return err
	}
	if b.tops > 0 && b.trimmed == b.tops {
		return nil // outside the days asked for: in no output, raw/ included
	}
	if !always && b.produced > 0 && b.kept == 0 {
		return nil
	}
	if err := b.out.writeRaw(c.Name, doc); err != nil {
		return err
	}
	b.docs[c.Name]++
	b.dated(c, doc)
	return nil
}

// emitScratch receives one document's rows, table by table (a parent before
// its children), and copies the new ones into the outputs.
func (b *Builder) emitScratch(batch *schema.Batch) error {
	t := batch.Table
	b.produced += batch.Len()
	want := b.wants(t)
	if t.Parent == "" {
		idCol := t.Index(schema.ColID)
		dc, ok := b.datedCol[t]
		if !ok {
			dc = datedOf(t)
			b.datedCol[t] = dc
		}
		for i := range batch.Len() {
			id := ""
			if idCol >= 0 && batch.Cols[idCol].Valid[i] {
				id = batch.Cols[idCol].Str[i]
			}
			b.tops++
			if !b.days.holdsRow(batch, i, dc) {
				b.trimmed++
				b.dropped[dropKey{t.Name, id}] = true
				continue
			}
			if !want || !b.merge.admit(batch, i) {
				b.dropped[dropKey{t.Name, id}] = true
				continue
			}
			if err := copyRow(b.mapper, batch, i); err != nil {
				b.scratchEr = err
				return err
			}
			b.kept++
			b.count(t)
		}
		return nil
	}
	if !want {
		return nil
	}
	pc := t.MustIndex(t.Parent + "_id")
	for i := range batch.Len() {
		id := ""
		if batch.Cols[pc].Valid[i] {
			id = batch.Cols[pc].Str[i]
		}
		if b.dropped[dropKey{t.Parent, id}] {
			continue
		}
		if err := copyRow(b.mapper, batch, i); err != nil {
			b.scratchEr = err
			return err
		}
		b.kept++
	}
	return nil
}

// dated widens the days built by doc's day.
func (b *Builder) dated(c *Collection, doc []byte) {
	k, ok := c.KeyOf(doc)
	if !ok {
		return
	}
	k = dayOf(k)
	if b.first.IsZero() || k.Before(b.first) {
		b.first = k
	}
	if k.After(b.last) {
		b.last = k
	}
}

// Imports writes the stored documents of imported files, merged under what
// was built before: the newest import first (its rows win where files
// overlap), each import's collections in the order given.
func (b *Builder) Imports(cs []*Collection) error {
	b.primary = false
	type stored struct {
		c   *Collection
		seg Segment
	}
	byGen := map[int][]stored{}
	var gens []int
	for _, c := range cs {
		segs, err := b.o.Store.Segments(c.API, c.Name)
		if err != nil {
			return err
		}
		for _, s := range segs {
			if _, ok := byGen[s.Gen]; !ok {
				gens = append(gens, s.Gen)
			}
			byGen[s.Gen] = append(byGen[s.Gen], stored{c, s})
		}
	}
	slices.Sort(gens)
	slices.Reverse(gens)
	seen := map[*Collection]map[string]struct{}{}
	for _, g := range gens {
		for _, s := range byGen[g] {
			b.merge.setLevel(mergeLevel(s.c, g))
			b.gen = g
			c := s.c
			if seen[c] == nil {
				seen[c] = map[string]struct{}{}
			}
			err := b.o.Store.Read(s.seg, func(doc []byte) error {
				if err := b.ctx.Err(); err != nil {
					return err
				}
				if c.ID != "" {
					if v, err := topLevelStrings(doc, c.ID); err == nil && v[0] != "" {
						if _, dup := seen[c][v[0]]; dup {
							return nil
						}
						seen[c][v[0]] = struct{}{}
					}
				}
				return b.merged(c, doc, false)
			})
			if err != nil {
				return fmt.Errorf("build %s: %w", c.Name, err)
			}
		}
	}
	for _, c := range cs {
		if err := b.finish(c); err != nil {
			return err
		}
	}
	return nil
}

// Warnings returns what the mapper could not fit into its columns (kept in extra).
func (b *Builder) Warnings() []schema.Warning {
	w := append(b.mapper.Warnings(), b.scratch.Warnings()...)
	slices.SortFunc(w, func(x, y schema.Warning) int {
		return cmp.Or(cmp.Compare(x.Table, y.Table), cmp.Compare(x.Field, y.Field), cmp.Compare(x.Issue, y.Issue))
	})
	// The same field may be counted by both mappers: add them up.
	out := w[:0]
	for _, x := range w {
		if n := len(out); n > 0 && out[n-1].Table == x.Table && out[n-1].Field == x.Field && out[n-1].Issue == x.Issue {
			out[n-1].Count += x.Count
			continue
		}
		out = append(out, x)
	}
	return out
}

// OutputTables returns the tables an export of colls writes, in the order
// of schema.Tables: the sinks must be opened with them.
func OutputTables(colls []*Collection) []*schema.Table {
	want := map[*schema.Table]bool{}
	for _, c := range colls {
		for _, t := range TablesOf(c) {
			want[t] = true
		}
	}
	var out []*schema.Table
	for _, t := range schema.Tables() {
		if want[t] {
			out = append(out, t)
		}
	}
	return out
}

// Stored returns the collections of cs that st holds segments of.
func Stored(st *Store, cs []*Collection) ([]*Collection, error) {
	var out []*Collection
	for _, c := range cs {
		segs, err := st.Segments(c.API, c.Name)
		if err != nil {
			return nil, err
		}
		if len(segs) > 0 {
			out = append(out, c)
		}
	}
	return out, nil
}
