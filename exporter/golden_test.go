package exporter_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

var update = flag.Bool("update", false, "rewrite testdata/golden_outputs.txt from this code's outputs")

const goldenPath = "testdata/golden_outputs.txt"

// TestOutputsGolden exports a fixed sandbox world and requires the same
// bytes as the reference: every CSV file and every data/ and raw/ entry of
// the archive (their text; the zip's own bytes carry the export time). The
// reference was made before the build pipeline was rewritten for speed;
// regenerate it only for a change that means to alter the outputs, with
// go test ./exporter -run TestOutputsGolden -update.
func TestOutputsGolden(t *testing.T) {
	w := newWorld(t, "2022-11-20", "2023-03-05", nil)
	out := t.TempDir()
	if _, err := w.export(t, run{out: out, workers: 4}); err != nil {
		t.Fatal(err)
	}
	got := dataFiles(t, out)
	var lines []string
	for name, sum := range got {
		lines = append(lines, sum+"  "+name)
	}
	slices.Sort(lines)
	if *update {
		if err := os.WriteFile(goldenPath, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	want := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("%s: malformed line %q", goldenPath, sc.Text())
		}
		want[name] = sum
	}
	if len(want) < 60 {
		t.Fatalf("%s holds %d files: not a reference", goldenPath, len(want))
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s is not in the reference", name)
		}
	}
	compareData(t, got, want)
}

// TestOutputsDeterministic builds the same history under different
// timings and build orders (one worker, many workers with latency, and a
// rebuild from the store alone) with a memory budget small enough that the
// Parquet sink must write row groups early, and requires every output file
// to be the same bytes, the export time and server address aside.
func TestOutputsDeterministic(t *testing.T) {
	const budget = 1 << 20
	type way struct {
		name    string
		workers int
		sandbox func(*sandbox.Options)
	}
	ways := []way{
		{name: "one worker", workers: 1},
		{name: "eight workers, latency", workers: 8, sandbox: func(o *sandbox.Options) { o.Latency = 3 * time.Millisecond }},
	}
	var first string
	var firstFiles map[string][]byte
	for _, wy := range ways {
		w := newWorld(t, "2022-09-01", "2023-03-05", wy.sandbox)
		out := t.TempDir()
		res, err := w.export(t, run{out: out, workers: wy.workers, budget: budget})
		if err != nil {
			t.Fatal(err)
		}
		files := outputFiles(t, out, res.Meta)
		if first == "" {
			first, firstFiles = wy.name, files
			// The same store, rebuilt without a server: another build order.
			again := t.TempDir()
			rres := rebuildInto(t, out, again, budget)
			// A rebuild dates its period by the documents: its README and
			// manifest say so, the data is the same.
			rres.Meta.Period = sinks.Period{}
			noMeta := map[string][]byte{}
			for n, b := range firstFiles {
				if !strings.Contains(n, "!README.md") && !strings.Contains(n, "!manifest.json") {
					noMeta[n] = b
				}
			}
			compareFiles(t, "rebuild", outputFiles(t, again, rres.Meta), "export with "+first, noMeta)
			continue
		}
		compareFiles(t, "export with "+wy.name, files, "export with "+first, firstFiles)
	}
}

// rebuildInto rebuilds the outputs of the export in from into to.
func rebuildInto(t *testing.T, from, to string, budget int64) *exporter.Result {
	t.Helper()
	st, err := exporter.OpenStore(filepath.Join(from, exporter.StoreDir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	root := mustDir(t, to)
	var ss []sinks.Sink
	for _, f := range []string{"parquet", "csv", "archive"} {
		s, err := sinks.Open(f, sinks.Options{Dir: root.Sub(f), Tables: schema.Tables(), MemoryBudget: budget})
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
	}
	res, err := exporter.Rebuild(context.Background(), exporter.RebuildOptions{Store: st, Collections: exporter.V2Collections(nil),
		Sinks: ss, Root: root, Tables: schema.Tables(), ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// outputFiles reads every output file of an export, with what differs
// between two builds of the same store masked: the export time (and the
// creation time of the manifests) and the server's address. The archive is
// read entry by entry: its data/ and raw/ entries as stored (deflated), its
// README and manifest masked.
func outputFiles(t *testing.T, out string, meta sinks.Meta) map[string][]byte {
	t.Helper()
	mask := func(b []byte) []byte {
		b = bytes.ReplaceAll(b, []byte(meta.ExportedAt.UTC().Format(time.RFC3339)), []byte("<exported-at>"))
		for _, s := range meta.Sources {
			if s.URL != "" {
				b = bytes.ReplaceAll(b, []byte(s.URL), []byte("<url>"))
			}
		}
		return b
	}
	files := map[string][]byte{}
	err := filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			if info != nil && info.IsDir() && info.Name() == exporter.StoreDir {
				return filepath.SkipDir
			}
			return err
		}
		rel, _ := filepath.Rel(out, p)
		switch {
		case strings.HasSuffix(p, ".zip"):
			zr, err := zip.OpenReader(p)
			if err != nil {
				return err
			}
			defer zr.Close()
			var readmeSum []byte // the manifest lists it: masked too
			for _, f := range zr.File {
				var rc io.Reader
				if strings.HasPrefix(f.Name, "data/") || strings.HasPrefix(f.Name, "raw/") {
					rc, err = f.OpenRaw()
				} else {
					rc, err = f.Open()
				}
				if err != nil {
					return err
				}
				b, err := io.ReadAll(rc)
				if err != nil {
					return err
				}
				name := rel + "!" + f.Name
				if strings.HasPrefix(f.Name, "data/") || strings.HasPrefix(f.Name, "raw/") {
					name += fmt.Sprintf(" (crc %08x)", f.CRC32)
				} else if meta.Period.Since == "" {
					continue // a rebuild's README and manifest say less
				}
				if !strings.Contains(name, " (crc") {
					if f.Name == "README.md" {
						h := sha256.Sum256(b)
						readmeSum = []byte(hex.EncodeToString(h[:]))
					} else if readmeSum != nil {
						b = bytes.ReplaceAll(b, readmeSum, []byte("<readme-sha256>"))
					}
					b = stamps.ReplaceAll(b, []byte("<time>")) // README and manifest.json
				}
				files[name] = mask(b)
			}
		case filepath.Base(p) == "MANIFEST.json":
			// It holds the digests of the zip and the Parquet files, which
			// hold the export time: the files themselves are compared.
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[rel] = mask(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// stamps matches the times the archive's README and manifest.json give.
var stamps = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?Z?`)

func compareFiles(t *testing.T, gotName string, got map[string][]byte, wantName string, want map[string][]byte) {
	t.Helper()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			t.Errorf("%s wrote %s, %s did not", gotName, n, wantName)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		g, ok := got[n]
		switch {
		case !ok:
			t.Errorf("%s did not write %s", gotName, n)
		case !bytes.Equal(g, want[n]):
			h1, h2 := sha256.Sum256(g), sha256.Sum256(want[n])

			t.Errorf("%s: %s wrote %d bytes (%s), %s %d (%s)", n, gotName, len(g), hex.EncodeToString(h1[:4]), wantName, len(want[n]), hex.EncodeToString(h2[:4]))
		}
	}
}
