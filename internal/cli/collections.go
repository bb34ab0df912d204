package cli

import (
	"slices"
	"strings"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/catalog"
)

// apis are the API versions export can read, in the order --api lists them.
var apis = []string{"v2", "v1"}

// parseAPIs checks an --api list.
func parseAPIs(list []string) ([]string, error) {
	if len(list) == 0 {
		return []string{"v2"}, nil
	}
	var out []string
	for _, a := range list {
		a = strings.ToLower(a)
		if !slices.Contains(apis, a) {
			return nil, usagef("export", "--api %q: choose v2, v1 or v1,v2", a)
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// v1Twins names, for each v1 collection, the v2 collections it stands for:
// --collections sleep selects v1_sleep too.
var v1Twins = map[string][]string{
	"v1_userinfo":  {"personal_info"},
	"v1_sleep":     {"sleep", "daily_sleep"},
	"v1_activity":  {"daily_activity"},
	"v1_readiness": {"daily_readiness"},
	"v1_bedtime":   {"sleep_time"},
}

// allCollectionsName in --collections stands for every collection (those
// named beside it are added: --collections all,meal).
const allCollectionsName = "all"

// selection is what an export asks for: the registry of what its store may
// hold, the collections to fetch, and notes for the person about names
// that are not collections ouraexport models.
type selection struct {
	reg   *exporter.Registry
	colls []*exporter.Collection
	notes []string
}

// selectCollections returns the selection of o's --api and --collections:
// collectionsFor, with the raw collections added to the registry.
func selectCollections(o exportOptions) (selection, error) {
	reg := catalog.All()
	colls, err := collectionsFor(reg, o.apis, o.collections)
	if err != nil {
		return selection{}, err
	}
	sel := selection{reg: reg, colls: colls}
	var raw []*exporter.Collection
	for _, c := range colls {
		if !c.Raw || c.API != exporter.APIv2 {
			continue
		}
		raw = append(raw, c)
		note := c.Name + " is not a collection this version of ouraexport models: it is asked of the server as it is, and its documents are kept exactly as received in the archive (raw/" + c.Name + ".ndjson), in no table"
		if !slices.Contains(o.formats, "archive") {
			note += "; without --format archive they stay in the export's store only"
		}
		sel.notes = append(sel.notes, note)
	}
	if len(raw) > 0 {
		if sel.reg, err = reg.With(raw...); err != nil {
			return selection{}, err
		}
	}
	return sel, nil
}

// collectionsFor returns the collections to fetch for the APIs, v2's
// before v1's (v2 wins where both hold a record), limited to names
// (collection names as export knows them; none: all). A v1 collection is
// selected by its own name or by a v2 collection it stands for. A name
// that is no collection ouraexport knows is a v2 collection kept raw
// (exporter.RawCollection). An optional collection named is no longer
// optional: it was asked for, and a refusal makes the export partial.
func collectionsFor(reg *exporter.Registry, apiList []string, names []string) ([]*exporter.Collection, error) {
	var colls []*exporter.Collection
	for _, api := range []string{exporter.APIv2, exporter.APIv1} {
		if !slices.Contains(apiList, api) {
			continue
		}
		for _, c := range reg.Collections() {
			if c.API == api {
				colls = append(colls, c)
			}
		}
	}
	all := slices.Contains(names, allCollectionsName)
	names = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == allCollectionsName })
	if len(names) == 0 {
		return colls, nil
	}
	colls = slices.DeleteFunc(colls, func(c *exporter.Collection) bool {
		if all {
			return false
		}
		if slices.Contains(names, c.Name) {
			return false
		}
		for _, twin := range v1Twins[c.Name] {
			if slices.Contains(names, twin) {
				return false
			}
		}
		return true
	})
	for i, c := range colls {
		if c.Optional != nil && slices.Contains(names, c.Name) {
			asked := *c
			asked.Optional = nil
			colls[i] = &asked
		}
	}
	for _, n := range names {
		if exporter.V2Collection(n) != nil {
			continue
		}
		if !slices.Contains(apiList, exporter.APIv2) {
			return nil, usagef("export", "--collections %s: not a collection ouraexport models, and only API v2 is asked for collections it does not model: add --api v2", n)
		}
		c, err := exporter.RawCollection(n)
		if err != nil {
			return nil, usagef("export", "--collections: %v", err)
		}
		colls = append(colls, c)
	}
	return colls, nil
}
