package cli

import (
	"slices"
	"strings"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/schema"
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

// collectionsFor returns the collections to fetch for the APIs, limited to
// names (collection names as export knows them; none: all).
func collectionsFor(apiList []string, names []string) ([]*exporter.Collection, error) {
	var colls []*exporter.Collection
	for _, a := range apiList {
		switch a {
		case "v2":
			colls = append(colls, exporter.V2Collections(schema.CheckV2)...)
		case "v1":
			return nil, usagef("export", "--api v1 is not available yet")
		}
	}
	if len(names) > 0 {
		colls = slices.DeleteFunc(colls, func(c *exporter.Collection) bool { return !slices.Contains(names, c.Name) })
	}
	return colls, nil
}
