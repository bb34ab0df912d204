package auth

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"
)

// procLocks serialises, inside this process, the holders of one lock file
// (path -> chan struct{} of capacity 1), so that two token sources for the
// same file in one process exclude each other whatever the OS lock does
// between threads.
var procLocks sync.Map

// lockFile takes the exclusive lock of path (created 0600 if missing): the
// in-process lock, then the OS lock (flock on unix, LockFileEx on Windows, an
// exclusive create elsewhere). It waits until ctx ends. The returned
// function releases both.
func lockFile(ctx context.Context, path string) (func(), error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	ch, _ := procLocks.LoadOrStore(abs, make(chan struct{}, 1))
	sem := ch.(chan struct{})
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("lock %s: %w", path, context.Cause(ctx))
	}
	release, err := osLock(ctx, abs)
	if err != nil {
		<-sem
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			release()
			<-sem
		})
	}, nil
}

// pollLock calls try until it takes the lock, waiting a little longer
// between attempts each time (2ms up to 100ms), until ctx ends.
func pollLock(ctx context.Context, path string, try func() (bool, error)) error {
	wait := 2 * time.Millisecond
	for {
		ok, err := try()
		if err != nil {
			return fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("lock %s: %w", path, context.Cause(ctx))
		case <-t.C:
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}
