package v1compat

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/ouraexport/ouraexport/schema"
)

// row is a row being filled from the members of one v1 record.
type row struct {
	t *schema.Table
	r schema.Row
	o *object
}

func newRow(m *schema.Mapper, table string, origin schema.Origin, o *object) (*row, error) {
	t := schema.Lookup(table)
	r, err := m.Append(t, origin)
	if err != nil {
		return nil, err
	}
	return &row{t: t, r: r, o: o}, nil
}

func (w *row) col(name string) int { return w.t.MustIndex(name) }

func (w *row) setInt(col string, v int64)     { w.r.SetInt(w.col(col), v) }
func (w *row) setFloat(col string, v float64) { w.r.SetFloat(w.col(col), v) }
func (w *row) setString(col, v string)        { w.r.SetString(w.col(col), v) }
func (w *row) setBool(col string, v bool)     { w.r.SetBool(w.col(col), v) }

// Conversions of v1 values on their way into a column.
type conv uint8

const (
	asIs     conv = iota
	zeroNull      // v1 wrote 0 for "not available": null
	minutes       // minutes to seconds
)

// int maps integer member key to col; a value of another type stays in extra.
func (w *row) int(key, col string, c conv) (int64, bool) {
	raw, _ := w.o.get(key)
	v, k := readInt(raw)
	switch {
	case k == vMisfit:
		w.o.unuse(key)
		return 0, false
	case k != vOK, c == zeroNull && v == 0:
		return 0, false
	case c == minutes:
		w.setInt(col, v*60)
	default:
		w.setInt(col, v)
	}
	return v, true
}

// float maps number member key to col.
func (w *row) float(key, col string, c conv) (float64, bool) {
	raw, _ := w.o.get(key)
	v, k := readFloat(raw)
	switch {
	case k == vMisfit:
		w.o.unuse(key)
		return 0, false
	case k != vOK, c == zeroNull && v == 0:
		return 0, false
	}
	w.setFloat(col, v)
	return v, true
}

// str maps string member key to col; "" is null when emptyNull.
func (w *row) str(key, col string, emptyNull bool) (string, bool) {
	raw, _ := w.o.get(key)
	v, k := readString(raw)
	switch {
	case k == vMisfit:
		w.o.unuse(key)
		return "", false
	case k != vOK, emptyNull && v == "":
		return "", false
	}
	w.setString(col, v)
	return v, true
}

// flag maps a 0/1 member key to the Bool column col.
func (w *row) flag(key, col string) {
	raw, _ := w.o.get(key)
	v, k := readInt(raw)
	switch {
	case k == vOK && (v == 0 || v == 1):
		w.setBool(col, v == 1)
	case k == vOK || k == vMisfit:
		w.o.unuse(key)
	}
}

// instant is a date-time read from a record.
type instant struct {
	us     int64
	off    int
	hasOff bool
	ok     bool
}

// time maps date-time member key to col and col_utc_offset. Without an
// offset in the text, tz (minutes east, when known) places it.
func (w *row) time(key, col string, tz *int64) instant {
	raw, _ := w.o.get(key)
	s, k := readString(raw)
	if k == vMisfit {
		w.o.unuse(key)
	}
	if k != vOK {
		return instant{}
	}
	us, off, hasOff, err := schema.ParseDateTime(s)
	if err != nil {
		w.o.unuse(key)
		return instant{}
	}
	if !hasOff && tz != nil {
		off, hasOff = int(*tz), true
		us -= int64(off) * 60e6
	}
	w.setInt(col, us)
	if hasOff {
		w.setInt(col+"_utc_offset", int64(off))
	}
	return instant{us: us, off: off, hasOff: hasOff, ok: true}
}

// date maps date member key to col, shifted by shift days; it returns the
// date as written (for ids) and whether it was one.
func (w *row) date(key, col string, shift int64) (string, bool) {
	raw, _ := w.o.get(key)
	s, k := readString(raw)
	if k == vMisfit {
		w.o.unuse(key)
	}
	if k != vOK {
		return "", false
	}
	d, err := schema.ParseDate(s)
	if err != nil {
		w.o.unuse(key)
		return "", false
	}
	w.setInt(col, d+shift)
	return s, true
}

// timezone reads v1's timezone member (minutes east of UTC) without using it.
func timezone(o *object) *int64 {
	raw, ok := o.get("timezone")
	o.unuse("timezone")
	if !ok {
		return nil
	}
	if v, k := readInt(raw); k == vOK && math.Abs(float64(v)) <= 18*60 {
		return &v
	}
	return nil
}

// matchTimezone marks timezone used when the instants' offset says the same.
func matchTimezone(o *object, tz *int64, at instant) {
	if tz != nil && at.ok && at.hasOff && int64(at.off) == *tz {
		o.get("timezone")
	}
}

// finish writes the record's unused members into the row's extra column.
func (w *row) finish() {
	if x := w.o.extra(); x != "" {
		w.setString(schema.ColExtra, x)
	}
}

// series writes the numbers of array member key as child rows of table
// (value column val), one every step seconds from start; 0 is a gap (null)
// when zeroGap. It returns whether the member was an array.
func series(m *schema.Mapper, o *object, key, table, val, parentID string, start instant, step int64, zeroGap bool, origin schema.Origin) (bool, error) {
	raw, _ := o.get(key)
	items, k := readArray(raw)
	if k == vMisfit {
		o.unuse(key)
	}
	if k != vOK {
		return false, nil
	}
	t := schema.Lookup(table)
	pc, sc, tc, oc, vc := t.MustIndex(t.Parent+"_id"), t.MustIndex(schema.ColSeq), t.MustIndex("timestamp"), t.MustIndex("timestamp_utc_offset"), t.MustIndex(val)
	bad := false
	for i, it := range items {
		r, err := m.Append(t, origin)
		if err != nil {
			return true, err
		}
		r.SetString(pc, parentID)
		r.SetInt(sc, int64(i))
		if start.ok {
			r.SetInt(tc, start.us+int64(i)*step*1e6)
			if start.hasOff {
				r.SetInt(oc, int64(start.off))
			}
		}
		v, vk := readFloat(it)
		switch {
		case vk == vOK && !(zeroGap && v == 0):
			r.SetFloat(vc, v)
		case vk == vMisfit:
			bad = true
		}
	}
	if bad {
		o.unuse(key) // kept whole in extra: a value did not fit
	}
	return true, nil
}

// codes writes the characters of string member key as child rows of table,
// one every step seconds from start, with their code and label.
func codes(m *schema.Mapper, o *object, key, table, parentID string, labels []string, start instant, step int64, origin schema.Origin) (string, bool, error) {
	raw, _ := o.get(key)
	s, k := readString(raw)
	if k == vMisfit {
		o.unuse(key)
	}
	if k != vOK {
		return "", false, nil
	}
	t := schema.Lookup(table)
	pc, sc, tc, oc, cc, lc := t.MustIndex(t.Parent+"_id"), t.MustIndex(schema.ColSeq), t.MustIndex("timestamp"),
		t.MustIndex("timestamp_utc_offset"), t.MustIndex("code"), t.MustIndex("label")
	seq := 0
	for _, ch := range s {
		r, err := m.Append(t, origin)
		if err != nil {
			return s, true, err
		}
		r.SetString(pc, parentID)
		r.SetInt(sc, int64(seq))
		if start.ok {
			r.SetInt(tc, start.us+int64(seq)*step*1e6)
			if start.hasOff {
				r.SetInt(oc, int64(start.off))
			}
		}
		if ch >= '0' && ch <= '9' {
			code := int(ch - '0')
			r.SetInt(cc, int64(code))
			if code < len(labels) && labels[code] != "" {
				r.SetString(lc, labels[code])
			}
		}
		seq++
	}
	return s, true, nil
}

// idPart makes a member's text safe to be part of an id.
func idPart(raw json.RawMessage) string {
	if s, k := readString(raw); k == vOK {
		return s
	}
	if v, k := readInt(raw); k == vOK {
		return strconv.FormatInt(v, 10)
	}
	return "?"
}
