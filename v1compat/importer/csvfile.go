package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// csvFile reads a CSV file record by record, with line numbers: comma or
// semicolon separated (Membership Hub), CRLF or LF, with or without a
// byte order mark.
type csvFile struct {
	r      *csv.Reader
	header []string
	comma  rune
}

// sniffComma returns the separator of a CSV file from its first line: the
// most frequent of comma, semicolon and tab outside quotes.
func sniffComma(head []byte) rune {
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(head) {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == ';' || c == '\t'):
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// openCSV reads the header of the CSV text r (UTF-8, see textReader).
func openCSV(r *bufio.Reader) (*csvFile, error) {
	head, _ := r.Peek(64 << 10)
	f := &csvFile{comma: sniffComma(head)}
	f.r = csv.NewReader(r)
	f.r.Comma = f.comma
	f.r.FieldsPerRecord = -1
	f.r.ReuseRecord = false
	h, err := f.r.Read()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("empty file")
		}
		return nil, csvError(err)
	}
	f.header = h
	return f, nil
}

// next returns the next record and its line; io.EOF at the end. A record
// with another number of fields than the header is an error (a file cut
// short or damaged), except that a record may lack the empty field of a
// header's trailing separator.
func (f *csvFile) next() ([]string, int, error) {
	rec, err := f.r.Read()
	if err != nil {
		if err == io.EOF {
			return nil, 0, io.EOF
		}
		return nil, 0, csvError(err)
	}
	line, _ := f.r.FieldPos(0)
	switch n := len(f.header); {
	case len(rec) == n:
	case len(rec) == n-1 && f.header[n-1] == "":
		rec = append(rec, "")
	case len(rec) == n+1 && rec[n] == "":
		rec = rec[:n] // a trailing separator the header lacks
	default:
		return nil, line, atLine(line, "%d fields, but the header has %d: the row is cut short or damaged", len(rec), n)
	}
	return rec, line, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		line := pe.Line
		if line == 0 {
			line = pe.StartLine
		}
		msg := pe.Err.Error()
		if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
			msg += " (a quoted field is not closed: the file may be cut short)"
		}
		return atLine(line, "%s", msg)
	}
	return err
}

// textReader returns r as UTF-8 text without a byte order mark. Files that
// are not valid UTF-8 are taken to be Windows-1252, what spreadsheets on
// Windows save ("Temperature Deviation (°C)").
func textReader(r io.Reader) *bufio.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
		head = head[3:]
	}
	if validPrefix(head) {
		return br
	}
	return bufio.NewReaderSize(&cp1252{r: br}, 64<<10)
}

// validPrefix reports whether b is valid UTF-8, but for a rune cut at its end.
func validPrefix(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		b = b[size:]
	}
	return true
}

// cp1252 decodes Windows-1252 into UTF-8.
type cp1252 struct {
	r   io.Reader
	buf []byte
	out []byte
}

var cp1252High = [32]rune{
	'€', 0x81, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0x8d, 'Ž', 0x8f,
	0x90, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0x9d, 'ž', 'Ÿ',
}

func (c *cp1252) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if cap(c.buf) == 0 {
			c.buf = make([]byte, 16<<10)
		}
		n, err := c.r.Read(c.buf[:cap(c.buf)])
		for _, b := range c.buf[:n] {
			switch {
			case b < 0x80:
				c.out = append(c.out, b)
			case b < 0xa0:
				c.out = utf8.AppendRune(c.out, cp1252High[b-0x80])
			default:
				c.out = utf8.AppendRune(c.out, rune(b))
			}
		}
		if n == 0 && err != nil {
			return 0, err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// normName folds a header for matching: lower case, letters and digits
// only ("Total Bedtime " and "total_bedtime" are both "totalbedtime").
func normName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) && r < 0x80 || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// blank tells the empty cells and None, the marks for no value, from the rest.
func blank(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s == "None" || s == "none" || s == "null" || s == "NULL" || s == "NaN" || s == "nan"
}
