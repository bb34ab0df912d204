package importer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/crypt"
	"github.com/ouraexport/ouraexport/schema"
)

// Options configure Import.
type Options struct {
	// Store is the export's store the documents go into.
	Store *exporter.Store
	// Paths are files, folders (read recursively) and zips (read with their
	// inner zips), in the order given.
	Paths []string
	// MaxKeep bounds the size of an unrecognised file kept whole (default 16 MiB).
	MaxKeep int64
	// KeepUnrecognised keeps files of no kind the import reads whole, as
	// documents of import_files (the archive's raw/import_files.ndjson).
	// Without it they are skipped: a file named in Paths that yields no
	// records is an error, one found in a folder or zip is listed in the
	// result as skipped (FileResult.Skipped).
	KeepUnrecognised bool
	// Limits bound what zips may hold (zero values: DefaultLimits).
	Limits Limits
	// Identities open encrypted ouraexport archives (.zip.age); without
	// them such an archive is an error saying how to give them.
	Identities []age.Identity
}

// FileResult is what the import made of one file.
type FileResult struct {
	// File is the file as named on the command line (zip entries as zip!entry).
	File string
	// Kind says what it was (KindTrends, ...).
	Kind string
	// Docs counts the documents stored per collection.
	Docs map[string]int
	// Note says why a file was skipped or kept whole, for people.
	Note string
	// SHA256 is the digest of the file's bytes.
	SHA256 string
	// Gen is the store generation its documents were stored in (0 when
	// none were): exporter.Result.RowsByGen says what they became.
	Gen int
	// Skipped is set when records the file may hold were not imported: a
	// file of no kind the import reads (without KeepUnrecognised, or too
	// large to keep), an ouraexport output table without its archive.
	Skipped bool
}

// Result is what an import did.
type Result struct {
	Files []FileResult
	// Tables are the tables named by the archives read (their data/
	// entries): the outputs of the import should have them all.
	Tables []*schema.Table
}

// Skipped returns the files whose records were not imported.
func (r *Result) Skipped() []FileResult {
	var out []FileResult
	for _, f := range r.Files {
		if f.Skipped {
			out = append(out, f)
		}
	}
	return out
}

// Docs returns how many documents the import stored.
func (r *Result) Docs() int {
	n := 0
	for _, f := range r.Files {
		for _, d := range f.Docs {
			n += d
		}
	}
	return n
}

// Import reads every file of o.Paths, detects what each is by its content
// (a zip by its entries, a CSV file by its header, a JSON file by its
// keys), and stores its records in o.Store like fetched windows: each file
// in segments of its own generation, newer than everything before, so that
// where files overlap the last one read wins (see exporter.Builder).
// Records keep the shape they came in: v1-shaped records (Oura Cloud JSON,
// trends CSV rows) in import_v1_<kind> collections, v2-shaped ones (Oura
// on the Web, Membership Hub) in import_<collection>, ouraexport archives'
// documents back in the collections they were exported from. Files of no
// known kind are kept whole in import_files with KeepUnrecognised, else
// skipped and reported; unknown columns and fields stay in the records
// (the build keeps them in extra).
//
// Import is all or nothing: every file is read and checked before any is
// stored. A file that cannot be read (a malformed or cut-short CSV or
// JSON, a date that is not one, a zip that breaks the Limits), and a path
// of o.Paths that yields no records at all, fail the import with a
// *FileError naming the file (and line), and the store is left as it was.
func Import(ctx context.Context, o Options) (*Result, error) {
	if o.MaxKeep <= 0 {
		o.MaxKeep = 16 << 20
	}
	o.Limits = o.Limits.orDefault()
	im := &importer{o: o, ctx: ctx, res: &Result{}, tables: map[*schema.Table]bool{}}
	defer im.cleanup()
	for _, p := range o.Paths {
		first := len(im.res.Files)
		if err := im.path(p); err != nil {
			return nil, err
		}
		if err := yielded(p, im.res.Files[first:], o.KeepUnrecognised); err != nil {
			return nil, err
		}
	}
	im.outputsSkipped()
	if err := im.commit(); err != nil {
		return nil, err
	}
	for _, t := range schema.Tables() {
		if im.tables[t] {
			im.res.Tables = append(im.res.Tables, t)
		}
	}
	return im.res, nil
}

type importer struct {
	o      Options
	ctx    context.Context
	res    *Result
	spools []*spool // in the order read: committed in that order, a generation per file
	tables map[*schema.Table]bool
	temps  []string
	acct   string // the account an archive named
	email  string
	zipped zipBudget // what the zips read so far held
}

// entry is one file to read: on disk or in a zip.
type entry struct {
	name  string
	size  int64
	open  func() (io.ReadCloser, error)
	depth int // how many zips it is in
}

func (im *importer) path(p string) error {
	info, err := os.Stat(p)
	if err != nil {
		return &FileError{File: p, Err: errors.Unwrap(err)}
	}
	if !info.IsDir() {
		return im.file(entry{name: p, size: info.Size(), open: func() (io.ReadCloser, error) { return os.Open(p) }})
	}
	var files []string
	err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return &FileError{File: q, Err: errors.Unwrap(err)}
		}
		if q != p && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir // .ouraexport, .git
			}
			return nil
		}
		switch {
		case d.Type().IsRegular():
			files = append(files, q)
		case d.IsDir():
		case d.Type()&fs.ModeSymlink != 0:
			// A link to a file is read; one to a folder is not followed
			// (it may loop), and says so.
			if fi, err := os.Stat(q); err == nil && fi.Mode().IsRegular() {
				files = append(files, q)
			} else {
				why := "a symbolic link to a folder: not followed"
				if err != nil {
					why = "a symbolic link that leads nowhere"
				}
				im.res.Files = append(im.res.Files, FileResult{File: q, Kind: KindNotFile, Docs: map[string]int{}, Skipped: true, Note: why})
			}
		default:
			im.res.Files = append(im.res.Files, FileResult{File: q, Kind: KindNotFile, Docs: map[string]int{}, Skipped: true,
				Note: "not a regular file (a device, socket or pipe): not read"})
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, q := range files {
		if err := im.path(q); err != nil {
			return err
		}
	}
	return nil
}

// file reads one entry: a zip is opened and its entries read in turn.
func (im *importer) file(e entry) error {
	if err := im.ctx.Err(); err != nil {
		return err
	}
	rc, err := e.open()
	if err != nil {
		return &FileError{File: e.name, Err: err}
	}
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(rc, h), 64<<10)
	head, _ := br.Peek(4096)
	kind := sniff(head)
	if kind == "zip" {
		rc.Close()
		return im.zip(e)
	}
	if bytes.HasPrefix(head, []byte(crypt.Magic)) {
		rc.Close()
		return im.encrypted(e)
	}
	defer rc.Close()
	sink := &entrySink{im: im, file: e.name}
	var fileKind string
	var rest []byte
	switch kind {
	case "csv":
		fileKind, err = parseCSV(br, sink)
	case "json":
		var b []byte
		if b, err = io.ReadAll(br); err == nil {
			fileKind, rest, err = parseJSON(b, sink)
		}
	case "":
		if len(head) == 0 {
			fileKind = KindEmpty
		} else {
			err = errUnknown
		}
	}
	switch {
	case errors.Is(err, errUnknown):
		sink.abort()
		return im.unrecognised(e, "its content is of no kind ouraexport reads")
	case err != nil:
		sink.abort()
		return fileError(e.name, err)
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		sink.abort()
		return &FileError{File: e.name, Err: err}
	}
	fr := FileResult{File: e.name, Kind: fileKind, Docs: sink.counts(), SHA256: hex.EncodeToString(h.Sum(nil))}
	if rest != nil {
		if err := sink.keepDoc(e.name, rest); err != nil {
			return err
		}
		fr.Docs = sink.counts()
		fr.Note = "members it did not recognise are kept in import_files"
	}
	if fileKind == KindOutput || fileKind == KindEmpty {
		fr.Note = fileKind
	}
	im.res.Files = append(im.res.Files, fr)
	return sink.close()
}

// unrecognised keeps a file of no kind the import reads whole, when asked
// to, or records it as skipped.
func (im *importer) unrecognised(e entry, why string) error {
	if im.o.KeepUnrecognised {
		return im.keep(e, why)
	}
	im.res.Files = append(im.res.Files, FileResult{File: e.name, Kind: KindUnknown, Docs: map[string]int{}, Skipped: true,
		Note: why + "; not imported (--keep-unrecognised keeps such files whole in the archive)"})
	return nil
}

// keep stores an unrecognised file whole, as one document of import_files:
// {"file", "size", "sha256", "text" or "base64"}.
func (im *importer) keep(e entry, why string) error {
	rc, err := e.open()
	if err != nil {
		return &FileError{File: e.name, Err: err}
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, im.o.MaxKeep+1))
	if err != nil {
		return &FileError{File: e.name, Err: err}
	}
	sum := sha256.Sum256(b)
	fr := FileResult{File: e.name, Kind: KindUnknown, Docs: map[string]int{}, SHA256: hex.EncodeToString(sum[:])}
	if int64(len(b)) > im.o.MaxKeep {
		fr.Note = fmt.Sprintf("%s; not kept: larger than %d MiB", why, im.o.MaxKeep>>20)
		fr.Skipped = true
		im.res.Files = append(im.res.Files, fr)
		return nil
	}
	doc := newObject()
	doc.set([]string{"file"}, quote(e.name))
	doc.set([]string{"size"}, fmt.Sprint(len(b)))
	doc.set([]string{"sha256"}, quote(hex.EncodeToString(sum[:])))
	if utf8.Valid(b) {
		doc.set([]string{"text"}, quote(string(b)))
	} else {
		doc.set([]string{"base64"}, quote(base64.StdEncoding.EncodeToString(b)))
	}
	sink := &entrySink{im: im, file: e.name}
	if err := sink.emit(byName[FilesCollection], doc.bytes(), 0); err != nil {
		return err
	}
	fr.Docs = sink.counts()
	fr.Note = why + "; kept whole in import_files"
	im.res.Files = append(im.res.Files, fr)
	return sink.close()
}

// commit stores every spool as a segment: a generation per file, in the
// order read, then records the import in the store.
func (im *importer) commit() error {
	st := im.o.Store
	if im.acct != "" {
		switch {
		case st.State.Account == "":
			st.State.Account = im.acct
			if st.State.Email == "" {
				st.State.Email = im.email
			}
		case st.State.Account != im.acct:
			return fmt.Errorf("%w (%s, not %s): import into another --out folder", exporter.ErrOtherAccount, st.State.Account, im.acct)
		}
	}
	type gen struct {
		file   string
		spools []*spool
	}
	var gens []gen
	for _, sp := range im.spools {
		if n := len(gens); n > 0 && gens[n-1].file == sp.file {
			gens[n-1].spools = append(gens[n-1].spools, sp)
			continue
		}
		gens = append(gens, gen{file: sp.file, spools: []*spool{sp}})
	}
	var recs []exporter.ImportRecord
	now := time.Now().UTC()
	for _, g := range gens {
		st.State.Runs++
		rec := exporter.ImportRecord{File: g.file, Gen: st.State.Runs, Imported: now}
		for i, fr := range im.res.Files {
			if fr.File == g.file {
				rec.Kind, rec.SHA256 = fr.Kind, fr.SHA256
				im.res.Files[i].Gen = rec.Gen
			}
		}
		for _, sp := range g.spools {
			from, to := sp.span()
			w, err := st.Create(sp.coll.API, sp.coll.Name, from, to, st.State.Runs)
			if err != nil {
				return err
			}
			err = sp.each(w.Add)
			if err == nil {
				_, err = w.Commit()
			}
			if err != nil {
				w.Abort()
				return fmt.Errorf("store %s: %w", g.file, err)
			}
			rec.Collections = append(rec.Collections, sp.coll.Name)
			rec.Docs += sp.n
		}
		recs = append(recs, rec)
	}
	if err := st.SaveState(); err != nil {
		return err
	}
	if len(recs) > 0 {
		return exporter.RecordImports(st, recs)
	}
	return nil
}

func (im *importer) cleanup() {
	for _, sp := range im.spools {
		sp.finish()
	}
	for _, p := range im.temps {
		os.Remove(p)
	}
}
