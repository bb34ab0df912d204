//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package auth

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"time"
)

// staleLock is the age after which an exclusive-create lock file is taken
// to be left behind by a crashed process: a refresh holds the lock for
// seconds.
const staleLock = 10 * time.Minute

// lockDiesWithProcess reports whether the OS drops the lock of a process
// that dies holding it.
const lockDiesWithProcess = false

// osLock is the portable fallback: the lock is held by whoever created
// path.excl exclusively, and released by removing it. A lock file older
// than staleLock is removed, since a process that died holding it cannot.
func osLock(ctx context.Context, path string) (func(), error) {
	excl := path + ".excl"
	err := pollLock(ctx, path, func() (bool, error) {
		f, err := os.OpenFile(excl, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, _ = f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
			return true, f.Close()
		}
		if !errors.Is(err, fs.ErrExist) {
			return false, err
		}
		if info, serr := os.Stat(excl); serr == nil && time.Since(info.ModTime()) > staleLock {
			_ = os.Remove(excl)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return func() { _ = os.Remove(excl) }, nil
}
