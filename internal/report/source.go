package report

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"filippo.io/age"

	"github.com/ouraexport/ouraexport/internal/crypt"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

// Source is an export a report is built from: its manifest, and the files
// it lists, which the report reads (Parquet first, then CSV, then the
// archive's data/ folder) and links to.
type Source struct {
	// Manifest describes the export: its meta and files.
	Manifest sinks.Manifest
	// open returns a listed file for random access.
	open func(ctx context.Context, name string) (*blob, error)
	// archive, for a source that is a single archive, is its file name;
	// links then point to it rather than to files inside it.
	archive string
	// ids open encrypted archives.
	ids []age.Identity
	// zipped is the archive whose data/ entries hold the rows, when no
	// Parquet or CSV file does (a single archive, or an export of the
	// archive format only); nil otherwise.
	zipped *zip.Reader
	// inner are the data/ entries of an archive in an export folder, as
	// its manifest.json lists them, when the rows are read from it.
	inner []sinks.File
	// innerArchive is the path of that archive.
	innerArchive string
	// locked says why an archive's rows could not be read ("" if they could).
	locked string
}

// blob is an opened file.
type blob struct {
	r     io.ReaderAt
	size  int64
	close func() error
}

// FromDir returns the export folder d as a Source, described by m (its
// MANIFEST.json, or the manifest the engine is about to write). Encrypted
// archives in it are read with ids, when given.
func FromDir(d sinks.Dir, m sinks.Manifest, ids []age.Identity) *Source {
	return &Source{Manifest: m, ids: ids, open: func(ctx context.Context, name string) (*blob, error) {
		return openDirFile(ctx, d, name)
	}}
}

// ReadDir returns the export folder d as a Source, reading its MANIFEST.json.
func ReadDir(d sinks.Dir, ids []age.Identity) (*Source, error) {
	m, err := sinks.ReadManifest(d)
	if err != nil {
		return nil, err
	}
	return FromDir(d, m, ids), nil
}

// openDirFile opens a file of d for random access: a local file in place,
// anything else copied into a temporary file first (a Dir in an object
// store streams).
func openDirFile(ctx context.Context, d sinks.Dir, name string) (*blob, error) {
	rc, err := d.Open(name)
	if err != nil {
		return nil, err
	}
	if f, ok := rc.(*os.File); ok {
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		return &blob{r: f, size: fi.Size(), close: f.Close}, nil
	}
	defer rc.Close()
	tmp, err := os.CreateTemp("", "ouraexport-report-*")
	if err != nil {
		return nil, err
	}
	discard := func() error {
		err := tmp.Close()
		if rerr := os.Remove(tmp.Name()); err == nil {
			err = rerr
		}
		return err
	}
	n, err := io.Copy(tmp, ctxReader{ctx, rc})
	if err != nil {
		discard()
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return &blob{r: tmp, size: n, close: discard}, nil
}

// ctxReader stops reading when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// OpenArchive returns a single archive (.zip, or .zip.age opened with ids)
// as a Source: its manifest.json and its data/ folder, and the function
// that closes it. An encrypted archive without ids is ErrLocked.
func OpenArchive(file string, ids []age.Identity) (*Source, func() error, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	zr, err := openZip(f, fi.Size(), strings.HasSuffix(file, crypt.Ext), ids)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	m, err := zipManifest(zr)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	base := filepath.Base(file)
	s := &Source{Manifest: m, archive: base, ids: ids, zipped: zr}
	s.open = func(_ context.Context, name string) (*blob, error) {
		return nil, fmt.Errorf("open %s: an archive's files are read through its data/ folder", name)
	}
	return s, f.Close, nil
}

// openZip opens a zip, decrypting it first when it is an age file.
func openZip(r io.ReaderAt, size int64, encrypted bool, ids []age.Identity) (*zip.Reader, error) {
	if encrypted || crypt.IsEncrypted(io.NewSectionReader(r, 0, size)) {
		if len(ids) == 0 {
			return nil, ErrLocked
		}
		pr, n, err := crypt.Open(r, size, ids)
		if err != nil {
			return nil, fmt.Errorf("decrypt: %w", err)
		}
		r, size = pr, n
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not a readable zip archive: %w", err)
	}
	return zr, nil
}

// ErrLocked is returned (wrapped) for an encrypted archive given no key.
var ErrLocked = errors.New("the archive is encrypted: give its key (--identity FILE or --passphrase-file FILE)")

// zipManifest reads an archive's manifest.json.
func zipManifest(zr *zip.Reader) (sinks.Manifest, error) {
	f, err := zr.Open("manifest.json")
	if err != nil {
		return sinks.Manifest{}, fmt.Errorf("no manifest.json: not an ouraexport archive")
	}
	defer f.Close()
	return sinks.DecodeManifest(f)
}

// format is how a table's rows are stored.
type format int

const (
	formatNone format = iota
	formatParquet
	formatCSV
	formatNDJSON
)

func (f format) String() string {
	switch f {
	case formatParquet:
		return "Parquet"
	case formatCSV:
		return "CSV"
	case formatNDJSON:
		return "archive data/"
	}
	return "none"
}

// part is one file holding rows of a table: a whole file of the export
// (Parquet, CSV), or an entry of an archive (data/<table>.ndjson).
type part struct {
	file   sinks.File // the file as the manifest lists it
	format format
}

// tableOf returns the table a file of an export holds, and its format:
// <dir>/<table>.<ext>, or <dir>/<table>/year=<yyyy>/part-<n>.<ext> with
// Hive partitioning.
func tableOf(p string) (*schema.Table, format) {
	var f format
	switch {
	case strings.HasSuffix(p, ".parquet"):
		f = formatParquet
	case strings.HasSuffix(p, ".csv"):
		f = formatCSV
	case strings.HasPrefix(p, "data/") && strings.HasSuffix(p, ".ndjson"):
		f = formatNDJSON
	default:
		return nil, formatNone
	}
	els := strings.Split(strings.TrimSuffix(p, path.Ext(p)), "/")
	name := els[len(els)-1]
	if n := len(els); n >= 3 && strings.HasPrefix(els[n-1], "part-") && strings.HasPrefix(els[n-2], "year=") {
		name = els[n-3]
	}
	t := schema.Lookup(name)
	if t == nil {
		return nil, formatNone
	}
	return t, f
}

// isArchive reports whether a file of an export is an archive.
func isArchive(p string) bool {
	return strings.HasSuffix(p, ".zip") || strings.HasSuffix(p, ".zip"+crypt.Ext)
}

// openInner opens the archive of an export folder for its data/ entries,
// when the folder has no Parquet or CSV file for some table. An encrypted
// archive without its key is recorded in locked, not an error: the report
// then says what it could not read.
func (s *Source) openInner(ctx context.Context, close *[]func() error) error {
	if s.zipped != nil {
		return nil
	}
	for _, f := range s.Manifest.Files {
		if !isArchive(f.Path) {
			continue
		}
		b, err := s.open(ctx, f.Path)
		if err != nil {
			return fmt.Errorf("open %s: %w", f.Path, err)
		}
		*close = append(*close, b.close)
		zr, err := openZip(b.r, b.size, strings.HasSuffix(f.Path, crypt.Ext), s.ids)
		if errors.Is(err, ErrLocked) {
			s.locked = f.Path + " is encrypted and no key was given, so its rows were not read"
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		m, err := zipManifest(zr)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		s.zipped, s.innerArchive = zr, f.Path
		for _, e := range m.Files {
			if strings.HasPrefix(e.Path, "data/") {
				s.inner = append(s.inner, e)
			}
		}
		return nil
	}
	return nil
}

// parts returns, per table, the files of the best format the source has
// for it, and the formats the export has.
func (s *Source) parts() map[string][]part {
	by := map[string]map[format][]part{}
	add := func(t *schema.Table, p part) {
		if by[t.Name] == nil {
			by[t.Name] = map[format][]part{}
		}
		by[t.Name][p.format] = append(by[t.Name][p.format], p)
	}
	for _, f := range append(slices.Clone(s.Manifest.Files), s.inner...) {
		if t, fm := tableOf(f.Path); t != nil {
			add(t, part{file: f, format: fm})
		}
	}
	out := map[string][]part{}
	for name, fs := range by {
		for _, fm := range []format{formatParquet, formatCSV, formatNDJSON} {
			if ps := fs[fm]; len(ps) > 0 {
				slices.SortFunc(ps, func(a, b part) int { return strings.Compare(a.file.Path, b.file.Path) })
				out[name] = ps
				break
			}
		}
	}
	return out
}
