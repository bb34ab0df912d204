// Package catalog assembles, in one place, every collection ouraexport
// knows: those of the Oura API v2 (checked against the published models),
// those of the retired API v1, and those imported files are stored in. The
// commands pass All to the engine explicitly; nothing registers itself.
package catalog

import (
	"strings"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/scope"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/v1compat"
	"github.com/ouraexport/ouraexport/v1compat/importer"
)

// All returns the registry of every collection a store may hold: v2, then
// v1, then imports (the order of the merge's preference). Each call returns
// new collections. The v2 collections gated by a scope most logins lack
// (internal/scope) are optional: reported, not failed, without it.
func All() *exporter.Registry {
	cs := exporter.V2Collections(schema.CheckV2)
	for _, c := range cs {
		c.Optional = Optional(c.Name)
	}
	cs = append(cs, v1compat.Collections()...)
	cs = append(cs, importer.Collections()...)
	return exporter.MustRegistry(cs...)
}

// Optional returns what makes the v2 collection name optional, nil when
// it is not: the scopes that grant it and what it would add.
func Optional(name string) *exporter.Optional {
	if !scope.Optional(name) {
		return nil
	}
	o := &exporter.Optional{Scopes: scope.For(name)}
	if s, ok := scope.Lookup(o.Scopes[0]); ok {
		o.Adds = "the table " + strings.ToLower(name) + " (" + s.Grants + ")"
	}
	return o
}
