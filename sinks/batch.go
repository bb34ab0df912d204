package sinks

import (
	"fmt"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks/internal/text"
)

// Limits of Date values: Parquet stores a DATE in 32 bits.
const (
	MinDate = math.MinInt32
	MaxDate = math.MaxInt32
)

// CheckBatch reports whether b can be written as rows of t: its table has
// t's name and columns, every vector has the column's type and b.Len()
// values, required columns hold no null, dates fit in 32 bits, strings are
// UTF-8 and JSON columns hold valid JSON. Every sink calls it on Write, so
// that all formats accept and refuse the same batches.
func CheckBatch(t *schema.Table, b *schema.Batch) error {
	if b == nil || b.Table == nil {
		return fmt.Errorf("batch of table %s: no table", t.Name)
	}
	if b.Table.Name != t.Name {
		return fmt.Errorf("batch of table %s: not a table of this export", b.Table.Name)
	}
	if len(b.Cols) != len(t.Columns) || len(b.Table.Columns) != len(t.Columns) {
		return fmt.Errorf("batch of table %s: %d columns, the table has %d", t.Name, len(b.Cols), len(t.Columns))
	}
	n := b.Len()
	for i := range b.Cols {
		c, v := &t.Columns[i], &b.Cols[i]
		if v.Type != c.Type || b.Table.Columns[i].Name != c.Name {
			return fmt.Errorf("batch of table %s: column %d is %s %v, the table has %s %v", t.Name, i, b.Table.Columns[i].Name, v.Type, c.Name, c.Type)
		}
		var values int
		switch c.Type {
		case schema.Date, schema.Timestamp, schema.Int:
			values = len(v.Int)
		case schema.Float:
			values = len(v.Float)
		case schema.String, schema.JSON:
			values = len(v.Str)
		case schema.Bool:
			values = len(v.Bool)
		}
		if len(v.Valid) != n || values != n {
			return fmt.Errorf("batch of table %s: column %s has %d values and %d validity flags for %d rows", t.Name, c.Name, values, len(v.Valid), n)
		}
		if c.Required {
			if r := slices.Index(v.Valid, false); r >= 0 {
				return fmt.Errorf("batch of table %s: row %d: required column %s is null", t.Name, r, c.Name)
			}
		}
		if err := checkValues(t, c, v); err != nil {
			return err
		}
	}
	return nil
}

func checkValues(t *schema.Table, c *schema.Column, v *schema.Vector) error {
	switch c.Type {
	case schema.Date:
		for r, d := range v.Int {
			if v.Valid[r] && (d < MinDate || d > MaxDate) {
				return fmt.Errorf("batch of table %s: row %d: date %d in column %s is out of range", t.Name, r, d, c.Name)
			}
		}
	case schema.String:
		// A value equal to the one checked before it (a child row's parent
		// id, an origin: the same string, usually, so comparing is cheap)
		// is valid too.
		checked := ""
		for r, s := range v.Str {
			if !v.Valid[r] || (s == checked && s != "") {
				continue
			}
			if !utf8.ValidString(s) {
				return fmt.Errorf("batch of table %s: row %d: column %s is not valid UTF-8", t.Name, r, c.Name)
			}
			checked = s
		}
	case schema.JSON:
		checked, any := "", false
		for r, s := range v.Str {
			if !v.Valid[r] || (any && s == checked) {
				continue
			}
			if !text.ValidJSON(s) {
				return fmt.Errorf("batch of table %s: row %d: column %s is not valid JSON", t.Name, r, c.Name)
			}
			checked, any = s, true
		}
	}
	return nil
}
