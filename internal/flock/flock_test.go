//go:build unix

package flock_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ouraexport/ouraexport/internal/flock"
)

func TestTryLock(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	open := func() *os.File {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	a, b := open(), open()
	defer b.Close()
	if got, err := flock.TryLock(a); !got || err != nil {
		t.Fatalf("first lock: got %v, %v; want true, nil", got, err)
	}
	if got, err := flock.TryLock(b); got || err != nil {
		t.Fatalf("second lock while the first is held: got %v, %v; want false, nil", got, err)
	}
	a.Close() // closing releases it
	if got, err := flock.TryLock(b); !got || err != nil {
		t.Fatalf("lock after the holder closed: got %v, %v; want true, nil", got, err)
	}
}
