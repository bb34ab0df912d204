package importer

import (
	"strings"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/v1compat"
)

// FilesCollection holds the files an import did not recognise, kept whole
// (see Import): raw/import_files.ndjson in the archive.
const FilesCollection = "import_files"

// Collections returns the collections imported files are stored in (API
// "import", origin "import" in the unified tables): import_v1_<kind> for
// records shaped like the v1 API's (Oura Cloud JSON and trends CSV),
// import_<collection> for records shaped like a v2 collection's (Oura on
// the Web downloads, Membership Hub exports), and import_files for files
// kept as they were. Each is placed in time like its API twin.
func Collections() []*exporter.Collection {
	var out []*exporter.Collection
	for _, k := range v1compat.Kinds() {
		out = append(out, v1Collection(k))
	}
	for _, c := range exporter.V2Collections(nil) {
		out = append(out, v2Collection(c))
	}
	out = append(out, &exporter.Collection{Name: FilesCollection, API: exporter.APIImport, Kind: exporter.Paged, ID: "sha256", Raw: true,
		Map: func(*schema.Mapper, []byte) error { return nil }})
	for _, c := range out {
		c.Tables = tablesOf(c)
	}
	return out
}

func v1Collection(k v1compat.Kind) *exporter.Collection {
	c := &exporter.Collection{Name: "import_v1_" + string(k), API: exporter.APIImport, Kind: exporter.ByDate, Key: "summary_date",
		Map: func(m *schema.Mapper, doc []byte) error { return v1compat.Map(m, k, doc, schema.OriginImport) }}
	switch k {
	case v1compat.UserInfo:
		c.Kind, c.Key = exporter.Single, ""
	case v1compat.Bedtime:
		c.Key = "date"
	}
	return c
}

func v2Collection(api *exporter.Collection) *exporter.Collection {
	name := api.Name
	return &exporter.Collection{Name: "import_" + strings.ToLower(name), API: exporter.APIImport, Kind: api.Kind, Key: api.Key, ID: api.ID,
		Map: func(m *schema.Mapper, doc []byte) error { return m.MapV2(name, doc, schema.OriginImport) }}
}

// tablesOf returns the tables an import collection maps into.
func tablesOf(c *exporter.Collection) []*schema.Table {
	if k, ok := strings.CutPrefix(c.Name, "import_v1_"); ok {
		return v1compat.Tables(v1compat.Kind(k))
	}
	if c.Name == FilesCollection {
		return nil
	}
	return schema.TablesOf(v2Name(c.Name))
}

// v2Name returns the v2 collection an import_<name> collection mirrors.
func v2Name(importName string) string {
	n := strings.TrimPrefix(importName, "import_")
	for _, c := range exporter.V2Collections(nil) {
		if strings.EqualFold(c.Name, n) {
			return c.Name
		}
	}
	return n
}

// byName are the import collections by name.
var byName = func() map[string]*exporter.Collection {
	m := map[string]*exporter.Collection{}
	for _, c := range Collections() {
		m[c.Name] = c
	}
	return m
}()

// importFor returns the import collection of records shaped like the v2
// collection name, or like v1 records of kind k.
func importV2(name string) *exporter.Collection { return byName["import_"+strings.ToLower(name)] }
func importV1(k v1compat.Kind) *exporter.Collection {
	return byName["import_v1_"+string(k)]
}
