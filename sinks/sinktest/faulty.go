package sinktest

import (
	"errors"
	"io"
	"sync"

	"github.com/ouraexport/ouraexport/sinks"
)

// ErrInjected is the error a FaultyDir fails with.
var ErrInjected = errors.New("sinktest: injected failure")

// Faults says when a FaultyDir fails. The zero value never fails.
type Faults struct {
	// Create fails every Create from the n-th on (1: all of them; 0: never).
	Create int
	// WriteAfter fails writes once this many bytes were written, across
	// all files (0: never).
	WriteAfter int64
	// Commit fails every FileWriter.Commit from the n-th on (1: all; 0: never).
	Commit int
}

// FaultyDir is a Dir that fails as its Faults say, and otherwise passes
// calls to the Dir it wraps. Its Sub folders share its faults and counters.
type FaultyDir struct {
	sinks.Dir
	*faultState
}

type faultState struct {
	mu      sync.Mutex
	f       Faults
	creates int
	commits int
	written int64
}

// NewFaultyDir wraps d.
func NewFaultyDir(d sinks.Dir, f Faults) *FaultyDir {
	return &FaultyDir{Dir: d, faultState: &faultState{f: f}}
}

// Create fails as Faults.Create says.
func (d *FaultyDir) Create(name string) (sinks.FileWriter, error) {
	d.mu.Lock()
	d.creates++
	fail := d.f.Create > 0 && d.creates >= d.f.Create
	d.mu.Unlock()
	if fail {
		return nil, ErrInjected
	}
	w, err := d.Dir.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultyWriter{FileWriter: w, s: d.faultState}, nil
}

// Sub returns the sub-folder, with the same faults.
func (d *FaultyDir) Sub(name string) sinks.Dir {
	return &FaultyDir{Dir: d.Dir.Sub(name), faultState: d.faultState}
}

// LocalPath passes on the wrapped Dir's local path, if it has one.
func (d *FaultyDir) LocalPath() string {
	if lp, ok := d.Dir.(interface{ LocalPath() string }); ok {
		return lp.LocalPath()
	}
	return ""
}

type faultyWriter struct {
	sinks.FileWriter
	s *faultState
}

func (w *faultyWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	limit := w.s.f.WriteAfter
	n := len(p)
	if limit > 0 && w.s.written+int64(n) > limit {
		n = int(max(limit-w.s.written, 0))
	}
	w.s.written += int64(n)
	w.s.mu.Unlock()
	if n < len(p) {
		m, _ := w.FileWriter.Write(p[:n])
		w.FileWriter.Abort() // a failed write loses the file, as the local Dir does
		return m, ErrInjected
	}
	return w.FileWriter.Write(p)
}

func (w *faultyWriter) Commit() (sinks.File, error) {
	w.s.mu.Lock()
	w.s.commits++
	fail := w.s.f.Commit > 0 && w.s.commits >= w.s.f.Commit
	w.s.mu.Unlock()
	if fail {
		w.FileWriter.Abort()
		return sinks.File{}, ErrInjected
	}
	return w.FileWriter.Commit()
}

var _ io.Writer = (*faultyWriter)(nil)
