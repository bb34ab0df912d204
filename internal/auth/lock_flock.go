//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDiesWithProcess reports whether the OS drops the lock of a process
// that dies holding it.
const lockDiesWithProcess = true

// osLock takes an exclusive flock(2) on path. The kernel releases it when
// the process dies, so a crashed run never leaves the login locked.
func osLock(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	fd := int(f.Fd())
	err = pollLock(ctx, path, func() (bool, error) {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK), errors.Is(err, syscall.EINTR):
			return false, nil
		}
		return false, err
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(fd, syscall.LOCK_UN) // closing releases it anyway
		f.Close()
	}, nil
}
