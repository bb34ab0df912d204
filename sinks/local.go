package sinks

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ouraexport/ouraexport/internal/atomicfile"
)

// Permissions of everything a local Dir creates: the data is about a person's
// health, so only its owner may read it.
const (
	FileMode os.FileMode = 0o600
	DirMode  os.FileMode = 0o700
)

// tempMarker separates a final name from the owner and random parts of its
// temporary name: ".<name>.tmp-<pid>-<random>".
const tempMarker = ".tmp-"

// LocalDir returns the local folder path as a Dir, creating it (0700) if
// needed. It removes temporary files and folders that an earlier,
// killed run of ouraexport left anywhere below path (those of live
// processes stay).
func LocalDir(path string) (Dir, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("output folder %s: %w", path, err)
	}
	if err := os.MkdirAll(abs, DirMode); err != nil {
		return nil, fmt.Errorf("create output folder: %w", err)
	}
	if err := removeStale(abs); err != nil {
		return nil, fmt.Errorf("clean output folder %s: %w", abs, err)
	}
	return &localDir{root: abs}, nil
}

// localDir is a Dir on the local file system.
type localDir struct {
	root string // absolute path of the folder
	rel  string // slash path of the folder below the LocalDir root, "" for the root
}

// LocalPath returns the folder's absolute path on the local file system.
func (d *localDir) LocalPath() string { return d.root }

func (d *localDir) path(name string) string { return filepath.Join(d.root, filepath.FromSlash(name)) }

func (d *localDir) Create(name string) (FileWriter, error) {
	if err := CheckName(name); err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	final := d.path(name)
	if err := os.MkdirAll(filepath.Dir(final), DirMode); err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	f, err := createTemp(filepath.Dir(final), filepath.Base(final))
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	rel := path.Join(d.rel, name)
	return NewStagedFile(f, rel, publishLocal(final, rel)), nil
}

func (d *localDir) Open(name string) (io.ReadCloser, error) {
	if err := CheckName(name); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	return os.Open(d.path(name))
}

func (d *localDir) List() ([]string, error) {
	var names []string
	err := filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == d.root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if p != d.root && IsTemp(e.Name()) {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if e.Type().IsRegular() {
			rel, err := filepath.Rel(d.root, p)
			if err != nil {
				return err
			}
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.root, err)
	}
	slices.Sort(names)
	return names, nil
}

// Remove deletes a published file and then the folders it leaves empty,
// up to (not including) the Dir itself.
func (d *localDir) Remove(name string) error {
	if err := CheckName(name); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	if err := os.Remove(d.path(name)); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	dir := path.Dir(name)
	for ; dir != "."; dir = path.Dir(dir) {
		if os.Remove(d.path(dir)) != nil {
			break // not empty
		}
	}
	return syncDir(d.path(dir))
}

func (d *localDir) Sub(name string) Dir {
	if err := CheckName(name); err != nil {
		return &badDir{err}
	}
	return &localDir{root: d.path(name), rel: path.Join(d.rel, name)}
}

// publishLocal returns the publish function of a local staged file: the
// temporary file beside the final one is fsynced, renamed over the final
// name, and the folder fsynced.
func publishLocal(final, rel string) func(f *os.File, size int64) error {
	return func(f *os.File, _ int64) error {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", rel, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("close %s: %w", rel, err)
		}
		if err := os.Rename(f.Name(), final); err != nil {
			return fmt.Errorf("publish %s: %w", rel, err)
		}
		if err := syncDir(filepath.Dir(final)); err != nil {
			return fmt.Errorf("publish %s: %w", rel, err)
		}
		return nil
	}
}

// FailedDir returns a Dir whose every call fails with err: what Sub returns
// for a bad name, since Sub has no error result.
func FailedDir(err error) Dir { return &badDir{err} }

// badDir is a Dir whose every call fails.
type badDir struct{ err error }

func (d *badDir) Create(string) (FileWriter, error)  { return nil, d.err }
func (d *badDir) Open(string) (io.ReadCloser, error) { return nil, d.err }
func (d *badDir) List() ([]string, error)            { return nil, d.err }
func (d *badDir) Remove(string) error                { return d.err }
func (d *badDir) Sub(string) Dir                     { return d }

// tempSuffix returns the owner and random parts of a temporary name.
func tempSuffix() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}

// createTemp creates a new temporary file for the final name base in the
// folder dir, 0600, named so that IsTemp recognises it and LocalDir can
// remove it once its process is gone.
func createTemp(dir, base string) (*os.File, error) {
	for range 10 {
		p := filepath.Join(dir, "."+base+tempMarker+tempSuffix())
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("create temporary file for %s: too many collisions", base)
}

// MkdirTemp creates a new temporary folder (0700) for the final name base
// in dir, named so that IsTemp recognises it and LocalDir can remove it once
// its process is gone.
func MkdirTemp(dir, base string) (string, error) {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return "", err
	}
	for range 10 {
		p := filepath.Join(dir, "."+base+tempMarker+tempSuffix())
		err := os.Mkdir(p, DirMode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return p, err
	}
	return "", fmt.Errorf("create temporary folder for %s: too many collisions", base)
}

// IsTemp reports whether a file or folder name is one of ouraexport's
// temporary names (".<name>.tmp-<pid>-<random>").
func IsTemp(name string) bool {
	_, ok := tempOwner(name)
	return ok
}

// tempOwner returns the process id in a temporary name.
func tempOwner(name string) (int, bool) {
	if !strings.HasPrefix(name, ".") {
		return 0, false
	}
	i := strings.LastIndex(name, tempMarker)
	if i < 2 {
		return 0, false
	}
	pidStr, rnd, ok := strings.Cut(name[i+len(tempMarker):], "-")
	if !ok || len(rnd) != 16 {
		return 0, false
	}
	if _, err := hex.DecodeString(rnd); err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(pidStr)
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// removeStale removes the temporary files and folders below root whose
// process is no longer running.
func removeStale(root string) error {
	var stale []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		pid, ok := tempOwner(e.Name())
		if !ok || p == root {
			return nil
		}
		if pid != os.Getpid() && !processAlive(pid) {
			stale = append(stale, p)
		}
		if e.IsDir() {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range stale {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	return nil
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	if err := atomicfile.SyncDir(dir); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}
