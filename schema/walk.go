package schema

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// walker reads one v2 document in a single pass and either writes its rows
// (map mode) or only records what is wrong with it (check mode, for
// CheckV2). Both modes take the same decisions, so a document CheckV2
// accepts maps without a single misfit.
type walker struct {
	d     decoder
	check bool
	m     *Mapper // map mode only
	c     *collection
	orig  string
	path  []pathElem // path of the object being read, for extra and messages
	inst  []instVal  // the document's top-level instants, by slot
	codes []codeRun  // encoded strings waiting for their start instant

	extras   []extraEntry
	warns    []warnKey
	problems []string
}

// pathElem is one step of a JSON path: a member name (raw JSON string
// content) or, when idx >= 0, an array index.
type pathElem struct {
	name string
	idx  int
}

type instVal struct {
	micros int64
	off    int
	hasOff bool
	ok     bool
}

type codeRun struct {
	ch       *child
	b        *Batch
	first, n int
}

type extraEntry struct {
	path []pathElem // full path of the value, member or index last
	raw  []byte     // its JSON text, as in the document
}

// maxProblems caps what CheckV2 reports about one document.
const maxProblems = 20

func (w *walker) start(c *collection, doc []byte, check bool) {
	w.d.reset(doc)
	w.c, w.check = c, check
	w.path = w.path[:0]
	w.extras = w.extras[:0]
	w.warns = w.warns[:0]
	w.problems = w.problems[:0]
	w.codes = w.codes[:0]
	if cap(w.inst) < c.slots {
		w.inst = make([]instVal, c.slots)
	}
	w.inst = w.inst[:c.slots]
	clear(w.inst)
}

// release drops the walker's references to the document it read, so the
// caller's buffer can be collected or reused.
func (w *walker) release() {
	w.d.buf = nil
	clear(w.extras)
	w.extras = w.extras[:0]
}

// document reads the whole document into row (of b, the collection's table;
// ignored in check mode).
func (w *walker) document(b *Batch, row int) {
	if w.d.peek() != '{' {
		if w.d.err == nil {
			w.d.fail("a document must be a JSON object")
		}
		return
	}
	w.object(w.c.root, b, row)
	w.d.end()
}

func (w *walker) object(o *object, b *Batch, row int) {
	if !w.d.open('{') {
		return
	}
	var seen uint64
	first := true
	for w.d.more('}', &first) {
		key, esc := w.d.key()
		if w.d.err != nil {
			return
		}
		name := key
		if esc {
			name = []byte(unquote(key, true))
		}
		f := o.lookup(name)
		if f == nil {
			w.unknown(key, w.d.skip())
			continue
		}
		if seen&f.bit != 0 {
			w.duplicate(f, w.d.skip())
			continue
		}
		seen |= f.bit
		w.value(f, b, row)
	}
	if w.check && w.d.err == nil {
		w.missing(o, seen)
	}
}

// missing reports the required fields of o that were not seen.
func (w *walker) missing(o *object, seen uint64) {
	if miss := o.req &^ seen; miss != 0 {
		for _, f := range o.fields {
			if miss&f.bit != 0 {
				w.problem("missing required field " + w.fieldPath(f.name))
			}
		}
	}
}

// value reads the value of known field f into row of b.
func (w *walker) value(f *field, b *Batch, row int) {
	d := &w.d
	c := d.peek()
	start := d.pos
	if c == 'n' {
		if !d.literal("null") {
			return
		}
		if f.kind == kEpisodes {
			// No column would show the null: keep it in extra.
			w.misfit(f, d.buf[start:d.pos], "an array of episodes")
		} else if w.check && !f.null {
			w.problem(w.fieldPath(f.name) + " is null")
		}
		return
	}
	put := !w.check
	switch f.kind {
	case kString, kEnum, kCodes:
		if c != '"' {
			w.misfit(f, d.skip(), "a string")
			return
		}
		raw, esc := d.str()
		if d.err != nil || !put {
			return
		}
		var s string
		if f.intern && !esc {
			s = w.m.intern(raw)
		} else {
			s = unquote(raw, esc)
		}
		setStr(b, f.col, row, s)
		if f.kind == kCodes {
			w.codeRows(f.child, s)
		}
	case kInt:
		if c != '-' && (c < '0' || c > '9') {
			w.misfit(f, d.skip(), "an integer")
			return
		}
		raw := d.number()
		if d.err != nil {
			return
		}
		v, ok := parseInt(raw)
		if !ok {
			w.misfit(f, raw, "an integer")
			return
		}
		if put {
			setInt(b, f.col, row, v)
		}
	case kFloat:
		if c != '-' && (c < '0' || c > '9') {
			w.misfit(f, d.skip(), "a number")
			return
		}
		raw := d.number()
		if d.err != nil {
			return
		}
		v, ok := parseFloat(raw)
		if !ok {
			w.misfit(f, raw, "a finite number")
			return
		}
		if put {
			setFloat(b, f.col, row, v)
		}
	case kBool:
		var v bool
		switch c {
		case 't':
			v = d.literal("true")
		case 'f':
			d.literal("false")
		default:
			w.misfit(f, d.skip(), "a boolean")
			return
		}
		if put && d.err == nil {
			setBool(b, f.col, row, v)
		}
	case kDate:
		if c != '"' {
			w.misfit(f, d.skip(), "a date string")
			return
		}
		raw, esc := d.str()
		if d.err != nil {
			return
		}
		if esc {
			raw = []byte(unquote(raw, true))
		}
		y, m, dd, ok := parseYMD(raw)
		if !ok {
			w.misfit(f, d.buf[start:d.pos], "a date YYYY-MM-DD")
			return
		}
		if put {
			setInt(b, f.col, row, daysFromCivil(y, m, dd))
		}
	case kInstant:
		if c != '"' {
			w.misfit(f, d.skip(), "a date-time string")
			return
		}
		raw, esc := d.str()
		if d.err != nil {
			return
		}
		if esc {
			raw = []byte(unquote(raw, true))
		}
		us, off, hasOff, ok := parseDateTime(raw)
		if !ok {
			w.misfit(f, d.buf[start:d.pos], "a date-time")
			return
		}
		if f.slot >= 0 {
			w.inst[f.slot] = instVal{us, off, hasOff, true}
		}
		if put {
			setInt(b, f.col, row, us)
			if hasOff {
				setInt(b, f.col2, row, int64(off))
			}
		}
	case kStrings:
		if c != '[' {
			w.misfit(f, d.skip(), "an array of strings")
			return
		}
		d.open('[')
		all := true
		first := true
		for d.more(']', &first) {
			if d.peek() != '"' {
				all = false
			}
			d.skip()
		}
		if d.err != nil {
			return
		}
		raw := d.buf[start:d.pos]
		if !all {
			w.misfit(f, raw, "an array of strings")
			return
		}
		if put {
			setStr(b, f.col, row, string(compact(make([]byte, 0, len(raw)), raw)))
		}
	case kObject:
		if c != '{' {
			w.misfit(f, d.skip(), "an object")
			return
		}
		w.path = append(w.path, pathElem{name: f.name, idx: -1})
		w.object(f.obj, b, row)
		w.path = w.path[:len(w.path)-1]
	case kSample:
		if c != '{' {
			w.misfit(f, d.skip(), "a sample object")
			return
		}
		w.sample(f, b, row)
	case kEpisodes:
		if c != '[' {
			w.misfit(f, d.skip(), "an array of episodes")
			return
		}
		w.episodes(f)
	}
}

// sample reads an Oura sample object {interval, items, timestamp}: the
// interval and start go to the parent row, each item to a child row.
func (w *walker) sample(f *field, b *Batch, row int) {
	d := &w.d
	ch := f.child
	var cb *Batch
	firstRow := 0
	if !w.check {
		cb = w.m.batch(ch.num)
		firstRow = cb.Len()
	}
	w.path = append(w.path, pathElem{name: f.name, idx: -1})
	defer func() { w.path = w.path[:len(w.path)-1] }()
	var (
		iv    float64
		ivOK  bool
		begin instVal
		seen  uint8
		first = true
	)
	d.open('{')
	for d.more('}', &first) {
		key, esc := d.key()
		if d.err != nil {
			return
		}
		name := key
		if esc {
			name = []byte(unquote(key, true))
		}
		var bit uint8
		switch string(name) {
		case "interval":
			bit = 1
		case "items":
			bit = 2
		case "timestamp":
			bit = 4
		default:
			w.unknown(key, d.skip())
			continue
		}
		if seen&bit != 0 {
			w.duplicateSub(string(name), d.skip())
			continue
		}
		seen |= bit
		c := d.peek()
		start := d.pos
		switch bit {
		case 1:
			if c == 'n' {
				d.literal("null")
				w.nullProblem("interval")
				continue
			}
			if c != '-' && (c < '0' || c > '9') {
				w.misfitSub("interval", d.skip(), "a number")
				continue
			}
			raw := d.number()
			if d.err != nil {
				return
			}
			v, ok := parseFloat(raw)
			if !ok {
				w.misfitSub("interval", raw, "a finite number")
				continue
			}
			iv, ivOK = v, true
			if cb != nil {
				setFloat(b, f.col, row, v)
			}
		case 4:
			if c == 'n' {
				d.literal("null")
				w.nullProblem("timestamp")
				continue
			}
			if c != '"' {
				w.misfitSub("timestamp", d.skip(), "a date-time string")
				continue
			}
			raw, esc := d.str()
			if d.err != nil {
				return
			}
			if esc {
				raw = []byte(unquote(raw, true))
			}
			us, off, hasOff, ok := parseDateTime(raw)
			if !ok {
				w.misfitSub("timestamp", d.buf[start:d.pos], "a date-time")
				continue
			}
			begin = instVal{us, off, hasOff, true}
			if cb != nil {
				setInt(b, f.col2, row, us)
				if hasOff {
					setInt(b, f.col3, row, int64(off))
				}
			}
		case 2:
			if c == 'n' {
				if d.literal("null") {
					w.misfitSub("items", d.buf[start:d.pos], "an array of numbers") // no column would show it
				}
				continue
			}
			if c != '[' {
				w.misfitSub("items", d.skip(), "an array of numbers")
				continue
			}
			w.items(ch, cb)
		}
	}
	if d.err != nil {
		return
	}
	if w.check {
		for i, p := range sampleFields {
			if seen&(1<<i) == 0 {
				w.problem("missing required field " + w.fieldPath(p))
			}
		}
		return
	}
	if begin.ok && ivOK {
		fillTimes(cb, ch, firstRow, cb.Len()-firstRow, begin, iv)
	}
}

// sampleFields are the members of a sample object, in the order of their seen bits.
var sampleFields = [...]string{"interval", "items", "timestamp"}

// items reads the items array of a sample into child rows, one per item.
func (w *walker) items(ch *child, cb *Batch) {
	d := &w.d
	d.open('[')
	first := true
	seq := 0
	for d.more(']', &first) {
		c := d.peek()
		var v float64
		valid := false
		switch {
		case c == 'n':
			d.literal("null")
		case c == '-' || c >= '0' && c <= '9':
			raw := d.number()
			if d.err != nil {
				return
			}
			if v, valid = parseFloat(raw); !valid {
				w.misfitItem(seq, raw)
			}
		default:
			raw := d.skip()
			if d.err != nil {
				return
			}
			w.misfitItem(seq, raw)
		}
		if cb != nil {
			i := appendChild(cb, ch, seq, w.orig)
			if valid {
				v2 := &cb.Cols[ch.valCol]
				v2.Float[i], v2.Valid[i] = v, true
			}
		}
		seq++
	}
}

// episodes reads the episodes of a rest mode period, one child row each.
func (w *walker) episodes(f *field) {
	d := &w.d
	ch := f.child
	var cb *Batch
	if !w.check {
		cb = w.m.batch(ch.num)
	}
	w.path = append(w.path, pathElem{name: f.name, idx: -1})
	defer func() { w.path = w.path[:len(w.path)-1] }()
	d.open('[')
	first := true
	for seq := 0; d.more(']', &first); seq++ {
		if c := d.peek(); c != '{' {
			raw := d.skip()
			if d.err != nil {
				return
			}
			w.path = append(w.path, pathElem{idx: seq})
			w.record(raw, IssueMisfit, "an episode object")
			w.path = w.path[:len(w.path)-1]
			continue
		}
		row := 0
		if cb != nil {
			row = appendChild(cb, ch, seq, w.orig)
		}
		w.path = append(w.path, pathElem{idx: seq})
		w.object(ch.obj, cb, row)
		w.path = w.path[:len(w.path)-1]
	}
}

// codeRows adds one child row per character of an encoded string. Their
// timestamps are filled in at the end of the document, once the instant
// the series starts at has been read.
func (w *walker) codeRows(ch *child, s string) {
	cb := w.m.batch(ch.num)
	first := cb.Len()
	seq := 0
	for i := 0; i < len(s); seq++ {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		row := appendChild(cb, ch, seq, w.orig)
		if r >= '0' && r <= '9' {
			code := int(r - '0')
			setInt(cb, ch.valCol, row, int64(code))
			if code < len(ch.labels) && ch.labels[code] != "" {
				setStr(cb, ch.labelCol, row, ch.labels[code])
			}
		}
	}
	w.codes = append(w.codes, codeRun{ch: ch, b: cb, first: first, n: seq})
}

// finish completes the rows of a mapped document: child timestamps that
// depend on a parent instant, the parent id of every child row, and extra.
func (w *walker) finish(pb *Batch, row int, marks []int) {
	for _, r := range w.codes {
		if v := w.inst[r.ch.startSlot]; v.ok {
			fillTimes(r.b, r.ch, r.first, r.n, v, r.ch.interval)
		}
	}
	if w.c.idCol >= 0 && pb.Cols[w.c.idCol].Valid[row] {
		id := pb.Cols[w.c.idCol].Str[row]
		for i, ch := range w.c.children {
			cb := w.m.batches[ch.num]
			if cb == nil {
				continue
			}
			v := &cb.Cols[ch.parentCol]
			for j := marks[i+1]; j < cb.n; j++ {
				v.Str[j], v.Valid[j] = id, true
			}
		}
	}
	if len(w.extras) > 0 {
		setStr(pb, w.c.extraCol, row, string(buildExtra(nil, w.extras)))
	}
}

// fillTimes sets the timestamps of n child rows from first: start plus
// seq × interval seconds, with the start's offset.
func fillTimes(b *Batch, ch *child, first, n int, start instVal, interval float64) {
	ts, off := &b.Cols[ch.tsCol], &b.Cols[ch.offCol]
	step := interval * 1e6
	for seq := range n {
		d := float64(seq) * step
		if math.Abs(d) > 8e18 || math.IsNaN(d) { // beyond the years 0001-9999 anyway
			return
		}
		i := first + seq
		us := start.micros + int64(math.Round(d))
		ts.Int[i], ts.Valid[i] = us, true
		if start.hasOff {
			off.Int[i], off.Valid[i] = int64(start.off), true
		}
	}
}

// appendChild appends a child row with its seq and origin set.
func appendChild(b *Batch, ch *child, seq int, origin string) int {
	i := b.Append().i
	setInt(b, ch.seqCol, i, int64(seq))
	setStr(b, ch.originCol, i, origin)
	return i
}

func setStr(b *Batch, col, row int, s string) {
	v := &b.Cols[col]
	v.Str[row], v.Valid[row] = s, true
}

func setInt(b *Batch, col, row int, x int64) {
	v := &b.Cols[col]
	v.Int[row], v.Valid[row] = x, true
}

func setFloat(b *Batch, col, row int, x float64) {
	v := &b.Cols[col]
	v.Float[row], v.Valid[row] = x, true
}

func setBool(b *Batch, col, row int, x bool) {
	v := &b.Cols[col]
	v.Bool[row], v.Valid[row] = x, true
}

// unknown records a member the schema does not know (raw key as in the document).
func (w *walker) unknown(key, raw []byte) {
	if w.d.err != nil || w.check {
		return
	}
	w.path = append(w.path, pathElem{name: string(key), idx: -1})
	w.record(raw, IssueUnknown, "")
	w.path = w.path[:len(w.path)-1]
}

// misfit records a value of known field f that does not fit its column.
func (w *walker) misfit(f *field, raw []byte, want string) {
	w.misfitSub(f.name, raw, want)
}

func (w *walker) misfitSub(name string, raw []byte, want string) {
	if w.d.err != nil {
		return
	}
	w.path = append(w.path, pathElem{name: name, idx: -1})
	w.record(raw, IssueMisfit, want)
	w.path = w.path[:len(w.path)-1]
}

func (w *walker) misfitItem(seq int, raw []byte) {
	w.path = append(w.path, pathElem{name: "items", idx: -1}, pathElem{idx: seq})
	w.record(raw, IssueMisfit, "a number or null")
	w.path = w.path[:len(w.path)-2]
}

func (w *walker) duplicate(f *field, raw []byte) { w.duplicateSub(f.name, raw) }

func (w *walker) duplicateSub(name string, raw []byte) {
	if w.d.err != nil {
		return
	}
	w.path = append(w.path, pathElem{name: name, idx: -1})
	w.record(raw, IssueDuplicate, "")
	w.path = w.path[:len(w.path)-1]
}

func (w *walker) nullProblem(name string) {
	if w.check {
		w.problem(w.fieldPath(name) + " is null")
	}
}

// record keeps raw at the current path in extra (map mode) or reports it
// (check mode; unknown fields are fine there).
func (w *walker) record(raw []byte, issue Issue, want string) {
	if w.check {
		switch issue {
		case IssueMisfit:
			w.problem(w.fieldPath("") + ": want " + want + ", got " + clip(raw))
		case IssueDuplicate:
			w.problem("duplicate field " + w.fieldPath(""))
		}
		return
	}
	w.extras = append(w.extras, extraEntry{path: append([]pathElem(nil), w.path...), raw: raw})
	w.warns = append(w.warns, warnKey{table: w.c.table.Name, field: w.fieldPath(""), issue: issue})
}

func (w *walker) problem(msg string) {
	if len(w.problems) < maxProblems {
		w.problems = append(w.problems, msg)
	}
}

// fieldPath is the dotted path of the current object plus name, with array
// indices written as [].
func (w *walker) fieldPath(name string) string {
	var sb strings.Builder
	for _, p := range w.path {
		if p.idx >= 0 {
			sb.WriteString("[]")
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(p.name)
	}
	if name != "" {
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(name)
	}
	return sb.String()
}

// clip shortens a raw value for a problem, which stays on one line (a
// pretty-printed value's line breaks become spaces).
func clip(raw []byte) string {
	s := string(raw)
	if len(raw) > 40 {
		s = string(raw[:40]) + "..."
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

func (p pathElem) key() string {
	if p.idx >= 0 {
		return strconv.Itoa(p.idx)
	}
	return p.name
}
