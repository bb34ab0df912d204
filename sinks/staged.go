package sinks

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
)

// stageBufSize is the size of a staged file's write buffer. Writes of this
// size or more go straight to the file; smaller ones (Parquet page headers,
// the last rows of a batch) are gathered. It is small because a partitioned
// export has hundreds of files open at once.
const stageBufSize = 16 << 10

// StagedFile is a FileWriter that stages what is written in a local file,
// gathering small writes in a buffer and hashing (SHA-256) and counting
// every byte on the way, and hands the staged file to a publish function on
// Commit. It is the shape of every Dir whose files must appear whole or not
// at all: a rename on a local disk (LocalDir), an upload to an object store.
// It is not safe for concurrent use.
type StagedFile struct {
	f       *os.File
	name    string // the staging file's path
	rel     string // the path Commit reports
	publish func(f *os.File, size int64) error
	buf     []byte // gathered small writes; allocated on the first one
	sum     hash.Hash
	n       int64
	err     error // first error; the staging file is gone once set
	done    bool  // committed or aborted
}

var _ FileWriter = (*StagedFile)(nil)

// NewStagedFile returns a StagedFile over f, an open, empty staging file
// it owns from then on; rel is the path Commit reports (relative to the
// export root). On Commit, once every write has reached f, publish makes
// the file visible under its final name; it may close f. Then f is closed
// and removed, unless publish moved it away. Abort, and any failure,
// remove f without publishing.
func NewStagedFile(f *os.File, rel string, publish func(f *os.File, size int64) error) *StagedFile {
	return &StagedFile{f: f, name: f.Name(), rel: rel, publish: publish, sum: sha256.New()}
}

// Write stages p.
func (w *StagedFile) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.done {
		return 0, fmt.Errorf("write %s: file already committed or aborted", w.rel)
	}
	if len(w.buf) > 0 && len(w.buf)+len(p) > stageBufSize {
		if err := w.flush(); err != nil {
			return 0, err
		}
	}
	if len(p) >= stageBufSize {
		if _, err := w.f.Write(p); err != nil {
			return 0, w.fail(fmt.Errorf("write %s: %w", w.rel, err))
		}
	} else {
		if w.buf == nil {
			w.buf = make([]byte, 0, stageBufSize)
		}
		w.buf = append(w.buf, p...)
	}
	w.sum.Write(p)
	w.n += int64(len(p))
	return len(p), nil
}

// flush writes the gathered small writes to the staging file.
func (w *StagedFile) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.f.Write(w.buf); err != nil {
		return w.fail(fmt.Errorf("write %s: %w", w.rel, err))
	}
	w.buf = w.buf[:0]
	return nil
}

// Commit publishes the file and returns its path, size and SHA-256.
func (w *StagedFile) Commit() (File, error) {
	if w.err != nil {
		return File{}, w.err
	}
	if w.done {
		return File{}, fmt.Errorf("commit %s: file already committed or aborted", w.rel)
	}
	if err := w.flush(); err != nil {
		return File{}, err
	}
	w.buf = nil
	if err := w.publish(w.f, w.n); err != nil {
		return File{}, w.fail(err)
	}
	w.done = true
	if err := w.discard(); err != nil {
		return File{}, err
	}
	return File{Path: w.rel, Size: w.n, SHA256: hex.EncodeToString(w.sum.Sum(nil))}, nil
}

// Abort discards the file; nothing is published.
func (w *StagedFile) Abort() error {
	if w.done || w.err != nil {
		return nil
	}
	w.done = true
	return w.discard()
}

// fail records err, removes the staging file and returns err.
func (w *StagedFile) fail(err error) error {
	w.err = err
	if !w.done {
		w.discard()
	}
	return err
}

// discard closes and removes the staging file (what publish left of it).
func (w *StagedFile) discard() error {
	var errs []error
	w.buf = nil
	if w.f != nil {
		if err := w.f.Close(); !errors.Is(err, os.ErrClosed) {
			errs = append(errs, err)
		}
		w.f = nil
	}
	if err := os.Remove(w.name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("discard %s: %w", w.rel, err)
	}
	return nil
}
