// Package state tracks the life of a sink, the same way for every format:
// open until Commit or Close, and any error final.
package state

import (
	"fmt"

	"github.com/ouraexport/ouraexport/sinks"
)

// Life is the state of one sink. The sink guards it with its own mutex.
type Life struct {
	err       error
	committed bool
	closed    bool
}

// Usable returns nil if Write or Commit may run, or the error they must return.
func (l *Life) Usable() error {
	switch {
	case l.closed:
		return sinks.ErrClosed
	case l.committed:
		return sinks.ErrCommitted
	case l.err != nil:
		return fmt.Errorf("sink stopped by an earlier error: %w", l.err)
	}
	return nil
}

// Fail records err as the sink's final error (the first one wins) and returns it.
func (l *Life) Fail(err error) error {
	if l.err == nil {
		l.err = err
	}
	return err
}

// Committed records a successful Commit.
func (l *Life) Committed() { l.committed = true }

// Close records Close. It reports whether this is the first Close and
// whether the sink's output must be discarded (no successful Commit).
func (l *Life) Close() (first, discard bool) {
	if l.closed {
		return false, false
	}
	l.closed = true
	return true, !l.committed
}
