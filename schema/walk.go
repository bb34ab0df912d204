package schema

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
