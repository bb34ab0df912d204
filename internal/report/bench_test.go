package report_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/report"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/sinks"
)

// benchExport exports years of user n of a sandbox (Parquet) into a
// folder of the benchmark, once per run of the benchmark function.
func benchExport(b *testing.B, dir string, years, user int) {
	b.Helper()
	until := sandbox.DateOf(time.Now().UTC())
	since := sandbox.DateOf(time.Now().UTC().AddDate(-years, 0, 1))
	if _, err := exportSandbox(dir, sandbox.Options{Users: max(user, 1), Since: since, Until: until, NoGzip: true}, []string{"parquet"}, user); err != nil {
		b.Fatal(err)
	}
}

// buildAndRender is what writing a report costs: read the export, build
// the model, render the page.
func buildAndRender(b *testing.B, dir string) int {
	d, err := sinks.LocalDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	src, err := report.ReadDir(d, nil)
	if err != nil {
		b.Fatal(err)
	}
	r, err := report.Build(context.Background(), src, report.Options{})
	if err != nil {
		b.Fatal(err)
	}
	page, err := report.Render(r)
	if err != nil {
		b.Fatal(err)
	}
	return len(page)
}

// BenchmarkReport builds and renders the report of a sandbox export of 1
// 5 and 10 years (Parquet), reporting the page's size.
func BenchmarkReport(b *testing.B) {
	for _, years := range []int{1, 5, 10} {
		b.Run(fmt.Sprintf("years=%d", years), func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "export")
			benchExport(b, dir, years, 1)
			var size int
			b.ResetTimer()
			for b.Loop() {
				size = buildAndRender(b, dir)
			}
			b.ReportMetric(float64(size)/1e3, "kB/page")
		})
	}
}

// BenchmarkCohortReports builds the reports of a cohort of 20
// participants (5 years each, Parquet) and its index page.
func BenchmarkCohortReports(b *testing.B) {
	const participants, years = 20, 5
	root := b.TempDir()
	var dirs []string
	for i := 1; i <= participants; i++ {
		dir := filepath.Join(root, fmt.Sprintf("participant=p%02d", i))
		benchExport(b, dir, years, i)
		dirs = append(dirs, dir)
	}
	d, err := sinks.LocalDir(root)
	if err != nil {
		b.Fatal(err)
	}
	var total, index int
	b.ResetTimer()
	for b.Loop() {
		total = 0
		ix := report.Index{Title: "bench"}
		for i, dir := range dirs {
			total += buildAndRender(b, dir)
			ix.Participants = append(ix.Participants, report.Participant{ID: fmt.Sprintf("p%02d", i+1), Status: "complete",
				Report: filepath.Base(dir) + "/report.html"})
		}
		f, err := report.WriteIndex(d, ix)
		if err != nil {
			b.Fatal(err)
		}
		index = int(f.Size)
	}
	b.ReportMetric(float64(total)/1e6, "MB/reports")
	b.ReportMetric(float64(index)/1e3, "kB/index")
	os.RemoveAll(root)
}
