package importer

import (
	"archive/zip"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Limits bound what the zips of one import may hold, so that a zip bomb
// (a small file that inflates to terabytes, or nests zips without end)
// stops before it is read. A zip's declared sizes are trustworthy bounds:
// reading an entry past its declared size fails.
type Limits struct {
	// ZipBytes bounds the uncompressed size of all zip entries, nested
	// zips' included (default 16 GiB).
	ZipBytes int64
	// ZipEntries bounds the number of entries of all zips (default 100 000).
	ZipEntries int
	// ZipDepth bounds how deep zips nest: 1 reads a zip but no zip inside
	// it (default 4).
	ZipDepth int
}

// DefaultLimits are the limits of an import: far beyond any export Oura or
// ouraexport writes (a Membership Hub zip holds a few dozen files, an
// archive of ten years of heart rate a few gigabytes).
var DefaultLimits = Limits{ZipBytes: 16 << 30, ZipEntries: 100_000, ZipDepth: 4}

func (l Limits) orDefault() Limits {
	if l.ZipBytes <= 0 {
		l.ZipBytes = DefaultLimits.ZipBytes
	}
	if l.ZipEntries <= 0 {
		l.ZipEntries = DefaultLimits.ZipEntries
	}
	if l.ZipDepth <= 0 {
		l.ZipDepth = DefaultLimits.ZipDepth
	}
	return l
}

// zipBudget is what the zips read so far declared.
type zipBudget struct {
	bytes   int64
	entries int
}

// ErrUnsafeZip is wrapped by the *FileError of a zip the import refuses: an
// entry named outside the zip (../, an absolute path), a symbolic link, or
// more than the Limits.
var ErrUnsafeZip = errors.New("refused")

// checkZip refuses a zip (e, at depth e.depth) before any of it is read:
// entries whose names leave the zip or that are symbolic links (a zip
// crafted to write elsewhere on extraction), and zips beyond the limits.
func (im *importer) checkZip(e entry, zr *zip.Reader) error {
	l := im.o.Limits
	if e.depth >= l.ZipDepth {
		return &FileError{File: e.name, Err: fmt.Errorf("%w: zips nested more than %d deep (a zip bomb?)", ErrUnsafeZip, l.ZipDepth)}
	}
	for _, f := range zr.File {
		name := e.name + "!" + f.Name
		if why := unsafeName(f.Name); why != "" {
			return &FileError{File: name, Err: fmt.Errorf("%w: an entry %s (the zip may be crafted to write outside the folder it is unpacked in)", ErrUnsafeZip, why)}
		}
		if f.Mode()&fs.ModeSymlink != 0 {
			return &FileError{File: name, Err: fmt.Errorf("%w: the entry is a symbolic link", ErrUnsafeZip)}
		}
		im.zipped.entries++
		im.zipped.bytes += int64(min(f.UncompressedSize64, 1<<62))
		if im.zipped.entries > l.ZipEntries {
			return &FileError{File: e.name, Err: fmt.Errorf("%w: the zips of this import hold more than %d entries (a zip bomb?)", ErrUnsafeZip, l.ZipEntries)}
		}
		if im.zipped.bytes > l.ZipBytes {
			return &FileError{File: e.name, Err: fmt.Errorf("%w: the zips of this import hold more than %s uncompressed (a zip bomb?)", ErrUnsafeZip, sizeText(l.ZipBytes))}
		}
	}
	return nil
}

// unsafeName says why a zip entry's name points outside the zip ("" when
// it does not): an absolute path, a drive letter, or a ".." element, with
// either slash.
func unsafeName(name string) string {
	n := strings.ReplaceAll(name, "\\", "/")
	switch {
	case strings.HasPrefix(n, "/"):
		return "named by an absolute path"
	case len(n) >= 2 && n[1] == ':' && (n[0]|0x20 >= 'a' && n[0]|0x20 <= 'z'):
		return "named by a drive letter"
	case strings.ContainsRune(n, 0):
		return "whose name holds a NUL character"
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "named with \"..\""
		}
	}
	return ""
}

// sizeText writes a size in GiB, else MiB, else bytes.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
