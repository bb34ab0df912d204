package sandbox

import (
	"strconv"
	"unicode/utf8"
)

// enc appends compact JSON to a byte slice without reflection. It tracks
// commas per nesting level, can drop top-level document fields (the "fields"
// query parameter), and can serve numbers as strings (the wrongtype fault).
type enc struct {
	b        []byte
	d        int
	has      [16]bool // the level at this depth has an element
	arr      [16]bool // the level at this depth is an array
	docDepth int      // depth of document objects, for the field filter
	filter   []string // top-level fields to keep; nil keeps all
	always   string   // the field the filter always keeps ("id", or "timestamp" for rows)
	quoteNum int      // serve the next quoteNum numbers as strings
}

func (e *enc) reset() {
	e.b = e.b[:0]
	e.d = 0
	e.has = [16]bool{}
	e.arr = [16]bool{}
}

// pre writes the comma before an array element.
func (e *enc) pre() {
	if e.arr[e.d] {
		if e.has[e.d] {
			e.b = append(e.b, ',')
		}
		e.has[e.d] = true
	}
}

func (e *enc) open(c byte, isArr bool) {
	e.pre()
	e.b = append(e.b, c)
	e.d++
	e.has[e.d], e.arr[e.d] = false, isArr
}

func (e *enc) obj()     { e.open('{', false) }
func (e *enc) arrOpen() { e.open('[', true) }
func (e *enc) objEnd()  { e.b = append(e.b, '}'); e.d-- }
func (e *enc) arrEnd()  { e.b = append(e.b, ']'); e.d-- }
func (e *enc) keep(k string) bool {
	if e.filter == nil || e.d != e.docDepth || k == e.always {
		return true
	}
	for _, f := range e.filter {
		if f == k {
			return true
		}
	}
	return false
}

// key writes "k": and reports false (writing nothing) when the field filter
// drops k; the caller then skips the value.
func (e *enc) key(k string) bool {
	if e.filter != nil && !e.keep(k) {
		return false
	}
	if e.has[e.d] {
		e.b = append(e.b, ',')
	}
	e.has[e.d] = true
	e.b = append(e.b, '"')
	e.b = append(e.b, k...)
	e.b = append(e.b, '"', ':')
	return true
}

func (e *enc) null() { e.pre(); e.b = append(e.b, "null"...) }

func (e *enc) boolean(v bool) {
	e.pre()
	if v {
		e.b = append(e.b, "true"...)
	} else {
		e.b = append(e.b, "false"...)
	}
}

func (e *enc) numOpen() bool {
	e.pre()
	if e.quoteNum > 0 {
		e.quoteNum--
		e.b = append(e.b, '"')
		return true
	}
	return false
}

func (e *enc) numClose(q bool) {
	if q {
		e.b = append(e.b, '"')
	}
}

// int writes an integer.
func (e *enc) int(v int64) {
	q := e.numOpen()
	e.b = strconv.AppendInt(e.b, v, 10)
	e.numClose(q)
}

// dec writes v / 10^scale as a JSON number with at least one decimal digit
// and no trailing zeros (60.0, 0.9, 56.375), as Oura's Python service does.
func (e *enc) dec(v int64, scale int) {
	q := e.numOpen()
	e.b = appendDec(e.b, v, scale)
	e.numClose(q)
}

func appendDec(b []byte, v int64, scale int) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	p := pow10[scale]
	b = strconv.AppendInt(b, v/p, 10)
	b = append(b, '.')
	frac := v % p
	if frac == 0 || scale == 0 {
		return append(b, '0')
	}
	for i := scale - 1; i >= 0 && frac != 0; i-- {
		d := frac / pow10[i]
		b = append(b, byte('0'+d))
		frac -= d * pow10[i]
	}
	return b
}

var pow10 = [...]int64{1, 10, 100, 1000, 10000, 100000, 1000000}

// float writes x rounded to prec decimals.
func (e *enc) float(x float64, prec int) {
	e.dec(roundScaled(x, prec), prec)
}

func roundScaled(x float64, prec int) int64 {
	f := float64(pow10[prec])
	if x < 0 {
		return -int64(-x*f + 0.5)
	}
	return int64(x*f + 0.5)
}

// str writes a JSON string.
func (e *enc) str(s string) {
	e.pre()
	e.b = appendString(e.b, s)
}

// strOrNull writes s, or null when s is "".
func (e *enc) strOrNull(s string) {
	if s == "" {
		e.null()
		return
	}
	e.str(s)
}

// raw writes pre-encoded JSON text as one value.
func (e *enc) raw(b []byte) {
	e.pre()
	e.b = append(e.b, b...)
}

// rawString writes bytes known to need no escaping as a string.
func (e *enc) rawString(b []byte) {
	e.pre()
	e.b = append(e.b, '"')
	e.b = append(e.b, b...)
	e.b = append(e.b, '"')
}

// localTime writes an ISO 8601 timestamp with offset.
func (e *enc) localTime(unix int64, offset int, millis bool) {
	e.pre()
	e.b = append(e.b, '"')
	e.b = appendLocal(e.b, unix, offset, millis)
	e.b = append(e.b, '"')
}

// date writes a YYYY-MM-DD string.
func (e *enc) date(d Date) {
	e.pre()
	e.b = append(e.b, '"')
	e.b = d.appendTo(e.b)
	e.b = append(e.b, '"')
}

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
