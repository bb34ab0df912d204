package exporter

import (
	"encoding/json"
	"testing"
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
