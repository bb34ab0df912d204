package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/catalog"
	"github.com/ouraexport/ouraexport/internal/report"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/v1compat/importer"
)

const importLong = `Turns files saved from Oura into the same outputs as an export: Parquet,
CSV and a JSON archive in --out, with a MANIFEST.json. A FILE may be a
file, a folder (read recursively) or a zip (read with the zips inside it).
What each file is, is told by its content, not its name:

  - Oura Cloud JSON downloads (sleep, activity, readiness, restful_periods
    arrays in v1 field names; a separate heart_rate file), and answers of
    the retired API v1;
  - Oura Cloud "trends" CSV files of every era (2019, 2020, 2021-2024),
    spreadsheet re-saves included;
  - Oura on the Web downloads (oura_<dataset>_<time>.csv or .json);
  - the Membership Hub export zip (App Data/*.csv);
  - ouraexport archives (archive/oura-export.zip): the same outputs again.

Importing into an existing export folder merges with what is there: where
sources hold the same record, the unified tables keep one, from API v2, then
API v1, then the file imported last. Every record read is kept in the
archive's raw/ folder. A file named here that yields no records (of no kind
ouraexport reads, or empty) stops the import; one of no known kind found in
a folder or zip is listed and skipped (exit 3), or kept whole in the archive
with --keep-unrecognised. A file that cannot be read, or a zip that could
harm (entries named ../ or by absolute paths, symbolic links, a zip bomb),
stops the import with its name (and line), and nothing is changed.`

const importNotes = `Exit status: 0 done; 1 failed; 2 bad usage, a file that cannot be read or
that holds no records (nothing is imported); 3 files in a folder or zip were
skipped (listed; the rest is imported).`

type importOptions struct {
	files     []string
	out       string
	formats   []string
	partition bool
	quiet     bool
	logFormat string
	keep      bool // --keep-unrecognised
	keys      identityFlags
	noReport  bool
	open      bool
}

// importFlags are the import command line as given.
type importFlags struct {
	o         importOptions
	formats   listFlag
	partition string
}

// importCommand is 'ouraexport import'.
func importCommand(s Streams) *cobra.Command {
	var f importFlags
	c := &cobra.Command{
		Use:         "import FILE... [flags]",
		Short:       "turn files saved from Oura (v1 JSON, trends CSV, web downloads, Membership Hub zips, archives) into the same outputs",
		Long:        importLong,
		Annotations: map[string]string{NotesAnnotation: importNotes},
		Args:        cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			o, err := f.options(args)
			if err != nil {
				return err
			}
			return runImport(c.Context(), o, s)
		},
	}
	f.register(c.Flags())
	return c
}

// register defines the import flags in fs.
func (f *importFlags) register(fs *pflag.FlagSet) {
	o := &f.o
	fs.StringVar(&o.out, "out", "./oura-export", "output folder (default ./oura-export)")
	fs.Var(&f.formats, "format", "parquet,csv,archive (default: all three)")
	fs.StringVar(&f.partition, "partition", "", "write Parquet and CSV as Hive datasets partitioned by year")
	fs.BoolVar(&o.keep, "keep-unrecognised", false, "keep files of no kind ouraexport reads whole in the archive")
	fs.BoolVar(&o.noReport, "no-report", false, "do not write report.html (see 'ouraexport help report')")
	fs.BoolVar(&o.open, "open", false, "open report.html in your browser when the import is done")
	fs.BoolVar(&o.quiet, "quiet", false, "print nothing but errors")
	fs.StringVar(&o.logFormat, "log-format", "text", "text or json (default text)")
	o.keys.register(fs)
	flagArgs(fs, "out=DIR", "format=LIST", "partition=year", "log-format=FORMAT")
}

// options checks the parsed command line: the flags and the files (pos).
func (f *importFlags) options(pos []string) (importOptions, error) {
	const cmd = "import"
	o := f.o
	if len(pos) == 0 {
		return o, usagef(cmd, "name the files, folders or zips to import")
	}
	o.files = pos
	o.formats = []string(f.formats)
	if len(o.formats) == 0 {
		o.formats = allFormats
	}
	for _, f := range o.formats {
		if !slices.Contains(allFormats, f) {
			return o, usagef(cmd, "--format %q: choose from %s", f, strings.Join(allFormats, ","))
		}
	}
	switch f.partition {
	case "", "none":
	case "year":
		o.partition = true
	default:
		return o, usagef(cmd, "--partition %q: the only partitioning is \"year\"", f.partition)
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return o, usagef(cmd, "--log-format %q: choose text or json", o.logFormat)
	}
	if o.out == "" {
		return o, usagef(cmd, "--out is empty")
	}
	if o.open && o.noReport {
		return o, usagef(cmd, "--open opens report.html, which --no-report leaves out; choose one")
	}
	out, _ := filepath.Abs(o.out)
	for _, f := range o.files {
		if abs, err := filepath.Abs(f); err == nil && (abs == out || strings.HasPrefix(out, abs+string(filepath.Separator))) {
			return o, usagef(cmd, "%s holds the output folder %s: import the archive in it instead (%s)", f, o.out,
				filepath.Join(o.out, "archive", "oura-export.zip"))
		}
	}
	return o, nil
}

// allCollections are every collection a store can hold.
func allCollections() []*exporter.Collection { return catalog.All().Collections() }

func runImport(ctx context.Context, o importOptions, s Streams) error {
	log := newLogger(s.Err, o.logFormat)
	ids, err := o.keys.identities()
	if err != nil {
		return err
	}
	for _, f := range o.files {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrBadInput, f, errors.Unwrap(err))
		}
	}
	if err := checkOutDir(o.out); err != nil {
		return err
	}
	_, statErr := os.Stat(o.out)
	created := errors.Is(statErr, fs.ErrNotExist)
	if err := os.MkdirAll(o.out, 0o700); err != nil {
		return fmt.Errorf("create --out %s: %w", o.out, err)
	}
	st, err := exporter.OpenStore(filepath.Join(o.out, exporter.StoreDir))
	if err != nil {
		if errors.Is(err, exporter.ErrStoreFormat) || errors.Is(err, exporter.ErrLocked) {
			return fmt.Errorf("%w: %w", ErrBadInput, err)
		}
		return err
	}
	defer st.Close()
	res, err := importer.Import(ctx, importer.Options{Store: st, Paths: o.files, Identities: ids, KeepUnrecognised: o.keep})
	if err != nil && created {
		// Nothing was imported: leave no empty export folder behind.
		st.Close()
		removeUnused(o.out)
	}
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted: %w; nothing was imported", context.Canceled)
	case errors.Is(err, importer.ErrBadFile), errors.Is(err, exporter.ErrOtherAccount):
		return fmt.Errorf("%w: %w; nothing was imported", ErrBadInput, err)
	case err != nil:
		return fmt.Errorf("import: %w", err)
	}

	stored, err := exporter.Stored(st, allCollections())
	if err != nil {
		return err
	}
	tables, err := importTables(o.out, stored, res.Tables)
	if err != nil {
		return err
	}
	root, err := sinks.LocalDir(o.out)
	if err != nil {
		return err
	}
	var outs []sinks.Sink
	for _, f := range o.formats {
		sk, err := sinks.Open(f, sinks.Options{Dir: root.Sub(f), Tables: tables, Partition: o.partition})
		if err != nil {
			for _, x := range outs {
				x.Close()
			}
			return fmt.Errorf("open %s output: %w", f, err)
		}
		outs = append(outs, sk)
	}
	var notes, incomplete []string
	for _, f := range res.Files {
		if f.Kind == importer.KindUnknown || f.Skipped {
			notes = append(notes, fmt.Sprintf("%s was not recognised: %s", f.File, f.Note))
		}
		if f.Skipped {
			incomplete = append(incomplete, f.File)
		}
	}
	var after exporter.AfterFunc
	if !o.noReport {
		after = report.After(nil)
	}
	built, err := exporter.Rebuild(ctx, exporter.RebuildOptions{Store: st, Collections: allCollections(), Sinks: outs, Root: root,
		Tables: tables, ToolVersion: version(), Notes: notes, Incomplete: incomplete, After: after})
	if errors.Is(err, report.ErrNotWritten) {
		return reportNotWritten(o.out, err)
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w; the files read are stored in %s, run 'ouraexport import' again or any export to build the outputs",
				context.Canceled, filepath.Join(o.out, exporter.StoreDir))
		}
		return fmt.Errorf("build the outputs: %w", err)
	}
	if !o.quiet {
		printImport(s.Out, o, res, built)
	}
	if o.logFormat == "json" && !o.quiet {
		log.Info("import finished", "out", o.out, "files", len(res.Files), "documents", res.Docs(), "output_files", len(built.Files),
			"skipped", len(res.Skipped()))
	}
	if o.open {
		openWritten(s.Err, filepath.Join(o.out, report.Name))
	}
	return skippedError(res.Skipped())
}

// skippedError is the partial result of an import that skipped files of a
// folder or zip (exit 3): they are named, the rest is imported.
func skippedError(skipped []importer.FileResult) error {
	if len(skipped) == 0 {
		return nil
	}
	var names []string
	for i, f := range skipped {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(skipped)-i))
			break
		}
		names = append(names, f.File)
	}
	n := fmt.Sprintf("%d files were", len(skipped))
	if len(skipped) == 1 {
		n = "1 file was"
	}
	return fmt.Errorf("%w: %s not imported (%s): the summary says why; the rest is imported "+
		"(--keep-unrecognised keeps files of no kind ouraexport reads whole in the archive)", ErrPartial, n, strings.Join(names, ", "))
}

// removeUnused removes the export folder out that this run created, if it
// holds nothing but an empty store (its lock file): an import that stored
// nothing leaves no folder behind.
func removeUnused(out string) {
	store := filepath.Join(out, exporter.StoreDir)
	top, err := os.ReadDir(out)
	if err != nil || len(top) != 1 || top[0].Name() != exporter.StoreDir {
		return
	}
	inner, err := os.ReadDir(store)
	if err != nil {
		return
	}
	for _, e := range inner {
		if e.IsDir() || e.Name() != "lock" {
			return
		}
	}
	for _, e := range inner {
		os.Remove(filepath.Join(store, e.Name()))
	}
	os.Remove(store)
	os.Remove(out)
}

// importTables are the tables of the import's outputs: those of every
// collection stored, of the archives read, and of the outputs already in
// the folder (an import never drops a table).
func importTables(out string, stored []*exporter.Collection, fromArchives []*schema.Table) ([]*schema.Table, error) {
	want := map[*schema.Table]bool{}
	for _, t := range exporter.OutputTables(stored) {
		want[t] = true
	}
	for _, t := range fromArchives {
		want[t] = true
	}
	if d, err := sinks.LocalDir(out); err == nil {
		if m, err := sinks.ReadManifest(d); err == nil {
			for _, f := range m.Files {
				for _, prefix := range []string{"csv/", "parquet/"} {
					if rest, ok := strings.CutPrefix(f.Path, prefix); ok {
						name, _, _ := strings.Cut(rest, "/")
						name = strings.TrimSuffix(strings.TrimSuffix(name, ".csv"), ".parquet")
						if t := schema.Lookup(name); t != nil {
							want[t] = true
						}
					}
				}
			}
		}
	}
	var tables []*schema.Table
	for _, t := range schema.Tables() {
		if want[t] {
			tables = append(tables, t)
		}
	}
	return tables, nil
}

// became says what a file read became in the outputs: the rows of each
// table it added (top-level rows; their child rows go with them), or why
// it added none.
func became(f importer.FileResult, records int, rows map[string]int64) string {
	switch {
	case f.Skipped:
		return "skipped: " + f.Note
	case f.Kind == importer.KindEmpty:
		return "nothing"
	}
	var parts []string
	for _, t := range schema.Tables() {
		if n := rows[t.Name]; n > 0 && f.Gen > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", t.Name, n))
		}
	}
	note := ""
	if f.Note != "" && f.Note != f.Kind {
		note = " (" + f.Note + ")"
	}
	switch {
	case len(parts) > 0:
		return "rows: " + strings.Join(parts, ", ") + note
	case f.Docs[importer.FilesCollection] > 0:
		return "kept whole in the archive (raw/import_files.ndjson)" + note
	case records > 0:
		return "no new rows: the folder held every record already" + note
	}
	return strings.TrimPrefix(note, " ")
}

// printImport writes what an import did.
func printImport(w io.Writer, o importOptions, res *importer.Result, built *exporter.Result) {
	if o.logFormat == "json" {
		return
	}
	if len(res.Files) == 1 {
		fmt.Fprintf(w, "Read 1 file into %s.\n\n", o.out)
	} else {
		fmt.Fprintf(w, "Read %d files into %s.\n\n", len(res.Files), o.out)
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  file\tkind\trecords\tbecame\t")
	for _, f := range res.Files {
		n := 0
		for _, d := range f.Docs {
			n += d
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\n", f.File, f.Kind, n, became(f, n, built.RowsByGen[f.Gen]))
	}
	tw.Flush()
	fmt.Fprintln(w)
	var rows int64
	for _, f := range built.Files {
		if strings.HasPrefix(f.Path, "csv/") {
			rows += f.Rows
		}
	}
	fmt.Fprintf(w, "The outputs hold %d rows from every source in the folder (%s to %s).\n", rows, orUnknown(built.Meta.Period.Since), orUnknown(built.Meta.Period.Until))
	var n int
	for _, wn := range built.Warnings {
		n += wn.Count
	}
	if n > 0 {
		fmt.Fprintf(w, "%d values did not fit their columns and were kept in the extra column (see 'ouraexport schema').\n", n)
	}
	fmt.Fprintf(w, "%d files; check them any time with: ouraexport verify %s\n", len(built.Files), o.out)
}
