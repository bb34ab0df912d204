// Package atomicfile writes small files so that readers, and a crash, see the
// old content or the new, never a part: a temporary file in the same folder,
// fsync, rename, folder sync. Every writer of state, logins and outputs
// shares it.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// WriteFile replaces path with b. The temporary file is named
// .<name>.tmp-<random> beside it and created 0600: the data is health data
// or a secret.
func WriteFile(path string, b []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*") // 0600
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return SyncDir(dir)
}

// SyncDir makes a rename or removal in dir durable. Windows cannot open a
// folder to sync it (renames are durable there), so it does nothing there.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		return nil
	}
	if dir == "" {
		dir = "."
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
