package v1compat

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/schema"
)

const day = 24 * time.Hour

// Envelope returns the member of a /v1 route's answer that holds the
// records of kind k ("ideal_bedtimes" for bedtime), "" for userinfo (a
// bare object) and restful periods (no route).
func Envelope(k Kind) string {
	switch k {
	case Sleep, Activity, Readiness:
		return string(k)
	case Bedtime:
		return "ideal_bedtimes"
	}
	return ""
}

// Collections returns the Oura API v1 collections, for the engine to fetch
// (export --api v1): userinfo (one bare object), then sleep, activity,
// readiness and bedtime. v1 has no pagination and takes inclusive start and
// end dates; the engine's windows are widened by days on either side and
// it keeps each record in the one window its key falls in. Sleep and
// activity are placed by the instant they start (bedtime_start, day_start)
// and fetched 180 and 90 days at a time, so an answer stays near a
// megabyte; readiness and bedtime are small and dated by their v1 date
// (readiness's the day before the day it stands for: Spread).
// Each record is checked with Check and mapped with Map (origin v1) into
// the tables of its v2 twin (Tables).
func Collections() []*exporter.Collection {
	cs := []*exporter.Collection{
		{Name: "v1_userinfo", API: exporter.APIv1, Path: "/v1/userinfo", Kind: exporter.Single,
			Decode: decodeBare, Check: checker(UserInfo), Map: mapper(UserInfo, schema.OriginV1)},
		{Name: "v1_sleep", API: exporter.APIv1, Path: "/v1/sleep", Kind: exporter.ByInstant, Key: "bedtime_start",
			MaxWindow: 180 * day, Query: instantQuery, Decode: envelope(Sleep), Check: checker(Sleep), Map: mapper(Sleep, schema.OriginV1)},
		{Name: "v1_activity", API: exporter.APIv1, Path: "/v1/activity", Kind: exporter.ByInstant, Key: "day_start",
			MaxWindow: 90 * day, Query: instantQuery, Decode: envelope(Activity), Check: checker(Activity), Map: mapper(Activity, schema.OriginV1)},
		{Name: "v1_readiness", API: exporter.APIv1, Path: "/v1/readiness", Kind: exporter.ByDate, Key: "summary_date", Margin: 1, Spread: 1,
			Query: dateQuery, Decode: envelope(Readiness), Check: checker(Readiness), Map: mapper(Readiness, schema.OriginV1)},
		{Name: "v1_bedtime", API: exporter.APIv1, Path: "/v1/bedtime", Kind: exporter.ByDate, Key: "date", Margin: 1,
			Query: dateQuery, Decode: envelope(Bedtime), Check: checker(Bedtime), Map: mapper(Bedtime, schema.OriginV1)},
	}
	for _, c := range cs {
		k, _ := KindOf(c)
		c.Tables = Tables(k) // the tables of the v2 twins
	}
	return cs
}

// KindOf returns the kind of record a v1 collection holds.
func KindOf(c *exporter.Collection) (Kind, bool) {
	for _, k := range Kinds() {
		if c.Name == "v1_"+string(k) {
			return k, true
		}
	}
	return "", false
}

func checker(k Kind) func([]byte) error { return func(doc []byte) error { return Check(k, doc) } }

func mapper(k Kind, origin schema.Origin) func(*schema.Mapper, []byte) error {
	return func(m *schema.Mapper, doc []byte) error { return Map(m, k, doc, origin) }
}

// dateQuery asks for the days [from, to) and one more on each side (v1's
// end is inclusive).
func dateQuery(from, to time.Time) url.Values {
	q := url.Values{}
	q.Set("start", from.AddDate(0, 0, -1).Format(time.DateOnly))
	q.Set("end", to.Format(time.DateOnly))
	return q
}

// instantQuery asks for every v1 date a record starting in [from, to) can
// have: the local date of its start is within a day of the UTC date, and
// sleep's summary_date is the day before the local date it ended.
func instantQuery(from, to time.Time) url.Values {
	q := url.Values{}
	q.Set("start", from.UTC().AddDate(0, 0, -2).Format(time.DateOnly))
	q.Set("end", to.UTC().AddDate(0, 0, 1).Format(time.DateOnly))
	return q
}

// envelope decodes a /v1 summary answer: {"<envelope>": [records...]}.
func envelope(k Kind) func([]byte) ([]json.RawMessage, string, error) {
	name := Envelope(k)
	return func(body []byte) ([]json.RawMessage, string, error) {
		docs, err := DecodeEnvelope(name, body)
		return docs, "", err
	}
}

// DecodeEnvelope returns the records of a /v1 answer whose array is under
// name; each must be a JSON object.
func DecodeEnvelope(name string, body []byte) ([]json.RawMessage, error) {
	o, err := parseObject(body)
	if err != nil {
		return nil, fmt.Errorf("not a v1 answer: %w", err)
	}
	raw, ok := o.get(name)
	if !ok {
		return nil, fmt.Errorf("v1 answer without %q", name)
	}
	items, k := readArray(raw)
	if k != vOK {
		return nil, fmt.Errorf("%q is not an array", name)
	}
	for i, it := range items {
		if len(it) == 0 || it[0] != '{' {
			return nil, fmt.Errorf("%s[%d] is not an object", name, i)
		}
	}
	return items, nil
}

func decodeBare(body []byte) ([]json.RawMessage, string, error) {
	if _, err := parseObject(body); err != nil {
		return nil, "", errors.New("not a JSON object")
	}
	return []json.RawMessage{json.RawMessage(body)}, "", nil
}
