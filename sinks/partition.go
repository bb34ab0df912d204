package sinks

import (
	"strconv"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks/internal/text"
)

// HiveDefault is the Hive partition value of rows whose partition column is
// null, as Hive and Spark spell it.
const HiveDefault = "__HIVE_DEFAULT_PARTITION__"

// Partition is the Hive partition of a row: the year of its table's
// Partition column (UTC for timestamps), or the default partition for null.
type Partition struct {
	Year int64
	Null bool
}

// Path returns the file path of the partition of table t in a format with
// extension ext: "<table>/year=<yyyy>/part-0<ext>".
func (p Partition) Path(t *schema.Table, ext string) string {
	v := HiveDefault
	if !p.Null {
		v = strconv.FormatInt(p.Year, 10)
	}
	return t.Name + "/year=" + v + "/part-0" + ext
}

// Run is a range of consecutive rows of a batch in the same partition.
type Run struct {
	Partition
	Lo, Hi int // rows [Lo, Hi)
}

// Runs appends to dst the runs of rows of b by partition, in row order, and
// returns it. The batch must come from a table with a Partition column.
func Runs(dst []Run, b *schema.Batch) []Run {
	col := b.Table.MustIndex(b.Table.Partition)
	v := &b.Cols[col]
	ts := v.Type == schema.Timestamp
	n := b.Len()
	for lo := 0; lo < n; {
		p := partitionOf(v, lo, ts)
		hi := lo + 1
		for hi < n && partitionOf(v, hi, ts) == p {
			hi++
		}
		dst = append(dst, Run{Partition: p, Lo: lo, Hi: hi})
		lo = hi
	}
	return dst
}

func partitionOf(v *schema.Vector, row int, ts bool) Partition {
	if !v.Valid[row] {
		return Partition{Null: true}
	}
	return Partition{Year: text.Year(v.Int[row], ts)}
}
