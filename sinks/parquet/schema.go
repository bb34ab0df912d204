package parquet

import (
	"fmt"

	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	pqschema "github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/ouraexport/ouraexport/schema"
)

// DefaultLevel is the zstd level used when Options leaves it at zero.
const DefaultLevel = 3

// maxRowGroupRows caps a row group's rows, so that readers that hold a row
// group in memory (and DuckDB, which splits work by row group) stay fast.
// It is a variable for tests.
var maxRowGroupRows = 1 << 20

// fileSchema returns the Parquet schema of a table: a root group (written
// without a repetition, as the format wants: arrow/go v15 wrote REPEATED,
// which strict readers reject) with one leaf per column, REQUIRED for
// required columns and OPTIONAL otherwise:
//
//	Date      INT32 (DATE)
//	Timestamp INT64 (TIMESTAMP(MICROS, isAdjustedToUTC=true))
//	Int       INT64 (INT(64, signed))
//	Float     DOUBLE
//	String    BYTE_ARRAY (STRING)
//	JSON      BYTE_ARRAY (STRING)
//	Bool      BOOLEAN
func fileSchema(t *schema.Table) (*pqschema.GroupNode, error) {
	fields := make(pqschema.FieldList, len(t.Columns))
	for i, c := range t.Columns {
		rep := pq.Repetitions.Optional
		if c.Required {
			rep = pq.Repetitions.Required
		}
		var (
			logical pqschema.LogicalType
			phys    pq.Type
		)
		switch c.Type {
		case schema.Date:
			logical, phys = pqschema.DateLogicalType{}, pq.Types.Int32
		case schema.Timestamp:
			logical, phys = pqschema.NewTimestampLogicalType(true, pqschema.TimeUnitMicros), pq.Types.Int64
		case schema.Int:
			logical, phys = pqschema.NewIntLogicalType(64, true), pq.Types.Int64
		case schema.Float:
			logical, phys = pqschema.NoLogicalType{}, pq.Types.Double
		case schema.String, schema.JSON:
			logical, phys = pqschema.StringLogicalType{}, pq.Types.ByteArray
		case schema.Bool:
			logical, phys = pqschema.NoLogicalType{}, pq.Types.Boolean
		default:
			return nil, fmt.Errorf("table %s: column %s has unknown type %v", t.Name, c.Name, c.Type)
		}
		n, err := pqschema.NewPrimitiveNodeLogical(c.Name, rep, logical, phys, -1, -1)
		if err != nil {
			return nil, fmt.Errorf("table %s: column %s: %w", t.Name, c.Name, err)
		}
		fields[i] = n
	}
	root, err := pqschema.NewGroupNode("schema", pq.Repetitions.Required, fields, -1)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", t.Name, err)
	}
	return root, nil
}

// writerProps returns the writer properties for a table: zstd, statistics,
// dictionary encoding for strings, floats and booleans (it falls back to
// plain by itself when a column's dictionary outgrows its limit), and
// DELTA_BINARY_PACKED without dictionary for integers, dates and instants:
// series of them (sample times, day numbers, heart rates) change by small
// steps, which delta encoding stores in a few bits each, and building
// dictionaries of near-unique instants only costs memory and time.
func writerProps(t *schema.Table, level int) *pq.WriterProperties {
	if level == 0 {
		level = DefaultLevel
	}
	opts := []pq.WriterProperty{
		pq.WithCompression(compress.Codecs.Zstd),
		pq.WithCompressionLevel(level),
		pq.WithStats(true),
		pq.WithDictionaryDefault(true),
		pq.WithMaxRowGroupLength(int64(maxRowGroupRows)),
	}
	for _, c := range t.Columns {
		if c.Type == schema.Timestamp || c.Type == schema.Int || c.Type == schema.Date {
			opts = append(opts,
				pq.WithDictionaryFor(c.Name, false),
				pq.WithEncodingFor(c.Name, pq.Encodings.DeltaBinaryPacked))
		}
	}
	return pq.NewWriterProperties(opts...)
}
