package sinks

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// Factory makes a sink from options that Validate accepted.
type Factory func(Options) (Sink, error)

// Checker re-reads a published file completely, as a reader of its format
// would, and returns the number of rows it holds. An error says why the file
// does not decode, wrapping ErrDecode (or another of Verify's kinds);
// several problems come as Problems, each naming what it is about. A
// Checker should not panic on corrupt input (Verify recovers if it does).
type Checker func(ctx context.Context, r io.ReaderAt, size int64) (rows int64, err error)

var registry struct {
	sync.RWMutex
	factories map[string]Factory
	checkers  map[string]Checker
}

// Register makes a format available under name ("parquet", "csv",
// "archive"). Format packages call it from init. It panics if name is
// registered twice.
func Register(name string, f Factory) {
	registry.Lock()
	defer registry.Unlock()
	if registry.factories == nil {
		registry.factories = make(map[string]Factory)
	}
	if _, dup := registry.factories[name]; dup || f == nil {
		panic("sinks: Register called twice, or with nil, for " + name)
	}
	registry.factories[name] = f
}

// RegisterChecker makes Verify re-read files whose names end in ext
// (".parquet", ".csv", ".zip") with c. It panics if ext is registered twice.
func RegisterChecker(ext string, c Checker) {
	registry.Lock()
	defer registry.Unlock()
	if registry.checkers == nil {
		registry.checkers = make(map[string]Checker)
	}
	if _, dup := registry.checkers[ext]; dup || c == nil || !strings.HasPrefix(ext, ".") {
		panic("sinks: RegisterChecker called twice, or with nil, for " + ext)
	}
	registry.checkers[ext] = c
}

// Open validates o and opens a sink of the named format.
func Open(name string, o Options) (Sink, error) {
	registry.RLock()
	f := registry.factories[name]
	registry.RUnlock()
	if f == nil {
		return nil, fmt.Errorf("unknown output format %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	s, err := f(o)
	if err != nil {
		return nil, fmt.Errorf("open %s sink: %w", name, err)
	}
	return s, nil
}

// Names returns the registered format names, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.factories))
	for n := range registry.factories {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// checkerFor returns the checker for a file name, by its longest registered
// extension, or nil.
func checkerFor(name string) (Checker, string) {
	registry.RLock()
	defer registry.RUnlock()
	var best string
	for ext := range registry.checkers {
		if strings.HasSuffix(name, ext) && len(ext) > len(best) {
			best = ext
		}
	}
	if best == "" {
		return nil, ""
	}
	return registry.checkers[best], best
}
