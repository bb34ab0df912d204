package importer_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/v1compat/internal/v1test"
)

// BenchmarkImportYear imports a year of history saved in four kinds of
// file (the Oura Cloud JSON download and its heart rate file, a 2021-2024
// trends CSV, an Oura on the Web sleep CSV) into a new export folder and
// builds every output (Parquet, CSV, archive). It reports the input's
// bytes per second and the records stored per second.
//
//	go test -run '^$' -bench ImportYear -benchtime 3x ./v1compat/importer/
func BenchmarkImportYear(b *testing.B) {
	w := v1test.NewWorld(b, "2023-01-01", "2023-12-31", nil)
	w.Registry = exporter.MustRegistry(allCollections()...)
	dir := b.TempDir()
	main, heart := cloudJSON(b, w)
	files := []string{
		writeFile(b, dir, "cloud.json", main),
		writeFile(b, dir, "heart.json", heart),
		writeFile(b, dir, "trends.csv", trendsCSV(b, w, trendsEras[len(trendsEras)-1])),
		writeFile(b, dir, "sleep.csv", webCSV(b, w, "sleep", true)),
	}
	var size int64
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		size += info.Size()
	}
	b.SetBytes(size)
	docs, n := 0, 0
	for b.Loop() {
		n++
		res, _, err := importInto(b, filepath.Join(b.TempDir(), "out"), files...)
		if err != nil {
			b.Fatal(err)
		}
		docs = res.Docs()
	}
	b.ReportMetric(float64(docs)*float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(docs), "records")
}
