package config

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// rawKind is the type a value was written as.
type rawKind int

const (
	rawString rawKind = iota
	rawInt
	rawBool
	rawDate
	rawArray
)

func (k rawKind) String() string {
	switch k {
	case rawInt:
		return "an integer"
	case rawBool:
		return "a boolean"
	case rawDate:
		return "a date"
	case rawArray:
		return "an array"
	}
	return "a string"
}

// entry is one key = value of a file, before it is checked against the keys.
type entry struct {
	key  string
	line int // 0 when the format has no lines (JSON)
	kind rawKind
	s    string // rawString, rawDate
	i    int64
	b    bool
	arr  []string
}

// maxFile bounds a config file; real ones are a few hundred bytes.
const maxFile = 1 << 20

// parseTOML reads the TOML subset a config file is written in: key = value
// lines at the top level, with # comments; values are basic ("...") or
// literal ('...') strings, integers, booleans, local dates (2024-01-01)
// and arrays of strings (which may span lines). Everything else TOML has
// (tables, dotted or quoted keys, floats, date-times, multi-line strings,
// inline tables) is an error that says so, never silently misread.
func parseTOML(src []byte) ([]entry, error) {
	if len(src) > maxFile {
		return nil, fmt.Errorf("the file is larger than %d bytes", maxFile)
	}
	if !utf8.Valid(src) {
		return nil, fmt.Errorf("the file is not UTF-8 text")
	}
	p := &tomlParser{src: string(src), line: 1}
	p.src = strings.TrimPrefix(p.src, "\ufeff")
	var out []entry
	seen := map[string]int{}
	for {
		p.skipBlank()
		if p.eof() {
			return out, nil
		}
		line := p.line
		e, err := p.keyValue()
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", p.line, err)
		}
		e.line = line
		if prev, dup := seen[e.key]; dup {
			return nil, fmt.Errorf("line %d: %q is already set on line %d", line, e.key, prev)
		}
		seen[e.key] = line
		out = append(out, e)
	}
}

type tomlParser struct {
	src  string
	pos  int
	line int
}

func (p *tomlParser) eof() bool { return p.pos >= len(p.src) }

func (p *tomlParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

// skipSpace skips spaces and tabs.
func (p *tomlParser) skipSpace() {
	for !p.eof() && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

// skipComment skips a # comment up to (not including) the end of the line.
func (p *tomlParser) skipComment() error {
	if p.peek() != '#' {
		return nil
	}
	for !p.eof() && p.src[p.pos] != '\n' {
		c := p.src[p.pos]
		if c < 0x20 && c != '\t' && !(c == '\r' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '\n') || c == 0x7f {
			return fmt.Errorf("control character %U in a comment", rune(c))
		}
		p.pos++
	}
	return nil
}

// newline consumes one line ending ("\n" or "\r\n").
func (p *tomlParser) newline() bool {
	if strings.HasPrefix(p.src[p.pos:], "\r\n") {
		p.pos += 2
		p.line++
		return true
	}
	if p.peek() == '\n' {
		p.pos++
		p.line++
		return true
	}
	return false
}

// skipBlank skips blank lines, comment lines and whitespace between them.
func (p *tomlParser) skipBlank() {
	for {
		p.skipSpace()
		if p.peek() == '#' {
			if err := p.skipComment(); err != nil {
				return // keyValue reports it
			}
		}
		if !p.newline() {
			return
		}
	}
}

// endOfLine expects only spaces and a comment before the line ends.
func (p *tomlParser) endOfLine() error {
	p.skipSpace()
	if err := p.skipComment(); err != nil {
		return err
	}
	if p.eof() || p.newline() {
		return nil
	}
	return fmt.Errorf("unexpected %q after the value (one key = value per line)", p.rest(12))
}

// rest returns up to n bytes of what follows, for messages.
func (p *tomlParser) rest(n int) string {
	r := p.src[p.pos:]
	if i := strings.IndexAny(r, "\r\n"); i >= 0 {
		r = r[:i]
	}
	if len(r) > n {
		r = r[:n] + "..."
	}
	return r
}

func isBareKey(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func (p *tomlParser) keyValue() (entry, error) {
	var e entry
	switch c := p.peek(); {
	case c == '[':
		return e, fmt.Errorf("tables ([section]) are not supported: write key = value lines at the top of the file")
	case c == '"' || c == '\'':
		return e, fmt.Errorf("quoted keys are not supported: write the key bare, like workers = 4")
	case c == '#':
		if err := p.skipComment(); err != nil {
			return e, err
		}
		return e, fmt.Errorf("unexpected comment")
	case !isBareKey(c):
		return e, fmt.Errorf("expected a key, found %q", p.rest(12))
	}
	start := p.pos
	for !p.eof() && isBareKey(p.src[p.pos]) {
		p.pos++
	}
	e.key = p.src[start:p.pos]
	p.skipSpace()
	if p.peek() == '.' {
		return e, fmt.Errorf("dotted keys (%s.…) are not supported", e.key)
	}
	if p.peek() != '=' {
		return e, fmt.Errorf("expected = after %q", e.key)
	}
	p.pos++
	p.skipSpace()
	if err := p.value(&e); err != nil {
		return e, fmt.Errorf("%s: %w", e.key, err)
	}
	if err := p.endOfLine(); err != nil {
		return e, fmt.Errorf("%s: %w", e.key, err)
	}
	return e, nil
}

func (p *tomlParser) value(e *entry) error {
	switch c := p.peek(); {
	case c == '"' || c == '\'':
		s, err := p.str()
		if err != nil {
			return err
		}
		e.kind, e.s = rawString, s
		return nil
	case c == '[':
		arr, err := p.array()
		if err != nil {
			return err
		}
		e.kind, e.arr = rawArray, arr
		return nil
	case c == '{':
		return fmt.Errorf("inline tables are not supported")
	case c == 0 || c == '\n' || c == '\r' || c == '#':
		return fmt.Errorf("the value is missing")
	}
	start := p.pos
	for !p.eof() && !strings.ContainsRune(" \t\r\n#,]", rune(p.src[p.pos])) {
		p.pos++
	}
	word := p.src[start:p.pos]
	switch {
	case word == "true" || word == "false":
		e.kind, e.b = rawBool, word == "true"
		return nil
	case isDate(word):
		if strings.HasPrefix(p.src[p.pos:], " ") && p.pos+1 < len(p.src) && p.src[p.pos+1] >= '0' && p.src[p.pos+1] <= '9' {
			return fmt.Errorf("date-times are not supported: write a date (YYYY-MM-DD)")
		}
		e.kind, e.s = rawDate, word
		return nil
	}
	i, err := parseInt(word)
	if err != nil {
		return err
	}
	e.kind, e.i = rawInt, i
	return nil
}

// isDate reports whether w is a TOML local date, YYYY-MM-DD.
func isDate(w string) bool {
	if len(w) != 10 || w[4] != '-' || w[7] != '-' {
		return false
	}
	for i, c := range []byte(w) {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// parseInt reads a TOML decimal integer: an optional sign, digits with
// single underscores between them, no leading zeros.
func parseInt(w string) (int64, error) {
	bad := func(why string) (int64, error) {
		return 0, fmt.Errorf("cannot read %q: %s", w, why)
	}
	digits := strings.TrimLeft(w, "+-")
	switch {
	case len(w)-len(digits) > 1:
		return bad("not a number")
	case strings.ContainsAny(w, "T:") && len(digits) > 4 && digits[4] == '-':
		return bad("date-times are not supported: write a date (YYYY-MM-DD)")
	case strings.HasPrefix(digits, "0x"), strings.HasPrefix(digits, "0o"), strings.HasPrefix(digits, "0b"):
		return bad("write integers in decimal")
	case strings.ContainsAny(digits, ".eE") && strings.IndexFunc(digits, func(r rune) bool { return !strings.ContainsRune("0123456789_.eE+-", r) }) < 0:
		return bad("fractional numbers are not supported")
	case digits == "inf" || digits == "nan":
		return bad("fractional numbers are not supported")
	case digits == "":
		return bad("not a value (strings are written in quotes)")
	}
	prevDigit := false
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		switch {
		case c >= '0' && c <= '9':
			prevDigit = true
		case c == '_' && prevDigit && i+1 < len(digits) && digits[i+1] >= '0' && digits[i+1] <= '9':
			prevDigit = false
		default:
			return bad("not a value (strings are written in quotes)")
		}
	}
	if len(digits) > 1 && digits[0] == '0' {
		return bad("leading zeros are not allowed")
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(w, "_", ""), 10, 64)
	if err != nil {
		return bad("out of range")
	}
	return n, nil
}

// str reads a basic or literal string on one line.
func (p *tomlParser) str() (string, error) {
	q := p.src[p.pos]
	if strings.HasPrefix(p.src[p.pos:], strings.Repeat(string(q), 3)) {
		return "", fmt.Errorf("multi-line strings are not supported")
	}
	p.pos++
	var b strings.Builder
	for {
		if p.eof() || p.src[p.pos] == '\n' || p.src[p.pos] == '\r' {
			return "", fmt.Errorf("the string is not closed on its line")
		}
		r, size := utf8.DecodeRuneInString(p.src[p.pos:])
		switch {
		case byte(r) == q && size == 1:
			p.pos++
			return b.String(), nil
		case r < 0x20 && r != '\t' || r == 0x7f:
			return "", fmt.Errorf("control character %U in a string", r)
		case r == '\\' && q == '"':
			p.pos++
			if err := p.escape(&b); err != nil {
				return "", err
			}
			continue
		}
		b.WriteRune(r)
		p.pos += size
	}
}

// escape reads the escape sequence after a backslash.
func (p *tomlParser) escape(b *strings.Builder) error {
	if p.eof() || p.src[p.pos] == '\n' || p.src[p.pos] == '\r' {
		return fmt.Errorf("the string is not closed on its line")
	}
	c := p.src[p.pos]
	p.pos++
	switch c {
	case 'b':
		b.WriteByte('\b')
	case 't':
		b.WriteByte('\t')
	case 'n':
		b.WriteByte('\n')
	case 'f':
		b.WriteByte('\f')
	case 'r':
		b.WriteByte('\r')
	case 'e':
		b.WriteByte(0x1b)
	case '"':
		b.WriteByte('"')
	case '\\':
		b.WriteByte('\\')
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		if p.pos+n > len(p.src) {
			return fmt.Errorf("short \\%c escape", c)
		}
		v, err := strconv.ParseUint(p.src[p.pos:p.pos+n], 16, 32)
		if err != nil || !utf8.ValidRune(rune(v)) {
			return fmt.Errorf("bad \\%c escape %q", c, p.src[p.pos:p.pos+n])
		}
		p.pos += n
		b.WriteRune(rune(v))
	default:
		return fmt.Errorf("unknown escape \\%c (write a backslash as \\\\, or use 'single quotes')", c)
	}
	return nil
}

// array reads an array of strings; it may span lines and hold comments.
func (p *tomlParser) array() ([]string, error) {
	p.pos++ // [
	out := []string{}
	for {
		p.skipArraySpace()
		if p.eof() {
			return nil, fmt.Errorf("the array is not closed")
		}
		if p.peek() == ']' {
			p.pos++
			return out, nil
		}
		if c := p.peek(); c != '"' && c != '\'' {
			return nil, fmt.Errorf("arrays hold quoted strings only, found %q", p.rest(12))
		}
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		p.skipArraySpace()
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return out, nil
		default:
			if p.eof() {
				return nil, fmt.Errorf("the array is not closed")
			}
			return nil, fmt.Errorf("expected , or ] in the array, found %q", p.rest(12))
		}
	}
}

// skipArraySpace skips whitespace, newlines and comments inside an array.
func (p *tomlParser) skipArraySpace() {
	for {
		p.skipSpace()
		if p.peek() == '#' {
			if p.skipComment() != nil {
				return
			}
		}
		if !p.newline() {
			return
		}
	}
}
