package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

// writeExport writes an export of heart-rate rows with every format, and
// its manifest, as the export command does.
func writeExport(t *testing.T) string {
	t.Helper()
	hr := schema.Lookup("heartrate")
	if hr == nil {
		t.Fatal("no heartrate table")
	}
	root := filepath.Join(t.TempDir(), "oura-export")
	d, err := sinks.LocalDir(root)
	if err != nil {
		t.Fatal(err)
	}
	meta := sinks.Meta{ToolVersion: "test", SchemaVersion: schema.Version, ExportedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	var files []sinks.File
	for _, format := range sinks.Names() {
		sk, err := sinks.Open(format, sinks.Options{Dir: d.Sub(format), Tables: []*schema.Table{hr}, Name: "oura"})
		if err != nil {
			t.Fatal(err)
		}
		b := schema.NewBatch(hr, 100)
		for i := range 100 {
			r := b.Append()
			r.SetInt(hr.MustIndex("timestamp"), int64(i)*5_000_000)
			r.SetInt(hr.MustIndex("bpm"), int64(60+i%30))
			r.SetString(hr.MustIndex("origin"), "v2")
		}
		if err := sk.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
		fs, err := sk.Commit(ctx, meta)
		if err != nil {
			t.Fatal(err)
		}
		sk.Close()
		files = append(files, fs...)
	}
	if err := sinks.WriteManifest(d, sinks.NewManifest(meta, files)); err != nil {
		t.Fatal(err)
	}
	return root
}

func verifyCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Main(context.Background(), append([]string{"verify"}, args...), Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return out.String(), err
}

func TestVerifyCommand(t *testing.T) {
	root := writeExport(t)
	t.Run("intact", func(t *testing.T) {
		out, err := verifyCLI(t, root)
		if err != nil || out != "verified 3 files, 300 rows\n" {
			t.Errorf("got %q, %v", out, err)
		}
	})
	t.Run("single archive", func(t *testing.T) {
		out, err := verifyCLI(t, filepath.Join(root, "archive", "oura.zip"))
		if err != nil || out != "verified 1 files, 100 rows\n" {
			t.Errorf("got %q, %v", out, err)
		}
	})
	t.Run("damaged", func(t *testing.T) {
		p := filepath.Join(root, "csv", "heartrate.csv")
		data, _ := os.ReadFile(p)
		defer os.WriteFile(p, data, 0o600)
		bad := bytes.Replace(data, []byte(",60,"), []byte(",61,"), 1)
		os.WriteFile(p, bad, 0o600)
		os.WriteFile(filepath.Join(root, "stray.txt"), nil, 0o600)
		defer os.Remove(filepath.Join(root, "stray.txt"))
		out, err := verifyCLI(t, root)
		var usage *UsageError
		if err == nil || errors.Is(err, ErrBadInput) || errors.As(err, &usage) {
			t.Fatalf("got %v, want a plain failure (exit 1)", err)
		}
		if !strings.Contains(err.Error(), "2 problems") {
			t.Errorf("error %q does not count the problems", err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "csv/heartrate.csv: SHA-256 differs") || !strings.HasPrefix(lines[1], "stray.txt: not in the manifest") {
			t.Errorf("output:\n%s", out)
		}
	})
	t.Run("bad path", func(t *testing.T) {
		empty := t.TempDir()
		for _, p := range []string{filepath.Join(empty, "missing"), empty, filepath.Join(root, "csv", "heartrate.csv")} {
			_, err := verifyCLI(t, p)
			if !errors.Is(err, ErrBadInput) || !strings.Contains(Message(err), "give the folder") {
				t.Errorf("verify %s: got %v, want bad input with a hint", p, err)
			}
		}
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{nil, {root, root}, {"--nope", root}} {
			_, err := verifyCLI(t, args...)
			var usage *UsageError
			if !errors.As(err, &usage) {
				t.Errorf("verify %v: got %v, want a usage error", args, err)
			}
		}
	})
}
