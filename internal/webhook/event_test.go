package webhook

import (
	"errors"
	"testing"
	"time"
)

func TestDecodeEvent(t *testing.T) {
	want := Event{EventType: "create", DataType: "tag", ObjectID: "8f2b", EventTime: "2026-12-04T19:00:00Z", UserID: "u-1"}
	got, err := DecodeEvent([]byte(testBody))
	if err != nil || got != want {
		t.Fatalf("DecodeEvent = %+v, %v; want %+v", got, err, want)
	}
	if at, ok := got.Time(); !ok || !at.Equal(time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)) {
		t.Errorf("Time = %v, %v", at, ok)
	}
	if c, ok := got.Collection(); !ok || c != "tag" {
		t.Errorf("Collection = %q, %v", c, ok)
	}
	for _, tc := range []struct{ name, body string }{
		{"empty", ""},
		{"array", `[]`},
		{"null", `null`},
		{"no object_id", `{"event_type":"create","data_type":"tag"}`},
		{"no event_type", `{"data_type":"tag","object_id":"x"}`},
		{"no data_type", `{"event_type":"create","object_id":"x"}`},
		{"number", `{"event_type":"create","data_type":"tag","object_id":7}`},
		{"truncated", `{"event_type":"create","data_type":"tag","object_id":"x"`},
		{"two objects", `{"event_type":"create","data_type":"tag","object_id":"x"}{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodeEvent([]byte(tc.body)); !errors.Is(err, ErrEvent) {
				t.Errorf("DecodeEvent(%s) = %v, want ErrEvent", tc.body, err)
			}
		})
	}
	// Fields Oura may add, and null ones, are fine.
	e, err := DecodeEvent([]byte(`{"event_type":"delete","data_type":"vo2_max","object_id":"x","user_id":null,"new_field":{"a":1}}`))
	if err != nil || e.UserID != "" || e.DataType != "vo2_max" {
		t.Errorf("DecodeEvent with an extra field = %+v, %v", e, err)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2027, 3, 4, 12, 30, 0, 0, time.UTC)
	for _, s := range []string{"2027-03-04T12:30:00Z", "2027-03-04T13:30:00+01:00", "2027-03-04T12:30:00", "2027-03-04T12:30:00.000000", "2027-03-04 12:30:00"} {
		got, ok := parseTime(s)
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %v in UTC", s, got, ok, want)
		}
	}
	if _, ok := parseTime("next week"); ok {
		t.Error("parseTime(next week) parsed")
	}
}
