package cli

import (
	"archive/zip"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/sinks"
)

// noImport fails unless the export folder out holds no outputs and its
// store no imported file.
func noImport(t *testing.T, out string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(out, sinks.ManifestName)); err == nil {
		t.Error("a manifest was written")
	}
	if _, err := os.Stat(filepath.Join(out, exporter.StoreDir, "imports.json")); err == nil {
		t.Error("the import log was written")
	}
}

// randomBytes is a file of no kind ouraexport reads.
var randomBytes = []byte("\x00\x01\x02ELF\xff\xfe binary \x00 junk \x7f\x80\x81")

// TestImportNothingSilentlyDropped: a file named on the command line that
// yields no records is an error (exit 2) that names it and what ouraexport
// reads, and nothing is written, unless --keep-unrecognised keeps it whole;
// in a folder or zip such files are listed and the import is partial
// (exit 3). A trends CSV trimmed to a date and a few columns is read.
func TestImportNothingSilentlyDropped(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	junk := write("photo.bin", randomBytes)
	empty := write("empty.csv", nil)
	output := write("daily_spo2.csv", []byte("id,day,spo2_percentage_average,breathing_disturbance_index,origin,extra\r\n"))
	trimmed := write("trimmed.csv", []byte("date,Steps,Total Burn,My notes\r\n2021-04-18,9000,2500,ran\r\n2021-04-19,8000,2400,\r\n"))
	scores := write("scores.csv", []byte("Date,Sleep Score,Custom A,Custom B,Custom C\n2021-05-01,80,1,2,3\n"))
	good := write("folder/trends.csv", []byte(trendsSample))
	write("folder/notes.bin", randomBytes)
	write("junk/a.bin", randomBytes)
	write("junk/b.txt", []byte("no separators here"))
	zipped := write("backup.zip", zipOf(t, map[string][]byte{"trends.csv": []byte(trendsSample), "x/photo.bin": randomBytes}))

	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"random binary file", []string{junk}, []string{junk, "ouraexport does not read this kind of file", "Oura Cloud trends CSV", "--keep-unrecognised"}},
		{"empty file", []string{empty}, []string{empty, "empty"}},
		{"an output table", []string{output}, []string{output, "archive/oura-export.zip"}},
		{"one good, one not", []string{good, junk}, []string{junk}},
		{"a folder of nothing readable", []string{filepath.Join(dir, "junk")}, []string{"junk: nothing to import: it holds no file ouraexport reads", "a.bin (unrecognised)", "b.txt (unrecognised)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			msg, err := runCmd(t, append(append([]string{"import"}, tc.args...), "--out", out)...)
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("got %v, want bad input (exit 2)\n%s", err, msg)
			}
			for _, w := range append(tc.want, "nothing was imported") {
				if !strings.Contains(Message(err), w) {
					t.Errorf("the message does not say %q: %s", w, Message(err))
				}
			}
			noImport(t, out)
			if _, err := os.Stat(out); err == nil {
				t.Error("the import left an empty export folder behind")
			}
		})
	}

	t.Run("links in a folder", func(t *testing.T) {
		linked := filepath.Join(t.TempDir(), "linked")
		os.MkdirAll(linked, 0o700)
		os.Symlink(good, filepath.Join(linked, "trends-link.csv"))
		os.Symlink(filepath.Join(dir, "junk"), filepath.Join(linked, "elsewhere"))
		out := filepath.Join(t.TempDir(), "out")
		msg, err := runCmd(t, "import", linked, "--out", out)
		if !errors.Is(err, ErrPartial) || !strings.Contains(Message(err), "elsewhere") {
			t.Fatalf("got %v, want a partial import naming the link to a folder\n%s", err, msg)
		}
		if !strings.Contains(msg, "a symbolic link to a folder: not followed") || !strings.Contains(msg, "trends-link.csv") {
			t.Errorf("summary:\n%s", msg)
		}
	})

	t.Run("kept whole when asked", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		msg, err := runCmd(t, "import", junk, "--keep-unrecognised", "--out", out)
		if err != nil {
			t.Fatalf("%v\n%s", err, msg)
		}
		if !strings.Contains(msg, "kept whole in the archive") {
			t.Errorf("summary:\n%s", msg)
		}
	})

	t.Run("trimmed trends files", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		msg, err := runCmd(t, "import", trimmed, scores, "--out", out, "--format", "csv")
		if err != nil {
			t.Fatalf("%v\n%s", err, msg)
		}
		for _, w := range []string{"trimmed.csv  Oura Cloud trends CSV  2  rows: daily_activity 2", "daily_sleep 1, sleep 1"} {
			if !strings.Contains(strings.Join(strings.Fields(msg), " "), strings.Join(strings.Fields(w), " ")) {
				t.Errorf("the summary does not say %q:\n%s", w, msg)
			}
		}
		csv, _ := os.ReadFile(filepath.Join(out, "csv", "daily_activity.csv"))
		if !strings.Contains(string(csv), `"{""My notes"":""ran""}"`) {
			t.Errorf("the unknown column is not in extra:\n%s", csv)
		}
	})

	for _, tc := range []struct {
		name string
		path string
	}{{"folder", filepath.Join(dir, "folder")}, {"zip", zipped}} {
		t.Run("skipped in a "+tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			msg, err := runCmd(t, "import", tc.path, "--out", out)
			if !errors.Is(err, ErrPartial) || !strings.Contains(Message(err), "1 file was not imported") {
				t.Fatalf("got %v, want a partial import (exit 3)\n%s", err, msg)
			}
			if !strings.Contains(msg, "skipped: its content is of no kind ouraexport reads") {
				t.Errorf("the summary does not list the skipped file:\n%s", msg)
			}
			if _, err := os.Stat(filepath.Join(out, sinks.ManifestName)); err != nil {
				t.Errorf("the rest was not imported: %v", err)
			}
			out = filepath.Join(t.TempDir(), "out")
			if msg, err := runCmd(t, "import", tc.path, "--keep-unrecognised", "--out", out); err != nil {
				t.Errorf("with --keep-unrecognised: %v\n%s", err, msg)
			}
		})
	}
}

// zipOf returns a zip of the named files.
func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportRefusesHostileZips: a zip whose entries are named outside it
// (../, an absolute path, a drive letter) or are symbolic links, a zip bomb
// (more uncompressed bytes or entries than the limits), or zips nested too
// deep, is refused before anything is read (exit 2), naming it, and
// nothing is imported.
func TestImportRefusesHostileZips(t *testing.T) {
	good := []byte(trendsSample)
	raw := func(mod func(zw *zip.Writer)) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("trends.csv")
		w.Write(good)
		mod(zw)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	nested := good
	name := "trends.csv"
	for range 5 {
		nested = zipOf(t, map[string][]byte{name: nested})
		name = "inner.zip"
	}
	many := raw(func(zw *zip.Writer) {
		for i := range 100_001 {
			zw.CreateHeader(&zip.FileHeader{Name: "e/" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + itoa(i), Method: zip.Store})
		}
	})
	for _, tc := range []struct {
		name string
		zip  []byte
		want []string
	}{
		{"../ entry", zipOf(t, map[string][]byte{"trends.csv": good, "../../evil.csv": good}), []string{"!../../evil.csv", `named with ".."`}},
		{"backslash ../ entry", zipOf(t, map[string][]byte{`a\..\..\evil.csv`: good}), []string{`named with ".."`}},
		{"absolute entry", zipOf(t, map[string][]byte{"/etc/evil.csv": good}), []string{"!/etc/evil.csv", "absolute path"}},
		{"drive letter", zipOf(t, map[string][]byte{`C:\evil.csv`: good}), []string{"drive letter"}},
		{"symbolic link", raw(func(zw *zip.Writer) {
			h := &zip.FileHeader{Name: "link.csv"}
			h.SetMode(fs.ModeSymlink | 0o777)
			w, _ := zw.CreateHeader(h)
			w.Write([]byte("/etc/passwd"))
		}), []string{"!link.csv", "symbolic link"}},
		{"zip bomb", raw(func(zw *zip.Writer) {
			// A deflate stream that claims 20 GiB: refused on what it declares.
			w, _ := zw.CreateRaw(&zip.FileHeader{Name: "big.csv", Method: zip.Deflate, CompressedSize64: 2, UncompressedSize64: 20 << 30})
			w.Write([]byte{3, 0})
		}), []string{"more than 16 GiB uncompressed", "zip bomb"}},
		{"too many entries", many, []string{"more than 100000 entries"}},
		{"nested too deep", nested, []string{"nested more than 4 deep"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "in.zip")
			os.WriteFile(p, tc.zip, 0o600)
			out := filepath.Join(dir, "out")
			msg, err := runCmd(t, "import", p, "--out", out)
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("got %v, want bad input (exit 2)\n%s", err, msg)
			}
			for _, w := range append(tc.want, p, "refused", "nothing was imported") {
				if !strings.Contains(Message(err), w) {
					t.Errorf("the message does not say %q: %s", w, Message(err))
				}
			}
			noImport(t, out)
		})
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
