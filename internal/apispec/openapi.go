package apispec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
)

// MaxDocument bounds the size of an OpenAPI document Read accepts (Oura's
// is about half a megabyte).
const MaxDocument = 64 << 20

// ErrMalformed is matched (errors.Is) by the errors of Read.
var ErrMalformed = errors.New("not an OpenAPI document ouraexport can read")

// schema is the part of a JSON schema Read looks at.
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
	order      []string          // property order as in the document
}

type document struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Version string `json:"version"`
	} `json:"info"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas         map[string]json.RawMessage `json:"schemas"`
		SecuritySchemes map[string]struct {
			Type  string `json:"type"`
			Flows map[string]struct {
				AuthorizationURL string            `json:"authorizationUrl"`
				TokenURL         string            `json:"tokenUrl"`
				Scopes           map[string]string `json:"scopes"`
			} `json:"flows"`
		} `json:"securitySchemes"`
	} `json:"components"`
}

// Read reads an OpenAPI document (JSON) into its compact form: every GET
// route below /usercollection/ with its query parameters, envelope and
// model, every model those reach, and the OAuth2 flow. name names the
// document in Spec.Source. Errors wrap ErrMalformed and say what is wrong.
func Read(name string, b []byte) (*Spec, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	if len(b) > MaxDocument {
		return nil, bad("larger than %d MiB", MaxDocument>>20)
	}
	var doc document
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, bad("not JSON (%v)", err)
	}
	if doc.OpenAPI == "" || doc.Paths == nil {
		return nil, bad("no \"openapi\" version or no \"paths\" (is it Oura's openapi-*.json?)")
	}
	schemas := map[string]schema{}
	for n, raw := range doc.Components.Schemas {
		s, err := parseSchema(raw)
		if err != nil {
			return nil, bad("schema %s: %v", n, err)
		}
		schemas[n] = s
	}
	spec := &Spec{Source: name + " (info.version " + doc.Info.Version + ")", Models: map[string]Model{}}
	var need []string
	for p, ops := range doc.Paths {
		if !strings.Contains(p, "/usercollection/") {
			continue
		}
		raw, ok := ops["get"]
		if !ok {
			continue
		}
		r, model, err := readRoute(p, raw, schemas)
		if err != nil {
			return nil, bad("path %s: %v", p, err)
		}
		spec.Routes = append(spec.Routes, r)
		need = append(need, model)
	}
	if len(spec.Routes) == 0 {
		return nil, bad("no usercollection routes (is it Oura's API document?)")
	}
	sort.Slice(spec.Routes, func(i, j int) bool { return spec.Routes[i].Path < spec.Routes[j].Path })
	if _, ok := schemas["HTTPValidationError"]; ok {
		need = append(need, "HTTPValidationError")
	}
	for len(need) > 0 {
		n := need[0]
		need = need[1:]
		if _, done := spec.Models[n]; done {
			continue
		}
		s, ok := schemas[n]
		if !ok {
			return nil, bad("unknown schema %q", n)
		}
		m := Model{Name: n}
		req := map[string]bool{}
		for _, r := range s.Required {
			req[r] = true
		}
		for _, pn := range s.order {
			ps := s.Properties[pn]
			t, refs, err := normalise(ps, schemas, 0)
			if err != nil {
				return nil, bad("schema %s.%s: %v", n, pn, err)
			}
			need = append(need, refs...)
			m.Fields = append(m.Fields, Field{Name: pn, Type: t, Required: req[pn], MinLength: ps.MinLength})
		}
		spec.Models[n] = m
	}
	spec.OAuth = readOAuth(doc)
	return spec, nil
}

// readRoute reads one GET operation of a usercollection path.
func readRoute(p string, raw json.RawMessage, schemas map[string]schema) (Route, string, error) {
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
		return Route{}, "", err
	}
	r := Route{Path: p, Sandbox: strings.Contains(p, "/sandbox/"), Single: strings.HasSuffix(p, "/{document_id}"), Params: []string{}}
	r.Collection = path.Base(strings.TrimSuffix(p, "/{document_id}"))
	for _, prm := range op.Parameters {
		if prm.In == "query" {
			r.Params = append(r.Params, prm.Name)
		}
	}
	s, err := parseSchema(op.Responses["200"].Content["application/json"].Schema)
	if err != nil {
		return Route{}, "", fmt.Errorf("response: %v", err)
	}
	// A list route answers anyOf[typed envelope, dict envelope]; take the typed one.
	ref := s.Ref
	if ref == "" && len(s.AnyOf) > 0 {
		ref = s.AnyOf[0].Ref
	}
	name := refName(ref)
	if name == "" {
		return Route{}, "", errors.New("its 200 answer names no schema")
	}
	dataModel := func() (string, error) {
		env, ok := schemas[name]
		if !ok {
			return "", fmt.Errorf("unknown schema %q", name)
		}
		data, ok := env.Properties["data"]
		if !ok || data.Items == nil || data.Items.Ref == "" {
			return "", fmt.Errorf("envelope %s has no data array of a model", name)
		}
		return refName(data.Items.Ref), nil
	}
	switch {
	case strings.HasPrefix(name, "MultiDocumentResponse_"):
		r.Envelope = "multi_document"
		r.Model, err = dataModel()
	case strings.HasPrefix(name, "TimeSeriesResponse_"):
		r.Envelope = "time_series"
		r.Model, err = dataModel()
	default:
		r.Envelope = "bare"
		r.Model = name
	}
	return r, r.Model, err
}

// readOAuth reads the authorization code flow of the document's OAuth2
// security scheme.
func readOAuth(doc document) *OAuth {
	for _, ss := range doc.Components.SecuritySchemes {
		if ss.Type != "oauth2" {
			continue
		}
		f, ok := ss.Flows["authorizationCode"]
		if !ok {
			continue
		}
		o := &OAuth{AuthorizeURL: f.AuthorizationURL, TokenURL: f.TokenURL}
		for s := range f.Scopes {
			o.Scopes = append(o.Scopes, s)
		}
		sort.Strings(o.Scopes)
		return o
	}
	return nil
}

func refName(ref string) string { return strings.TrimPrefix(ref, "#/components/schemas/") }

// maxDepth bounds how deep normalise follows aliases and arrays (a
// document may refer to itself).
const maxDepth = 32

// normalise turns a property schema into a Type, returning the object models it refers to.
func normalise(s schema, all map[string]schema, depth int) (Type, []string, error) {
	if depth > maxDepth {
		return Type{}, nil, errors.New("types nest too deep (a schema that refers to itself?)")
	}
	if s.Ref != "" {
		name := refName(s.Ref)
		target, ok := all[name]
		switch {
		case !ok:
			return Type{}, nil, fmt.Errorf("unknown schema %q", name)
		case target.Properties != nil || target.Type == "object":
			return Type{Kind: "object", Ref: name}, []string{name}, nil
		case len(target.Enum) > 0:
			return Type{Kind: "string", Enum: target.Enum, EnumName: name}, nil, nil
		case target.Type == "array":
			if target.Items == nil {
				return Type{Kind: "array", Items: &Type{Kind: "any"}}, nil, nil
			}
			it, refs, err := normalise(*target.Items, all, depth+1)
			return Type{Kind: "array", Items: &it}, refs, err
		default: // scalar alias such as ISODate or LocalizedDateTime
			return Type{Kind: target.Type, Format: name}, nil, nil
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
			t, r, err := normalise(a, all, depth+1)
			if err != nil {
				return Type{}, nil, err
			}
			alts = append(alts, t)
			refs = append(refs, r...)
		}
		if len(alts) == 1 {
			t := alts[0]
			t.Nullable = nullable
			return t, refs, nil
		}
		return Type{Kind: "any", Nullable: nullable, Alts: alts}, refs, nil
	}
	switch s.Type {
	case "array":
		if s.Items == nil {
			return Type{Kind: "array", Items: &Type{Kind: "any"}}, nil, nil
		}
		it, refs, err := normalise(*s.Items, all, depth+1)
		return Type{Kind: "array", Items: &it}, refs, err
	case "":
		return Type{Kind: "any"}, nil, nil
	}
	return Type{Kind: s.Type, Format: s.Format, Enum: s.Enum}, nil, nil
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
		dec := json.NewDecoder(bytes.NewReader(p))
		if _, err := dec.Token(); err != nil {
			return s, err
		}
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return s, err
			}
			k, ok := t.(string)
			if !ok {
				return s, errors.New("properties is not an object")
			}
			s.order = append(s.order, k)
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return s, err
			}
		}
	}
	return s, nil
}
