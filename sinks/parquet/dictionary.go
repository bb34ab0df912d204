package parquet

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// The string columns of the largest tables hold few distinct values in
// long runs: the parent id of a sample series' rows, the origin, the
// source of a heart-rate reading. Handed over value by value, arrow-go
// hashes (and allocates for) every one of them to find its dictionary
// index. The sink finds the indices itself instead, comparing each value
// with the one before, gives the column writer the dictionary at once and
// then the indices: the same dictionary, in the same order (first seen
// first), and the same indices as value by value, for a fraction of the
// work. Columns with many distinct values (ids) go value by value.

// maxDictBytes bounds the dictionary of a column chunk written by index,
// well under arrow-go's dictionary page limit, so that the writer never
// falls back to plain encoding in the middle of the indices.
const maxDictBytes = int(pq.DefaultDictionaryPageSizeLimit / 4)

// dictPutter is the part of arrow-go's dictionary encoder the sink uses.
type dictPutter interface {
	PutDictionary(arrow.Array) error
	NumEntries() int
}

// dictScratch is the sink's reusable memory for writing by index.
type dictScratch struct {
	ids     map[string]int32
	values  [][]byte // the dictionary, first seen first
	indices []int32  // of every non-null value of the chunk, in order
	spaced  []int32  // of every row of one buffer chunk (0 for nulls)
	valid   []byte   // validity bitmap of a buffer chunk's rows
}

// writeByIndex writes string column ci of rb as dictionary indices, and
// reports whether it did; when the column's distinct values are too many,
// it writes nothing and reports false.
func (s *Sink) writeByIndex(w *file.ByteArrayColumnChunkWriter, rb *rowBuffer, ci int) (bool, error) {
	enc := w.CurrentEncoder()
	if e := enc.Encoding(); e != pq.Encodings.PlainDict && e != pq.Encodings.RLEDict {
		return false, nil
	}
	de, ok := enc.(dictPutter)
	if !ok || de.NumEntries() > 0 {
		return false, nil
	}
	d := &s.dict
	if d.ids == nil {
		d.ids = map[string]int32{}
	}
	clear(d.ids)
	clear(d.values)
	d.values, d.indices = d.values[:0], d.indices[:0]
	size := 0
	var prev []byte
	prevIdx := int32(-1)
	for _, c := range rb.chunks {
		cc := &c.cols[ci]
		off := 0
		for _, n := range cc.lens {
			v := cc.bytes[off : off+int(n)]
			off += int(n)
			if prevIdx < 0 || !bytes.Equal(v, prev) {
				i, found := d.ids[string(v)]
				if !found {
					if size += len(v) + arrow.Uint32SizeBytes; size > maxDictBytes {
						return false, nil
					}
					i = int32(len(d.values))
					d.ids[string(v)] = i
					d.values = append(d.values, v)
				}
				prev, prevIdx = v, i
			}
			d.indices = append(d.indices, prevIdx)
		}
	}
	if len(d.values) == 0 {
		return false, nil // no values at all: nothing to gain
	}

	sb := array.NewStringBuilder(memory.DefaultAllocator)
	minV, maxV := d.values[0], d.values[0]
	for _, v := range d.values {
		sb.BinaryBuilder.Append(v)
		if bytes.Compare(v, minV) < 0 {
			minV = v
		}
		if bytes.Compare(v, maxV) > 0 {
			maxV = v
		}
	}
	dict := sb.NewArray()
	defer dict.Release()
	sb.BinaryBuilder.Append(minV)
	sb.BinaryBuilder.Append(maxV)
	bounds := sb.NewArray() // what the page statistics learn of any page with values
	defer bounds.Release()
	sb.Release()
	if err := de.PutDictionary(dict); err != nil {
		return false, err
	}
	if de.NumEntries() != len(d.values) {
		return false, errDictionary
	}

	// The indices, one buffer chunk at a time, in slices of the writer's
	// batch size: the writer may end a page after each slice, so the
	// statistics added before it (its nulls, its values, and the
	// dictionary's bounds, which hold its own) are those of the page it
	// lands in.
	batch := int(pq.DefaultWriteBatchSize)
	next := 0 // into d.indices
	stats := w.PageStatistics()
	spec := rb.cols[ci]
	for _, c := range rb.chunks {
		defs := c.levels(ci, spec)
		d.spaced = d.spaced[:0]
		var valid *memory.Buffer // nil: no nulls
		nulls := 0
		if defs != nil {
			d.valid = append(d.valid[:0], make([]byte, bitutil.BytesForBits(int64(c.rows)))...)
			valid = memory.NewBufferBytes(d.valid)
		}
		for r := range c.rows {
			if defs == nil || defs[r] == 1 {
				d.spaced = append(d.spaced, d.indices[next])
				next++
				if defs != nil {
					bitutil.SetBit(d.valid, r)
				}
			} else {
				d.spaced = append(d.spaced, 0)
				nulls++
			}
		}
		data := array.NewData(arrow.PrimitiveTypes.Int32, c.rows,
			[]*memory.Buffer{valid, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(d.spaced))}, nil, nulls, 0)
		all := array.NewInt32Data(data)
		data.Release()
		for lo := 0; lo < c.rows; lo += batch {
			hi := min(lo+batch, c.rows)
			var sdefs []int16
			values := int64(hi - lo)
			if defs != nil {
				sdefs = defs[lo:hi]
				values = 0
				for _, l := range sdefs {
					values += int64(l)
				}
			}
			if stats != nil {
				stats.IncNulls(int64(hi-lo) - values)
				stats.IncNumValues(values)
				if values > 0 {
					if err := stats.UpdateFromArrow(bounds, false); err != nil {
						all.Release()
						return false, err
					}
				}
			}
			part := array.NewSlice(all, int64(lo), int64(hi))
			err := w.WriteDictIndices(part, sdefs, nil)
			part.Release()
			if err != nil {
				all.Release()
				return false, err
			}
		}
		all.Release()
	}
	clear(d.values) // drop the references into the buffer
	return true, nil
}
