package exporter

import (
	"bytes"
	"encoding/json"
	"errors"
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
