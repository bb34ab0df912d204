package exporter_test

import (
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/catalog"
	"github.com/ouraexport/ouraexport/schema"
)

// TestEveryTableHasMergeRule: the merge reads each top-level table's rule
// from the schema; a table without one would merge by id alone, and v1
// rows (whose ids are made up) would be duplicated without a word.
func TestEveryTableHasMergeRule(t *testing.T) {
	for _, tb := range schema.Tables() {
		if tb.Parent != "" {
			if tb.Merge != nil {
				t.Errorf("child table %s has a merge rule; its rows go with their parent's", tb.Name)
			}
			continue
		}
		if tb.Merge == nil {
			t.Errorf("table %s has no merge rule", tb.Name)
		}
	}
}

// TestEveryCollectionHasTables: every collection of the registry maps
// into tables (or is kept raw on purpose), and every v2 collection the
// schema declares is one the engine fetches.
func TestEveryCollectionHasTables(t *testing.T) {
	reg := catalog.All()
	for _, c := range reg.Collections() {
		if len(exporter.TablesOf(c)) == 0 && !c.Raw {
			t.Errorf("collection %s/%s maps into no table", c.API, c.Name)
		}
		if got := reg.Lookup(c.API, strings.ToUpper(c.Name)); got != c {
			t.Errorf("Lookup(%s, %s) = %v, want the collection", c.API, c.Name, got)
		}
	}
	for _, name := range schema.Collections() {
		if reg.Lookup(exporter.APIv2, name) == nil {
			t.Errorf("the schema declares collection %s, which the engine does not fetch", name)
		}
	}
	if _, err := exporter.NewRegistry(&exporter.Collection{Name: "mystery", API: "v9"}); err == nil {
		t.Error("a collection without tables was registered")
	}
	dup := exporter.V2Collection("sleep")
	if _, err := exporter.NewRegistry(dup, exporter.V2Collection("sleep")); err == nil {
		t.Error("a collection registered twice was accepted")
	}
}
