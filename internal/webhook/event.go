package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Event is one notification Oura POSTs to a callback: that the document
// ObjectID of DataType was created, updated or deleted for the user
// UserID (the user's personal_info id) at EventTime.
type Event struct {
	EventType string `json:"event_type"` // create, update or delete
	DataType  string `json:"data_type"`  // tag, vo2_max, ... (Collection names the route)
	ObjectID  string `json:"object_id"`
	EventTime string `json:"event_time"` // as sent (RFC 3339); Time parses it
	UserID    string `json:"user_id"`
}

// ErrEvent marks a body that is not an event.
var ErrEvent = errors.New("not a webhook event")

// MaxEventBody is the largest event body read: an event is a few hundred
// bytes.
const MaxEventBody = 64 << 10

// DecodeEvent decodes an event's body. It needs one JSON object whose
// event_type, data_type and object_id are non-empty strings; other fields
// Oura may add are ignored, and an event or data type this package does
// not know is returned as it is (the receiver decides).
func DecodeEvent(body []byte) (Event, error) {
	var e Event
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return e, fmt.Errorf("%w: the body is not a JSON object", ErrEvent)
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&e); err != nil {
		return Event{}, fmt.Errorf("%w: %s", ErrEvent, describeJSON(err))
	}
	if d.More() {
		return Event{}, fmt.Errorf("%w: data after the JSON object", ErrEvent)
	}
	for _, f := range []struct{ name, v string }{
		{"event_type", e.EventType}, {"data_type", e.DataType}, {"object_id", e.ObjectID},
	} {
		if f.v == "" {
			return Event{}, fmt.Errorf("%w: %s is missing", ErrEvent, f.name)
		}
	}
	return e, nil
}

// describeJSON says what a decoding error is about, without quoting the
// body.
func describeJSON(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s is a JSON %s, not a string", te.Field, te.Value)
	}
	return "malformed JSON"
}

// Time returns EventTime parsed (RFC 3339; one without an offset is
// read as UTC), and false when it does not parse.
func (e Event) Time() (time.Time, bool) {
	return parseTime(e.EventTime)
}

// Collection returns the collection the event names (Collection of its
// data type).
func (e Event) Collection() (string, bool) { return Collection(e.DataType) }

// naiveLayouts are date-times without an offset Oura has been seen to
// send (expiration_time): read as UTC.
var naiveLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}

// parseTime parses an RFC 3339 date-time, or one without an offset as UTC.
func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	for _, l := range naiveLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
