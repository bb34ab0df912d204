package importer

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/exporter"
)

// TestZipLimits: a zip that inflates past the limits (here a real deflate
// bomb of 8 MiB of zeros against a 4 MiB limit, and more entries than
// allowed) is refused before it is read, and nothing is stored.
func TestZipLimits(t *testing.T) {
	bomb := func(entries int) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("zeros.csv")
		w.Write(make([]byte, 8<<20))
		for i := range entries {
			zw.Create("more/" + string(rune('a'+i%26)) + strings.Repeat("x", i/26))
		}
		zw.Close()
		return buf.Bytes()
	}
	for _, tc := range []struct {
		name   string
		zip    []byte
		limits Limits
		want   string
	}{
		{"bytes", bomb(0), Limits{ZipBytes: 4 << 20}, "more than 4 MiB uncompressed"},
		{"entries", bomb(20), Limits{ZipEntries: 10}, "more than 10 entries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "bomb.zip")
			os.WriteFile(p, tc.zip, 0o600)
			st, err := exporter.OpenStore(filepath.Join(dir, "store"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			_, err = Import(context.Background(), Options{Store: st, Paths: []string{p}, Limits: tc.limits})
			if !errors.Is(err, ErrUnsafeZip) || !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a refusal saying %q", err, tc.want)
			}
			if recs, _ := exporter.Imports(st); len(recs) != 0 {
				t.Errorf("stored %v", recs)
			}
		})
	}
}

// FuzzZipName: an entry name the import accepts stays inside the zip:
// relative, without a ".." element, with either slash.
func FuzzZipName(f *testing.F) {
	for _, s := range []string{"App Data/sleep.csv", "../x", `a\..\b`, "/etc/passwd", `C:\x`, "a/./b", "a/b/..", "..", "...", "a/...b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if unsafeName(name) != "" || name == "" {
			return
		}
		n := strings.ReplaceAll(name, "\\", "/")
		if path.IsAbs(n) || strings.HasPrefix(path.Clean(n), "../") || path.Clean(n) == ".." {
			t.Errorf("%q accepted, but it leaves the zip", name)
		}
	})
}
