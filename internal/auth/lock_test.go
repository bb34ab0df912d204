package auth

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json.lock")
	var inside, entries atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				unlock, err := lockFile(context.Background(), path)
				if err != nil {
					t.Error(err)
					return
				}
				if n := inside.Add(1); n != 1 {
					t.Errorf("%d holders at once", n)
				}
				entries.Add(1)
				time.Sleep(50 * time.Microsecond)
				inside.Add(-1)
				unlock()
				unlock() // a second call is harmless
			}
		})
	}
	wg.Wait()
	if entries.Load() != 200 {
		t.Errorf("%d entries, want 200", entries.Load())
	}
}

func TestLockWaitEnds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json.lock")
	unlock, err := lockFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := lockFile(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want a deadline error", err)
	}
}

// TestLockHelper holds a lock in a child process until it is killed.
func TestLockHelper(t *testing.T) {
	path := os.Getenv("OURAEXPORT_TEST_LOCK")
	if path == "" {
		t.Skip("helper process")
	}
	if _, err := osLock(context.Background(), path); err != nil {
		os.Exit(2)
	}
	os.Stdout.WriteString("locked\n")
	time.Sleep(time.Minute)
	os.Exit(3)
}

// TestLockAcrossProcesses checks that the lock excludes another process,
// and that a process killed while holding it does not leave it taken.
func TestLockAcrossProcesses(t *testing.T) {
	if !lockDiesWithProcess {
		t.Skip("the portable lock outlives a killed process until it is stale")
	}
	path := filepath.Join(t.TempDir(), "token.json.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelper$")
	cmd.Env = append(os.Environ(), "OURAEXPORT_TEST_LOCK="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper: %q, %v", line, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := lockFile(ctx, path); err == nil {
		t.Fatal("took a lock another process holds")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	unlock, err := lockFile(ctx, path)
	if err != nil {
		t.Fatalf("the killed process left the lock taken: %v", err)
	}
	unlock()
}
