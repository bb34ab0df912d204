package exporter

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/ouraexport/ouraexport/internal/jsonscan"
)

var errNotObject = errors.New("not a JSON object")

// topLevelStrings returns the values of the named top-level fields of the
// JSON object doc, when they are strings ("" when absent, null or not a
// string). It scans the document once without building it, stopping as soon
// as every name is found: keys and ids are read from every document of a
// page, and a daily_activity document carries 1440 MET values we need not
// parse here. It does not validate the parts it skips.
func topLevelStrings(doc []byte, names ...string) ([]string, error) {
	vals := make([]string, len(names))
	found := 0
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return nil, errNotObject
	}
	i++
	for {
		i = skipSpace(doc, i)
		if i >= len(doc) {
			return nil, errNotObject
		}
		if doc[i] == '}' {
			return vals, nil
		}
		if doc[i] == ',' {
			i++
			continue
		}
		if doc[i] != '"' {
			return nil, errNotObject
		}
		kEnd, err := skipString(doc, i)
		if err != nil {
			return nil, err
		}
		key := doc[i+1 : kEnd-1]
		i = skipSpace(doc, kEnd)
		if i >= len(doc) || doc[i] != ':' {
			return nil, errNotObject
		}
		i = skipSpace(doc, i+1)
		want := -1
		for n, name := range names {
			if vals[n] == "" && string(key) == name {
				want = n
				break
			}
		}
		if want >= 0 && i < len(doc) && doc[i] == '"' {
			end, err := skipString(doc, i)
			if err != nil {
				return nil, err
			}
			raw := doc[i:end]
			if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
				vals[want] = string(raw[1 : len(raw)-1])
			} else if err := json.Unmarshal(raw, &vals[want]); err != nil {
				return nil, err
			}
			found++
			if found == len(names) {
				return vals, nil
			}
			i = end
			continue
		}
		i, err = skipValue(doc, i)
		if err != nil {
			return nil, err
		}
	}
}

func skipSpace(b []byte, i int) int { return jsonscan.Space(b, i) }

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) { return scanned(jsonscan.String(b, i)) }

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) (int, error) { return scanned(jsonscan.Value(b, i)) }

func scanned(end int, ok bool) (int, error) {
	if !ok {
		return 0, errNotObject
	}
	return end, nil
}

// docKey reads where a document belongs in time.
func docKey(c *Collection, doc []byte) (time.Time, bool) {
	v, err := topLevelStrings(doc, c.Key)
	if err != nil || v[0] == "" {
		return time.Time{}, false
	}
	if c.Kind == ByDate {
		if len(v[0]) < 10 {
			return time.Time{}, false
		}
		t, err := time.Parse(time.DateOnly, v[0][:10])
		return t, err == nil
	}
	return parseInstant(v[0])
}

// parseInstant parses Oura's instants: RFC 3339 with or without fractional
// seconds, with an offset or Z.
func parseInstant(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// Some servers write +0000 without a colon.
		t, err = time.Parse("2006-01-02T15:04:05.999999999Z0700", s)
	}
	return t.UTC(), err == nil
}
