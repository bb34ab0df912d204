package parquet

import (
	"context"
	"fmt"
	"io"

	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/ouraexport/ouraexport/sinks"
)

// checkBatch is the number of values Check decodes at a time per column.
const checkBatch = 8 << 10

// Check re-reads a Parquet file completely with the arrow-go reader: the
// footer, then every page of every column of every row group, decompressed
// and decoded. It returns the number of rows, and an error wrapping
// sinks.ErrDecode if anything does not decode or a column's row count
// disagrees with its row group's. Memory stays bounded whatever the file's
// size. It is the Checker registered for ".parquet".
func Check(ctx context.Context, r io.ReaderAt, size int64) (rows int64, err error) {
	defer func() {
		if p := recover(); p != nil {
			rows, err = 0, fmt.Errorf("%w as parquet: %v; the file is damaged", sinks.ErrDecode, p)
		}
	}()
	rdr, err := file.NewParquetReader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return 0, fmt.Errorf("%w as parquet: footer: %w; the file is damaged or truncated", sinks.ErrDecode, err)
	}
	defer rdr.Close()
	sc := rdr.MetaData().Schema
	bufs := newCheckBuffers()
	for g := 0; g < rdr.NumRowGroups(); g++ {
		rg := rdr.RowGroup(g)
		want := rg.NumRows()
		for c := 0; c < rg.NumColumns(); c++ {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			cr, err := rg.Column(c)
			if err != nil {
				return 0, fmt.Errorf("%w as parquet: row group %d column %s: %w; the file is damaged", sinks.ErrDecode, g, sc.Column(c).Name(), err)
			}
			got, err := bufs.count(cr)
			cr.Close()
			if err != nil {
				return 0, fmt.Errorf("%w as parquet: row group %d column %s: %w; the file is damaged", sinks.ErrDecode, g, sc.Column(c).Name(), err)
			}
			if got != want {
				return 0, fmt.Errorf("%w as parquet: row group %d column %s has %d values for %d rows; the file is damaged", sinks.ErrDecode, g, sc.Column(c).Name(), got, want)
			}
		}
		rows += want
	}
	if rows != rdr.NumRows() {
		return 0, fmt.Errorf("%w as parquet: row groups hold %d rows, the footer says %d; the file is damaged", sinks.ErrDecode, rows, rdr.NumRows())
	}
	return rows, nil
}

// checkBuffers are the decode buffers Check reuses across columns.
type checkBuffers struct {
	defs  []int16
	reps  []int16
	i32   []int32
	i64   []int64
	i96   []pq.Int96
	f32   []float32
	f64   []float64
	bools []bool
	bytes []pq.ByteArray
	flba  []pq.FixedLenByteArray
}

func newCheckBuffers() *checkBuffers {
	return &checkBuffers{
		defs: make([]int16, checkBatch), reps: make([]int16, checkBatch),
		i32: make([]int32, checkBatch), i64: make([]int64, checkBatch), i96: make([]pq.Int96, checkBatch),
		f32: make([]float32, checkBatch), f64: make([]float64, checkBatch), bools: make([]bool, checkBatch),
		bytes: make([]pq.ByteArray, checkBatch), flba: make([]pq.FixedLenByteArray, checkBatch),
	}
}

// count decodes every value of a column chunk and returns its number of
// rows (levels at repetition level 0).
func (b *checkBuffers) count(cr file.ColumnChunkReader) (int64, error) {
	var rows int64
	repeated := cr.Descriptor().MaxRepetitionLevel() > 0
	for {
		var (
			n   int64
			err error
		)
		switch r := cr.(type) {
		case *file.BooleanColumnChunkReader:
			n, _, err = r.ReadBatch(checkBatch, b.bools, b.defs, b.reps)
		case *file.Int32ColumnChunkReader:
			n, _, err = r.ReadBatch(checkBatch, b.i32, b.defs, b.reps)
		case *file.Int64ColumnChunkReader:
			n, _, err = r.ReadBatch(checkBatch, b.i64, b.defs, b.reps)
		case *file.Int96ColumnChunkReader:
			n, _, err = r.ReadBatch(checkBatch, b.i96, b.defs, b.reps)
		case *file.Float32ColumnChunkReader:
			n, _, err = r.ReadBatch(checkBatch, b.f32, b.defs, b.reps)
		case *file.Float64ColumnChunkReader:
			n, _, err = r.ReadBatch(checkBatch, b.f64, b.defs, b.reps)
		case *file.ByteArrayColumnChunkReader:
			n, _, err = r.ReadBatch(checkBatch, b.bytes, b.defs, b.reps)
			clear(b.bytes)
		case *file.FixedLenByteArrayColumnChunkReader:
			n, _, err = r.ReadBatch(checkBatch, b.flba, b.defs, b.reps)
			clear(b.flba)
		default:
			return 0, fmt.Errorf("unknown column reader %T", cr)
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			if err := cr.Err(); err != nil {
				return 0, err
			}
			return rows, nil
		}
		if repeated {
			for _, rl := range b.reps[:n] {
				if rl == 0 {
					rows++
				}
			}
		} else {
			rows += n
		}
	}
}
