package exporter

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ouraexport/ouraexport/schema"
)

// The merge: when several sources hold the same record (API v2, the retired
// API v1, files a user imported), the unified tables hold it once, from the
// source that ranks highest (v2, then v1, then imports, newest first). The
// builder writes the rows of v2 as they come and remembers the natural key
// of each top-level row; a row of a lower source is written only when no
// higher source (nor an earlier row of its own source) claimed its key, and
// its child rows go with it. What makes two rows the same record is each
// table's schema.Merge rule: alternatives of key columns (a day, a bedtime
// start), one record per account, the id alone, or, for time series
// (heartrate, ring_battery_level), which have no key per row worth
// remembering, the 5-minute periods a higher source covers. Memory is a set
// of keys per table (one per day or per sleep period) and a bitmap of
// periods.

// seriesPeriod is the granularity of the time-series merge, in microseconds.
const seriesPeriod = int64(5 * time.Minute / time.Microsecond)

// merger holds the claims of the sources merged so far. Claims of the
// source being built (the current level) are pending: they de-duplicate
// records within it, but do not hide its own time-series rows.
type merger struct {
	level  string
	tables map[*schema.Table]*claims
}

type claims struct {
	alts   [][]int // column positions of each alternative
	idCol  int     // -1 when the table has no id
	series int     // instant column of a time series, -1 otherwise
	final  map[string]struct{}
	pend   map[string]struct{}
	cover  bitset // time-series periods of finished levels
	pcover bitset // of the current level
	keybuf []byte
}

func newMerger() *merger { return &merger{tables: map[*schema.Table]*claims{}} }

// claimsOf returns the claims of top-level table t, nil for child tables.
func (m *merger) claimsOf(t *schema.Table) *claims {
	if c, ok := m.tables[t]; ok {
		return c
	}
	if t.Parent != "" {
		m.tables[t] = nil
		return nil
	}
	c := &claims{idCol: t.Index(schema.ColID), series: -1, final: map[string]struct{}{}, pend: map[string]struct{}{},
		cover: bitset{}, pcover: bitset{}}
	rule := t.Merge
	if rule == nil {
		panic("exporter: top-level table " + t.Name + " has no merge rule") // schema guarantees one
	}
	if rule.Series != "" {
		c.series = t.MustIndex(rule.Series)
	}
	alts := rule.Keys
	if rule.One {
		alts = [][]string{{}} // one record: every row has the same (empty) key
	}
	for _, alt := range alts {
		cols := []int{}
		for _, name := range alt {
			cols = append(cols, t.MustIndex(name))
		}
		c.alts = append(c.alts, cols)
	}
	m.tables[t] = c
	return c
}

// setLevel starts merging the source named level; the claims of the
// previous one become final.
func (m *merger) setLevel(level string) {
	if level == m.level {
		return
	}
	m.level = level
	for _, c := range m.tables {
		if c == nil {
			continue
		}
		for k := range c.pend {
			c.final[k] = struct{}{}
		}
		clear(c.pend)
		c.cover.or(c.pcover)
		c.pcover = bitset{}
	}
}

// record claims the top-level rows of b, which were written without a check
// (the highest source).
func (m *merger) record(b *schema.Batch) {
	c := m.claimsOf(b.Table)
	if c == nil {
		return
	}
	for i := range b.Len() {
		c.claim(b, i)
	}
}

// admit reports whether row i of b (a top-level table) is a record no
// higher source, nor an earlier row of this one, holds; if so it claims it.
func (m *merger) admit(b *schema.Batch, i int) bool {
	c := m.claimsOf(b.Table)
	if c == nil {
		return true
	}
	if c.series >= 0 {
		v := &b.Cols[c.series]
		if v.Valid[i] && c.cover.has(period(v.Int[i])) {
			return false
		}
		c.claim(b, i)
		return true
	}
	if id, ok := c.id(b, i); ok && c.claimed(id) {
		return false
	}
	for a := range c.alts {
		if k, ok := c.key(b, i, a); ok {
			if c.claimed(k) {
				return false
			}
			break
		}
	}
	c.claim(b, i)
	return true
}

func (c *claims) claimed(k string) bool {
	if _, ok := c.final[k]; ok {
		return true
	}
	_, ok := c.pend[k]
	return ok
}

// claim records row i of b in the current level.
func (c *claims) claim(b *schema.Batch, i int) {
	if c.series >= 0 {
		if v := &b.Cols[c.series]; v.Valid[i] {
			c.pcover.set(period(v.Int[i]))
		}
		return
	}
	if id, ok := c.id(b, i); ok {
		c.pend[id] = struct{}{}
	}
	for a := range c.alts {
		if k, ok := c.key(b, i, a); ok {
			c.pend[k] = struct{}{}
		}
	}
}

func (c *claims) id(b *schema.Batch, i int) (string, bool) {
	if c.idCol < 0 || !b.Cols[c.idCol].Valid[i] {
		return "", false
	}
	return "id\x1f" + b.Cols[c.idCol].Str[i], true
}

// key encodes alternative a of row i; ok is false when all its columns are null.
func (c *claims) key(b *schema.Batch, i, a int) (string, bool) {
	buf := append(c.keybuf[:0], 'k', byte('0'+a))
	any := len(c.alts[a]) == 0
	for _, col := range c.alts[a] {
		buf = append(buf, 0x1f)
		v := &b.Cols[col]
		if !v.Valid[i] {
			buf = append(buf, 0)
			continue
		}
		any = true
		switch v.Type {
		case schema.Date, schema.Timestamp, schema.Int:
			buf = strconv.AppendInt(buf, v.Int[i], 10)
		case schema.Float:
			buf = strconv.AppendUint(buf, math.Float64bits(v.Float[i]), 16)
		case schema.String, schema.JSON:
			buf = append(buf, v.Str[i]...)
		case schema.Bool:
			buf = strconv.AppendBool(buf, v.Bool[i])
		}
	}
	c.keybuf = buf
	return string(buf), any
}

// period returns the merge period of an instant (microseconds since the epoch).
func period(us int64) int64 {
	p := us / seriesPeriod
	if us < 0 && us%seriesPeriod != 0 {
		p--
	}
	return p
}

// bitset is a sparse set of integers, in pages of 4096.
type bitset map[int64]*[64]uint64

func (s bitset) set(n int64) {
	page, bit := n>>12, n&4095
	p := s[page]
	if p == nil {
		p = new([64]uint64)
		s[page] = p
	}
	p[bit>>6] |= 1 << (bit & 63)
}

func (s bitset) has(n int64) bool {
	p := s[n>>12]
	bit := n & 4095
	return p != nil && p[bit>>6]&(1<<(bit&63)) != 0
}

func (s bitset) or(o bitset) {
	for page, q := range o {
		p := s[page]
		if p == nil {
			p = new([64]uint64)
			s[page] = p
		}
		for i := range p {
			p[i] |= q[i]
		}
	}
}

// copyRow appends row i of b (from a scratch mapper) to m, value by value.
func copyRow(m *schema.Mapper, b *schema.Batch, i int) error {
	t := b.Table
	oc := t.MustIndex(schema.ColOrigin)
	r, err := m.Append(t, schema.Origin(b.Cols[oc].Str[i]))
	if err != nil {
		return err
	}
	for c := range b.Cols {
		v := &b.Cols[c]
		if c == oc || !v.Valid[i] {
			continue
		}
		switch v.Type {
		case schema.Date, schema.Timestamp, schema.Int:
			r.SetInt(c, v.Int[i])
		case schema.Float:
			r.SetFloat(c, v.Float[i])
		case schema.String, schema.JSON:
			r.SetString(c, v.Str[i])
		case schema.Bool:
			r.SetBool(c, v.Bool[i])
		}
	}
	return nil
}

// KeyOf returns where doc lies in time for c (a day for ByDate collections,
// an instant in UTC for ByInstant ones); ok is false when it has no such
// field. Importers use it to date the documents they store.
func (c *Collection) KeyOf(doc []byte) (key time.Time, ok bool) {
	if c.Kind != ByDate && c.Kind != ByInstant {
		return time.Time{}, false
	}
	return docKey(c, doc)
}

// mergeLevel names the source a collection's rows belong to for the merge.
func mergeLevel(c *Collection, gen int) string {
	if c.API == APIImport {
		return APIImport + ":" + strconv.Itoa(gen)
	}
	return strings.ToLower(c.API)
}
