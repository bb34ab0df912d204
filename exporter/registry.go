package exporter

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ouraexport/ouraexport/schema"
)

// Registry is every collection an export may find in its store: those of
// the APIs it fetches (v2, v1) and those imported files are stored in. A
// build reads the registry to merge what earlier runs stored from sources
// this run does not ask (v1 rows kept after Oura retired v1, imported
// files), and to name the outputs' sources. It is built in one place
// (internal/catalog) and passed to Export and Rebuild explicitly, so what an
// export builds never depends on which packages happen to be linked in.
type Registry struct {
	colls []*Collection
	byKey map[string]*Collection
}

// NewRegistry returns the registry of colls, in their order. It refuses a
// collection named twice within its API, and one that maps into no table
// unless it is kept raw only (Collection.Raw): its documents would reach
// no output but the archive, without a word.
func NewRegistry(colls ...*Collection) (*Registry, error) {
	r := &Registry{byKey: map[string]*Collection{}}
	for _, c := range colls {
		k := registryKey(c.API, c.Name)
		if _, dup := r.byKey[k]; dup {
			return nil, fmt.Errorf("exporter: collection %s/%s is registered twice", c.API, c.Name)
		}
		if len(TablesOf(c)) == 0 && !c.Raw {
			return nil, fmt.Errorf("exporter: collection %s/%s maps into no table and is not raw-only", c.API, c.Name)
		}
		r.byKey[k] = c
		r.colls = append(r.colls, c)
	}
	return r, nil
}

// MustRegistry is NewRegistry for registries assembled by the program
// itself; it panics on an error (a programming error every test run catches).
func MustRegistry(colls ...*Collection) *Registry {
	r, err := NewRegistry(colls...)
	if err != nil {
		panic(err)
	}
	return r
}

func registryKey(api, name string) string { return api + "/" + strings.ToLower(name) }

// Collections returns every collection, in registry order.
func (r *Registry) Collections() []*Collection { return slices.Clone(r.colls) }

// Lookup returns the collection of api named name (case-insensitively), nil if there is none.
func (r *Registry) Lookup(api, name string) *Collection { return r.byKey[registryKey(api, name)] }

// TablesOf returns the tables c's documents map into: its own Tables, or
// for a v2 collection those the schema declares for it.
func TablesOf(c *Collection) []*schema.Table {
	if c.Tables != nil || c.API != APIv2 {
		return slices.Clone(c.Tables)
	}
	return schema.TablesOf(c.Name)
}

// With returns a registry of r's collections followed by colls (the raw
// collections an export was asked for by name, say).
func (r *Registry) With(colls ...*Collection) (*Registry, error) {
	return NewRegistry(append(r.Collections(), colls...)...)
}
