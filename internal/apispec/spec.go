// Package apispec reads Oura's OpenAPI documents into a compact form (the
// routes of the usercollection API, the models of their documents, the
// OAuth2 scopes and endpoints) and compares two of them: what a newer
// document adds, removes or changes, per collection, and what ouraexport
// does with each change (Diff). It embeds the compact form of the document
// ouraexport was built from (Base), so "ouraexport spec check --spec FILE"
// needs nothing but the file the user saved. It imports nothing of ours.
//
// The same compact form is testdata/oura/models_v2.json, which the tests of
// the schema and the sandbox read (internal/tools/specgen writes both).
package apispec

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

// OAuth is the document's OAuth2 authorization code flow.
type OAuth struct {
	AuthorizeURL string   `json:"authorize_url,omitempty"`
	TokenURL     string   `json:"token_url,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
}

// Spec is the compact form of an OpenAPI document.
type Spec struct {
	Source string           `json:"source"`
	Routes []Route          `json:"routes"`
	Models map[string]Model `json:"models"`
	OAuth  *OAuth           `json:"oauth,omitempty"`
}

// route returns the route of collection of the given kind, if any.
func (s *Spec) route(collection string, single, sandbox bool) (Route, bool) {
	for _, r := range s.Routes {
		if r.Collection == collection && r.Single == single && r.Sandbox == sandbox {
			return r, true
		}
	}
	return Route{}, false
}

// Collections returns the collections the spec has a list route (or a
// bare route, personal_info) for, outside the sandbox, in path order.
func (s *Spec) Collections() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range s.Routes {
		if !r.Sandbox && !r.Single && !seen[r.Collection] {
			seen[r.Collection] = true
			out = append(out, r.Collection)
		}
	}
	return out
}
