package webhook

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzDecodeEvent checks that any body decodes to an event or ErrEvent,
// and that an event survives a round trip.
func FuzzDecodeEvent(f *testing.F) {
	for _, s := range []string{testBody, `{}`, `[]`, `{"event_type":"delete","data_type":"vo2_max","object_id":"x","extra":[1,{"a":null}]}`,
		`{"event_type":1}`, `{"event_type":"create","data_type":"tag","object_id":"\u0000"}`, "\xff", ` {"event_type":"a","data_type":"b","object_id":"c"} `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := DecodeEvent(body)
		if err != nil {
			if !errors.Is(err, ErrEvent) {
				t.Fatalf("error %v is not ErrEvent", err)
			}
			return
		}
		if e.EventType == "" || e.DataType == "" || e.ObjectID == "" {
			t.Fatalf("decoded an event without a required field: %+v", e)
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeEvent(b)
		if err != nil || back != e {
			t.Fatalf("round trip: %+v, %v; want %+v", back, err, e)
		}
		e.Time()
		e.Collection()
	})
}

// FuzzVerify checks that a signed body verifies, and that changing the
// body, the timestamp or the secret does not.
func FuzzVerify(f *testing.F) {
	f.Add(testSecret, testTS, []byte(testBody), byte(0))
	f.Add("s", "1", []byte{}, byte(7))
	f.Add("", "x", []byte("{}"), byte(255))
	f.Fuzz(func(t *testing.T, secret, ts string, body []byte, flip byte) {
		sig := Sign(secret, ts, body)
		at, tsOK := parseTimestamp(ts)
		err := Verify(secret, ts, sig, body, at, time.Minute)
		switch {
		case secret == "":
			if !errors.Is(err, ErrSignature) {
				t.Fatalf("no secret: %v", err)
			}
			return
		case !tsOK:
			if !errors.Is(err, ErrStale) {
				t.Fatalf("signed, bad timestamp %q: %v, want ErrStale", ts, err)
			}
		case err != nil:
			t.Fatalf("signed: %v", err)
		}
		// One bit changed in the body (or a byte added) never verifies.
		other := append([]byte(nil), body...)
		if len(other) == 0 {
			other = append(other, flip)
		} else {
			other[int(flip)%len(other)] ^= 1 << (flip % 8)
		}
		if err := Verify(secret, ts, sig, other, at, time.Minute); !errors.Is(err, ErrSignature) {
			t.Fatalf("changed body verified: %v", err)
		}
		if err := Verify(secret+"x", ts, sig, body, at, time.Minute); !errors.Is(err, ErrSignature) {
			t.Fatalf("another secret verified: %v", err)
		}
		if err := Verify(secret, ts+"0", sig, body, at, time.Minute); !errors.Is(err, ErrSignature) {
			t.Fatalf("another timestamp verified: %v", err)
		}
	})
}
