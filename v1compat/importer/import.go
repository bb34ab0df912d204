package importer

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
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
}

// Result is what an import did.
type Result struct {
	Files []FileResult
	// Tables are the tables named by the archives read (their data/
	// entries): the outputs of the import should have them all.
	Tables []*schema.Table
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
// known kind are reported and kept whole in import_files; unknown columns
// and fields stay in the records (the build keeps them in extra).
//
// Import is all or nothing: every file is read and checked before any is
// stored. A file that cannot be read (a malformed or cut-short CSV or
// JSON, a date that is not one) fails the import with a *FileError naming
// the file and line, and the store is left as it was.
func Import(ctx context.Context, o Options) (*Result, error) {
	if o.MaxKeep <= 0 {
		o.MaxKeep = 16 << 20
	}
	im := &importer{o: o, ctx: ctx, res: &Result{}, tables: map[*schema.Table]bool{}}
	defer im.cleanup()
	for _, p := range o.Paths {
		if err := im.path(p); err != nil {
			return nil, err
		}
	}
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
}

// entry is one file to read: on disk or in a zip.
type entry struct {
	name string
	size int64
	open func() (io.ReadCloser, error)
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
		if d.Type().IsRegular() {
			files = append(files, q)
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
		return im.keep(e, "its content is of no kind ouraexport reads")
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

// zip reads a zip: an ouraexport archive as such, any other zip entry by entry.
func (im *importer) zip(e entry) error {
	zr, closeFn, err := im.openZip(e)
	if err != nil {
		return err
	}
	defer closeFn()
	return im.zipEntries(e, zr)
}

// encrypted reads an age-encrypted archive, decrypting as the zip reader
// asks for its parts: the plain archive never touches the disk.
func (im *importer) encrypted(e entry) error {
	if len(im.o.Identities) == 0 {
		return &FileError{File: e.name, Err: errors.New("an encrypted archive: give the key with --identity FILE or --passphrase-file FILE")}
	}
	ra, size, closeFn, err := im.openRandom(e)
	if err != nil {
		return err
	}
	defer closeFn()
	pr, n, err := crypt.Open(ra, size, im.o.Identities)
	if err != nil {
		return &FileError{File: e.name, Err: err}
	}
	zr, err := zip.NewReader(pr, n)
	if err != nil {
		return &FileError{File: e.name, Err: fmt.Errorf("not a readable encrypted archive (cut short?): %w", err)}
	}
	return im.zipEntries(e, zr)
}

// openZip opens a zip (a file, or an entry of another zip) for reading;
// the caller calls done when finished with it. Every zip the import reads,
// ouraexport archives included, is opened here: a reader of another
// container (an encrypted archive) decrypts into a temporary file and
// hands it to zipEntries the same way.
func (im *importer) openZip(e entry) (zr *zip.Reader, done func(), err error) {
	ra, size, closeFn, err := im.openRandom(e)
	if err != nil {
		return nil, nil, err
	}
	zr, err = zip.NewReader(ra, size)
	if err != nil {
		closeFn()
		return nil, nil, &FileError{File: e.name, Err: fmt.Errorf("not a readable zip (cut short?): %w", err)}
	}
	return zr, closeFn, nil
}

// zipEntries reads an open zip named e.name: an ouraexport archive
// (manifest.json and raw/) as such, any other zip entry by entry.
func (im *importer) zipEntries(e entry, zr *zip.Reader) error {
	if isArchive(zr) {
		return im.archive(e.name, zr)
	}
	files := slices.Clone(zr.File)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	for _, f := range files {
		if f.FileInfo().IsDir() || strings.HasPrefix(path.Base(f.Name), ".") || strings.HasPrefix(f.Name, "__MACOSX/") {
			continue
		}
		err := im.file(entry{name: e.name + "!" + f.Name, size: int64(f.UncompressedSize64), open: f.Open})
		if err != nil {
			return err
		}
	}
	return nil
}

// openRandom gives random access to an entry: a file on disk directly,
// a zip inside a zip through a temporary copy.
func (im *importer) openRandom(e entry) (io.ReaderAt, int64, func(), error) {
	if !strings.Contains(e.name, "!") {
		f, err := os.Open(e.name)
		if err != nil {
			return nil, 0, nil, &FileError{File: e.name, Err: err}
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, nil, &FileError{File: e.name, Err: err}
		}
		return f, info.Size(), func() { f.Close() }, nil
	}
	rc, err := e.open()
	if err != nil {
		return nil, 0, nil, &FileError{File: e.name, Err: err}
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(im.o.Store.Dir(), ".zip.tmp-")
	if err != nil {
		return nil, 0, nil, err
	}
	im.temps = append(im.temps, tmp.Name())
	n, err := io.Copy(tmp, rc)
	if err != nil {
		tmp.Close()
		return nil, 0, nil, &FileError{File: e.name, Err: err}
	}
	return tmp, n, func() { tmp.Close() }, nil
}

// entrySink spools the documents of one file, per collection.
type entrySink struct {
	im     *importer
	file   string
	spools map[*exporter.Collection]*spool
	order  []*spool
}

func (s *entrySink) emit(c *exporter.Collection, doc []byte, line int) error {
	if s.spools == nil {
		s.spools = map[*exporter.Collection]*spool{}
	}
	sp := s.spools[c]
	if sp == nil {
		var err error
		if sp, err = newSpool(s.im.o.Store.Dir(), c, s.file); err != nil {
			return err
		}
		s.im.temps = append(s.im.temps, sp.path)
		s.spools[c] = sp
		s.order = append(s.order, sp)
	}
	return sp.add(doc)
}

// keepDoc keeps the members of a file the import did not recognise.
func (s *entrySink) keepDoc(file string, rest []byte) error {
	sum := sha256.Sum256(rest)
	doc := newObject()
	doc.set([]string{"file"}, quote(file))
	doc.set([]string{"sha256"}, quote(hex.EncodeToString(sum[:])))
	doc.set([]string{"json"}, string(rest))
	return s.emit(byName[FilesCollection], doc.bytes(), 0)
}

func (s *entrySink) counts() map[string]int {
	out := map[string]int{}
	for _, sp := range s.order {
		out[sp.coll.Name] += sp.n
	}
	return out
}

// close finishes the file's spools; they are stored at commit.
func (s *entrySink) close() error {
	for _, sp := range s.order {
		if err := sp.finish(); err != nil {
			return err
		}
		s.im.spools = append(s.im.spools, sp)
	}
	return nil
}

func (s *entrySink) abort() {
	for _, sp := range s.order {
		sp.finish()
		os.Remove(sp.path)
	}
}

// spool is a temporary file of documents, length-prefixed.
type spool struct {
	coll     *exporter.Collection
	file     string // the file they came from
	path     string
	f        *os.File
	w        *bufio.Writer
	n        int
	from, to time.Time // the span of the documents' keys (API collections)
}

func newSpool(dir string, c *exporter.Collection, file string) (*spool, error) {
	f, err := os.CreateTemp(dir, ".import.tmp-")
	if err != nil {
		return nil, err
	}
	return &spool{coll: c, file: file, path: f.Name(), f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (s *spool) add(doc []byte) error {
	var hdr [binary.MaxVarintLen64]byte
	s.w.Write(hdr[:binary.PutUvarint(hdr[:], uint64(len(doc)))])
	if _, err := s.w.Write(doc); err != nil {
		return err
	}
	s.n++
	if s.coll.API != exporter.APIImport {
		if k, ok := s.coll.KeyOf(doc); ok {
			if s.from.IsZero() || k.Before(s.from) {
				s.from = k
			}
			if k.After(s.to) {
				s.to = k
			}
		}
	}
	return nil
}

func (s *spool) finish() error {
	if s.f == nil {
		return nil
	}
	err := s.w.Flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	return err
}

// each calls fn with every document of the spool.
func (s *spool) each(fn func([]byte) error) error {
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var buf []byte
	for {
		n, err := binary.ReadUvarint(r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if cap(buf) < int(n) {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		if err := fn(buf); err != nil {
			return err
		}
	}
}

// span returns the coverage of a segment of an API collection: the days
// (or instants, to the second) of its documents; zero for the others.
func (s *spool) span() (time.Time, time.Time) {
	c := s.coll
	if c.API == exporter.APIImport || s.from.IsZero() {
		return time.Time{}, time.Time{}
	}
	switch c.Kind {
	case exporter.ByDate:
		return s.from, s.to.AddDate(0, 0, 1)
	case exporter.ByInstant:
		return s.from.Truncate(time.Second), s.to.Truncate(time.Second).Add(time.Second)
	}
	return time.Time{}, time.Time{}
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
		for _, fr := range im.res.Files {
			if fr.File == g.file {
				rec.Kind, rec.SHA256 = fr.Kind, fr.SHA256
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
