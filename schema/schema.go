// Package schema defines ouraexport's unified tables: one table per record
// kind, for every Oura API v2 collection (and the fields only v1 had), with
// sample series split into child tables that join back to their parent. It is
// plain data and pure functions: no I/O, and no imports of other ouraexport
// packages.
//
// Conventions every table follows:
//   - day columns are calendar dates (the user's local day, as Oura assigns it);
//   - instants are UTC timestamps (microsecond precision), and the offset the
//     record was stamped with is kept in a companion <name>_utc_offset column
//     (minutes east of UTC), so local wall-clock time is recoverable;
//   - every row carries origin (v2, v1 or import) and the Oura id of the
//     record (or of its parent, for child tables);
//   - fields the schema does not know are never dropped: they are kept, as
//     JSON, in the table's extra column.
//
// Tables, Lookup, Collections and TablesOf list the tables; Describe gives
// them as data. A Mapper turns v2 documents (MapV2) or rows built by other
// importers (Append) into columnar Batches for the sinks; CheckV2 strictly
// validates a v2 document; ParseDate and ParseDateTime read Oura's dates and
// times.
package schema

import "fmt"

// Version is the version of the unified schema. It changes whenever a table
// or column is renamed, removed or changes type; adding a table or a column
// does not change it.
const Version = 1

// Type is the logical type of a column.
type Type uint8

// The logical types. Each maps to one Parquet logical type and one CSV text form.
const (
	// Date is a calendar date, held as days since 1970-01-01 (Parquet DATE; CSV YYYY-MM-DD).
	Date Type = iota + 1
	// Timestamp is an instant, held as microseconds since the Unix epoch
	// (Parquet TIMESTAMP(MICROS, isAdjustedToUTC=true); CSV RFC 3339 in UTC with a Z).
	Timestamp
	// Int is a signed 64-bit integer (Parquet INT64).
	Int
	// Float is a 64-bit IEEE float (Parquet DOUBLE).
	Float
	// String is UTF-8 text (Parquet STRING).
	String
	// Bool is a boolean (Parquet BOOLEAN; CSV true/false).
	Bool
	// JSON is UTF-8 JSON text (Parquet STRING); sinks that write JSON embed it as a value.
	JSON
)

var typeNames = [...]string{Date: "date", Timestamp: "timestamp", Int: "int", Float: "float", String: "string", Bool: "bool", JSON: "json"}

func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Column describes one column of a table.
type Column struct {
	Name string `json:"name"`
	Type Type   `json:"-"`
	// Unit is the unit of measure ("s", "min", "bpm", "ms", "°C", "kcal", "m", "%", ...), "" for none.
	Unit string `json:"unit,omitempty"`
	// TZ says which clock a Date or Timestamp column is on: "UTC" for instants,
	// "local" for days and wall-clock values on the user's local calendar.
	TZ string `json:"time_zone,omitempty"`
	// Doc says what the column means, in a sentence.
	Doc string `json:"meaning"`
	// V2 is the v2 field the column comes from, as a dotted path within the
	// collection's document ("contributors.deep_sleep"); "" if none.
	V2 string `json:"v2_field,omitempty"`
	// V1 is the v1 field the column comes from ("score_deep"); "" if none.
	V1 string `json:"v1_field,omitempty"`
	// Required is true when every row has a value (the column is never null).
	Required bool `json:"required"`
}

// Table describes one unified table.
type Table struct {
	Name string `json:"name"`
	Doc  string `json:"meaning"`
	// Collection is the v2 collection the table's rows come from ("sleep").
	Collection string `json:"v2_collection,omitempty"`
	// Parent names the table a child table joins back to (via <parent>_id), "" for top-level tables.
	Parent string `json:"parent,omitempty"`
	// Key lists the columns that identify a row: no two rows of an export share them.
	Key []string `json:"key"`
	// Partition names the Date or Timestamp column whose year places a row in
	// a Hive partition (year=YYYY); "" for tables that are not partitioned.
	Partition string `json:"partition_by,omitempty"`
	// DatedBy is the top-level v2 field, and the column of the same name,
	// that places a record in time as the API's windows select it: a Date
	// column ("day", "start_day") for collections asked for by date, a
	// Timestamp column ("timestamp") for time series asked for by instant;
	// "" for records that are not dated (personal_info, ring_configuration)
	// and for child tables.
	DatedBy string `json:"-"`
	// Merge says when rows of different sources are the same record; nil
	// for child tables, whose rows go with their parent's. DatedBy and
	// Merge are the engine's: they are left out of the table definitions
	// the outputs embed, which stay as they were.
	Merge   *Merge   `json:"-"`
	Columns []Column `json:"columns"`

	index map[string]int
}

// Merge is a top-level table's rule for recognising one record among the
// rows of several sources (API v2, the retired v1, imported files), so that
// the unified table holds it once. Rows with the same non-null id are always
// the same record; beyond that, exactly one of Keys, Series, One and ByID is
// set.
type Merge struct {
	// Keys lists alternatives of columns that make two rows the same record:
	// the first alternative whose columns are not all null decides, and a row
	// claims every alternative it has (sleep: its bedtime start, else its day).
	Keys [][]string `json:"same_when,omitempty"`
	// Series names the Timestamp column of a time series: its rows are merged
	// by the 5-minute periods a higher-ranked source already covers.
	Series string `json:"series_by,omitempty"`
	// One says the table holds one record per account (personal_info).
	One bool `json:"one_record,omitempty"`
	// ByID says only the id identifies a record (ring_configuration).
	ByID bool `json:"by_id_only,omitempty"`
}

// Index returns the position of the named column, or -1.
func (t *Table) Index(name string) int {
	if t.index == nil {
		t.index = make(map[string]int, len(t.Columns))
		for i, c := range t.Columns {
			t.index[c.Name] = i
		}
	}
	i, ok := t.index[name]
	if !ok {
		return -1
	}
	return i
}

// MustIndex is Index for columns that must exist; it panics otherwise (a programming error).
func (t *Table) MustIndex(name string) int {
	i := t.Index(name)
	if i < 0 {
		panic("schema: table " + t.Name + " has no column " + name)
	}
	return i
}
