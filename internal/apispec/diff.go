package apispec

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Knows is what ouraexport models, which decides what it does with a
// change: the collections a table holds, the fields a column holds (by
// dotted path, "contributors.deep_sleep"), the scopes of its scope table,
// and the collections that are optional.
type Knows interface {
	Table(collection string) (table string, ok bool)
	Column(collection, field string) (column string, ok bool)
	Scope(name string) bool
	Optional(collection string) bool
}

// Change is one difference between two specs, and what ouraexport does
// about it.
type Change struct {
	// Collection is the route name the change is about; "" for the OAuth2
	// flow (scopes, endpoints).
	Collection string
	// Kind says what changed: one of the Kind* constants.
	Kind string
	// Name is the route path, the field's dotted path, the parameter or
	// the scope.
	Name string
	// Detail adds the types or values ("integer, was number").
	Detail string
	// Action says what ouraexport does with it.
	Action string
	// Breaks is set for the changes that make an export partial (exit 3)
	// until ouraexport follows them.
	Breaks bool
}

// The kinds of change.
const (
	KindNewRoute       = "new route"
	KindRemovedRoute   = "removed route"
	KindNewField       = "new field"
	KindRemovedField   = "removed field"
	KindChangedField   = "changed field"
	KindNewParam       = "new parameter"
	KindRemovedParam   = "removed parameter"
	KindNewScope       = "new scope"
	KindRemovedScope   = "removed scope"
	KindChangedOAuth   = "changed endpoint"
	KindChangedPayload = "changed answer"
)

// Report is the comparison of a newer spec with an older one.
type Report struct {
	Old, New string // the specs' sources
	Changes  []Change
}

// Breaking returns the changes that make an export partial until
// ouraexport follows them.
func (r *Report) Breaking() []Change {
	var out []Change
	for _, c := range r.Changes {
		if c.Breaks {
			out = append(out, c)
		}
	}
	return out
}

// params are the query parameters the export's requests use.
var params = []string{"start_date", "end_date", "start_datetime", "end_datetime", "next_token"}

// Diff compares newer with old, collection by collection (routes, their
// parameters and envelopes, their documents' fields at any depth), then
// the OAuth2 flow, and says for each change what ouraexport does (k).
func Diff(old, newer *Spec, k Knows) *Report {
	r := &Report{Old: old.Source, New: newer.Source}
	colls := append(old.Collections(), newer.Collections()...)
	slices.Sort(colls)
	colls = slices.Compact(colls)
	for _, c := range colls {
		r.Changes = append(r.Changes, diffCollection(old, newer, c, k)...)
	}
	r.Changes = append(r.Changes, diffOAuth(old.OAuth, newer.OAuth, k)...)
	return r
}

func diffCollection(old, newer *Spec, c string, k Knows) []Change {
	var out []Change
	add := func(ch Change) { ch.Collection = c; out = append(out, ch) }
	table, modelled := k.Table(c)
	or, inOld := old.route(c, false, false)
	nr, inNew := newer.route(c, false, false)
	switch {
	case !inOld && inNew:
		ch := Change{Kind: KindNewRoute, Name: nr.Path, Detail: describeRoute(nr)}
		if modelled {
			ch.Action = "exported into table " + table + ": ouraexport models it already"
		} else {
			ch.Action = "not modelled yet: export it raw with --collections all," + c + " (its documents are kept exactly as received, in the archive's raw/" + c + ".ndjson)"
		}
		add(ch)
		return out
	case inOld && !inNew:
		ch := Change{Kind: KindRemovedRoute, Name: or.Path}
		if k.Optional(c) {
			ch.Action = "ouraexport still asks for it, an optional collection: the server's 404 is reported, not failed"
		} else {
			ch.Action = "ouraexport still asks for it: the server's 404 makes the export partial (exit 3); leave it out with --collections until ouraexport drops it"
			ch.Breaks = true
		}
		add(ch)
		return out
	}
	for _, p := range params {
		switch had, has := slices.Contains(or.Params, p), slices.Contains(nr.Params, p); {
		case had && !has:
			add(Change{Kind: KindRemovedParam, Name: p, Action: "ouraexport asks with it: if the server refuses it the export is partial (exit 3)", Breaks: true})
		case !had && has:
			add(Change{Kind: KindNewParam, Name: p, Action: "not used: ouraexport asks as before"})
		}
	}
	for _, p := range nr.Params {
		if !slices.Contains(or.Params, p) && !slices.Contains(params, p) {
			add(Change{Kind: KindNewParam, Name: p, Action: "not used: ouraexport asks as before"})
		}
	}
	if or.Envelope != nr.Envelope {
		add(Change{Kind: KindChangedPayload, Name: nr.Path, Detail: nr.Envelope + ", was " + or.Envelope,
			Action: "ouraexport reads the documents of the old envelope: expect the collection to fail (exit 3)", Breaks: true})
	}
	of, nf := fields(old, or.Model), fields(newer, nr.Model)
	names := make([]string, 0, len(of)+len(nf))
	for n := range of {
		names = append(names, n)
	}
	for n := range nf {
		if _, ok := of[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		o, had := of[n]
		f, has := nf[n]
		col, mapped := k.Column(c, n)
		where := "column " + col
		switch {
		case !had:
			ch := Change{Kind: KindNewField, Name: n, Detail: f.describe()}
			switch {
			case mapped:
				ch.Action = "mapped to " + where + ": ouraexport knows it already"
			case modelled:
				ch.Action = "kept in the extra column (JSON) of table " + table + ", under its name"
			default:
				ch.Action = "kept in the raw documents"
			}
			add(ch)
		case !has:
			ch := Change{Kind: KindRemovedField, Name: n, Detail: o.describe(), Action: "nothing: it was not mapped"}
			if mapped {
				ch.Action = where + " stays empty (null) in new rows"
			}
			add(ch)
		default:
			if d := o.differ(f); d != "" {
				ch := Change{Kind: KindChangedField, Name: n, Detail: d}
				switch {
				case !mapped:
					ch.Action = "nothing: it is kept as received"
				case o.enumOnly(f):
					ch.Action = where + " holds the values as text: new values are kept as they are"
				default:
					ch.Action = "values that fit " + where + " are mapped; the others are kept in the extra column and counted in the export's summary"
				}
				add(ch)
			}
		}
	}
	return out
}

func describeRoute(r Route) string {
	return r.Envelope + " of " + r.Model + ", parameters " + strings.Join(r.Params, ", ")
}

func diffOAuth(old, newer *OAuth, k Knows) []Change {
	if old == nil {
		old = &OAuth{}
	}
	if newer == nil {
		return nil // a document without the flow says nothing about it
	}
	var out []Change
	for _, s := range newer.Scopes {
		if slices.Contains(old.Scopes, s) {
			continue
		}
		ch := Change{Kind: KindNewScope, Name: s, Action: "in ouraexport's scope table: 'auth status' shows whether your login holds it"}
		if !k.Scope(s) {
			ch.Action = "not in ouraexport's scope table: ask for it with 'auth login --scopes ...," + s + "' (and allow it on Oura's page)"
		}
		out = append(out, ch)
	}
	for _, s := range old.Scopes {
		if !slices.Contains(newer.Scopes, s) {
			out = append(out, Change{Kind: KindRemovedScope, Name: s, Action: "no longer offered: a login asking for it may be refused; leave it out of --scopes"})
		}
	}
	if newer.TokenURL != "" && newer.TokenURL != old.TokenURL {
		out = append(out, Change{Kind: KindChangedOAuth, Name: "token URL", Detail: newer.TokenURL + ", was " + old.TokenURL,
			Action: "ouraexport tries Oura's legacy and developer-portal token endpoints, each when the other refuses the app; another one: auth login --token-url " + newer.TokenURL})
	}
	if newer.AuthorizeURL != "" && newer.AuthorizeURL != old.AuthorizeURL {
		out = append(out, Change{Kind: KindChangedOAuth, Name: "authorize URL", Detail: newer.AuthorizeURL + ", was " + old.AuthorizeURL,
			Action: "log in with auth login --auth-url " + newer.AuthorizeURL})
	}
	return out
}

// leaf is a field at any depth, by dotted path.
type leaf struct {
	t   Type
	req bool
}

func (l leaf) describe() string {
	d := l.t.Kind
	if l.t.Format != "" {
		d += " (" + l.t.Format + ")"
	}
	if l.t.Nullable {
		d += " or null"
	}
	if len(l.t.Enum) > 0 {
		d += " of " + strings.Join(l.t.Enum, ", ")
	}
	if l.req {
		d += ", required"
	}
	return d
}

// differ describes how l and m differ, "" when they do not.
func (l leaf) differ(m leaf) string {
	var d []string
	if l.t.Kind != m.t.Kind {
		d = append(d, m.t.Kind+", was "+l.t.Kind)
	}
	if l.t.Format != m.t.Format {
		d = append(d, fmt.Sprintf("format %q, was %q", m.t.Format, l.t.Format))
	}
	if l.t.Nullable != m.t.Nullable {
		d = append(d, map[bool]string{true: "may be null now", false: "no longer null"}[m.t.Nullable])
	}
	if l.req != m.req {
		d = append(d, map[bool]string{true: "required now", false: "no longer required"}[m.req])
	}
	var added []string
	for _, e := range m.t.Enum {
		if !slices.Contains(l.t.Enum, e) {
			added = append(added, e)
		}
	}
	if len(added) > 0 {
		d = append(d, "new values "+strings.Join(added, ", "))
	}
	return strings.Join(d, "; ")
}

// enumOnly reports whether l and m differ in enum values only.
func (l leaf) enumOnly(m leaf) bool {
	a, b := l, m
	a.t.Enum, b.t.Enum = nil, nil
	return a.differ(b) == ""
}

// fields returns the leaves of model at any depth, by dotted path (members
// of objects and of arrays of objects joined with "."), as the schema's
// columns name their v2 fields.
func fields(s *Spec, model string) map[string]leaf {
	out := map[string]leaf{}
	var walk func(model, prefix string, depth int)
	walk = func(model, prefix string, depth int) {
		m, ok := s.Models[model]
		if !ok || depth > maxDepth {
			return
		}
		for _, f := range m.Fields {
			p := f.Name
			if prefix != "" {
				p = prefix + "." + f.Name
			}
			t := f.Type
			switch {
			case t.Kind == "object" && t.Ref != "":
				walk(t.Ref, p, depth+1)
			case t.Kind == "array" && t.Items != nil && t.Items.Kind == "object" && t.Items.Ref != "":
				walk(t.Items.Ref, p, depth+1)
			default:
				out[p] = leaf{t: t, req: f.Required}
			}
		}
	}
	walk(model, "", 0)
	return out
}
