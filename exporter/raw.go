package exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/schema"
)

// RawCollection returns a v2 collection the schema does not model (yet):
// one the server offers under /v2/usercollection/<name> that a newer API
// version added. Its documents are kept exactly as received, in the
// archive's raw/<name>.ndjson and the store, in no table.
//
// How to ask for it is a guess until Fetch has asked: the common shape, by
// start_date and end_date with the {"data", "next_token"} envelope, each
// document placed on its "day". Before planning, Fetch settles the shape
// with a request or two (settleRaw): the dates (and the field that places
// a document in time) as they are, or start_datetime and end_datetime (a
// time series), or no parameters at all (one list, or one bare document).
func RawCollection(name string) (*Collection, error) {
	if !rawName.MatchString(name) {
		return nil, fmt.Errorf("%q is not a collection name (letters, digits and '_', starting with a letter, at most 64)", name)
	}
	return &Collection{Name: name, API: APIv2, Path: "/v2/usercollection/" + name, Kind: ByDate, Key: "day", ID: "id",
		Margin: 1, Query: dateQuery("start_date", "end_date", 1), Decode: decodeEnvelope, Raw: true,
		Map: func(*schema.Mapper, []byte) error { return nil }}, nil
}

// rawName matches the names a raw collection may have: Oura's route names.
var rawName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// RawShape is how a raw collection was found to be served, as the store
// remembers it (State.Raw).
type RawShape struct {
	Kind Kind   `json:"kind"`
	Key  string `json:"key,omitempty"`
	ID   string `json:"id,omitempty"`
}

// shape returns c's settled shape.
func (c *Collection) shape() RawShape { return RawShape{Kind: c.Kind, Key: c.Key, ID: c.ID} }

// withShape returns the raw collection name shaped as sh.
func withShape(name string, sh RawShape) (*Collection, error) {
	c, err := RawCollection(name)
	if err != nil {
		return nil, err
	}
	c.Key, c.ID = sh.Key, sh.ID
	switch sh.Kind {
	case ByDate:
	case ByInstant:
		c.Kind, c.Margin, c.Query, c.MaxWindow = ByInstant, 0, instantQuery, 30*day
	case Paged, Single:
		c.Kind, c.Margin, c.Query = sh.Kind, 0, func(_, _ time.Time) url.Values { return url.Values{} }
		if sh.Kind == Single {
			c.Decode = decodeSingle
		}
	default:
		return nil, fmt.Errorf("raw collection %s: unknown kind %d", name, sh.Kind)
	}
	return c, nil
}

// StoredRaw returns the raw collections earlier runs fetched into st that
// are not among known (by name), shaped as they were fetched: a rebuild
// (an import) keeps them in the archive.
func StoredRaw(st *Store, known []*Collection) ([]*Collection, error) {
	names := make([]string, 0, len(st.State.Raw))
	for n := range st.State.Raw {
		if !slices.ContainsFunc(known, func(c *Collection) bool { return c.API == APIv2 && strings.EqualFold(c.Name, n) }) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var out []*Collection
	for _, n := range names {
		c, err := withShape(n, st.State.Raw[n])
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrStoreFormat, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// rememberShapes records the shapes of the raw collections settled this run.
func (f *fetcher) rememberShapes(colls []*Collection, skip map[*Collection]error) error {
	st := f.o.Store
	changed := false
	for _, c := range colls {
		if !c.Raw || c.API != APIv2 || skip[c] != nil {
			continue
		}
		if sh, ok := st.State.Raw[c.Name]; ok && sh == c.shape() {
			continue
		}
		if st.State.Raw == nil {
			st.State.Raw = map[string]RawShape{}
		}
		st.State.Raw[c.Name] = c.shape()
		changed = true
	}
	if !changed || f.o.DryRun {
		return nil
	}
	return st.SaveState()
}

// Fields that may place a raw document in time, most telling first.
var (
	rawDateKeys    = []string{"day", "start_day", "date", "summary_date", "timestamp", "start_datetime", "start_time", "bedtime_start"}
	rawInstantKeys = []string{"timestamp", "start_datetime", "start_time", "datetime", "time"}
)

// settleRaw returns a copy of the raw collection c shaped as the server
// serves it, or the error that shows it cannot be read (401 ends the
// export; 403, 404 and faults that outlast the retries are reported for
// the collection).
func (f *fetcher) settleRaw(ctx context.Context, c *Collection) (*Collection, error) {
	out := *c
	ask := func(q url.Values) ([]byte, error) {
		return f.o.Client.Get(ctx, c.Path, q, func(body []byte) error {
			if !json.Valid(body) {
				return errors.New("not JSON")
			}
			return nil
		})
	}
	refused := func(err error) bool {
		var ae *oura.APIError
		return errors.As(err, &ae) && (ae.Status == http.StatusBadRequest || ae.Status == http.StatusUnprocessableEntity)
	}
	// By date, the common case: the last days.
	today := dayOf(f.now)
	body, err := ask(probeQuery(c, f.now))
	if err == nil {
		docs, _, derr := decodeEnvelope(body)
		if derr != nil {
			// Dates were accepted but the answer is no list: ask it whole.
			return f.settleWhole(ctx, &out, body)
		}
		out.Key = keyOf(docs, rawDateKeys, out.Key)
		if inside(&out, docs, today.AddDate(0, 0, -3), today.AddDate(0, 0, 3)) {
			return &out, nil
		}
		// Documents from other days: the route ignores the dates.
	} else if !refused(err) {
		return nil, err
	}
	// A time series: start_datetime and end_datetime, 30 days at most.
	series := out
	series.Kind, series.Margin, series.Query, series.MaxWindow, series.Key = ByInstant, 0, instantQuery, 30*day, "timestamp"
	body, err = ask(probeQuery(&series, f.now))
	if err == nil {
		if docs, _, derr := decodeEnvelope(body); derr == nil {
			series.Key = keyOf(docs, rawInstantKeys, series.Key)
			if !hasField(docs, "id") {
				series.ID = "" // rows without ids: identified by their bytes
			}
			if inside(&series, docs, f.now.Add(-2*day), f.now.Add(day)) {
				return &series, nil
			}
		}
	} else if !refused(err) {
		return nil, err
	}
	// No parameters at all.
	body, err = ask(nil)
	if err != nil {
		return nil, err
	}
	return f.settleWhole(ctx, &out, body)
}

// settleWhole shapes c as a collection asked for without dates, from an
// answer body: an envelope (followed through its pages) or one document.
func (f *fetcher) settleWhole(_ context.Context, c *Collection, body []byte) (*Collection, error) {
	c.Query, c.Key, c.Margin = func(_, _ time.Time) url.Values { return url.Values{} }, "", 0
	if _, _, err := decodeEnvelope(body); err == nil {
		c.Kind, c.Decode = Paged, decodeEnvelope
		return c, nil
	}
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '{' {
		c.Kind, c.Decode = Single, decodeSingle
		return c, nil
	}
	return nil, fmt.Errorf("%s: the server's answer is neither a list of documents nor one document", c.Name)
}

// keyOf returns the first of keys the first document holds as a string
// that reads as a date or an instant, else def.
func keyOf(docs []json.RawMessage, keys []string, def string) string {
	if len(docs) == 0 {
		return def
	}
	vals, err := topLevelStrings(docs[0], keys...)
	if err != nil {
		return def
	}
	for i, v := range vals {
		if len(v) < 10 {
			continue
		}
		if _, err := time.Parse(time.DateOnly, v[:10]); err == nil {
			return keys[i]
		}
	}
	return def
}

// inside reports whether the documents of a probe confirm c's shape: none
// at all, or some that c's key places in time and every one so placed
// within [from, to). A route that ignores the parameters answers with
// documents from anywhere; documents the key does not place cannot be
// fetched window by window.
func inside(c *Collection, docs []json.RawMessage, from, to time.Time) bool {
	placed := 0
	for _, d := range docs {
		if k, ok := docKey(c, d); ok {
			if k.Before(from) || !k.Before(to) {
				return false
			}
			placed++
		}
	}
	return len(docs) == 0 || placed > 0
}

// hasField reports whether the first document has the named string field.
func hasField(docs []json.RawMessage, name string) bool {
	if len(docs) == 0 {
		return true
	}
	v, err := topLevelStrings(docs[0], name)
	return err == nil && v[0] != ""
}
