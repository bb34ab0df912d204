package sinks

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
)

// ErrNotExport is returned (wrapped) by Verify for a path that is neither an
// export folder (with MANIFEST.json) nor an archive.
var ErrNotExport = errors.New("not an ouraexport export folder or archive")

// What Verify finds wrong. A Problem's Err wraps one of them; Checkers wrap
// them too for problems inside a file (an archive's entries).
var (
	ErrMissing  = errors.New("missing")
	ErrExtra    = errors.New("not in the manifest")
	ErrSize     = errors.New("size differs from the manifest")
	ErrDigest   = errors.New("SHA-256 differs from the manifest")
	ErrRows     = errors.New("row count differs from the manifest")
	ErrDecode   = errors.New("does not decode")
	ErrNoReader = errors.New("cannot be re-read")
	ErrManifest = errors.New("bad manifest")
)

// Report is what Verify found.
type Report struct {
	// Files is the number of files the manifest lists that were checked.
	Files int
	// Rows is the number of rows re-read from them.
	Rows int64
	// Problems lists everything wrong, one per line, sorted by path.
	Problems []Problem
	// Incomplete is what the manifest says the export lacks
	// (Meta.Incomplete): its files may all check out, but it is partial.
	Incomplete []string
}

// OK reports whether Verify found nothing wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Problem is one thing wrong with one file.
type Problem struct {
	// Path is the file, relative to the export root (or the archive's name).
	Path string
	// Err says what is wrong and what it means; it wraps ErrMissing,
	// ErrExtra, ErrSize, ErrDigest, ErrRows, ErrDecode, ErrNoReader or
	// ErrManifest.
	Err error
}

// String returns the problem as one line: the path, what is wrong, what it means.
func (p Problem) String() string { return p.Path + ": " + p.Err.Error() }

// Verify re-hashes and re-reads the export at path and reconciles it with
// its manifest. Path is an export folder (holding MANIFEST.json) or a single
// archive (whose manifest.json is inside). Every file the manifest lists
// must exist with its size, SHA-256 and row count, and read back completely
// with its format's Checker; every other file is reported as extra, except
// hidden ones (the engine's state in .ouraexport/, .DS_Store, ...) and
// those Windows Explorer leaves (Thumbs.db, desktop.ini).
//
// Problems with the export go into the Report; the error is for a path that
// is not an export (ErrNotExport, fs.ErrNotExist) or an interrupted run.
// Verify streams: memory does not grow with the size of the files.
func Verify(ctx context.Context, path string) (Report, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Report{}, err // says the path and why
	}
	if !fi.IsDir() {
		if c, ext := checkerFor(fi.Name()); c == nil || ext != ".zip" && ext != ".age" {
			return Report{}, fmt.Errorf("%s: %w: a file must be an archive (.zip)", path, ErrNotExport)
		}
		return verifyArchive(ctx, path, fi)
	}
	return verifyTree(ctx, localTree(path))
}

// VerifyDir is Verify for an export folder behind the Dir interface (an
// object store): d holds MANIFEST.json. Every file is read once, in
// sequence: into a temporary local file, hashed on the way, which its
// Checker then re-reads (a local Dir's files are read in place). Dir.Open
// must return an error wrapping fs.ErrNotExist for a missing file. Temporary
// files of interrupted runs are not seen: a Dir does not list them.
func VerifyDir(ctx context.Context, d Dir) (Report, error) {
	return verifyTree(ctx, dirTree{d})
}

// tree is an export folder as Verify reads it.
type tree interface {
	fmt.Stringer
	// files lists every file below the root, slash-separated, sorted.
	files() ([]string, error)
	// open opens a file; a missing one gives an error wrapping fs.ErrNotExist.
	open(ctx context.Context, name string) (*blob, error)
	// parallel is how many files to check at once.
	parallel() int
}

// blob is an opened file of a tree.
type blob struct {
	r    io.ReaderAt
	size int64
	// sum is the hex SHA-256, when opening computed it ("": not yet).
	sum   string
	close func() error
}

// verifyTree reconciles the export in t with its manifest.
func verifyTree(ctx context.Context, t tree) (Report, error) {
	mf, err := t.open(ctx, ManifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return Report{}, fmt.Errorf("%s: %w: it has no %s", t, ErrNotExport, ManifestName)
	}
	if err != nil {
		return Report{}, err
	}
	m, err := DecodeManifest(io.NewSectionReader(mf.r, 0, mf.size))
	mf.close()
	rep := Report{Incomplete: m.Incomplete}
	manifestOK := err == nil
	if !manifestOK {
		// Without a manifest nothing can be reconciled; still re-read every
		// file so the report says which ones are damaged.
		rep.Problems = append(rep.Problems, Problem{ManifestName, fmt.Errorf("%w: %w; sizes, digests and row counts cannot be checked", ErrManifest, err)})
	}
	onDisk, err := t.files()
	if err != nil {
		return Report{}, fmt.Errorf("verify: %w", err)
	}
	listed := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		listed[f.Path] = true
	}
	files := m.Files
	for _, name := range onDisk {
		if name == ManifestName || listed[name] || ignored(name) {
			continue
		}
		temp := inTemp(name)
		if !manifestOK && !temp {
			files = append(files, File{Path: name, Size: -1}) // unreadable manifest: re-read only
			continue
		}
		what := "it is not part of this export (added later, or left by another run)"
		if temp {
			what = "a temporary file left by an interrupted run; safe to delete"
		}
		rep.Problems = append(rep.Problems, Problem{name, fmt.Errorf("%w: %s", ErrExtra, what)})
	}

	type result struct {
		rows     int64
		problems []Problem
	}
	results := make([]result, len(files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(t.parallel())
	for i, f := range files {
		g.Go(func() error {
			rows, probs, err := verifyFile(gctx, t, f)
			results[i] = result{rows, probs}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return Report{}, fmt.Errorf("verify: %w", err)
	}
	for _, r := range results {
		rep.Files++
		rep.Rows += r.rows
		rep.Problems = append(rep.Problems, r.problems...)
	}
	slices.SortStableFunc(rep.Problems, func(a, b Problem) int { return cmp.Compare(a.Path, b.Path) })
	return rep, nil
}

// verifyFile checks one file the manifest lists (Size < 0: re-read only).
// The error is for an interrupted run only.
func verifyFile(ctx context.Context, t tree, f File) (int64, []Problem, error) {
	var probs []Problem
	add := func(err error) { probs = append(probs, Problem{f.Path, err}) }
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	b, err := t.open(ctx, f.Path)
	if ctx.Err() != nil {
		return 0, nil, ctx.Err()
	}
	if errors.Is(err, fs.ErrNotExist) {
		add(fmt.Errorf("%w: listed in the manifest (%d bytes, %d rows) but not on disk; the export is incomplete", ErrMissing, f.Size, f.Rows))
		return 0, probs, nil
	}
	if err != nil {
		add(fmt.Errorf("%w: %w", ErrDecode, err))
		return 0, probs, nil
	}
	defer b.close()
	size := b.size
	if f.Size >= 0 {
		if size != f.Size {
			add(fmt.Errorf("%w: %d bytes on disk, %d in the manifest; the file was truncated or changed after the export", ErrSize, size, f.Size))
		} else {
			sum := b.sum
			if sum == "" {
				sum, err = hashFile(ctx, io.NewSectionReader(b.r, 0, size))
				if err != nil {
					if ctx.Err() != nil {
						return 0, nil, ctx.Err()
					}
					add(fmt.Errorf("%w: %w", ErrDecode, err))
					return 0, probs, nil
				}
			}
			if sum != f.SHA256 {
				add(fmt.Errorf("%w: the content changed after the export (damaged storage, a failed copy or an edit)", ErrDigest))
			}
		}
	}
	rows, err := checkFile(ctx, f.Path, b.r, size)
	if ctx.Err() != nil {
		return 0, nil, ctx.Err()
	}
	if err != nil {
		for _, e := range splitErrors(err) {
			add(e)
		}
		return rows, probs, nil
	}
	if f.Size >= 0 && rows != f.Rows {
		add(fmt.Errorf("%w: %d rows read, %d in the manifest; the file is not the one the export listed", ErrRows, rows, f.Rows))
	}
	return rows, probs, nil
}

// checkFile re-reads a file with its format's Checker, turning a panic into
// an error: a damaged file must never stop the verification of the others.
func checkFile(ctx context.Context, name string, r io.ReaderAt, size int64) (rows int64, err error) {
	c, ext := checkerFor(name)
	if c == nil {
		return 0, fmt.Errorf("%w: no reader for this kind of file", ErrNoReader)
	}
	defer func() {
		if p := recover(); p != nil {
			rows, err = 0, fmt.Errorf("%w: reader failed: %v; the file is damaged", ErrDecode, p)
		}
	}()
	rows, err = c(ctx, r, size)
	if err != nil && !errors.Is(err, ErrDecode) && !errors.Is(err, ErrDigest) && !errors.Is(err, ErrSize) &&
		!errors.Is(err, ErrRows) && !errors.Is(err, ErrMissing) && !errors.Is(err, ErrExtra) && !errors.Is(err, ErrManifest) {
		err = fmt.Errorf("%w as %s: %w; the file is damaged", ErrDecode, strings.TrimPrefix(ext, "."), err)
	}
	return rows, err
}

// Problems is several problems found in one file (an archive's entries). A
// Checker returns it when it finds more than one; Verify reports each on a
// line of its own.
type Problems []error

// Error returns the problems on one line, separated by semicolons.
func (ps Problems) Error() string {
	msgs := make([]string, len(ps))
	for i, e := range ps {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (ps Problems) Unwrap() []error { return ps }

// splitErrors returns the problems in err (Problems), or err.
func splitErrors(err error) []error {
	var ps Problems
	if errors.As(err, &ps) {
		return ps
	}
	return []error{err}
}

func hashFile(ctx context.Context, r io.Reader) (string, error) {
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := r.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			return hex.EncodeToString(h.Sum(nil)), nil
		}
		if err != nil {
			return "", err
		}
	}
}

// walkFiles lists every non-folder below root, slash-separated, sorted,
// including temporary files (they are extra files to Verify).
func walkFiles(root string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	slices.Sort(names)
	return names, err
}

// ignored reports whether a file on disk is not part of any export, so
// that Verify does not count it as extra: hidden files and folders (the
// engine's resumable state in .ouraexport/, Finder's .DS_Store, editors'
// swap files; a manifest never lists a hidden name), and the files Windows
// Explorer leaves (Thumbs.db, desktop.ini). Temporary files of ouraexport
// are hidden too, but they are reported: they mean an interrupted run.
func ignored(name string) bool {
	if inTemp(name) {
		return false
	}
	for _, el := range strings.Split(name, "/") {
		if strings.HasPrefix(el, ".") {
			return true
		}
	}
	base := path.Base(name)
	return base == "Thumbs.db" || base == "desktop.ini"
}

// inTemp reports whether a slash path is, or is inside, a temporary file or folder.
func inTemp(name string) bool {
	for _, el := range strings.Split(name, "/") {
		if IsTemp(el) {
			return true
		}
	}
	return false
}

// localTree is an export folder on the local file system. It lists
// temporary files too: they are extra files, left by an interrupted run.
type localTree string

func (t localTree) String() string { return string(t) }

func (t localTree) files() ([]string, error) { return walkFiles(string(t)) }

func (t localTree) parallel() int { return runtime.GOMAXPROCS(0) }

func (t localTree) open(_ context.Context, name string) (*blob, error) {
	f, err := os.Open(filepath.Join(string(t), filepath.FromSlash(name)))
	if err != nil {
		return nil, err
	}
	return openedFile(f)
}

// openedFile makes a blob of an open local file, closing it on failure.
func openedFile(f *os.File) (*blob, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &blob{r: f, size: fi.Size(), close: f.Close}, nil
}

// dirTree is an export folder behind the Dir interface.
type dirTree struct{ d Dir }

func (t dirTree) String() string {
	if u, ok := t.d.(interface{ URL() string }); ok {
		return u.URL()
	}
	return "the export folder"
}

func (t dirTree) files() ([]string, error) { return t.d.List() }

// parallel is higher than for local files: remote reads wait on the network.
func (t dirTree) parallel() int { return max(8, runtime.GOMAXPROCS(0)) }

// open reads the file into a temporary local file, hashing it on the way,
// so that Checkers get random access without a request per read.
func (t dirTree) open(ctx context.Context, name string) (*blob, error) {
	rc, err := t.d.Open(name)
	if err != nil {
		return nil, err
	}
	if f, ok := rc.(*os.File); ok {
		return openedFile(f)
	}
	defer rc.Close()
	tmp, err := os.CreateTemp("", "ouraexport-verify-*")
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", name, err)
	}
	discard := func() error {
		err := tmp.Close()
		if rerr := os.Remove(tmp.Name()); err == nil {
			err = rerr
		}
		return err
	}
	h := sha256.New()
	n, err := copyContext(ctx, io.MultiWriter(tmp, h), rc)
	if err != nil {
		discard()
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return &blob{r: tmp, size: n, sum: hex.EncodeToString(h.Sum(nil)), close: discard}, nil
}

// copyContext copies src to dst, stopping when ctx is done.
func copyContext(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	buf := make([]byte, 1<<20)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, err := src.Read(buf)
		if k > 0 {
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return n, werr
			}
			n += int64(k)
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// verifyArchive checks a single archive with the archive's Checker, which
// reconciles it with the manifest inside.
func verifyArchive(ctx context.Context, path string, fi fs.FileInfo) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	rows, err := checkFile(ctx, fi.Name(), f, fi.Size())
	if ctx.Err() != nil {
		return Report{}, fmt.Errorf("verify: %w", ctx.Err())
	}
	rep := Report{Files: 1, Rows: rows}
	if err != nil {
		for _, e := range splitErrors(err) {
			rep.Problems = append(rep.Problems, Problem{fi.Name(), e})
		}
	}
	return rep, nil
}
