package exporter

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTopLevelStrings(t *testing.T) {
	doc := `{"met":{"items":[1,2,{"day":"nested"}],"s":"x\"}"},"id":"a\u00e9\"b","day" : "2024-01-02","n":null,"x":[["]"]]}`
	got, err := topLevelStrings([]byte(doc), "day", "id", "n", "missing")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2024-01-02", "aé\"b", "", ""}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d: got %q, want %q", i, got[i], want[i])
		}
	}
	for _, bad := range []string{``, `[]`, `{"a"`, `{"a":`, `{"a":"x`, `{"a":[1,2}`, `nope`} {
		if _, err := topLevelStrings([]byte(bad), "a"); err == nil && bad != `{"a":[1,2}` {
			t.Errorf("%q: no error", bad)
		}
	}
}

// FuzzTopLevelStrings checks the scanner never panics and agrees with
// encoding/json on documents encoding/json accepts.
func FuzzTopLevelStrings(f *testing.F) {
	for _, s := range []string{`{"id":"1","day":"2024-01-01"}`, `{"a":{"id":"x"},"id":"y"}`, `{"id":1}`, `{"id":"\ud83d\ude00"}`, `{}`, `{"x":[1,"]",{"y":"}"}],"day":"d"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := topLevelStrings(b, "id", "day")
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil || err != nil {
			return
		}
		for i, name := range []string{"id", "day"} {
			var want string
			if raw, ok := m[name]; ok {
				if json.Unmarshal(raw, &want) != nil {
					want = ""
				}
			}
			// Duplicate keys: encoding/json keeps the last, the scanner the first.
			if got[i] != want && !hasDuplicateKey(b, name) {
				t.Fatalf("%s: got %q, encoding/json %q (doc %s)", name, got[i], want, b)
			}
		}
	})
}

func hasDuplicateKey(b []byte, name string) bool {
	dec := json.NewDecoder(bytesReader(b))
	if _, err := dec.Token(); err != nil {
		return false
	}
	n := 0
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return false
		}
		if k == name {
			n++
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}
	return n > 1
}

func TestDecodeEnvelope(t *testing.T) {
	docs, next, err := decodeEnvelope([]byte(` {"next_token" : "a\u0062", "extra": [1,{"x":"]"}], "data": [ {"id":"1","s":"}]"} , {"id":"2"}] } `))
	if err != nil || next != "ab" || len(docs) != 2 || string(docs[0]) != `{"id":"1","s":"}]"}` || string(docs[1]) != `{"id":"2"}` {
		t.Fatalf("got %q, %q, %v", docs, next, err)
	}
	docs, next, err = decodeEnvelope([]byte(`{"data":[],"next_token":null}`))
	if err != nil || next != "" || len(docs) != 0 {
		t.Fatalf("empty page: got %q, %q, %v", docs, next, err)
	}
	for _, bad := range []string{``, `[]`, `{}`, `{"data":{}}`, `{"data":[1]}`, `{"data":[{"a":1}`, `{"data":[{"a":1}]`,
		`{"data":[{"a":1}] x}`, `{"data":[{"a":1}]} x`, `{"data":[],"next_token":5}`, `<html></html>`, `{"data":[{"a":1} {"b":2}]}`} {
		if _, _, err := decodeEnvelope([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// FuzzDecodeEnvelope checks the envelope reader against encoding/json.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range []string{`{"data":[{"id":"1"}],"next_token":"x"}`, `{"data":[],"next_token":null}`, `{"next_token":null,"data":[{"a":[1,{"b":"]"}]}]}`, `{"data":[{}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		docs, next, err := decodeEnvelope(b)
		var m map[string]json.RawMessage
		if err != nil || json.Unmarshal(b, &m) != nil || hasDuplicateKey(b, "data") || hasDuplicateKey(b, "next_token") {
			return
		}
		// Where both accept, they agree (encoding/json matches keys exactly here: m is a map).
		var data []json.RawMessage
		if json.Unmarshal(m["data"], &data) == nil && len(docs) != len(data) {
			t.Fatalf("%d documents, encoding/json %d (%s)", len(docs), len(data), b)
		}
		var tok *string
		if json.Unmarshal(m["next_token"], &tok) == nil && tok != nil && next != *tok {
			t.Fatalf("next %q, encoding/json %q", next, *tok)
		}
	})
}

// TestFastKeys checks that the fast paths of docKey read every form as
// time.Parse does, and leave the rest to it.
func TestFastKeys(t *testing.T) {
	instants := []string{
		"2024-03-01T06:30:00Z", "2024-03-01T06:30:00+02:00", "2024-03-01T06:30:00-07:30", "2024-02-29T23:59:59.999Z",
		"2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-03-01T24:00:00Z", "2024-03-01T06:60:00Z",
		"2024-03-01T06:30:60Z", "2024-03-01T06:30:00.123456789+05:45", "2024-03-01T06:30:00.1234567891Z",
		"2024-03-01T06:30:00.Z", "2024-03-01T06:30:00+0200", "2024-03-01T06:30:00+24:00", "2024-03-01 06:30:00Z",
		"0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-03-01T06:30:00z",
		"2024-3-01T06:30:00Z", "2024-03-01T06:30:00", "x024-03-01T06:30:00Z", "1969-12-31T23:59:59.5Z",
	}
	for _, s := range instants {
		want, wantOK := parseInstant(s)
		got, gotOK := docKey(&Collection{Kind: ByInstant, Key: "t"}, []byte(`{"t":"`+s+`"}`))
		if gotOK != wantOK || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("instant %q: got %v %v, want %v %v", s, got, gotOK, want, wantOK)
		}
	}
	dates := []string{"2024-02-29", "2023-02-29", "2024-04-31", "2024-00-10", "0000-01-01", "0001-01-01", "1969-12-31",
		"2024-03-01T00:00:00Z", "2024-3-1", "2024/03/01", "9999-12-31", "2000-02-29", "1900-02-29"}
	for _, s := range dates {
		want, wantErr := time.Parse(time.DateOnly, s[:min(10, len(s))])
		wantOK := wantErr == nil && len(s) >= 10
		got, gotOK := docKey(&Collection{Kind: ByDate, Key: "day"}, []byte(`{"day":"`+s+`"}`))
		if gotOK != wantOK || (wantOK && !got.Equal(want)) {
			t.Errorf("date %q: got %v %v, want %v %v", s, got, gotOK, want, wantOK)
		}
	}
	for _, doc := range []string{`{"day":"","day":"2024-03-01"}`, `{"day":null,"day":"2024-03-01"}`, `{"day":"2024-03-\u00301"}`} {
		got, ok := docKey(&Collection{Kind: ByDate, Key: "day"}, []byte(doc))
		if !ok || !got.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: got %v %v, want 2024-03-01", doc, got, ok)
		}
	}
}
