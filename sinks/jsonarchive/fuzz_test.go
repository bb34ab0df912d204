package jsonarchive_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ouraexport/ouraexport/internal/crypt"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/jsonarchive"
	"github.com/ouraexport/ouraexport/sinks/sinktest"
)

// FuzzCheckEncrypted feeds CheckEncrypted two ways: an arbitrary file as it
// is (sealed=false), and an arbitrary zip sealed with age in the target
// (sealed=true), so that the fuzzer explores the archive inside rather than
// age's authentication. It never panics; every error wraps one of the
// errors Verify reports (ErrDecode, ErrNoReader, ...) and is one line; without identities it reads no further than
// the header; and a sealed archive checks exactly as the plain one does
// (same rows, same verdict).
func FuzzCheckEncrypted(f *testing.F) {
	samples := sinktest.Samples()
	root := f.TempDir()
	d, _ := sinks.LocalDir(root)
	sk, err := jsonarchive.New(sinks.Options{Dir: d, Tables: []*schema.Table{samples}})
	if err != nil {
		f.Fatal(err)
	}
	b := schema.NewBatch(samples, 3)
	sinktest.Fill(b, sinktest.SampleRows(3))
	sk.Write(context.Background(), b)
	sk.WriteRaw(context.Background(), "heartrate", []byte(`{"a":1}`))
	files, err := sk.Commit(context.Background(), sinktest.Meta())
	if err != nil {
		f.Fatal(err)
	}
	sk.Close()
	plain, err := os.ReadFile(filepath.Join(root, files[0].Path))
	if err != nil {
		f.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	seal := func(t testing.TB, p []byte) []byte {
		var buf bytes.Buffer
		w, err := age.Encrypt(&buf, id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	f.Add(true, plain)
	f.Add(true, plain[:len(plain)/2])
	f.Add(true, []byte("PK\x05\x06"+strings.Repeat("\x00", 18)))
	f.Add(true, []byte{})
	f.Add(false, seal(f, plain)) // sealed to a key the target does not hold
	f.Add(false, []byte(crypt.Magic+"-> X25519 AAAA\nAAAA\n--- AAAA\n"))
	f.Add(false, []byte(crypt.Magic+"-> X25519 abc\n--- def\n"))
	f.Add(false, plain)
	ids := []age.Identity{id}
	f.Fuzz(func(t *testing.T, sealed bool, data []byte) {
		check := func(ctx context.Context, what string, file []byte) (int64, error) {
			rows, err := jsonarchive.CheckEncrypted(ctx, bytes.NewReader(file), int64(len(file)))
			if err != nil {
				if !isVerifyError(err) {
					t.Fatalf("%s: error %v wraps none of the errors Verify reports", what, err)
				}
				if strings.ContainsAny(err.Error(), "\r\n") {
					t.Fatalf("%s: error is not one line: %q", what, err)
				}
			}
			if rows < 0 {
				t.Fatalf("%s: %d rows", what, rows)
			}
			return rows, err
		}
		file := data
		if sealed {
			file = seal(t, data)
		}
		ctx := context.Background()
		if rows, err := check(ctx, "no identities", file); err == nil && rows != 0 {
			t.Fatalf("%d rows without identities", rows)
		}
		withIDs := crypt.WithIdentities(ctx, ids)
		rows, err := check(crypt.WithRows(withIDs), "with identities", file)
		if rows0, err0 := check(withIDs, "with identities, manifest count", file); rows0 != 0 || (err0 == nil) != (err == nil) {
			t.Fatalf("without WithRows: %d rows, %v; with it: %v", rows0, err0, err)
		}
		if !sealed {
			return
		}
		want, werr := jsonarchive.Check(ctx, bytes.NewReader(data), int64(len(data)))
		if (werr == nil) != (err == nil) || werr == nil && rows != want {
			t.Fatalf("sealed archive: %d rows, %v; plain archive: %d rows, %v", rows, err, want, werr)
		}
	})
}

// isVerifyError reports whether err wraps one of the errors a Checker may
// return (sinks.Verify wraps any other as ErrDecode).
func isVerifyError(err error) bool {
	for _, e := range []error{sinks.ErrDecode, sinks.ErrNoReader, sinks.ErrManifest, sinks.ErrMissing,
		sinks.ErrExtra, sinks.ErrSize, sinks.ErrDigest, sinks.ErrRows} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
