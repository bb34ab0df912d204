package importer

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/ouraexport/ouraexport/internal/crypt"
)

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
// (manifest.json and raw/) as such, any other zip entry by entry, once
// checkZip accepts it.
func (im *importer) zipEntries(e entry, zr *zip.Reader) error {
	if err := im.checkZip(e, zr); err != nil {
		return err
	}
	if isArchive(zr) {
		return im.archive(e.name, zr)
	}
	files := slices.Clone(zr.File)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	for _, f := range files {
		if f.FileInfo().IsDir() || strings.HasPrefix(path.Base(f.Name), ".") || strings.HasPrefix(f.Name, "__MACOSX/") {
			continue
		}
		err := im.file(entry{name: e.name + "!" + f.Name, size: int64(f.UncompressedSize64), open: f.Open, depth: e.depth + 1})
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
