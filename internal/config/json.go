package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// parseJSON reads a config file written as one JSON object of settings:
// strings, integers, booleans and arrays of strings. Duplicate keys, null,
// nested objects and fractional numbers are errors.
func parseJSON(src []byte) ([]entry, error) {
	if len(src) > maxFile {
		return nil, fmt.Errorf("the file is larger than %d bytes", maxFile)
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("the file must hold one JSON object: {\"key\": value, ...}")
	}
	var out []entry
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, fmt.Errorf("%q is set twice", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%q: not JSON: %w", key, err)
		}
		e, err := jsonValue(key, raw)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", key, err)
		}
		out = append(out, e)
	}
	if _, err := dec.Token(); err != nil { // the closing }
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("text after the JSON object")
	}
	return out, nil
}

// jsonValue decodes one value into the types decodeTOML gives check.
func jsonValue(key string, raw json.RawMessage) (entry, error) {
	e := entry{key: key}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return e, err
	}
	switch x := v.(type) {
	case string, bool:
		e.val = x
	case json.Number:
		n, err := strconv.ParseInt(x.String(), 10, 64)
		if err != nil {
			return e, fmt.Errorf("%s is not an integer", x)
		}
		e.val = n
	case []any:
		for _, item := range x {
			if _, ok := item.(string); !ok {
				return e, errors.New("arrays hold strings only")
			}
		}
		e.val = x
	case nil:
		return e, errors.New("null is not a value: leave the key out")
	default:
		return e, errors.New("objects are not supported")
	}
	return e, nil
}
