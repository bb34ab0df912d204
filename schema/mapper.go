package schema

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// DefaultBatchRows is the batch size NewMapper uses when given none.
const DefaultBatchRows = 8192

// ErrUnknownCollection is returned (wrapped) for a collection or table the
// schema does not map.
var ErrUnknownCollection = errors.New("unknown collection")

// Issue says why a value was kept in extra rather than in a column.
type Issue string

// The issues the Mapper counts.
const (
	// IssueMisfit is a known field whose value does not fit its column (a
	// string where a number belongs, a malformed date); the column is null.
	IssueMisfit Issue = "misfit"
	// IssueUnknown is a field the schema does not know (Oura added it).
	IssueUnknown Issue = "unknown"
	// IssueDuplicate is a field that occurs twice in one JSON object: the
	// first occurrence is mapped, the later ones are kept in extra.
	IssueDuplicate Issue = "duplicate"
	// IssueInvalidUTF8 is a document that was not valid UTF-8: it was mapped
	// with each run of invalid bytes replaced by U+FFFD. Field is "".
	IssueInvalidUTF8 Issue = "invalid_utf8"
)

// Warning counts the values of one field that the Mapper kept in extra, or
// the documents with invalid UTF-8.
type Warning struct {
	Table string
	// Field is the field's dotted path in the source document, with []
	// standing for array positions ("heart_rate.items[]").
	Field string
	Issue Issue
	Count int
}

type warnKey struct {
	table, field string
	issue        Issue
}

// Mapper turns documents into rows of the schema's tables, batching them per
// table, and hands each batch to emit once it holds batchRows rows (at a
// document boundary, so a batch may hold a few more) and on Flush. emit must
// not keep the batch or its vectors after it returns: the Mapper reuses
// them. A Mapper is not safe for concurrent use; run one per goroutine.
//
// The Mapper is lenient and loses nothing: a field it does not know, or a
// known field whose value does not fit its column, goes verbatim to the
// row's extra column (and is counted in Warnings). A document that is not
// valid JSON adds no rows at all. Once emit fails, every later call returns
// that error.
type Mapper struct {
	batchRows int
	emit      func(*Batch) error
	batches   []*Batch // by table number
	w         walker
	warn      map[warnKey]int
	interned  map[string]string
	marks     []int
	err       error
}

// NewMapper returns a Mapper that emits batches of batchRows rows (a value
// below 1 means DefaultBatchRows) to emit, which must not be nil.
func NewMapper(batchRows int, emit func(*Batch) error) *Mapper {
	if emit == nil {
		panic("schema: NewMapper without an emit function")
	}
	if batchRows < 1 {
		batchRows = DefaultBatchRows
	}
	m := &Mapper{batchRows: batchRows, emit: emit, batches: make([]*Batch, len(tables)),
		warn: map[warnKey]int{}, interned: map[string]string{}}
	m.w.m = m
	return m
}

// maxInterned bounds the strings the Mapper interns (enumerated values such
// as heart rate sources, which repeat in millions of rows).
const maxInterned = 4096

func (m *Mapper) intern(raw []byte) string {
	if s, ok := m.interned[string(raw)]; ok {
		return s
	}
	s := string(raw)
	if len(m.interned) < maxInterned {
		m.interned[s] = s
	}
	return s
}

func (m *Mapper) batch(num int) *Batch {
	b := m.batches[num]
	if b == nil {
		b = NewBatch(tables[num], min(m.batchRows, 1024))
		m.batches[num] = b
	}
	return b
}

// MapV2 maps one document of a v2 collection, exactly as the API sent it (an
// element of a list response's data array, or a single-document body), into
// rows of the collection's tables, each with the given origin. It returns an
// error wrapping ErrUnknownCollection for a collection the schema does not
// map, and an *InvalidError (matching ErrInvalid) naming the collection for
// a document that is not a JSON object.
func (m *Mapper) MapV2(collection string, doc []byte, origin Origin) error {
	if m.err != nil {
		return m.err
	}
	c := lookupCollection(collection)
	if c == nil {
		return fmt.Errorf("map %q: %w", collection, ErrUnknownCollection)
	}
	if !origin.valid() {
		return fmt.Errorf("map %s: invalid origin %q", c.name, origin)
	}
	badUTF8 := !utf8.Valid(doc)
	if badUTF8 {
		doc = []byte(strings.ToValidUTF8(string(doc), string(utf8.RuneError)))
	}
	m.marks = m.marks[:0]
	for _, n := range c.nums {
		l := 0
		if b := m.batches[n]; b != nil {
			l = b.n
		}
		m.marks = append(m.marks, l)
	}
	w := &m.w
	w.start(c, doc, false)
	defer w.release()
	w.orig = string(origin)
	pb := m.batch(c.num)
	row := pb.Append().i
	setStr(pb, c.originCol, row, w.orig)
	w.document(pb, row)
	if w.d.err != nil {
		for i, n := range c.nums {
			if b := m.batches[n]; b != nil {
				b.truncate(m.marks[i])
			}
		}
		return &InvalidError{Collection: c.name, Problems: []string{w.d.err.Error()}}
	}
	w.finish(pb, row, m.marks)
	for _, k := range w.warns {
		m.warn[k]++
	}
	if badUTF8 {
		m.warn[warnKey{table: c.table.Name, issue: IssueInvalidUTF8}]++
	}
	for _, n := range c.nums {
		if b := m.batches[n]; b != nil && b.n >= m.batchRows {
			if err := m.send(b); err != nil {
				return err
			}
		}
	}
	return nil
}

// Append adds a row to table t, with its origin set and every other column
// null, and returns it for setting: the generic row API for mappers of other
// sources (v1 responses, export files). The row is valid until the next call
// of the Mapper. Rows of a child table must get their seq (and should get
// their <parent>_id); Flush reports a row whose required column is null.
// Append first emits t's batch if it is full.
func (m *Mapper) Append(t *Table, origin Origin) (Row, error) {
	if m.err != nil {
		return Row{}, m.err
	}
	num, ok := tableNum[t]
	if !ok {
		name := "<nil>"
		if t != nil {
			name = t.Name
		}
		return Row{}, fmt.Errorf("append to table %q: %w", name, ErrUnknownCollection)
	}
	if !origin.valid() {
		return Row{}, fmt.Errorf("append to %s: invalid origin %q", t.Name, origin)
	}
	b := m.batch(num)
	if b.n >= m.batchRows {
		if err := m.send(b); err != nil {
			return Row{}, err
		}
	}
	r := b.Append()
	setStr(b, t.MustIndex(ColOrigin), r.i, string(origin))
	return r, nil
}

// Flush emits every non-empty batch, in the order of Tables.
func (m *Mapper) Flush() error {
	if m.err != nil {
		return m.err
	}
	for _, b := range m.batches {
		if b != nil && b.n > 0 {
			if err := m.send(b); err != nil {
				return err
			}
		}
	}
	return nil
}

// send checks that the required columns of b are set, emits it and resets it.
func (m *Mapper) send(b *Batch) error {
	for i, c := range b.Table.Columns {
		if !c.Required {
			continue
		}
		if j := slices.Index(b.Cols[i].Valid, false); j >= 0 {
			m.err = fmt.Errorf("emit %s: row %d has no value in required column %s", b.Table.Name, j, c.Name)
			return m.err
		}
	}
	if err := m.emit(b); err != nil {
		m.err = fmt.Errorf("emit %s: %w", b.Table.Name, err)
		return m.err
	}
	b.Reset()
	return nil
}

// Warnings returns what the Mapper kept in extra so far, counted per table,
// field and issue, sorted in that order.
func (m *Mapper) Warnings() []Warning {
	out := make([]Warning, 0, len(m.warn))
	for k, n := range m.warn {
		out = append(out, Warning{Table: k.table, Field: k.field, Issue: k.issue, Count: n})
	}
	slices.SortFunc(out, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Field, b.Field), cmp.Compare(a.Issue, b.Issue))
	})
	return out
}
