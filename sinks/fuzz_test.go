package sinks_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/sinktest"
)

// FuzzVerify runs Verify on an export folder made of an arbitrary
// MANIFEST.json and one arbitrary file at an arbitrary name. Names
// CheckName accepts are local, clean and visible. Verify never fails on
// such a folder (its error is for what is not an export, or an interrupted
// run); every problem is one line that wraps one of Verify's errors; and a
// clean report means the manifest decodes and lists exactly the file on
// disk, with its size and digest.
func FuzzVerify(f *testing.F) {
	content := []byte("a,b\r\n1,2\r\n")
	sum := sha256.Sum256(content)
	good := func(p string, c []byte, rows int64) []byte {
		s := sha256.Sum256(c)
		var buf bytes.Buffer
		if err := sinks.NewManifest(sinktest.Meta(), []sinks.File{{Path: p, Size: int64(len(c)), SHA256: hex.EncodeToString(s[:]), Rows: rows}}).Encode(&buf); err != nil {
			f.Fatal(err)
		}
		return buf.Bytes()
	}
	f.Add(good("csv/t.csv", content, 1), "csv/t.csv", content)
	f.Add(good("csv/t.csv", content, 2), "csv/t.csv", content)
	f.Add(good("csv/t.csv", content, 1), "csv/u.csv", content)
	f.Add(good("t.csv", content, 1), "t.csv", content[:len(content)-1])
	f.Add(good("x.unknown", content, 0), "x.unknown", content)
	f.Add(good("a.zip", content, 0), "a.zip", content)
	f.Add(good("a.zip.age", content, 0), "a.zip.age", []byte("age-encryption.org/v1\n-> X25519 abc\n--- def\n"))
	f.Add([]byte(`{"manifest_version":1,"files":[{"path":"t.csv","size":10,"sha256":"`+hex.EncodeToString(sum[:])+`","rows":1}]}`), "t.csv", content)
	f.Add([]byte(`{"manifest_version":2,"files":[]}`), ".hidden/x", content)
	f.Add([]byte(`{`), "../escape", content)
	f.Add([]byte(`{"manifest_version":1,"files":[{"path":"a\\b","size":-1}]}`), `a\b`, content)
	f.Add([]byte(`{"manifest_version":1,"files":null}`), "a/./b", content)
	f.Add([]byte(`{"manifest_version":1,"files":[]}`), "Thumbs.db", content)
	f.Add([]byte(`{"manifest_version":1,"files":[]}`), "csv/.t.csv.tmp-1234-abcd", content)
	f.Fuzz(func(t *testing.T, manifest []byte, name string, data []byte) {
		root := t.TempDir()
		nameOK := sinks.CheckName(name) == nil
		if nameOK {
			if !filepath.IsLocal(filepath.FromSlash(name)) || path.Clean(name) != name || strings.HasPrefix(name, ".") || strings.Contains(name, "/.") {
				t.Fatalf("CheckName accepts %q", name)
			}
		} else if err := sinks.CheckName(name); !errors.Is(err, sinks.ErrBadName) {
			t.Fatalf("CheckName(%q) = %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(root, sinks.ManifestName), manifest, 0o600); err != nil {
			t.Fatal(err)
		}
		written := nameOK && name != sinks.ManifestName && len(name) < 200
		if written {
			p := filepath.Join(root, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				written = false // a name the file system does not take
			} else if err := os.WriteFile(p, data, 0o600); err != nil {
				written = false
			}
		}
		rep, err := sinks.Verify(context.Background(), root)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		for _, p := range rep.Problems {
			if s := p.String(); strings.ContainsAny(s, "\r\n") {
				t.Fatalf("problem is not one line: %q", s)
			}
			known := false
			for _, e := range []error{sinks.ErrMissing, sinks.ErrExtra, sinks.ErrSize, sinks.ErrDigest, sinks.ErrRows,
				sinks.ErrDecode, sinks.ErrNoReader, sinks.ErrManifest} {
				known = known || errors.Is(p.Err, e)
			}
			if !known {
				t.Fatalf("problem %q wraps none of Verify's errors", p)
			}
		}
		if !rep.OK() {
			return
		}
		m, err := sinks.DecodeManifest(bytes.NewReader(manifest))
		if err != nil {
			t.Fatalf("a clean report for a manifest that does not decode: %v", err)
		}
		if rep.Files != len(m.Files) {
			t.Fatalf("%d files checked, %d listed", rep.Files, len(m.Files))
		}
		for _, file := range m.Files {
			if !written || file.Path != name {
				t.Fatalf("a clean report, but %s is listed and %q on disk (written: %v)", file.Path, name, written)
			}
			s := sha256.Sum256(data)
			if file.Size != int64(len(data)) || file.SHA256 != hex.EncodeToString(s[:]) {
				t.Fatalf("a clean report for %s of %d bytes, listed with %d", name, len(data), file.Size)
			}
		}
		if written && len(m.Files) == 0 && path.Base(name) != "Thumbs.db" && path.Base(name) != "desktop.ini" {
			t.Fatalf("a clean report with %q on disk and nothing listed", name)
		}
	})
}
