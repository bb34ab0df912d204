// Package state tracks the life of a sink, the same way for every format:
// open until Commit or Close, and any error final.
package state

import (
	"context"
	"fmt"

	"github.com/ouraexport/ouraexport/schema"
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

// Tabled is a format's per-table state: it knows its table.
type Tabled interface {
	Schema() *schema.Table
}

// Admit does what every Write does first: it checks the sink is usable and
// ctx is live, finds the batch's table among the sink's tables and checks
// the batch against it (sinks.CheckBatch). A problem is recorded as the
// sink's final error and returned, prefixed with the format's name.
func Admit[T Tabled](l *Life, ctx context.Context, format string, tables map[string]T, b *schema.Batch) (T, error) {
	var zero T
	if err := l.Usable(); err != nil {
		return zero, err
	}
	if err := ctx.Err(); err != nil {
		return zero, l.Fail(fmt.Errorf("%s: %w", format, err))
	}
	if b == nil || b.Table == nil {
		return zero, l.Fail(fmt.Errorf("%s: batch without a table", format))
	}
	tab, ok := tables[b.Table.Name]
	if !ok {
		return zero, l.Fail(fmt.Errorf("%s: table %s is not part of this export", format, b.Table.Name))
	}
	if err := sinks.CheckBatch(tab.Schema(), b); err != nil {
		return zero, l.Fail(fmt.Errorf("%s: %w", format, err))
	}
	return tab, nil
}

// EachRun calls fn for the rows of b, in row order: once with all of them
// when the table is not partitioned, else once per run of rows in the same
// partition. runs is scratch space kept between calls.
func EachRun(b *schema.Batch, partitioned bool, runs *[]sinks.Run, fn func(p sinks.Partition, lo, hi int) error) error {
	if !partitioned {
		return fn(sinks.Partition{}, 0, b.Len())
	}
	*runs = sinks.Runs((*runs)[:0], b)
	for _, r := range *runs {
		if err := fn(r.Partition, r.Lo, r.Hi); err != nil {
			return err
		}
	}
	return nil
}
