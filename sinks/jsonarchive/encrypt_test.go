package jsonarchive_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
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

// encryptedArchive writes an encrypted archive of 50 sample rows to recipients.
func encryptedArchive(t *testing.T, d sinks.Dir, to ...age.Recipient) ([]sinks.File, error) {
	t.Helper()
	ctx := context.Background()
	samples := sinktest.Samples()
	sk, err := jsonarchive.NewEncrypted(sinks.Options{Dir: d, Tables: []*schema.Table{samples}}, to)
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Close()
	b := schema.NewBatch(samples, 50)
	sinktest.Fill(b, sinktest.SampleRows(50))
	if err := sk.Write(ctx, b); err != nil {
		return nil, err
	}
	if err := sk.WriteRaw(ctx, "heartrate", []byte(`{"bpm":61}`)); err != nil {
		return nil, err
	}
	return sk.Commit(ctx, sinktest.Meta())
}

func TestEncryptedArchive(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := age.GenerateX25519Identity()
	root := t.TempDir()
	d, _ := sinks.LocalDir(root)
	files, err := encryptedArchive(t, d, id.Recipient(), other.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Path != "oura-export.zip.age" || files[0].Rows != 0 {
		t.Fatalf("files %+v, want oura-export.zip.age with 0 (sealed) rows", files)
	}
	path := filepath.Join(root, files[0].Path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != files[0].Size {
		t.Errorf("%d bytes on disk, Commit says %d", len(data), files[0].Size)
	}
	if !bytes.HasPrefix(data, []byte(crypt.Magic)) {
		t.Fatalf("the archive is not an age file: %q", data[:min(40, len(data))])
	}
	if bytes.Contains(data, []byte("manifest.json")) || bytes.Contains(data, []byte("PK\x03\x04")) {
		t.Error("the encrypted file shows zip structure in the clear")
	}
	ents, _ := os.ReadDir(root)
	if len(ents) != 1 {
		t.Errorf("the folder holds %d entries, want just the archive (no plain zip, no spool)", len(ents))
	}

	// Either recipient decrypts it to a complete archive.
	for _, ident := range []age.Identity{id, other} {
		r, err := age.Decrypt(bytes.NewReader(data), ident)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := jsonarchive.Check(context.Background(), bytes.NewReader(plain), int64(len(plain)))
		if err != nil || rows != 50 {
			t.Errorf("decrypted archive: %d rows, %v; want 50", rows, err)
		}
		zr, err := zip.NewReader(bytes.NewReader(plain), int64(len(plain)))
		if err != nil || len(zr.File) != 4 {
			t.Errorf("decrypted zip: %v, %d entries", err, len(zr.File))
		}
	}

	stranger, _ := age.GenerateX25519Identity()
	ctx := context.Background()
	cases := []struct {
		name     string
		ctx      context.Context
		data     []byte
		wantRows int64
		wantErr  error
	}{
		{"no identity: header only", ctx, data, 0, nil},
		{"identity", crypt.WithIdentities(ctx, []age.Identity{id}), data, 0, nil},
		{"identity, rows asked", crypt.WithRows(crypt.WithIdentities(ctx, []age.Identity{other})), data, 50, nil},
		{"wrong identity", crypt.WithIdentities(ctx, []age.Identity{stranger}), data, 0, sinks.ErrNoReader},
		{"truncated", crypt.WithIdentities(ctx, []age.Identity{id}), data[:len(data)-100], 0, sinks.ErrDecode},
		{"truncated header", ctx, data[:40], 0, sinks.ErrDecode},
		{"not age", ctx, []byte("PK\x03\x04 not an age file at all"), 0, sinks.ErrDecode},
		{"flipped byte", crypt.WithIdentities(ctx, []age.Identity{id}), flip(data, len(data)/2), 0, sinks.ErrDecode},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := jsonarchive.CheckEncrypted(tc.ctx, bytes.NewReader(tc.data), int64(len(tc.data)))
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err == nil && rows != tc.wantRows {
				t.Errorf("%d rows, want %d", rows, tc.wantRows)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x55
	return c
}

func TestEncryptedArchivePassphrase(t *testing.T) {
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := crypt.PassphraseRecipient(pass)
	if err != nil {
		t.Fatal(err)
	}
	r.(*age.ScryptRecipient).SetWorkFactor(10) // fast for the test; the CLI keeps age's default
	root := t.TempDir()
	d, _ := sinks.LocalDir(root)
	files, err := encryptedArchive(t, d, r)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := crypt.Identities(nil, pass)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, files[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := crypt.WithRows(crypt.WithIdentities(context.Background(), ids))
	if rows, err := jsonarchive.CheckEncrypted(ctx, f, files[0].Size); err != nil || rows != 50 {
		t.Errorf("%d rows, %v; want 50", rows, err)
	}
	if err := os.WriteFile(pass, []byte("wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ids, _ = crypt.Identities(nil, pass)
	ctx = crypt.WithIdentities(context.Background(), ids)
	if _, err := jsonarchive.CheckEncrypted(ctx, f, files[0].Size); !errors.Is(err, sinks.ErrNoReader) {
		t.Errorf("wrong passphrase: %v, want ErrNoReader", err)
	}
}

// TestEncryptedArchiveDiskFull fails the write part way: no file, plain or
// encrypted, may stay.
func TestEncryptedArchiveDiskFull(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	for _, f := range []sinktest.Faults{{WriteAfter: 100}, {Create: 1}, {Commit: 1}} {
		root := t.TempDir()
		d, _ := sinks.LocalDir(root)
		_, err := encryptedArchive(t, sinktest.NewFaultyDir(d, f), id.Recipient())
		if !errors.Is(err, sinktest.ErrInjected) {
			t.Errorf("%+v: %v, want the injected failure", f, err)
		}
		ents, _ := os.ReadDir(root)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if len(names) > 0 {
			t.Errorf("%+v: left %s", f, strings.Join(names, ", "))
		}
	}
}
