// Package flock takes the exclusive, non-waiting file locks that keep two
// runs out of one folder: an export's store, a watch's journal. The kernel
// drops a lock when its process ends, however it ends (SIGKILL included),
// so a crashed run never leaves a folder locked.
package flock

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// HeldError is returned by Take when another process holds the lock.
type HeldError struct {
	// Holder is the process id the lock file names ("" if it names none).
	Holder string
}

func (e *HeldError) Error() string {
	if e.Holder == "" {
		return "locked by another process"
	}
	return "locked by process " + e.Holder
}

// Take opens the lock file at path (creating it 0600) and locks it without
// waiting, writing this process's id into it for whoever finds it taken.
// Closing the returned file releases the lock. When another process holds
// it, Take returns a *HeldError.
func Take(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	got, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !got {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		return nil, &HeldError{Holder: strings.TrimSpace(string(b[:n]))}
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}

// Held reports whether err says the lock is another process's, and which.
func Held(err error) (holder string, ok bool) {
	var he *HeldError
	if errors.As(err, &he) {
		return he.Holder, true
	}
	return "", false
}
