package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/ouraexport/ouraexport/internal/atomicfile"
	"github.com/ouraexport/ouraexport/internal/auth"
	"github.com/ouraexport/ouraexport/internal/cohort"
	"github.com/ouraexport/ouraexport/internal/crypt"
	"github.com/ouraexport/ouraexport/internal/report"
	"github.com/ouraexport/ouraexport/sinks"
)

const reportLong = `Writes the report of an export: one HTML page that shows whose data it is
and for which days, where the records came from, whether the files verify,
a calendar of every group of collections with its gaps and their reasons
(ring not worn, refused by the server, no records), the trends of the
scores, sleep, resting heart rate, HRV and steps, and every table with its
files. It is drawn from the export's own files and loads nothing.

PATH is an export folder (the --out of export or import: the report is
PATH/report.html, and MANIFEST.json lists it), a single archive (.zip, or
.zip.age with its key: the report goes beside it, as <name>.report.html),
or a cohort folder (the --out of export --accounts: report.html there
links each participant's report).

export and import write report.html after every run themselves, unless
given --no-report.`

const reportNotes = `Exit status: 0 done; 1 failed, or the files do not verify (the report
lists the problems); 2 PATH is not an export.`

// reportFlags are the report command line.
type reportFlags struct {
	out            string
	open, noVerify bool
	keys           identityFlags
}

// reportCommand is 'ouraexport report'.
func reportCommand(s Streams) *cobra.Command {
	var f reportFlags
	c := &cobra.Command{
		Use:               "report [--out FILE] [--open] [--no-verify] [--identity FILE | --passphrase-file FILE] PATH",
		Short:             "write the HTML report of an export: coverage calendar, gaps, trends, files",
		Long:              reportLong,
		Annotations:       map[string]string{NotesAnnotation: reportNotes},
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeOnePath,
		RunE: func(c *cobra.Command, args []string) error {
			return runReport(c.Context(), f, args, s)
		},
	}
	fs := c.Flags()
	fs.StringVar(&f.out, "out", "", "write the report to FILE instead (the manifest is left alone)")
	fs.BoolVar(&f.open, "open", false, "open the report in your browser")
	fs.BoolVar(&f.noVerify, "no-verify", false, "do not re-read the files first (the report then says so)")
	f.keys.register(fs)
	flagArgs(fs, "out=FILE")
	return c
}

// openReport opens a written report in the browser; tests replace it.
var openReport = auth.OpenFile

func runReport(ctx context.Context, f reportFlags, pos []string, s Streams) error {
	const cmd = "report"
	if len(pos) != 1 {
		return usagef(cmd, "report takes one PATH: an export folder, an archive or a cohort folder")
	}
	ids, err := f.keys.identities()
	if err != nil {
		return err
	}
	out, open, noVerify := f.out, f.open, f.noVerify
	path := pos[0]
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("report: %w: %w; give the folder that 'ouraexport export --out' wrote, or an archive", ErrBadInput, err)
	}
	var written string
	var rep *sinks.Report
	switch {
	case fi.IsDir() && exists(filepath.Join(path, sinks.ManifestName)):
		written, rep, err = reportFolder(ctx, path, out, !noVerify, ids)
	case fi.IsDir() && exists(filepath.Join(path, cohort.ManifestFolder)):
		written, err = reportCohort(path, out)
	case !fi.IsDir() && (strings.HasSuffix(path, ".zip") || strings.HasSuffix(path, ".zip"+crypt.Ext)):
		written, rep, err = reportArchive(ctx, path, out, !noVerify, ids)
	default:
		return fmt.Errorf("report: %w: %s is not an ouraexport export (no %s), a cohort (no %s/) or an archive (.zip)",
			ErrBadInput, path, sinks.ManifestName, cohort.ManifestFolder)
	}
	switch {
	case errors.Is(err, report.ErrLocked):
		return fmt.Errorf("report %s: %w: %w", path, ErrBadInput, err)
	case err != nil:
		return fmt.Errorf("report %s: %w", path, err)
	}
	fmt.Fprintf(s.Out, "wrote %s\n", written)
	if open {
		openWritten(s.Err, written)
	}
	if rep != nil && !rep.OK() {
		return fmt.Errorf("the report is written, but verification found %d problems (listed in it, and by 'ouraexport verify %s')", len(rep.Problems), path)
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// verification verifies an export (path as sinks.Verify takes it) for
// its report, or says why it was not verified.
func verification(ctx context.Context, path string, verify bool, ids []age.Identity) (report.Options, *sinks.Report, error) {
	if !verify {
		return report.Options{NotVerified: "Written with --no-verify: the files were not re-read; check them with 'ouraexport verify'."}, nil, nil
	}
	if ids != nil {
		ctx = crypt.WithIdentities(ctx, ids)
	}
	rep, err := sinks.Verify(ctx, path)
	if err != nil {
		return report.Options{}, nil, fmt.Errorf("verify: %w", err)
	}
	return report.Options{Verified: &rep}, &rep, nil
}

// reportFolder writes the report of an export folder: into the folder
// (listed in MANIFEST.json), or to out.
func reportFolder(ctx context.Context, dir, out string, verify bool, ids []age.Identity) (string, *sinks.Report, error) {
	if out == "" && isParticipant(dir) {
		return "", nil, usagef("report", "%s is a participant of a cohort, whose manifest records this folder's MANIFEST.json: "+
			"report on the cohort folder, or write this report elsewhere with --out FILE", dir)
	}
	o, rep, err := verification(ctx, dir, verify, ids)
	if err != nil {
		return "", nil, err
	}
	d, err := sinks.LocalDir(dir)
	if err != nil {
		return "", nil, err
	}
	src, err := report.ReadDir(d, ids)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	if out != "" {
		o.LinkPrefix, err = linkPrefix(out, dir)
		if err != nil {
			return "", nil, err
		}
		return out, rep, writeReportFile(ctx, src, o, out)
	}
	r, err := report.Build(ctx, src, o)
	if err != nil {
		return "", nil, err
	}
	f, err := report.Write(d, report.Name, r)
	if err != nil {
		return "", nil, err
	}
	// The manifest lists the report: replace its entry, keep the rest.
	m := src.Manifest
	files := m.Files[:0:0]
	for _, x := range m.Files {
		if x.Path != report.Name {
			files = append(files, x)
		}
	}
	m.Files = append(files, f)
	m.CreatedAt = time.Now().UTC()
	if err := sinks.WriteManifest(d, m); err != nil {
		return "", nil, err
	}
	return filepath.Join(dir, report.Name), rep, nil
}

// isParticipant reports whether dir is a participant's folder of a cohort.
func isParticipant(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	return strings.HasPrefix(filepath.Base(abs), cohort.FolderPrefix) && exists(filepath.Join(filepath.Dir(abs), cohort.ManifestFolder))
}

// reportArchive writes the report of a single archive, beside it or to out.
func reportArchive(ctx context.Context, file, out string, verify bool, ids []age.Identity) (string, *sinks.Report, error) {
	if out == "" {
		for _, root := range []string{filepath.Dir(file), filepath.Dir(filepath.Dir(file))} {
			if exists(filepath.Join(root, sinks.ManifestName)) {
				return "", nil, usagef("report", "%s is part of the export in %s, whose manifest would not list a report beside it: "+
					"report on the export ('ouraexport report %s'), or write this one elsewhere with --out FILE", file, root, root)
			}
		}
		base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(file), crypt.Ext), ".zip")
		out = filepath.Join(filepath.Dir(file), base+".report.html")
	}
	o, rep, err := verification(ctx, file, verify, ids)
	if err != nil {
		return "", nil, err
	}
	src, closeArchive, err := report.OpenArchive(file, ids)
	if err != nil {
		if errors.Is(err, report.ErrLocked) {
			return "", nil, err
		}
		return "", nil, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	defer closeArchive()

	if o.LinkPrefix, err = linkPrefix(out, filepath.Dir(file)); err != nil {
		return "", nil, err
	}
	return out, rep, writeReportFile(ctx, src, o, out)
}

// linkPrefix is the way from the folder of the report at out to dir, for
// its links ("" when they are the same folder).
func linkPrefix(out, dir string) (string, error) {
	absOut, err := filepath.Abs(filepath.Dir(out))
	if err != nil {
		return "", err
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(absOut, absDir)
	if err != nil || rel == "." {
		return "", nil
	}
	return filepath.ToSlash(rel) + "/", nil
}

// writeReportFile builds the report and writes it to the file out,
// atomically, readable by its owner only.
func writeReportFile(ctx context.Context, src *report.Source, o report.Options, out string) error {
	r, err := report.Build(ctx, src, o)
	if err != nil {
		return err
	}
	b, err := report.Render(r)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(out, b); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

// reportCohort writes the index page of a cohort folder.
func reportCohort(dir, out string) (string, error) {
	root, err := sinks.LocalDir(dir)
	if err != nil {
		return "", err
	}
	ix, err := cohortIndex(root, filepath.Base(dir))
	if err != nil {
		return "", err
	}
	if out != "" {
		b, err := report.RenderIndex(ix)
		if err != nil {
			return "", err
		}
		return out, atomicfile.WriteFile(out, b)
	}
	if _, err := report.WriteIndex(root, ix); err != nil {
		return "", err
	}
	return filepath.Join(dir, report.Name), nil
}

// cohortIndex reads what a cohort's index page shows: every participant
// as its newest cohort manifest records them, linked to their report.
func cohortIndex(root sinks.Dir, title string) (report.Index, error) {
	entries, err := cohort.Latest(root)
	if err != nil {
		return report.Index{}, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	ix := report.Index{Title: title, CreatedAt: time.Now(), ToolVersion: version()}
	for _, e := range entries {
		p := report.Participant{ID: e.ID, Folder: e.Folder, Status: string(e.Status), Error: e.Error, Since: e.Since, Until: e.Until, Rows: e.Rows}
		if m, err := sinks.ReadManifest(root.Sub(e.Folder)); err == nil {
			for _, f := range m.Files {
				if f.Path == report.Name {
					p.Report = e.Folder + "/" + report.Name
				}
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			p.Error = strings.TrimSpace(p.Error + " (its MANIFEST.json does not read: " + err.Error() + ")")
		}
		ix.Participants = append(ix.Participants, p)
	}
	return ix, nil
}
