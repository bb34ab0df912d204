package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ouraexport/ouraexport/internal/jsonscan"
)

// A JSON file is read whole and its records are sliced out of it without
// copying: a file's memory is its size, however many records it holds.

var errJSON = errors.New("malformed JSON")

func skipSpace(b []byte, i int) int { return jsonscan.Space(b, i) }

// skipValue returns the index after the JSON value starting at b[i]. It
// checks the structure (brackets, strings); json.Valid checks the rest of
// each record.
func skipValue(b []byte, i int) (int, error) {
	end, ok := jsonscan.Value(b, i)
	if !ok {
		return 0, errJSON
	}
	return end, nil
}

// jsonMember is a member of a JSON object: its key, its value, and where
// the value starts in the file.
type jsonMember struct {
	key string
	val []byte
	off int
}

// objectMembers slices the members of the object at b[i:end].
func objectMembers(b []byte, i int) ([]jsonMember, int, error) {
	if i >= len(b) || b[i] != '{' {
		return nil, i, errJSON
	}
	var out []jsonMember
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] != '}' {
		if b[i] != '"' {
			return nil, i, errJSON
		}
		kEnd, err := skipValue(b, i)
		if err != nil {
			return nil, i, err
		}
		var key string
		if err := json.Unmarshal(b[i:kEnd], &key); err != nil {
			return nil, i, errJSON
		}
		i = skipSpace(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return nil, i, errJSON
		}
		i = skipSpace(b, i+1)
		vEnd, err := skipValue(b, i)
		if err != nil {
			return nil, i, err
		}
		out = append(out, jsonMember{key: key, val: b[i:vEnd], off: i})
		i = skipSpace(b, vEnd)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		} else if i < len(b) && b[i] != '}' {
			return nil, i, errJSON
		}
	}
	if i >= len(b) {
		return nil, i, errJSON
	}
	return out, i + 1, nil
}

// arrayItems slices the elements of the array at b[i:].
func arrayItems(b []byte, i int) ([]jsonMember, int, error) {
	if i >= len(b) || b[i] != '[' {
		return nil, i, errJSON
	}
	var out []jsonMember
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] != ']' {
		end, err := skipValue(b, i)
		if err != nil {
			return nil, i, err
		}
		out = append(out, jsonMember{val: b[i:end], off: i})
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		} else if i < len(b) && b[i] != ']' {
			return nil, i, errJSON
		}
	}
	if i >= len(b) {
		return nil, i, errJSON
	}
	return out, i + 1, nil
}

// lineAt returns the line of byte offset off in b.
func lineAt(b []byte, off int) int {
	if off > len(b) {
		off = len(b)
	}
	return bytes.Count(b[:off], []byte("\n")) + 1
}

// lines tells the lines of offsets met in increasing order, counting each
// byte once (lineAt for every record of a large file would be quadratic).
type lines struct {
	b    []byte
	off  int // the offset counted up to
	line int // the line at off
}

func newLines(b []byte) *lines { return &lines{b: b, line: 1} }

// at returns the line of byte offset off.
func (l *lines) at(off int) int {
	off = min(off, len(l.b))
	if off < l.off {
		return lineAt(l.b, off)
	}
	l.line += bytes.Count(l.b[l.off:off], []byte("\n"))
	l.off = off
	return l.line
}

// jsonError places a problem at offset off of the file b.
func jsonError(b []byte, off int, format string, args ...any) error {
	return &lineError{line: lineAt(b, off), err: fmt.Errorf(format, args...)}
}

// checkJSON checks that b[start:end], a value the scanner delimited, is
// valid JSON (the scanner skips over literals without reading them); the
// error names the line of the first byte that is not.
func checkJSON(b []byte, start, end int) error {
	var raw json.RawMessage
	err := json.Unmarshal(b[start:end], &raw)
	if err == nil {
		return nil
	}
	off := start
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 {
		off += int(se.Offset) - 1
	}
	return jsonError(b, off, "malformed JSON: %v", err)
}

// keysOf returns the keys of a JSON object record and its members.
func keysOf(rec []byte) ([]string, map[string]json.RawMessage) {
	ms, _, err := objectMembers(rec, 0)
	if err != nil {
		return nil, nil
	}
	keys := make([]string, 0, len(ms))
	vals := map[string]json.RawMessage{}
	for _, m := range ms {
		keys = append(keys, m.key)
		if _, dup := vals[m.key]; !dup {
			vals[m.key] = m.val
		}
	}
	return keys, vals
}
