//go:build unix

package flock_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ouraexport/ouraexport/internal/flock"
)

func TestTake(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	a, err := flock.Take(p)
	if err != nil {
		t.Fatalf("first lock: %v", err)
	}
	_, err = flock.Take(p)
	holder, held := flock.Held(err)
	if !held || holder != strconv.Itoa(os.Getpid()) {
		t.Fatalf("second lock while the first is held: err %v (held %v, holder %q); want held by %d", err, held, holder, os.Getpid())
	}
	a.Close() // closing releases it
	b, err := flock.Take(p)
	if err != nil {
		t.Fatalf("lock after the holder closed: %v", err)
	}
	b.Close()
}
