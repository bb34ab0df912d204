package cli

import (
	"slices"
	"strings"

	"github.com/ouraexport/ouraexport/exporter"
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

// collectionsFor returns the collections to fetch for the APIs, v2's
// before v1's (v2 wins where both hold a record), limited to names
// (collection names as export knows them; none: all). A v1 collection is
// selected by its own name or by a v2 collection it stands for.
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
	if len(names) > 0 {
		colls = slices.DeleteFunc(colls, func(c *exporter.Collection) bool {
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
	}
	return colls, nil
}
