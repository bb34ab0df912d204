package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// prose are the members that only people read.
var prose = map[string]bool{"description": true, "summary": true, "examples": true, "example": true,
	"x-codeSamples": true, "title": true, "tags": true, "operationId": true, "termsOfService": true, "x-logo": true}

// minimal returns the OpenAPI document b without its prose and without
// the routes outside the usercollection API, compact, members in the
// order of the document.
func minimal(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out bytes.Buffer
	if err := copyValue(dec, &out, nil); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// copyValue copies the next value of dec to out, leaving out the members
// keep refuses; path is the keys leading to the value.
func copyValue(dec *json.Decoder, out *bytes.Buffer, path []string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			out.WriteByte('{')
			first := true
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, ok := kt.(string)
				if !ok {
					return errors.New("an object key that is not a string")
				}
				if !keep(path, k) {
					var skip json.RawMessage
					if err := dec.Decode(&skip); err != nil {
						return err
					}
					continue
				}
				if !first {
					out.WriteByte(',')
				}
				first = false
				kb, _ := json.Marshal(k)
				out.Write(kb)
				out.WriteByte(':')
				if err := copyValue(dec, out, append(path, k)); err != nil {
					return err
				}
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out.WriteByte(',')
				}
				if err := copyValue(dec, out, append(path, "[]")); err != nil {
					return err
				}
			}
			out.WriteByte(']')
		}
		_, err := dec.Token() // the closing delimiter
		return err
	default:
		vb, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("value %v: %w", t, err)
		}
		out.Write(vb)
	}
	return nil
}

// keep says whether the member k below path stays: prose goes, and so do
// the paths outside the usercollection API, the servers and the webhook
// models (property names, which may be "description", always stay).
func keep(path []string, k string) bool {
	switch {
	case len(path) == 0:
		return k == "openapi" || k == "info" || k == "paths" || k == "components"
	case len(path) == 1 && path[0] == "paths":
		return strings.Contains(k, "/usercollection/")
	case len(path) > 0 && path[len(path)-1] == "properties":
		return true
	case len(path) > 2 && path[len(path)-2] == "scopes":
		return true
	}
	return !prose[k]
}
