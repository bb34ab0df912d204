package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// decodeTOML reads a config file written in TOML. go-toml decodes the whole
// language; every top-level key becomes an entry, in the order of the
// lines, for check to judge (a [table] or a dotted key is a key whose value
// is a table, which no setting takes). A syntax error names its line and
// column.
func decodeTOML(src []byte) ([]entry, error) {
	if len(src) > maxFile {
		return nil, fmt.Errorf("the file is larger than %d bytes", maxFile)
	}
	// Editors on Windows may start a UTF-8 file with a byte order mark,
	// which TOML does not allow.
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	var doc map[string]any
	if err := toml.Unmarshal(src, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			return nil, fmt.Errorf("line %d, column %d: %s", line, col, strings.TrimPrefix(de.Error(), "toml: "))
		}
		return nil, err
	}
	lines := keyLines(src)
	out := make([]entry, 0, len(doc))
	for k, v := range doc {
		out = append(out, entry{key: k, line: lines[k], val: v})
	}
	slices.SortFunc(out, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.key, b.key))
	})
	return out, nil
}

// keyLines returns the line on which each top-level key of src (a document
// go-toml decoded) is first named: the key of a key = value line, the
// first part of a dotted key, or a [table] header.
func keyLines(src []byte) map[string]int {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(src)
	inTable := false
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			inTable = true
		case unstable.KeyValue:
			if inTable {
				continue // a key of the table above, not of the top level
			}
		default:
			continue
		}
		it := e.Key()
		if !it.Next() {
			continue
		}
		k := it.Node()
		if _, seen := lines[string(k.Data)]; !seen {
			lines[string(k.Data)] = p.Shape(k.Raw).Start.Line
		}
	}
	return lines
}
