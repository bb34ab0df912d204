package schema

// Batch is a set of rows of one table, stored by column. Sinks read it;
// mappers fill it. A Batch is not safe for concurrent use, and a sink must not
// keep a reference to it (or to its vectors) after Write returns: the producer
// resets and reuses it.
type Batch struct {
	Table *Table
	Cols  []Vector // one per Table.Columns, in order
	n     int
}

// Vector holds the values of one column. Exactly one value slice is used,
// chosen by Type: Int for Date (days since 1970-01-01), Timestamp
// (microseconds since the epoch, UTC) and Int; Float for Float; Str for
// String and JSON; Bool for Bool. Valid[i] is false where row i is null (the
// value slot then holds the zero value).
type Vector struct {
	Type  Type
	Valid []bool
	Int   []int64
	Float []float64
	Str   []string
	Bool  []bool
}

// NewBatch returns an empty batch for t with room for capacity rows.
func NewBatch(t *Table, capacity int) *Batch {
	b := &Batch{Table: t, Cols: make([]Vector, len(t.Columns))}
	for i, c := range t.Columns {
		v := &b.Cols[i]
		v.Type = c.Type
		v.Valid = make([]bool, 0, capacity)
		switch c.Type {
		case Date, Timestamp, Int:
			v.Int = make([]int64, 0, capacity)
		case Float:
			v.Float = make([]float64, 0, capacity)
		case String, JSON:
			v.Str = make([]string, 0, capacity)
		case Bool:
			v.Bool = make([]bool, 0, capacity)
		}
	}
	return b
}

// Len returns the number of rows.
func (b *Batch) Len() int { return b.n }

// Reset empties the batch, keeping its memory.
func (b *Batch) Reset() {
	for i := range b.Cols {
		v := &b.Cols[i]
		v.Valid = v.Valid[:0]
		v.Int = v.Int[:0]
		v.Float = v.Float[:0]
		clear(v.Str) // let the strings be collected
		v.Str = v.Str[:0]
		v.Bool = v.Bool[:0]
	}
	b.n = 0
}

// Append adds a row whose columns are all null and returns it for setting.
func (b *Batch) Append() Row {
	for i := range b.Cols {
		v := &b.Cols[i]
		v.Valid = append(v.Valid, false)
		switch v.Type {
		case Date, Timestamp, Int:
			v.Int = append(v.Int, 0)
		case Float:
			v.Float = append(v.Float, 0)
		case String, JSON:
			v.Str = append(v.Str, "")
		case Bool:
			v.Bool = append(v.Bool, false)
		}
	}
	b.n++
	return Row{b: b, i: b.n - 1}
}

// Row is one row of a batch, for setting its values. Setters take the column
// position (Table.MustIndex) and panic if the column's type does not match.
type Row struct {
	b *Batch
	i int
}

// Index returns the row's position in its batch.
func (r Row) Index() int { return r.i }

func (r Row) vec(col int, want ...Type) *Vector {
	v := &r.b.Cols[col]
	for _, t := range want {
		if v.Type == t {
			return v
		}
	}
	panic("schema: column " + r.b.Table.Columns[col].Name + " of " + r.b.Table.Name + " is " + v.Type.String())
}

// SetInt sets an Int, Date or Timestamp column.
func (r Row) SetInt(col int, x int64) {
	v := r.vec(col, Int, Date, Timestamp)
	v.Int[r.i], v.Valid[r.i] = x, true
}

// SetFloat sets a Float column.
func (r Row) SetFloat(col int, x float64) {
	v := r.vec(col, Float)
	v.Float[r.i], v.Valid[r.i] = x, true
}

// SetString sets a String or JSON column.
func (r Row) SetString(col int, s string) {
	v := r.vec(col, String, JSON)
	v.Str[r.i], v.Valid[r.i] = s, true
}

// SetBool sets a Bool column.
func (r Row) SetBool(col int, x bool) {
	v := r.vec(col, Bool)
	v.Bool[r.i], v.Valid[r.i] = x, true
}

// SetNull makes a column null again.
func (r Row) SetNull(col int) {
	v := &r.b.Cols[col]
	v.Valid[r.i] = false
	switch v.Type {
	case Date, Timestamp, Int:
		v.Int[r.i] = 0
	case Float:
		v.Float[r.i] = 0
	case String, JSON:
		v.Str[r.i] = ""
	case Bool:
		v.Bool[r.i] = false
	}
}

// truncate drops the rows from n on (n <= Len), keeping the memory.
func (b *Batch) truncate(n int) {
	for i := range b.Cols {
		v := &b.Cols[i]
		v.Valid = v.Valid[:n]
		switch v.Type {
		case Date, Timestamp, Int:
			v.Int = v.Int[:n]
		case Float:
			v.Float = v.Float[:n]
		case String, JSON:
			clear(v.Str[n:])
			v.Str = v.Str[:n]
		case Bool:
			v.Bool = v.Bool[:n]
		}
	}
	b.n = n
}

// CopyFrom makes b a copy of src (same table), reusing b's memory. Strings
// are shared, not copied: they are immutable.
func (b *Batch) CopyFrom(src *Batch) {
	b.Table = src.Table
	if len(b.Cols) != len(src.Cols) {
		b.Cols = make([]Vector, len(src.Cols))
	}
	for i := range src.Cols {
		s, d := &src.Cols[i], &b.Cols[i]
		d.Type = s.Type
		d.Valid = append(d.Valid[:0], s.Valid...)
		d.Int = append(d.Int[:0], s.Int...)
		d.Float = append(d.Float[:0], s.Float...)
		clear(d.Str)
		d.Str = append(d.Str[:0], s.Str...)
		d.Bool = append(d.Bool[:0], s.Bool...)
	}
	b.n = src.n
}
