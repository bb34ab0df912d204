package v1compat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// object is a JSON object read in document order: v1 records are small and
// flat, and keeping the order (and duplicated keys) lets the mapper put
// what it does not use into extra exactly as it came.
type object struct {
	members []member
}

type member struct {
	key  string
	raw  json.RawMessage
	used bool
}

var errNotObject = errors.New("not a JSON object")

// parseObject reads doc, which must be one JSON object and nothing else.
func parseObject(doc []byte) (*object, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errNotObject
	}
	o := &object{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("malformed object: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errNotObject
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("malformed value of %q: %w", key, err)
		}
		o.members = append(o.members, member{key: key, raw: raw})
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errNotObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the object")
	}
	return o, nil
}

// get returns the first value of key and marks it used.
func (o *object) get(key string) (json.RawMessage, bool) {
	for i := range o.members {
		if o.members[i].key == key {
			o.members[i].used = true
			return o.members[i].raw, true
		}
	}
	return nil, false
}

// unuse marks key as not used again: its value goes to extra.
func (o *object) unuse(key string) {
	for i := range o.members {
		if o.members[i].key == key {
			o.members[i].used = false
			return
		}
	}
}

// has reports whether key is present.
func (o *object) has(key string) bool {
	for i := range o.members {
		if o.members[i].key == key {
			return true
		}
	}
	return false
}

// extra returns the members not used (unknown fields, values that did not
// fit, repeated keys) as a compact JSON object in document order, or "".
func (o *object) extra() string {
	var b []byte
	for _, m := range o.members {
		if m.used {
			continue
		}
		if b == nil {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		k, _ := json.Marshal(m.key)
		b = append(b, k...)
		b = append(b, ':')
		var c bytes.Buffer
		if json.Compact(&c, m.raw) == nil {
			b = append(b, c.Bytes()...)
		} else {
			b = append(b, m.raw...)
		}
	}
	if b == nil {
		return ""
	}
	return string(append(b, '}'))
}

// value kinds a reader returns.
type vkind uint8

const (
	vAbsent vkind = iota // no such member
	vNull                // null
	vOK                  // a value of the wanted type
	vMisfit              // a value of another type: kept in extra
)

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// readInt reads an integer; a number with a zero fraction counts (300.0).
func readInt(raw json.RawMessage) (int64, vkind) {
	if raw == nil {
		return 0, vAbsent
	}
	if isNull(raw) {
		return 0, vNull
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return n, vOK
	}
	if len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		if f, err := strconv.ParseFloat(string(raw), 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), vOK
		}
	}
	return 0, vMisfit
}

// readFloat reads a finite number.
func readFloat(raw json.RawMessage) (float64, vkind) {
	if raw == nil {
		return 0, vAbsent
	}
	if isNull(raw) {
		return 0, vNull
	}
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, vMisfit
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, vMisfit
	}
	return f, vOK
}

// readString reads a JSON string.
func readString(raw json.RawMessage) (string, vkind) {
	if raw == nil {
		return "", vAbsent
	}
	if isNull(raw) {
		return "", vNull
	}
	if len(raw) == 0 || raw[0] != '"' {
		return "", vMisfit
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || !utf8.ValidString(s) {
		return "", vMisfit
	}
	return s, vOK
}

// readArray splits a JSON array into its elements.
func readArray(raw json.RawMessage) ([]json.RawMessage, vkind) {
	if raw == nil {
		return nil, vAbsent
	}
	if isNull(raw) {
		return nil, vNull
	}
	if len(raw) == 0 || raw[0] != '[' {
		return nil, vMisfit
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, vMisfit
	}
	return items, vOK
}
