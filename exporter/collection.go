package exporter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ouraexport/ouraexport/schema"
)

// Kind says how a collection is addressed in time.
type Kind uint8

const (
	// ByDate collections take start_date/end_date and place each document on a day.
	ByDate Kind = iota + 1
	// ByInstant collections take start_datetime/end_datetime and place each row at an instant.
	ByInstant
	// Paged collections take no dates: one query, followed through its pages.
	Paged
	// Single collections are one bare document.
	Single
)

// Collection describes one collection of an API: how to ask for a window of
// it, how to read a page of the answer, and where a document belongs in time.
// The engine knows nothing else about an API, so v1 plugs in beside v2.
type Collection struct {
	// Name is the collection's name as the schema knows it ("sleep", "vO2_max").
	Name string
	// API is "v2" or "v1".
	API string
	// Path is the route below the base URL.
	Path string
	Kind Kind
	// Key is the document field that places it in time: a date field for
	// ByDate collections, an instant field for ByInstant ones.
	Key string
	// ID is the document field that identifies it ("id"); "" when rows have
	// no id and are identified by their key and the whole row.
	ID string
	// MaxWindow is the longest window the API serves for this collection (0: no limit known).
	MaxWindow time.Duration
	// Margin widens a ByDate query by this many days on each side, so that
	// documents are found whatever the server's boundary semantics; the
	// engine keeps only the documents whose key falls inside the window.
	Margin int
	// Spread is how many days a document's rows may lie from its key
	// (v1's summary_date is the day before the day its readiness stands
	// for): the fetch reaches that many days further on either side of the
	// days asked for, and the build trims the rows to them.
	Spread int
	// Query returns the query parameters for the window [from, to).
	Query func(from, to time.Time) url.Values
	// Decode splits a response body into documents and the next page's token ("" for none).
	Decode func(body []byte) (docs []json.RawMessage, next string, err error)
	// Check rejects a document a faulty server garbled (nil accepts everything).
	Check func(doc []byte) error
	// Map writes a document's rows with m (nil: the v2 mapping of Name).
	Map func(m *schema.Mapper, doc []byte) error
	// Tables are the tables Map writes (nil for a v2 collection: the
	// schema's tables of Name).
	Tables []*schema.Table
	// Raw marks a collection whose documents are kept as received only (in
	// the archive's raw/ folder), in no table: files an import did not
	// recognise, a collection the schema does not model yet (RawCollection).
	Raw bool
	// Optional, when set, makes the collection optional: gated by a scope
	// most logins lack. Fetch probes it first; when the server refuses it
	// (403) or does not serve it (404), the collection is reported, with
	// what its scope would add, and the export does not fail (optional.go).
	Optional *Optional
}

// accept reads an answer of c: its documents and the next page's token, or
// why the answer is not one of c's (Decode, then Check on every document).
func (c *Collection) accept(body []byte) ([]json.RawMessage, string, error) {
	docs, next, err := c.Decode(body)
	if err != nil {
		return nil, "", err
	}
	for i, d := range docs {
		if c.Check != nil {
			err = c.Check(d)
		} else if !json.Valid(d) {
			err = errors.New("not valid JSON")
		}
		if err != nil {
			return nil, "", fmt.Errorf("document %d: %w", i, err)
		}
	}
	return docs, next, nil
}

func (c *Collection) mapDoc(m *schema.Mapper, doc []byte) error {
	if c.Map != nil {
		return c.Map(m, doc)
	}
	return m.MapV2(c.Name, doc, schema.OriginV2)
}

const day = 24 * time.Hour

// dateQuery builds start_date/end_date parameters covering [from, to) with
// margin days on either side; end_date is sent inclusive.
func dateQuery(startName, endName string, margin int) func(from, to time.Time) url.Values {
	return func(from, to time.Time) url.Values {
		q := url.Values{}
		q.Set(startName, from.AddDate(0, 0, -margin).Format(time.DateOnly))
		q.Set(endName, to.AddDate(0, 0, margin-1).Format(time.DateOnly))
		return q
	}
}

func instantQuery(from, to time.Time) url.Values {
	q := url.Values{}
	q.Set("start_datetime", from.UTC().Format(time.RFC3339))
	q.Set("end_datetime", to.UTC().Format(time.RFC3339))
	return q
}

// decodeEnvelope reads a v2 list response: {"data": [...], "next_token": ...}.
// It checks the envelope's structure and slices the documents out of body
// without copying or parsing them (each is parsed once, by the collection's
// Check, and the store keeps the bytes as received).
func decodeEnvelope(body []byte) ([]json.RawMessage, string, error) {
	var docs []json.RawMessage
	next := ""
	hasData := false
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, "", errors.New("not a JSON list response")
	}
	i = skipSpace(body, i+1)
	for i < len(body) && body[i] != '}' {
		if body[i] != '"' {
			return nil, "", errors.New("malformed list response")
		}
		kEnd, err := skipString(body, i)
		if err != nil {
			return nil, "", errors.New("malformed list response")
		}
		key := string(body[i+1 : kEnd-1])
		i = skipSpace(body, kEnd)
		if i >= len(body) || body[i] != ':' {
			return nil, "", errors.New("malformed list response")
		}
		i = skipSpace(body, i+1)
		switch key {
		case "data":
			hasData = true
			if i >= len(body) || body[i] != '[' {
				return nil, "", errors.New("\"data\" is not an array")
			}
			i = skipSpace(body, i+1)
			for i < len(body) && body[i] != ']' {
				if body[i] != '{' {
					return nil, "", fmt.Errorf("data[%d] is not an object", len(docs))
				}
				end, err := skipValue(body, i)
				if err != nil {
					return nil, "", fmt.Errorf("data[%d] is cut short", len(docs))
				}
				docs = append(docs, json.RawMessage(body[i:end]))
				i = skipSpace(body, end)
				if i < len(body) && body[i] == ',' {
					i = skipSpace(body, i+1)
				} else if i < len(body) && body[i] != ']' {
					return nil, "", errors.New("malformed \"data\" array")
				}
			}
			if i >= len(body) {
				return nil, "", errors.New("\"data\" is cut short")
			}
			i++
		case "next_token":
			end, err := skipValue(body, i)
			if err != nil {
				return nil, "", errors.New("malformed next_token")
			}
			switch v := body[i:end]; {
			case string(v) == "null":
			case v[0] == '"':
				if err := json.Unmarshal(v, &next); err != nil {
					return nil, "", fmt.Errorf("malformed next_token: %w", err)
				}
			default:
				return nil, "", errors.New("next_token is neither a string nor null")
			}
			i = end
		default:
			end, err := skipValue(body, i)
			if err != nil {
				return nil, "", errors.New("malformed list response")
			}
			i = end
		}
		i = skipSpace(body, i)
		if i < len(body) && body[i] == ',' {
			i = skipSpace(body, i+1)
		}
	}
	if i >= len(body) {
		return nil, "", errors.New("list response is cut short")
	}
	if skipSpace(body, i+1) != len(body) {
		return nil, "", errors.New("trailing data after the list response")
	}
	if !hasData {
		return nil, "", errors.New("list response without \"data\"")
	}
	return docs, next, nil
}

// decodeSingle reads a bare document response.
func decodeSingle(body []byte) ([]json.RawMessage, string, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return nil, "", fmt.Errorf("not a JSON object")
	}
	return []json.RawMessage{json.RawMessage(b)}, "", nil
}

// V2Collections returns the Oura API v2 collections, each checked with
// check (which may be nil), in export order: the undated ones
// (personal_info, which identifies the account, and ring_configuration,
// which dates the history), then those asked for by date, then the time
// series. Everything about a collection but how the engine fetches it
// comes from its schema table: its route name, what places a document in
// time (Table.DatedBy), and whether it is one document (Merge.One).
func V2Collections(check func(collection string, doc []byte) error) []*Collection {
	const base = "/v2/usercollection/"
	var undated, dated, series []*Collection
	for _, t := range schema.Tables() {
		if t.Parent != "" || t.Collection == "" {
			continue
		}
		c := &Collection{Name: t.Collection, API: APIv2, Path: base + t.Collection, ID: "id", Key: t.DatedBy, Decode: decodeEnvelope}
		switch {
		case t.Merge.One:
			c.Kind, c.Decode = Single, decodeSingle
			undated = append(undated, c)
		case t.DatedBy == "":
			c.Kind, c.Query = Paged, func(_, _ time.Time) url.Values { return url.Values{} }
			undated = append(undated, c)
		case t.Columns[t.MustIndex(t.DatedBy)].Type == schema.Date:
			// A day of margin on each side: documents are found whatever
			// the server's boundary semantics (sleep's day is the morning
			// it ended, and end_date is inclusive on some routes only).
			c.Kind, c.Margin, c.Query = ByDate, 1, dateQuery("start_date", "end_date", 1)
			dated = append(dated, c)
		default:
			// Rows have no id; Oura serves at most 30 days of a series at once.
			c.Kind, c.ID, c.MaxWindow, c.Query = ByInstant, "", 30*day, instantQuery
			series = append(series, c)
		}
	}
	cs := append(append(undated, dated...), series...)
	if check != nil {
		for _, c := range cs {
			name := c.Name
			c.Check = func(doc []byte) error { return check(name, doc) }
		}
	}
	return cs
}

// V2Collection returns the v2 collection named name (as V2Collections
// gives it, unchecked), nil if there is none. Names match
// case-insensitively ("vo2_max" is vO2_max).
func V2Collection(name string) *Collection {
	for _, c := range V2Collections(nil) {
		if strings.EqualFold(c.Name, name) {
			return c
		}
	}
	return nil
}
