package schema

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of JSON documents (as encoding/json does), so
// that hostile input cannot exhaust the stack.
const maxDepth = 10000

// decoder is a validating, allocation-free JSON reader over one document. It
// reads values in place: callers ask for the kind of value they expect and
// skip (validating) what they do not want. The first error sticks: every
// method then does nothing and loops end, so callers check err once.
type decoder struct {
	buf   []byte
	pos   int
	depth int
	err   error
}

func (d *decoder) reset(buf []byte) {
	d.buf, d.pos, d.depth, d.err = buf, 0, 0, nil
}

// syntaxError is a malformed document.
type syntaxError struct {
	msg    string
	offset int
}

func (e *syntaxError) Error() string {
	return "invalid JSON at byte " + strconv.Itoa(e.offset) + ": " + e.msg
}

// errSyntax is what syntax errors match with errors.Is.
var errSyntax = errors.New("invalid JSON")

func (e *syntaxError) Is(target error) bool { return target == errSyntax }

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = &syntaxError{msg: msg, offset: d.pos}
	}
	d.pos = len(d.buf)
}

func (d *decoder) ws() {
	for d.pos < len(d.buf) {
		switch d.buf[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte, or 0 at the end.
func (d *decoder) peek() byte {
	d.ws()
	if d.pos < len(d.buf) {
		return d.buf[d.pos]
	}
	return 0
}

// open consumes the '{' or '[' that must come next.
func (d *decoder) open(c byte) bool {
	if d.peek() != c {
		d.fail("expected " + string(c))
		return false
	}
	d.depth++
	if d.depth > maxDepth {
		d.fail("nested too deeply")
		return false
	}
	d.pos++
	return true
}

// more reports whether the object or array just opened (closing byte end)
// has another member, consuming the separating comma or the closing byte.
// first must point to a variable that is true before the first call.
func (d *decoder) more(end byte, first *bool) bool {
	if d.err != nil {
		return false
	}
	c := d.peek()
	if c == end {
		d.pos++
		d.depth--
		return false
	}
	if *first {
		*first = false
		return true
	}
	if c != ',' {
		d.fail("expected , or " + string(end))
		return false
	}
	d.pos++
	d.ws()
	if d.pos < len(d.buf) && d.buf[d.pos] == end {
		d.fail("trailing comma")
		return false
	}
	return true
}

// key reads an object member's key and the colon after it. It returns the
// raw key (escapes not decoded) and whether it has escapes.
func (d *decoder) key() ([]byte, bool) {
	if d.peek() != '"' {
		d.fail("expected a string key")
		return nil, false
	}
	raw, esc := d.str()
	if d.peek() != ':' {
		d.fail("expected :")
		return nil, false
	}
	d.pos++
	return raw, esc
}

// str reads the string at d.pos (which must be '"') and returns its raw
// content without the quotes and whether it contains escapes.
func (d *decoder) str() (raw []byte, esc bool) {
	start := d.pos + 1
	i := start
	for i < len(d.buf) {
		c := d.buf[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return d.buf[start:i], esc
		case c == '\\':
			esc = true
			if i+1 >= len(d.buf) {
				d.pos = i
				d.fail("unterminated string")
				return nil, false
			}
			switch d.buf[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d.buf) || !isHex4(d.buf[i+2:i+6]) {
					d.pos = i
					d.fail("invalid \\u escape")
					return nil, false
				}
				i += 6
			default:
				d.pos = i
				d.fail("invalid escape")
				return nil, false
			}
		case c < 0x20:
			d.pos = i
			d.fail("control character in string")
			return nil, false
		default:
			i++
		}
	}
	d.pos = i
	d.fail("unterminated string")
	return nil, false
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// number reads the number at d.pos and returns its text.
func (d *decoder) number() []byte {
	start, i := d.pos, d.pos
	b := d.buf
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		d.pos = i
		d.fail("invalid number")
		return nil
	}
	if i < len(b) && b[i] == '.' {
		i++
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == j {
			d.pos = i
			d.fail("invalid number")
			return nil
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == j {
			d.pos = i
			d.fail("invalid number")
			return nil
		}
	}
	d.pos = i
	return b[start:i]
}

// literal consumes the literal word (true, false or null) that starts at d.pos.
func (d *decoder) literal(word string) bool {
	if len(d.buf)-d.pos >= len(word) && string(d.buf[d.pos:d.pos+len(word)]) == word {
		d.pos += len(word)
		return true
	}
	d.fail("invalid literal")
	return false
}

// null consumes a null if one comes next.
func (d *decoder) null() bool {
	if d.peek() == 'n' {
		return d.literal("null")
	}
	return false
}

// skip reads and validates any value and returns its text.
func (d *decoder) skip() []byte {
	c := d.peek()
	start := d.pos
	switch {
	case c == '{':
		d.open('{')
		first := true
		for d.more('}', &first) {
			d.key()
			d.skip()
		}
	case c == '[':
		d.open('[')
		first := true
		for d.more(']', &first) {
			d.skip()
		}
	case c == '"':
		d.str()
	case c == '-' || c >= '0' && c <= '9':
		d.number()
	case c == 't':
		d.literal("true")
	case c == 'f':
		d.literal("false")
	case c == 'n':
		d.literal("null")
	case c == 0:
		d.fail("unexpected end of document")
	default:
		d.fail("unexpected character " + strconv.QuoteRune(rune(c)))
	}
	if d.err != nil {
		return nil
	}
	return d.buf[start:d.pos]
}

// end checks that only white space follows the document.
func (d *decoder) end() {
	if d.err == nil && d.peek() != 0 {
		d.fail("data after the document")
	}
}

// unquote decodes the raw content of a JSON string (as returned by str).
// Invalid surrogates become U+FFFD, as encoding/json does.
func unquote(raw []byte, esc bool) string {
	if !esc {
		return string(raw)
	}
	return string(appendUnquoted(make([]byte, 0, len(raw)), raw))
}

func appendUnquoted(out, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := rune(hex4(raw[i+2 : i+6]))
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, rune(hex4(raw[i+2:i+6]))); r2 != utf8.RuneError {
						out = utf8.AppendRune(out, r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, raw[i+1])
		}
		i += 2
	}
	return out
}

func hex4(b []byte) int {
	n := 0
	for _, c := range b {
		n <<= 4
		switch {
		case c >= '0' && c <= '9':
			n |= int(c - '0')
		case c >= 'a' && c <= 'f':
			n |= int(c-'a') + 10
		default:
			n |= int(c-'A') + 10
		}
	}
	return n
}

// parseInt converts a JSON number to an int64 if it is an integer that
// fits: 42, -7, 60.0 and 6e1 do; 1.5 and 1e30 do not.
func parseInt(raw []byte) (int64, bool) {
	neg := false
	i := 0
	if len(raw) > 0 && raw[0] == '-' {
		neg, i = true, 1
	}
	if len(raw)-i <= 18 {
		var n int64
		j := i
		for ; j < len(raw); j++ {
			c := raw[j]
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int64(c-'0')
		}
		if j == len(raw) {
			if neg {
				n = -n
			}
			return n, true
		}
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f != float64(int64(f)) || f > 1<<53 || f < -(1<<53) {
		return 0, false
	}
	return int64(f), true
}

// parseFloat converts a JSON number to a float64 if it is finite.
func parseFloat(raw []byte) (float64, bool) {
	// Fast path for the common short decimals (0.9, 52, 98.072): exact when
	// the digits fit 2^53 and there are at most 15 of them after the point,
	// because one correctly rounded division of two exact values is exact
	// to the last bit.
	var mant uint64
	i, neg, fracDigits, digits := 0, false, -1, 0
	if len(raw) > 0 && raw[0] == '-' {
		neg, i = true, 1
	}
	for ; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint64(c-'0')
			digits++
			if fracDigits >= 0 {
				fracDigits++
			}
		case c == '.' && fracDigits < 0:
			fracDigits = 0
		default:
			digits = 99 // exponent or anything else: the slow path
		}
		if digits > 15 {
			break
		}
	}
	if digits <= 15 {
		f := float64(mant)
		if fracDigits > 0 {
			f /= pow10[fracDigits]
		}
		if neg {
			f = -f
		}
		return f, true
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}
