package sinks_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ouraexport/ouraexport/sinks"
)

// remoteDir hides that a local Dir's files are *os.File, so VerifyDir takes
// the path it takes for an object store: read each file once, in sequence.
type remoteDir struct{ sinks.Dir }

func (d remoteDir) Open(name string) (io.ReadCloser, error) {
	rc, err := d.Dir.Open(name)
	if err != nil {
		return nil, err
	}
	return struct{ io.ReadCloser }{rc}, nil
}

func TestVerifyDir(t *testing.T) {
	clean := makeExport(t, true)
	want := verify(t, clean)
	if !want.OK() {
		t.Fatalf("the clean export does not verify: %v", want.Problems)
	}
	fresh := func(t *testing.T) (string, sinks.Dir) {
		t.Helper()
		dst := filepath.Join(t.TempDir(), "copy")
		if err := os.CopyFS(dst, os.DirFS(clean)); err != nil {
			t.Fatal(err)
		}
		d, err := sinks.LocalDir(dst)
		if err != nil {
			t.Fatal(err)
		}
		return dst, remoteDir{d}
	}
	csvPart := "csv/samples/year=2024/part-0.csv"
	if _, err := os.Stat(filepath.Join(clean, csvPart)); err != nil {
		t.Fatalf("the test export has no %s: %v", csvPart, err)
	}
	cases := []struct {
		name   string
		damage func(root string)
		want   []any
	}{
		{name: "intact", damage: func(string) {}},
		{name: "flipped byte", damage: func(root string) {
			p := filepath.Join(root, csvPart)
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 1
			os.WriteFile(p, b, 0o600)
		}, want: []any{csvPart, sinks.ErrDigest}},
		{name: "truncated", damage: func(root string) {
			p := filepath.Join(root, csvPart)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-9], 0o600)
		}, want: []any{csvPart, sinks.ErrSize, csvPart, sinks.ErrDecode}},
		{name: "missing", damage: func(root string) {
			os.Remove(filepath.Join(root, csvPart))
		}, want: []any{csvPart, sinks.ErrMissing}},
		{name: "extra", damage: func(root string) {
			os.WriteFile(filepath.Join(root, "csv", "notes.txt"), []byte("mine"), 0o600)
		}, want: []any{"csv/notes.txt", sinks.ErrExtra}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root, d := fresh(t)
			tc.damage(root)
			got, err := sinks.VerifyDir(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, got, tc.want...)
			if tc.name == "intact" && (got.Files != want.Files || got.Rows != want.Rows) {
				t.Errorf("VerifyDir checked %d files, %d rows; Verify %d, %d", got.Files, got.Rows, want.Files, want.Rows)
			}
		})
	}
	t.Run("not an export", func(t *testing.T) {
		d, err := sinks.LocalDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sinks.VerifyDir(context.Background(), remoteDir{d}); !errors.Is(err, sinks.ErrNotExport) {
			t.Errorf("got %v, want ErrNotExport", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		_, d := fresh(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := sinks.VerifyDir(ctx, d); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
}
