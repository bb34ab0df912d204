package exporter_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

// TestAfter: the After hook runs once the sinks have committed, sees their
// files, and what it writes is listed in MANIFEST.json; when it fails, the
// manifest still lists the sinks' files and the export returns its error.
func TestAfter(t *testing.T) {
	w := newWorld(t, "2024-03-01", "2024-03-05", nil)
	failed := errors.New("no report today")
	for _, fail := range []bool{false, true} {
		out := t.TempDir()
		var seen []sinks.File
		after := func(ctx context.Context, root sinks.Dir, files []sinks.File, meta sinks.Meta) ([]sinks.File, error) {
			seen = files
			if _, err := sinks.ReadManifest(root); err == nil {
				t.Error("After ran after MANIFEST.json was written")
			}
			if meta.Period.Since != "2024-03-01" {
				t.Errorf("After got period %v", meta.Period)
			}
			if fail {
				return nil, failed
			}
			fw, err := root.Create("report.html")
			if err != nil {
				return nil, err
			}
			fw.Write([]byte("<!DOCTYPE html><html></html>\n"))
			f, err := fw.Commit()
			return []sinks.File{f}, err
		}
		res, err := exporter.ExportAccount(context.Background(), exporter.AccountOptions{
			Client:   oura.ClientOptions{BaseURL: w.url, Tokens: oura.StaticToken(w.srv.Token(1))},
			State:    out,
			Fetch:    exporter.FetchOptions{Collections: exporter.V2Collections(schema.CheckV2), Until: w.until},
			Out:      func() (sinks.Dir, error) { return sinks.LocalDir(out) },
			Formats:  []string{"csv"},
			Registry: exporter.MustRegistry(exporter.V2Collections(schema.CheckV2)...), ToolVersion: "test",
			After: after,
		})
		if got, want := errors.Is(err, failed), fail; got != want || !fail && err != nil {
			t.Fatalf("fail %v: export: %v", fail, err)
		}
		d, _ := sinks.LocalDir(out)
		m, err := sinks.ReadManifest(d)
		if err != nil {
			t.Fatalf("fail %v: %v", fail, err)
		}
		listed := slices.ContainsFunc(m.Files, func(f sinks.File) bool { return f.Path == "report.html" })
		if listed == fail || len(seen) == 0 || len(m.Files) != len(seen)+map[bool]int{false: 1, true: 0}[fail] {
			t.Errorf("fail %v: the manifest lists %d files (report.html %v), the hook saw %d", fail, len(m.Files), listed, len(seen))
		}
		if rep, err := sinks.Verify(context.Background(), filepath.Clean(out)); err != nil || !rep.OK() {
			t.Errorf("fail %v: verify: %v %v", fail, err, rep.Problems)
		}
		if res == nil {
			t.Fatal("no result")
		}
	}
}
