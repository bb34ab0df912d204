package csv

import (
	"bufio"
	"context"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/ouraexport/ouraexport/sinks"
)

// Check re-reads a CSV file completely with encoding/csv (strict RFC 4180
// quoting): a header of distinct, non-empty column names, then records of
// exactly as many fields, all UTF-8, the last one ended by a line break. It
// returns the number of records after the header, and an error wrapping
// sinks.ErrDecode if the file does not read. It is the Checker registered
// for ".csv".
func Check(ctx context.Context, r io.ReaderAt, size int64) (int64, error) {
	fail := func(format string, args ...any) (int64, error) {
		return 0, fmt.Errorf("%w as csv: %s; the file is damaged", sinks.ErrDecode, fmt.Sprintf(format, args...))
	}
	if size < 2 {
		return fail("no header")
	}
	var end [2]byte
	if _, err := r.ReadAt(end[:], size-2); err != nil {
		return fail("%v", err)
	}
	if string(end[:]) != "\r\n" {
		return fail("the last line has no line break (truncated?)")
	}
	cr := stdcsv.NewReader(bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 64<<10))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return fail("header: %v", err)
	}
	seen := make(map[string]bool, len(header))
	for _, h := range header {
		if h == "" || seen[h] || !utf8.ValidString(h) {
			return fail("header: empty, repeated or non-UTF-8 column name %q", h)
		}
		seen[h] = true
	}
	var rows int64
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return fail("record %d: %v", rows+1, err)
		}
		for _, f := range rec {
			if !utf8.ValidString(f) {
				line, _ := cr.FieldPos(0)
				return fail("line %d: not UTF-8", line)
			}
		}
		rows++
		if rows%(64<<10) == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
	}
}
