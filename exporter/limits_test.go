package exporter_test

import (
	"slices"
	"testing"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/oura"
)

// TestExportHalvesTooLargeAnswers: a window whose answer is larger than the
// client takes (oura.MaxBody, here 256 KiB) is fetched again in halves,
// until the pages fit, and the export is complete.
func TestExportHalvesTooLargeAnswers(t *testing.T) {
	w := newWorld(t, "2024-01-01", "2024-01-20", nil)
	only := func(o *exporter.FetchOptions) {
		o.Collections = slices.DeleteFunc(o.Collections, func(c *exporter.Collection) bool {
			return c.Name != "heartrate" && c.Name != "personal_info" && c.Name != "ring_configuration"
		})
	}
	want := t.TempDir()
	whole, err := w.export(t, run{out: want, fetch: only})
	if err != nil {
		t.Fatal(err)
	}
	got := t.TempDir()
	res, err := w.export(t, run{out: got, fetch: only, client: func(o *oura.ClientOptions) { o.MaxBody = 256 << 10 }})
	if err != nil {
		t.Fatal(err)
	}
	if g, w := rawDocs(t, got)["heartrate"], rawDocs(t, want)["heartrate"]; !slices.Equal(g, w) || len(w) == 0 {
		t.Errorf("%d heart-rate samples with the limit, %d without", len(g), len(w))
	}
	if res.Requests <= whole.Requests {
		t.Errorf("%d requests, %d without the limit: the windows were not split", res.Requests, whole.Requests)
	}
}
