package auth

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkSourceToken is the per-request cost of a fresh token.
func BenchmarkSourceToken(b *testing.B) {
	w := newWorld(b, nil)
	src := newSource(b, w.loggedIn(b), nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := src.Token(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRefresh is one whole refresh: lock, re-read, token request to
// the in-process sandbox, durable save.
func BenchmarkRefresh(b *testing.B) {
	w := newWorld(b, nil)
	src := newSource(b, w.loggedIn(b), nil)
	ctx := context.Background()
	tok, _ := src.Token(ctx)
	b.ResetTimer()
	for b.Loop() {
		next, err := src.Refresh(ctx, tok)
		if err != nil {
			b.Fatal(err)
		}
		tok = next
	}
}

// BenchmarkLock is an uncontended lock and unlock of a login.
func BenchmarkLock(b *testing.B) {
	path := filepath.Join(b.TempDir(), "token.json.lock")
	ctx := context.Background()
	for b.Loop() {
		unlock, err := lockFile(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		unlock()
	}
}

// BenchmarkSave is one durable, atomic save of a login.
func BenchmarkSave(b *testing.B) {
	st := NewStore(filepath.Join(b.TempDir(), "token.json"))
	tok := sampleToken()
	unlock, err := st.Lock(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer unlock()
	for b.Loop() {
		if err := st.save(tok); err != nil {
			b.Fatal(err)
		}
	}
}
