package sinks

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"unicode/utf8"
)

func init() {
	RegisterChecker(".html", CheckHTML)
}

// htmlStart and htmlEnd open and close every page an export holds (its
// report, ReportName).
var (
	htmlStart = []byte("<!DOCTYPE html>")
	htmlEnd   = []byte("</html>")
)

// CheckHTML is the Checker registered for ".html", the export's report: it
// re-reads the page completely and checks that it is a whole HTML document
// in UTF-8 (it starts with <!DOCTYPE html> and ends with </html>). A page
// holds no rows: it returns 0.
func CheckHTML(ctx context.Context, r io.ReaderAt, size int64) (int64, error) {
	fail := func(format string, args ...any) (int64, error) {
		return 0, fmt.Errorf("%w as html: %s; the file is damaged", ErrDecode, fmt.Sprintf(format, args...))
	}
	br := bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 64<<10)
	head, _ := br.Peek(len(htmlStart))
	if !bytes.Equal(head, htmlStart) {
		return fail("it does not start with %s", htmlStart)
	}
	var tail []byte
	var carry []byte
	buf := make([]byte, 64<<10)
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n, err := br.Read(buf)
		chunk := append(append([]byte(nil), carry...), buf[:n]...)
		// Keep an incomplete character for the next chunk.
		cut := len(chunk)
		for i := max(0, len(chunk)-utf8.UTFMax+1); i < len(chunk); i++ {
			if !utf8.FullRune(chunk[i:]) {
				cut = i
				break
			}
		}
		if !utf8.Valid(chunk[:cut]) {
			return fail("it is not UTF-8 text")
		}
		carry = chunk[cut:]
		if len(chunk) > 0 {
			tail = append(tail, chunk...)
			if len(tail) > 64 {
				tail = tail[len(tail)-64:]
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail("%v", err)
		}
	}
	if len(carry) > 0 {
		return fail("it ends inside a character (truncated?)")
	}
	if !bytes.HasSuffix(bytes.TrimRight(tail, " \t\r\n"), htmlEnd) {
		return fail("it does not end with %s (truncated?)", htmlEnd)
	}
	return 0, nil
}
