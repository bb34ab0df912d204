package text

import (
	"encoding/json"
	"strings"
	"testing"
)

var validSeeds = []string{
	``, ` `, `{}`, `[]`, `""`, `0`, `-0`, `01`, `1.`, `.5`, `1e5`, `1E+5`, `1e`, `-`, `-1.5e-3`, `true`, `tru`, `nul`, `null `,
	`{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `[1,2,]`, `[1 2]`, `"\u00e9"`, `"\u00g9"`, `"\x"`, "\"a\tb\"", `"\/"`,
	"\"\xff\xfe\"", `{"a":[{"b":null}],"c":"d"}`, " \r\n\t[ 1 , { } ]\n", `[1]]`, `{"a":1}}`, `"abc`, `"\`, `"\u12`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000), strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	`{"met":{"interval":60,"items":[1.1,0.9,1.2]},"day":"2024-03-01","id":"x"}`,
}

func TestValidJSON(t *testing.T) {
	for _, s := range validSeeds {
		if got, want := ValidJSON([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("%.60q: ValidJSON %v, json.Valid %v", s, got, want)
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, s := range validSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidJSON([]byte(s)), json.Valid([]byte(s)); got != want || ValidJSON(s) != want {
			t.Fatalf("%q: ValidJSON %v, json.Valid %v", s, got, want)
		}
	})
}
