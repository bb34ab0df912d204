package report_test

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/report"
	"github.com/ouraexport/ouraexport/sinks"
)

// TestFormats builds the report of one export from each format it has:
// Parquet, CSV (the Parquet files left out of the manifest), the archive's
// data/ folder inside the export (Parquet and CSV left out), and the
// archive alone. Every number must be the same.
func TestFormats(t *testing.T) {
	binary(t)
	dir := filepath.Join(t.TempDir(), "export")
	since := time.Now().UTC().AddDate(0, 0, -40).Format(time.DateOnly)
	if code, out, err := run(nil, "export", "--sandbox", "--since", since, "--format", "parquet,csv,archive", "--out", dir, "--quiet"); err != nil || code != 0 {
		t.Fatalf("export: exit %d, %v: %s", code, err, out)
	}
	d, err := sinks.LocalDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sinks.ReadManifest(d)
	if err != nil {
		t.Fatal(err)
	}
	without := func(prefixes ...string) sinks.Manifest {
		mm := m
		mm.Files = slices.DeleteFunc(slices.Clone(m.Files), func(f sinks.File) bool {
			for _, p := range prefixes {
				if strings.HasPrefix(f.Path, p) {
					return true
				}
			}
			return false
		})
		return mm
	}
	build := func(src *report.Source) *report.Report {
		t.Helper()
		r, err := report.Build(context.Background(), src, report.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	want := build(report.FromDir(d, m, nil))
	archive, closeArchive, err := report.OpenArchive(filepath.Join(dir, "archive", "oura-export.zip"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeArchive()
	for _, c := range []struct {
		name string
		src  *report.Source
		read string
	}{
		{"csv", report.FromDir(d, without("parquet/"), nil), "CSV"},
		{"archive in the folder", report.FromDir(d, without("parquet/", "csv/"), nil), "archive data/"},
		{"archive alone", archive, "archive data/"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := build(c.src)
			if !slices.Equal(got.Read, []string{c.read}) {
				t.Errorf("read from %v, want %s", got.Read, c.read)
			}
			if got.Records != want.Records || !reflect.DeepEqual(got.Origins, want.Origins) || got.Period != want.Period {
				t.Errorf("records %d %v, period %v; want %d %v, %v", got.Records, got.Origins, got.Period, want.Records, want.Origins, want.Period)
			}
			if !reflect.DeepEqual(got.Gaps, want.Gaps) || got.NotWorn != want.NotWorn {
				t.Errorf("gaps differ: %d ranges (%d days not worn), want %d (%d)", len(got.Gaps), got.NotWorn, len(want.Gaps), want.NotWorn)
			}
			if !reflect.DeepEqual(got.Coverage, want.Coverage) {
				t.Error("coverage calendars differ")
			}
			if !reflect.DeepEqual(got.Trends, want.Trends) || !reflect.DeepEqual(got.Stages, want.Stages) {
				t.Error("trends differ")
			}
			for _, wt := range want.Tables {
				i := slices.IndexFunc(got.Tables, func(x *report.TableInfo) bool { return x.Name == wt.Name })
				if i < 0 {
					t.Errorf("no table %s", wt.Name)
					continue
				}
				gt := got.Tables[i]
				if gt.Rows != wt.Rows || gt.First != wt.First || gt.Last != wt.Last || gt.FirstAt != wt.FirstAt || gt.LastAt != wt.LastAt {
					t.Errorf("%s: %d rows %s..%s %s..%s, want %d %s..%s %s..%s", wt.Name, gt.Rows, gt.First, gt.Last, gt.FirstAt, gt.LastAt,
						wt.Rows, wt.First, wt.Last, wt.FirstAt, wt.LastAt)
				}
			}
		})
	}
	t.Run("verify accepts the report", func(t *testing.T) {
		rep, err := sinks.Verify(context.Background(), dir)
		if err != nil || !rep.OK() {
			t.Fatalf("verify: %v %v", err, rep.Problems)
		}
		if !slices.ContainsFunc(m.Files, func(f sinks.File) bool { return f.Path == report.Name && f.Rows == 0 && f.Size > 0 }) {
			t.Errorf("MANIFEST.json does not list %s", report.Name)
		}
	})
}
