package schema

import (
	"math"
	"unicode/utf8"
)

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
