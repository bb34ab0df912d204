package schema

// Conventions says in a paragraph what every table has in common.
const Conventions = "A day column is the user's local calendar day, as Oura assigns it. " +
	"Instants are UTC timestamps (microseconds); each has a <name>_utc_offset column with the offset, " +
	"in minutes east of UTC, that the source stamped it with, so local time = instant + offset. " +
	"Every row has origin (v2, v1 or import). Top-level rows have the Oura id (heartrate and " +
	"ring_battery_level rows have none) and an extra JSON column that keeps every field the schema " +
	"does not know, and any value that did not fit its column, under its path. Sample series and " +
	"encoded strings are child tables: <parent>_id joins a row to its parent's id, and seq is its " +
	"position in the series, from 0."

// Description is the schema as data, in the shape "ouraexport schema --json"
// prints; sinks may embed it next to the data they write. Absent values are
// JSON nulls.
type Description struct {
	Version     int                `json:"schema_version"`
	Conventions string             `json:"conventions"`
	Tables      []TableDescription `json:"tables"`
}

// TableDescription describes one table.
type TableDescription struct {
	Name        string              `json:"name"`
	Meaning     string              `json:"meaning"`
	Collection  string              `json:"v2_collection"`
	Parent      *string             `json:"parent"`
	Key         []string            `json:"key"`
	PartitionBy *string             `json:"partition_by"`
	Columns     []ColumnDescription `json:"columns"`
}

// ColumnDescription describes one column.
type ColumnDescription struct {
	Name     string  `json:"name"`
	Type     string  `json:"type"`
	Unit     *string `json:"unit"`
	TimeZone *string `json:"time_zone"`
	Meaning  string  `json:"meaning"`
	V2Field  *string `json:"v2_field"`
	V1Field  *string `json:"v1_field"`
	Required bool    `json:"required"`
}

// Describe returns the description of the given tables, or of every table
// if none are given.
func Describe(ts ...*Table) Description {
	if len(ts) == 0 {
		ts = tables
	}
	d := Description{Version: Version, Conventions: Conventions, Tables: make([]TableDescription, 0, len(ts))}
	for _, t := range ts {
		td := TableDescription{Name: t.Name, Meaning: t.Doc, Collection: t.Collection, Parent: opt(t.Parent),
			Key: append([]string(nil), t.Key...), PartitionBy: opt(t.Partition)}
		for _, c := range t.Columns {
			td.Columns = append(td.Columns, ColumnDescription{Name: c.Name, Type: c.Type.String(), Unit: opt(c.Unit),
				TimeZone: opt(c.TZ), Meaning: c.Doc, V2Field: opt(c.V2), V1Field: opt(c.V1), Required: c.Required})
		}
		d.Tables = append(d.Tables, td)
	}
	return d
}

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
