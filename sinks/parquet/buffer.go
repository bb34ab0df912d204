package parquet

import (
	"slices"

	"github.com/ouraexport/ouraexport/schema"
)

// chunkRows is the number of rows in a full chunk of a row buffer.
const chunkRows = 16 << 10

// rowBuffer holds the rows of one file that are not yet in a row group, in
// the form the Parquet column writers take: per column, the non-null values
// back to back and, for optional columns, one definition level per row.
// Rows are kept in chunks of chunkRows, so that buffering never copies what
// it already holds and emptied chunks are reused, not left to the garbage
// collector.
type rowBuffer struct {
	cols   []colSpec
	chunks []*chunk // with rows; the last one is being filled
	free   []*chunk // empty, kept for reuse
	rows   int      // rows buffered
	held   int64    // bytes of all chunks, with rows or free
}

// colSpec is what a buffer needs to know about a column.
type colSpec struct {
	typ      schema.Type
	required bool
}

// chunk holds up to chunkRows rows of every column.
type chunk struct {
	rows int
	cols []colChunk
}

// colChunk holds one column's values for the rows of a chunk.
type colChunk struct {
	// An optional column's definition levels (1 value, 0 null) are kept
	// one per row only once the chunk holds both values and nulls (mixed);
	// until then uniform is every row's level.
	mixed   bool
	uniform int16
	defs    []int16
	i32     []int32   // Date
	i64     []int64   // Timestamp, Int
	f64     []float64 // Float
	bools   []bool    // Bool
	lens    []int32   // String, JSON: length of each value in bytes
	bytes   []byte    // String, JSON: the values back to back
}

func (c *colChunk) size() int64 {
	return int64(cap(c.defs))*2 + int64(cap(c.i32))*4 + int64(cap(c.i64))*8 + int64(cap(c.f64))*8 +
		int64(cap(c.bools)) + int64(cap(c.lens))*4 + int64(cap(c.bytes))
}

func (c *chunk) size() int64 {
	var n int64
	for i := range c.cols {
		n += c.cols[i].size()
	}
	return n
}

func (c *chunk) reset() {
	c.rows = 0
	for i := range c.cols {
		cc := &c.cols[i]
		cc.mixed, cc.uniform = false, 0
		cc.defs, cc.i32, cc.i64, cc.f64 = cc.defs[:0], cc.i32[:0], cc.i64[:0], cc.f64[:0]
		cc.bools, cc.lens, cc.bytes = cc.bools[:0], cc.lens[:0], cc.bytes[:0]
	}
}

func newRowBuffer(t *schema.Table) *rowBuffer {
	cols := make([]colSpec, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = colSpec{typ: c.Type, required: c.Required}
	}
	return &rowBuffer{cols: cols}
}

// newChunk returns an empty chunk: a free one, or a new one. The first
// chunk of a buffer starts small (most tables are small); later ones are
// sized for a full chunk at once.
func (rb *rowBuffer) newChunk() *chunk {
	if n := len(rb.free); n > 0 {
		c := rb.free[n-1]
		rb.free = rb.free[:n-1]
		return c
	}
	c := &chunk{cols: make([]colChunk, len(rb.cols))}
	if len(rb.chunks) == 0 {
		return c
	}
	prev := rb.chunks[len(rb.chunks)-1]
	for i, spec := range rb.cols {
		cc := &c.cols[i]
		switch spec.typ {
		case schema.Date:
			cc.i32 = make([]int32, 0, chunkRows)
		case schema.Timestamp, schema.Int:
			cc.i64 = make([]int64, 0, chunkRows)
		case schema.Float:
			cc.f64 = make([]float64, 0, chunkRows)
		case schema.Bool:
			cc.bools = make([]bool, 0, chunkRows)
		case schema.String, schema.JSON:
			cc.lens = make([]int32, 0, chunkRows)
			cc.bytes = make([]byte, 0, cap(prev.cols[i].bytes))
		}
	}
	rb.held += c.size()
	return c
}

// add appends rows [lo, hi) of b, which CheckBatch accepted, and returns
// how many bytes the buffer's memory grew by.
func (rb *rowBuffer) add(b *schema.Batch, lo, hi int) int64 {
	before := rb.held
	for lo < hi {
		var c *chunk
		if n := len(rb.chunks); n > 0 && rb.chunks[n-1].rows < chunkRows {
			c = rb.chunks[n-1]
		} else {
			c = rb.newChunk()
			rb.chunks = append(rb.chunks, c)
		}
		n := min(hi-lo, chunkRows-c.rows)
		old := c.size()
		for i, spec := range rb.cols {
			c.cols[i].add(spec, &b.Cols[i], lo, lo+n, c.rows)
		}
		c.rows += n
		rb.rows += n
		rb.held += c.size() - old
		lo += n
	}
	return rb.held - before
}

// recycle empties the buffer after its rows went into a row group.
func (rb *rowBuffer) recycle() {
	for _, c := range rb.chunks {
		c.reset()
		rb.free = append(rb.free, c)
	}
	clear(rb.chunks)
	rb.chunks = rb.chunks[:0]
	rb.rows = 0
}

// trim releases free chunks until the buffer holds at most keep bytes, or
// no free chunk is left, and returns the bytes released.
func (rb *rowBuffer) trim(keep int64) int64 {
	var released int64
	for len(rb.free) > 0 && rb.held > keep {
		n := len(rb.free) - 1
		s := rb.free[n].size()
		rb.free[n] = nil
		rb.free = rb.free[:n]
		rb.held -= s
		released += s
	}
	return released
}

// add appends rows [lo, hi) of v to the column chunk, which holds rows before them.
func (c *colChunk) add(spec colSpec, v *schema.Vector, lo, hi, rows int) {
	valid := v.Valid[lo:hi]
	if !spec.required {
		c.addLevels(valid, rows)
	}
	switch spec.typ {
	case schema.Date:
		for i, x := range v.Int[lo:hi] {
			if valid[i] {
				c.i32 = append(c.i32, int32(x)) // CheckBatch bounds dates to 32 bits
			}
		}
	case schema.Timestamp, schema.Int:
		c.i64 = appendValues(c.i64, v.Int[lo:hi], valid, spec.required)
	case schema.Float:
		c.f64 = appendValues(c.f64, v.Float[lo:hi], valid, spec.required)
	case schema.Bool:
		c.bools = appendValues(c.bools, v.Bool[lo:hi], valid, spec.required)
	case schema.String, schema.JSON:
		for i, s := range v.Str[lo:hi] {
			if valid[i] {
				c.lens = append(c.lens, int32(len(s)))
				c.bytes = append(c.bytes, s...)
			}
		}
	}
}

// addLevels records the definition levels of rows with validity valid,
// after rows earlier ones.
func (c *colChunk) addLevels(valid []bool, rows int) {
	if !c.mixed {
		if rows == 0 {
			c.uniform = level(valid[0])
		}
		if !slices.Contains(valid, c.uniform == 0) {
			return // still uniform
		}
		c.mixed = true
		if cap(c.defs) < chunkRows {
			c.defs = make([]int16, 0, chunkRows)
		}
		for range rows {
			c.defs = append(c.defs, c.uniform)
		}
	}
	for _, ok := range valid {
		c.defs = append(c.defs, level(ok))
	}
}

func level(valid bool) int16 {
	if valid {
		return 1
	}
	return 0
}

// uniformLevels holds chunkRows levels of 0 and of 1, shared read-only.
var uniformLevels = func() (l [2][]int16) {
	l[0] = make([]int16, chunkRows)
	l[1] = make([]int16, chunkRows)
	for i := range l[1] {
		l[1][i] = 1
	}
	return l
}()

// levels returns the definition levels of the chunk's rows of column c:
// nil for a required column.
func (ch *chunk) levels(c int, spec colSpec) []int16 {
	cc := &ch.cols[c]
	switch {
	case spec.required:
		return nil
	case cc.mixed:
		return cc.defs
	default:
		return uniformLevels[cc.uniform][:ch.rows]
	}
}

// appendValues appends the non-null values of src to dst: all of them, in
// one copy, for a required column.
func appendValues[T any](dst, src []T, valid []bool, required bool) []T {
	if required {
		return append(dst, src...)
	}
	for i, ok := range valid {
		if ok {
			dst = append(dst, src[i])
		}
	}
	return dst
}
