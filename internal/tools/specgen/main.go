// Command specgen derives the compact model description that the tests use
// from Oura's published OpenAPI document.
//
// The tests never read the OpenAPI document itself (a user's clone does not
// have it); they read the JSON this program writes into testdata. Run it again
// when Oura publishes a new spec:
//
//	go run ./internal/tools/specgen -spec path/to/openapi.json -out testdata/oura/models_v2.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Type is a normalised JSON-schema type: one kind, nullability and, for
// containers and enums, what they hold.
type Type struct {
	Kind     string   `json:"kind"` // string, integer, number, boolean, object, array, any
	Nullable bool     `json:"nullable,omitempty"`
	Format   string   `json:"format,omitempty"` // date, date-time, or a scalar alias such as LocalizedDateTime
	Ref      string   `json:"ref,omitempty"`    // model name for objects
	Enum     []string `json:"enum,omitempty"`
	EnumName string   `json:"enum_name,omitempty"`
	Items    *Type    `json:"items,omitempty"`
	Alts     []Type   `json:"alts,omitempty"` // for non-null unions of several types
}

// Field is one property of a model.
type Field struct {
	Name      string `json:"name"`
	Type      Type   `json:"type"`
	Required  bool   `json:"required"`
	MinLength int    `json:"min_length,omitempty"`
}

// Model is one object schema.
type Model struct {
	Name   string  `json:"name"`
	Fields []Field `json:"fields"`
}

// Route is one GET path of the usercollection API.
type Route struct {
	Path       string   `json:"path"`
	Collection string   `json:"collection"`
	Sandbox    bool     `json:"sandbox"`
	Single     bool     `json:"single"` // a /{document_id} route
	Params     []string `json:"params"`
	Envelope   string   `json:"envelope"` // multi_document, time_series, bare
	Model      string   `json:"model"`
}

// Spec is the file this program writes.
type Spec struct {
	Source string           `json:"source"`
	Routes []Route          `json:"routes"`
	Models map[string]Model `json:"models"`
}

type schema struct {
	Ref        string            `json:"$ref"`
	Type       string            `json:"type"`
	Format     string            `json:"format"`
	Enum       []string          `json:"enum"`
	AnyOf      []schema          `json:"anyOf"`
	Items      *schema           `json:"items"`
	Properties map[string]schema `json:"properties"`
	Required   []string          `json:"required"`
	MinLength  int               `json:"minLength"`
	Title      string            `json:"title"`
	Extra      map[string]any    `json:"-"`
	order      []string          // property order as in the document
	raw        map[string]json.RawMessage
}

type document struct {
	Info struct {
		Version string `json:"version"`
	} `json:"info"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

func main() {
	specPath := flag.String("spec", "", "the OpenAPI document to read")
	out := flag.String("out", "testdata/oura/models_v2.json", "where to write the model description")
	flag.Parse()
	if *specPath == "" {
		fmt.Fprintln(os.Stderr, "specgen: -spec is required")
		os.Exit(2)
	}
	if err := run(*specPath, *out); err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
}

func run(specPath, out string) error {
	b, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	var doc document
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	schemas := map[string]schema{}
	for name, raw := range doc.Components.Schemas {
		s, err := parseSchema(raw)
		if err != nil {
			return fmt.Errorf("schema %s: %w", name, err)
		}
		schemas[name] = s
	}
	spec := Spec{Source: filepath.Base(specPath) + " (info.version " + doc.Info.Version + ")", Models: map[string]Model{}}
	var need []string
	for p, ops := range doc.Paths {
		if !strings.Contains(p, "/usercollection/") {
			continue
		}
		raw, ok := ops["get"]
		if !ok {
			continue
		}
		var op struct {
			Parameters []struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
			Responses map[string]struct {
				Content map[string]struct {
					Schema json.RawMessage `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		}
		if err := json.Unmarshal(raw, &op); err != nil {
			return fmt.Errorf("path %s: %w", p, err)
		}
		r := Route{Path: p, Sandbox: strings.Contains(p, "/sandbox/"), Single: strings.HasSuffix(p, "/{document_id}"), Params: []string{}}
		trimmed := strings.TrimSuffix(p, "/{document_id}")
		r.Collection = path.Base(trimmed)
		for _, prm := range op.Parameters {
			if prm.In == "query" {
				r.Params = append(r.Params, prm.Name)
			}
		}
		s, err := parseSchema(op.Responses["200"].Content["application/json"].Schema)
		if err != nil {
			return fmt.Errorf("path %s response: %w", p, err)
		}
		// A list route answers anyOf[typed envelope, dict envelope]; take the typed one.
		ref := s.Ref
		if ref == "" && len(s.AnyOf) > 0 {
			ref = s.AnyOf[0].Ref
		}
		name := refName(ref)
		switch {
		case strings.HasPrefix(name, "MultiDocumentResponse_"):
			r.Envelope = "multi_document"
			r.Model = refName(schemas[name].Properties["data"].Items.Ref)
		case strings.HasPrefix(name, "TimeSeriesResponse_"):
			r.Envelope = "time_series"
			r.Model = refName(schemas[name].Properties["data"].Items.Ref)
		default:
			r.Envelope = "bare"
			r.Model = name
		}
		spec.Routes = append(spec.Routes, r)
		need = append(need, r.Model)
	}
	sort.Slice(spec.Routes, func(i, j int) bool { return spec.Routes[i].Path < spec.Routes[j].Path })
	need = append(need, "HTTPValidationError")
	for len(need) > 0 {
		name := need[0]
		need = need[1:]
		if _, done := spec.Models[name]; done {
			continue
		}
		s, ok := schemas[name]
		if !ok {
			return fmt.Errorf("unknown schema %s", name)
		}
		m := Model{Name: name}
		req := map[string]bool{}
		for _, r := range s.Required {
			req[r] = true
		}
		for _, pn := range s.order {
			ps := s.Properties[pn]
			t, refs := normalise(ps, schemas)
			need = append(need, refs...)
			m.Fields = append(m.Fields, Field{Name: pn, Type: t, Required: req[pn], MinLength: ps.MinLength})
		}
		spec.Models[name] = m
	}
	b, err = json.MarshalIndent(spec, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(b, '\n'), 0o644)
}

func refName(ref string) string { return strings.TrimPrefix(ref, "#/components/schemas/") }

// normalise turns a property schema into a Type, returning the object models it refers to.
func normalise(s schema, all map[string]schema) (Type, []string) {
	if s.Ref != "" {
		name := refName(s.Ref)
		target := all[name]
		switch {
		case target.Properties != nil || target.Type == "object":
			return Type{Kind: "object", Ref: name}, []string{name}
		case len(target.Enum) > 0:
			return Type{Kind: "string", Enum: target.Enum, EnumName: name}, nil
		case target.Type == "array":
			it, refs := normalise(*target.Items, all)
			return Type{Kind: "array", Items: &it}, refs
		default: // scalar alias such as ISODate or LocalizedDateTime
			return Type{Kind: target.Type, Format: name}, nil
		}
	}
	if len(s.AnyOf) > 0 {
		var alts []Type
		var refs []string
		nullable := false
		for _, a := range s.AnyOf {
			if a.Type == "null" {
				nullable = true
				continue
			}
			t, r := normalise(a, all)
			alts = append(alts, t)
			refs = append(refs, r...)
		}
		if len(alts) == 1 {
			t := alts[0]
			t.Nullable = nullable
			return t, refs
		}
		return Type{Kind: "any", Nullable: nullable, Alts: alts}, refs
	}
	switch s.Type {
	case "array":
		if s.Items == nil {
			return Type{Kind: "array", Items: &Type{Kind: "any"}}, nil
		}
		it, refs := normalise(*s.Items, all)
		return Type{Kind: "array", Items: &it}, refs
	case "":
		return Type{Kind: "any"}, nil
	}
	return Type{Kind: s.Type, Format: s.Format, Enum: s.Enum}, nil
}

func parseSchema(raw json.RawMessage) (schema, error) {
	var s schema
	if len(raw) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, err
	}
	// Keep the property order of the document: encoding/json maps lose it.
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return s, err
	}
	if p, ok := obj["properties"]; ok {
		dec := json.NewDecoder(strings.NewReader(string(p)))
		if _, err := dec.Token(); err != nil {
			return s, err
		}
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return s, err
			}
			s.order = append(s.order, t.(string))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return s, err
			}
		}
	}
	return s, nil
}
