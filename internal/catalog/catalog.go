// Package catalog assembles, in one place, every collection ouraexport
// knows: those of the Oura API v2 (checked against the published models),
// those of the retired API v1, and those imported files are stored in. The
// commands pass All to the engine explicitly; nothing registers itself.
package catalog

import (
	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/v1compat"
	"github.com/ouraexport/ouraexport/v1compat/importer"
)

// All returns the registry of every collection a store may hold: v2, then
// v1, then imports (the order of the merge's preference). Each call returns
// new collections.
func All() *exporter.Registry {
	cs := exporter.V2Collections(schema.CheckV2)
	cs = append(cs, v1compat.Collections()...)
	cs = append(cs, importer.Collections()...)
	return exporter.MustRegistry(cs...)
}
