package v1compat_test

import (
	"testing"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/catalog"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/v1compat/internal/v1test"
)

// The tests use the shared helpers under short names.
type world = v1test.World

// newWorld starts a sandbox whose exports write CSV and the archive (what
// the tests read; Parquet is left out to save time).
func newWorld(t testing.TB, since, until string, mod func(*sandbox.Options)) *world {
	w := v1test.NewWorld(t, since, until, mod)
	w.Formats = []string{"csv", "archive"}
	w.Registry = catalog.All()
	return w
}

func export(t testing.TB, w *world, out string, colls []*exporter.Collection, mod func(*exporter.FetchOptions)) (*exporter.Result, error) {
	return w.Export(t, out, colls, mod)
}

var (
	tableRows    = v1test.TableRows
	rawDocs      = v1test.RawDocs
	dataFiles    = v1test.DataFiles
	compareFiles = v1test.CompareFiles
	v2Subset     = v1test.V2Subset
	v1Twins      = v1test.V1Twins
)
