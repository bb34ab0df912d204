package report

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

// Options configure Build.
type Options struct {
	// Verified is what verifying the export found; nil when it was not
	// verified, and NotVerified then says why.
	Verified    *sinks.Report
	NotVerified string
	// LinkPrefix is put before every file's path in the report's links:
	// the way from the report's folder to the export's root ("" when the
	// report is at the root, as report.html is).
	LinkPrefix string
}

// Build reads the export src and returns its report. It reads the rows of
// every top-level table once (Parquet when the export has it, else CSV,
// else the archive's data/), and nothing but the export's own files.
func Build(ctx context.Context, src *Source, o Options) (*Report, error) {
	var closers []func() error
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	m := src.Manifest
	parts := src.parts()
	if missingRows(m, parts) {
		if err := src.openInner(ctx, &closers); err != nil {
			return nil, err
		}
		parts = src.parts()
	}
	f, err := src.collect(ctx, parts)
	if err != nil {
		return nil, err
	}
	r := &Report{Subject: m.Subject, ExportedAt: m.ExportedAt, ToolVersion: m.ToolVersion, SchemaVersion: m.SchemaVersion,
		Sources: m.Sources, Notes: m.Notes}
	var unread []string
	if src.locked != "" {
		unread = append(unread, src.locked)
	}
	for _, u := range f.unread {
		unread = append(unread, u+" (run 'ouraexport verify')")
	}
	r.Unread = strings.Join(unread, "; ")
	r.Period = period(m.Period, f)
	for _, name := range []string{"v2", "v1", "import"} {
		if n := f.origins[name]; n > 0 {
			r.Origins = append(r.Origins, Count{name, n})
		}
	}
	for name, n := range f.origins {
		r.Records += n
		if name != "v2" && name != "v1" && name != "import" && n > 0 {
			r.Origins = append(r.Origins, Count{name, n})
		}
	}
	seen := map[format]bool{}
	for _, ps := range parts {
		seen[ps[0].format] = true
	}
	for _, fm := range []format{formatParquet, formatCSV, formatNDJSON} {
		if seen[fm] {
			r.Read = append(r.Read, fm.String())
		}
	}
	r.Verify = verification(o)
	r.Coverage, r.Gaps, r.NotWorn = calendars(f, r.Period, refusals(m.Notes))
	r.Trends = trends(f, r.Period)
	r.Stages = stages(f, r.Period)
	r.Tables, r.Archives = tables(src, f, o.LinkPrefix)
	return r, nil
}

// missingRows reports whether some top-level table of the export has no
// Parquet or CSV file, so that its rows must come from the archive.
func missingRows(m sinks.Manifest, parts map[string][]part) bool {
	hasArchive := false
	for _, f := range m.Files {
		hasArchive = hasArchive || isArchive(f.Path)
	}
	if !hasArchive {
		return false
	}
	if len(parts) == 0 {
		return true
	}
	for _, t := range schema.Tables() {
		if _, ok := parts[t.Name]; !ok && t.Parent == "" {
			return true
		}
	}
	return false
}

// period is the export's period, else the days its records span.
func period(mp sinks.Period, f *facts) Period {
	var p Period
	first, ok1 := parseDay(mp.Since)
	last, ok2 := parseDay(mp.Until)
	var lo, hi Day
	any := false
	for _, t := range f.tables {
		if !t.dated {
			continue
		}
		if !any || t.first < lo {
			lo = t.first
		}
		if !any || t.last > hi {
			hi = t.last
		}
		any = true
	}
	p.First, p.Last = first, last
	if !ok1 {
		p.First = lo
	}
	if !ok2 {
		p.Last = hi
	}
	if !ok1 && !ok2 && !any {
		return Period{First: 1, Last: 0}
	}
	return p
}

// verification says what verifying found, for people.
func verification(o Options) Verification {
	if o.Verified == nil {
		note := o.NotVerified
		if note == "" {
			note = "This report did not verify the files; run 'ouraexport verify' on the export."
		}
		return Verification{Note: note}
	}
	v := Verification{Done: true, Files: o.Verified.Files, Rows: o.Verified.Rows}
	for _, p := range o.Verified.Problems {
		v.Problems = append(v.Problems, p.String())
	}
	return v
}

// tables describes every table of the export, parents before their
// children, and its archives.
func tables(src *Source, f *facts, prefix string) ([]*TableInfo, []FileInfo) {
	by := map[string]*TableInfo{}
	var archives []FileInfo
	link := func(p string) string {
		if src.archive != "" {
			return prefix + src.archive
		}
		return prefix + p
	}
	files := src.Manifest.Files
	if src.archive != "" {
		archives = append(archives, FileInfo{Path: src.archive, Href: prefix + src.archive})
	}
	add := func(file sinks.File, href string) {
		t, _ := tableOf(file.Path)
		if t == nil {
			return
		}
		ti := by[t.Name]
		if ti == nil {
			ti = &TableInfo{Name: t.Name, Parent: t.Parent}
			by[t.Name] = ti
		}
		ti.Files = append(ti.Files, FileInfo{Path: file.Path, Href: href, Size: file.Size, Rows: file.Rows})
	}
	for _, file := range files {
		if isArchive(file.Path) {
			archives = append(archives, FileInfo{Path: file.Path, Href: link(file.Path), Size: file.Size, Rows: file.Rows})
			continue
		}
		add(file, link(file.Path))
	}
	// Tables that only the folder's archive holds link to it.
	inFiles := map[string]bool{}
	for name := range by {
		inFiles[name] = true
	}
	for _, file := range src.inner {
		if t, _ := tableOf(file.Path); t != nil && !inFiles[t.Name] {
			add(file, prefix+src.innerArchive)
		}
	}
	for _, ti := range by {
		ti.Rows = rowsOf(ti.Files)
		if tf := f.tables[ti.Name]; tf != nil {
			if tf.dated {
				ti.First, ti.Last, ti.Dated = tf.first, tf.last, true
			}
			if tf.timed {
				ti.FirstAt, ti.LastAt = formatInstant(tf.firstUs, tf.firstOff), formatInstant(tf.lastUs, tf.lastOff)
			}
		}
		slices.SortFunc(ti.Files, func(a, b FileInfo) int { return strings.Compare(a.Path, b.Path) })
	}
	var out []*TableInfo
	for _, t := range schema.Tables() {
		if ti := by[t.Name]; ti != nil {
			out = append(out, ti)
		}
	}
	return out, archives
}

// rowsOf returns a table's rows from its files: those of one format (each
// format holds every row), the one with the most.
func rowsOf(files []FileInfo) int64 {
	per := map[string]int64{}
	for _, f := range files {
		per[path.Ext(f.Path)] += f.Rows
	}
	var n int64
	for _, r := range per {
		n = max(n, r)
	}
	return n
}
