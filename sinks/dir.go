package sinks

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// Dir is a folder that sinks publish files into: a local folder now, an
// object store later. Names are slash-separated paths relative to the Dir and
// may contain sub-folders (see CheckName). A Dir is safe for concurrent use.
type Dir interface {
	// Create starts a file. It stays invisible (List and Open do not see it)
	// until its Commit; Abort, or any error, discards it.
	Create(name string) (FileWriter, error)
	// Open opens a published file for reading.
	Open(name string) (io.ReadCloser, error)
	// List returns every published file, recursively, sorted.
	List() ([]string, error)
	// Remove deletes a published file.
	Remove(name string) error
	// Sub returns the sub-folder name; files it publishes have paths
	// prefixed with name.
	Sub(name string) Dir
}

// FileWriter writes one file of a Dir. It hashes (SHA-256) and counts the
// bytes while they are written. It is not safe for concurrent use; after a
// failed Write the file is discarded and every later call fails.
type FileWriter interface {
	io.Writer
	// Commit makes the file visible under its final name, atomically, and
	// returns its path (relative to the export root), size and SHA-256; Rows
	// is left for the sink to set. A second Commit is an error.
	Commit() (File, error)
	// Abort discards the file. It is a no-op after Commit or Abort, so it
	// can be deferred.
	Abort() error
}

// ErrBadName is returned (wrapped) for a file name that is not a clean
// relative slash-separated path.
var ErrBadName = errors.New("not a clean relative file name")

// CheckName reports whether name is a clean relative slash-separated path
// that a Dir accepts: no "..", no empty, "." or hidden (dot) elements, no
// backslashes.
func CheckName(name string) error {
	if !fs.ValidPath(name) || name == "." || strings.Contains(name, `\`) {
		return fmt.Errorf("%q: %w", name, ErrBadName)
	}
	for _, el := range strings.Split(name, "/") {
		if strings.HasPrefix(el, ".") {
			return fmt.Errorf("%q: %w", name, ErrBadName)
		}
	}
	return nil
}
