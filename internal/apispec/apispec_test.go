package apispec

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestBaseIsTestdata(t *testing.T) {
	want, err := os.ReadFile("../../testdata/oura/models_v2.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(base, want) {
		t.Fatal("base.json differs from testdata/oura/models_v2.json: run internal/tools/specgen with -out and -base")
	}
	b := Base()
	if len(b.Collections()) != 19 || b.OAuth == nil || !slices.Contains(b.OAuth.Scopes, "spo2Daily") {
		t.Errorf("base: %d collections, OAuth %+v", len(b.Collections()), b.OAuth)
	}
}

// minDoc returns the fixture document (openapi-1.35 without prose) decoded,
// for tests to edit into newer ones.
func minDoc(t testing.TB) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../../testdata/oura/openapi-min.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func encode(t testing.TB, doc any) []byte {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadFixture(t *testing.T) {
	s, err := Read("openapi-1.35.json", encode(t, minDoc(t)))
	if err != nil {
		t.Fatal(err)
	}
	if r := Diff(Base(), s, fakeKnows{}); len(r.Changes) != 0 {
		t.Errorf("the fixture differs from the base: %+v", r.Changes)
	}
}

func TestReadMalformed(t *testing.T) {
	selfRef := minDoc(t)
	schemas := selfRef["components"].(map[string]any)["schemas"].(map[string]any)
	schemas["Loop"] = map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/Loop"}}
	schemas["PublicSleepTime"].(map[string]any)["properties"].(map[string]any)["loop"] = map[string]any{"$ref": "#/components/schemas/Loop"}
	noData := minDoc(t)
	schemas = noData["components"].(map[string]any)["schemas"].(map[string]any)
	delete(schemas["MultiDocumentResponse_PublicSleepTime_"].(map[string]any)["properties"].(map[string]any), "data")
	unknown := minDoc(t)
	schemas = unknown["components"].(map[string]any)["schemas"].(map[string]any)
	delete(schemas, "PublicSleepTime")
	cases := map[string][]byte{
		"empty":              nil,
		"not JSON":           []byte("<html>Oura API</html>"),
		"an array":           []byte(`[1,2]`),
		"no openapi":         []byte(`{"paths":{}}`),
		"no routes":          []byte(`{"openapi":"3.1.0","paths":{"/v2/webhook/subscription":{"get":{}}}}`),
		"route without 200":  []byte(`{"openapi":"3.1.0","paths":{"/v2/usercollection/x":{"get":{"responses":{}}}}}`),
		"route is a string":  []byte(`{"openapi":"3.1.0","paths":{"/v2/usercollection/x":{"get":"yes"}}}`),
		"refers to itself":   encode(t, selfRef),
		"envelope sans data": encode(t, noData),
		"model missing":      encode(t, unknown),
		"too large":          bytes.Repeat([]byte(" "), MaxDocument+1),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Read("x.json", b)
			if !errors.Is(err, ErrMalformed) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Read = %v, want one line wrapping ErrMalformed", err)
			}
		})
	}
}

// fakeKnows models sleep and daily_cycle_phases, maps sleep.efficiency
// and workout.calories, knows the scopes daily and heart_health, and makes
// tag optional.
type fakeKnows struct{}

func (fakeKnows) Table(c string) (string, bool) {
	switch c {
	case "meal", "whatever":
		return "", false
	}
	return strings.ToLower(c), true
}

func (fakeKnows) Column(c, f string) (string, bool) {
	switch c + "." + f {
	case "sleep.efficiency", "workout.calories", "ring_configuration.color":
		return c + "." + f, true
	}
	return "", false
}

func (fakeKnows) Scope(s string) bool    { return s == "daily" || s == "heart_health" }
func (fakeKnows) Optional(c string) bool { return c == "tag" }

// newer edits the fixture as a later Oura document might: a collection
// ouraexport models (daily_cycle_phases) and one it does not (meal), a
// route gone (tag, optional here; vO2_max, not), new, removed and changed
// fields, a new enum value, new scopes and another token endpoint.
func newer(t testing.TB) *Spec {
	t.Helper()
	doc := minDoc(t)
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	props := func(model string) map[string]any {
		return schemas[model].(map[string]any)["properties"].(map[string]any)
	}
	for _, c := range []string{"daily_cycle_phases", "meal"} {
		paths["/v2/usercollection/"+c] = paths["/v2/usercollection/daily_stress"]
	}
	delete(paths, "/v2/usercollection/tag")
	delete(paths, "/v2/usercollection/vO2_max")
	props("PublicModifiedSleepModel")["sleep_regularity_index"] = map[string]any{"type": "integer"}
	delete(props("PublicModifiedSleepModel"), "efficiency")
	props("PublicWorkout")["calories"] = map[string]any{"type": "string"}
	colors := schemas["PublicRingColor"].(map[string]any)
	colors["enum"] = append(colors["enum"].([]any), "aurora")
	flow := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["OAuth2"].(map[string]any)["flows"].(map[string]any)["authorizationCode"].(map[string]any)
	flow["scopes"].(map[string]any)["heart_health"] = "Cardiovascular age and VO2 max"
	flow["scopes"].(map[string]any)["metabolism"] = "Meals and glucose"
	flow["tokenUrl"] = "https://moi.ouraring.com/oauth/v2/ext/oauth-token"
	s, err := Read("openapi-1.41.json", encode(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDiff(t *testing.T) {
	r := Diff(Base(), newer(t), fakeKnows{})
	type key struct{ coll, kind, name string }
	got := map[key]Change{}
	for _, c := range r.Changes {
		got[key{c.Collection, c.Kind, c.Name}] = c
	}
	want := []struct {
		key
		action string
		breaks bool
	}{
		{key{"daily_cycle_phases", KindNewRoute, "/v2/usercollection/daily_cycle_phases"}, "exported into table daily_cycle_phases", false},
		{key{"meal", KindNewRoute, "/v2/usercollection/meal"}, "export it raw with --collections all,meal", false},
		{key{"tag", KindRemovedRoute, "/v2/usercollection/tag"}, "reported, not failed", false},
		{key{"vO2_max", KindRemovedRoute, "/v2/usercollection/vO2_max"}, "partial (exit 3)", true},
		{key{"sleep", KindNewField, "sleep_regularity_index"}, "kept in the extra column (JSON) of table sleep", false},
		{key{"sleep", KindRemovedField, "efficiency"}, "column sleep.efficiency stays empty", false},
		{key{"workout", KindChangedField, "calories"}, "kept in the extra column", false},
		{key{"ring_configuration", KindChangedField, "color"}, "new values are kept as they are", false},
		{key{"", KindNewScope, "heart_health"}, "in ouraexport's scope table", false},
		{key{"", KindNewScope, "metabolism"}, "--scopes ...,metabolism", false},
		{key{"", KindChangedOAuth, "token URL"}, "tries Oura's legacy and developer-portal token endpoints", false},
	}
	for _, w := range want {
		c, ok := got[w.key]
		if !ok {
			t.Errorf("no change %+v in %+v", w.key, r.Changes)
			continue
		}
		if !strings.Contains(c.Action, w.action) || c.Breaks != w.breaks {
			t.Errorf("%+v: action %q (breaks %v), want %q (%v)", w.key, c.Action, c.Breaks, w.action, w.breaks)
		}
		delete(got, w.key)
	}
	for k, c := range got {
		t.Errorf("unexpected change %+v: %+v", k, c)
	}
	var out bytes.Buffer
	if err := r.Write(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, s := range []string{"Compared openapi-1.41.json (info.version 2.0) with openapi-1.35.json (info.version 2.0), which ouraexport was built from.",
		"\nmeal\n", "\nOAuth2\n", "11 changes; 1 make exports partial (exit 3) until ouraexport follows them: vO2_max."} {
		if !strings.Contains(text, s) {
			t.Errorf("report lacks %q:\n%s", s, text)
		}
	}
	if same := Diff(Base(), Base(), fakeKnows{}); len(same.Changes) != 0 {
		t.Errorf("a spec differs from itself: %+v", same.Changes)
	}
}

// FuzzRead feeds Read arbitrary documents, seeded with the fixture and
// broken ones: it never panics, and what it reads compares with the base.
func FuzzRead(f *testing.F) {
	b, err := os.ReadFile("../../testdata/oura/openapi-min.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte(`{"openapi":"3.1.0","paths":{"/v2/usercollection/x":{"get":{"responses":{"200":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/MultiDocumentResponse_X_"}}}}}}}},"components":{"schemas":{"MultiDocumentResponse_X_":{"properties":{"data":{"items":{"$ref":"#/components/schemas/X"}}}},"X":{"properties":{"a":{"$ref":"#/components/schemas/X"}}}}}}`))
	f.Add([]byte(`{"openapi":"3.1.0","paths":{"/v2/usercollection/x":{"get":{"parameters":[{"name":1}]}}}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		s, err := Read("fuzz.json", doc)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Read error %q", err)
			}
			return
		}
		var out bytes.Buffer
		if err := Diff(Base(), s, fakeKnows{}).Write(&out); err != nil {
			t.Fatal(err)
		}
	})
}
