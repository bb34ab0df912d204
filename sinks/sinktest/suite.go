package sinktest

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

// Suite describes a sink format to the conformance suite.
type Suite struct {
	// Open opens the sink under test.
	Open func(o sinks.Options) (sinks.Sink, error)
	// Read reads back the rows of table, as canonical values, from the files
	// a Commit published under root (paths relative to root).
	Read func(t *testing.T, root string, files []sinks.File, table *schema.Table) [][]any
	// Partition says the sink supports Options.Partition.
	Partition bool
}

// Run runs the conformance suite against a sink format.
func Run(t *testing.T, s Suite) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, s, false) })
	if s.Partition {
		t.Run("RoundTripPartitioned", func(t *testing.T) { testRoundTrip(t, s, true) })
		t.Run("OverwritePartitions", func(t *testing.T) { testOverwrite(t, s, true) })
	}
	t.Run("Overwrite", func(t *testing.T) { testOverwrite(t, s, false) })
	t.Run("EmptyExport", testEmpty(s))
	t.Run("ManyRowsSmallBudget", testManyRows(s))
	t.Run("Concurrent", testConcurrent(s))
	t.Run("CloseWithoutCommit", testInterrupted(s, "close"))
	t.Run("CancelledContext", testInterrupted(s, "cancel"))
	t.Run("DirFailsCreate", testInterrupted(s, "create"))
	t.Run("DirFailsWrite", testInterrupted(s, "write"))
	t.Run("DirFailsCommit", testInterrupted(s, "commit"))
	t.Run("Lifecycle", testLifecycle(s))
	t.Run("BadBatches", testBadBatches(s))
}

// env is one export folder for a test.
type env struct {
	root string
	dir  sinks.Dir // root.Sub("out")
}

func newEnv(t *testing.T) env {
	t.Helper()
	root := t.TempDir()
	d, err := sinks.LocalDir(root)
	if err != nil {
		t.Fatal(err)
	}
	return env{root: root, dir: d.Sub("out")}
}

func (s Suite) open(t *testing.T, o sinks.Options) sinks.Sink {
	t.Helper()
	sk, err := s.Open(o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { sk.Close() })
	return sk
}

// writeRows writes rows through one batch that is reset and refilled, in
// batches of size n.
func writeRows(t *testing.T, sk sinks.Sink, b *schema.Batch, rows [][]any, n int) {
	t.Helper()
	for lo := 0; lo < len(rows); lo += n {
		b.Reset()
		Fill(b, rows[lo:min(lo+n, len(rows))])
		if err := sk.Write(context.Background(), b); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	b.Reset()
	Fill(b, [][]any{rows[0]}) // garbage the sink must not see again
}

func commit(t *testing.T, sk sinks.Sink) []sinks.File {
	t.Helper()
	files, err := sk.Commit(context.Background(), Meta())
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	return files
}

func testRoundTrip(t *testing.T, s Suite, partition bool) {
	e := newEnv(t)
	all, samples, empty := AllTypes(), Samples(), Empty()
	sk := s.open(t, sinks.Options{Dir: e.dir, Tables: []*schema.Table{all, samples, empty}, Partition: partition})
	want := AllTypesRows()
	wantSamples := SampleRows(2000)
	ab, sb := schema.NewBatch(all, 4), schema.NewBatch(samples, 64)
	// Interleave the tables, as the engine's workers do.
	for i := 0; i < len(want) || i*100 < len(wantSamples); i += 7 {
		if i < len(want) {
			writeRows(t, sk, ab, want[i:min(i+7, len(want))], 3)
		}
		if i*100 < len(wantSamples) {
			writeRows(t, sk, sb, wantSamples[i*100:min(i*100+700, len(wantSamples))], 64)
		}
	}
	files := commit(t, sk)
	if err := sk.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	checkFiles(t, e.root, files, int64(len(want)+len(wantSamples)))
	if partition {
		for _, f := range files {
			name := path.Base(path.Dir(path.Dir(f.Path))) // <table>/year=<y>/part-0.<ext>
			if !strings.Contains(f.Path, "/year=") && (name == all.Name || name == samples.Name) {
				t.Errorf("file %s of a partitioned table has no year= folder", f.Path)
			}
			if strings.Contains(path.Base(f.Path), all.Name) || strings.Contains(path.Base(f.Path), samples.Name) {
				t.Errorf("partitioned table written unpartitioned: %s", f.Path)
			}
		}
		if !slices.ContainsFunc(files, func(f sinks.File) bool { return strings.Contains(f.Path, "year="+sinks.HiveDefault) }) {
			t.Errorf("no file in the default partition for null partition values: %v", paths(files))
		}
	}
	compare(t, all, s.Read(t, e.root, files, all), want, !partition)
	compare(t, samples, s.Read(t, e.root, files, samples), wantSamples, !partition)
	compare(t, empty, s.Read(t, e.root, files, empty), nil, true)
}

// checkFiles checks what Commit returned against the disk: sizes, digests,
// row totals, permissions, and that nothing else is there.
func checkFiles(t *testing.T, root string, files []sinks.File, rows int64) {
	t.Helper()
	if !slices.IsSortedFunc(files, func(a, b sinks.File) int { return cmp.Compare(a.Path, b.Path) }) {
		t.Errorf("files not sorted: %v", paths(files))
	}
	var total int64
	listed := make(map[string]bool)
	for _, f := range files {
		total += f.Rows
		listed[f.Path] = true
		if !strings.HasPrefix(f.Path, "out/") || strings.Contains(f.Path, `\`) {
			t.Errorf("file path %q is not relative to the export root", f.Path)
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Errorf("published file: %v", err)
			continue
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != f.SHA256 || int64(len(data)) != f.Size {
			t.Errorf("%s: Commit says %d bytes sha256 %s, disk has %d bytes sha256 %s", f.Path, f.Size, f.SHA256, len(data), got)
		}
	}
	if total != rows {
		t.Errorf("files hold %d rows in all, want %d", total, rows)
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if runtime.GOOS != "windows" {
			if d.IsDir() && info.Mode().Perm() != sinks.DirMode {
				t.Errorf("folder %s has mode %v, want %v", rel, info.Mode().Perm(), sinks.DirMode)
			}
			if !d.IsDir() && info.Mode().Perm() != sinks.FileMode {
				t.Errorf("file %s has mode %v, want %v", rel, info.Mode().Perm(), sinks.FileMode)
			}
		}
		if !d.IsDir() && !listed[rel] {
			t.Errorf("file %s is on disk but not among the committed files", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// compare checks got against want (canonicalised), in order or as sets.
func compare(t *testing.T, table *schema.Table, got, want [][]any, ordered bool) {
	t.Helper()
	got, want = Canonical(table, got), Canonical(table, want)
	if !ordered {
		sortRows(got)
		sortRows(want)
	}
	if len(got) != len(want) {
		t.Errorf("%s: read %d rows, want %d", table.Name, len(got), len(want))
	}
	bad := 0
	for i := range min(len(got), len(want)) {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("%s row %d: %d values, want %d", table.Name, i, len(got[i]), len(want[i]))
		}
		for c := range want[i] {
			if !Equal(got[i][c], want[i][c]) {
				t.Errorf("%s row %d column %s: got %#v, want %#v", table.Name, i, table.Columns[c].Name, got[i][c], want[i][c])
				if bad++; bad > 20 {
					t.Fatal("too many differences")
				}
			}
		}
	}
}

func sortRows(rows [][]any) {
	slices.SortFunc(rows, func(a, b []any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
}

func paths(files []sinks.File) []string {
	var ps []string
	for _, f := range files {
		ps = append(ps, f.Path)
	}
	return ps
}

// testOverwrite exports twice into the same folder: the second export's
// files replace the first's, and files of the first that the second did not
// write (other years) are gone.
func testOverwrite(t *testing.T, s Suite, partition bool) {
	e := newEnv(t)
	samples := Samples()
	first := SampleRows(3000) // 2023 and 2024
	sk := s.open(t, sinks.Options{Dir: e.dir, Tables: []*schema.Table{samples}, Partition: partition})
	writeRows(t, sk, schema.NewBatch(samples, 500), first, 500)
	commit(t, sk)
	sk.Close()

	second := first[2000:] // 2024 only
	sk = s.open(t, sinks.Options{Dir: e.dir, Tables: []*schema.Table{samples}, Partition: partition})
	writeRows(t, sk, schema.NewBatch(samples, 500), second, 500)
	files := commit(t, sk)
	sk.Close()
	checkFiles(t, e.root, files, int64(len(second)))
	compare(t, samples, s.Read(t, e.root, files, samples), second, !partition)
}

func testEmpty(s Suite) func(*testing.T) {
	return func(t *testing.T) {
		e := newEnv(t)
		tables := Tables()
		sk := s.open(t, sinks.Options{Dir: e.dir, Tables: tables})
		files := commit(t, sk)
		if len(files) == 0 {
			t.Fatal("an export without rows published no file")
		}
		checkFiles(t, e.root, files, 0)
		for _, tb := range tables {
			compare(t, tb, s.Read(t, e.root, files, tb), nil, true)
		}
	}
}

// testManyRows writes enough rows under a small memory budget that every
// sink must stream them out while writing.
func testManyRows(s Suite) func(*testing.T) {
	return func(t *testing.T) {
		e := newEnv(t)
		samples, all := Samples(), AllTypes()
		sk := s.open(t, sinks.Options{Dir: e.dir, Tables: []*schema.Table{samples, all}, MemoryBudget: 256 << 10})
		want := SampleRows(60_000)
		wantAll := AllTypesRows()
		b := schema.NewBatch(samples, 1000)
		for lo := 0; lo < len(want); lo += 10_000 {
			writeRows(t, sk, b, want[lo:lo+10_000], 1000)
			writeRows(t, sk, schema.NewBatch(all, 1), wantAll[:1], 1)
		}
		files := commit(t, sk)
		checkFiles(t, e.root, files, int64(len(want)+len(want)/10_000))
		compare(t, samples, s.Read(t, e.root, files, samples), want, true)
	}
}

// testConcurrent writes from several goroutines at once (run with -race).
func testConcurrent(s Suite) func(*testing.T) {
	return func(t *testing.T) {
		e := newEnv(t)
		samples := Samples()
		sk := s.open(t, sinks.Options{Dir: e.dir, Tables: []*schema.Table{samples}})
		want := SampleRows(4000)
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for w := range 4 {
			wg.Go(func() {
				b := schema.NewBatch(samples, 100)
				for lo := w * 1000; lo < (w+1)*1000; lo += 100 {
					b.Reset()
					Fill(b, want[lo:lo+100])
					if err := sk.Write(context.Background(), b); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		files := commit(t, sk)
		compare(t, samples, s.Read(t, e.root, files, samples), want, false)
	}
}

// testInterrupted checks that an export that does not complete leaves no
// file behind, final or temporary.
func testInterrupted(s Suite, how string) func(*testing.T) {
	return func(t *testing.T) {
		e := newEnv(t)
		dir := e.dir
		switch how {
		case "create":
			dir = NewFaultyDir(e.dir, Faults{Create: 1})
		case "write":
			dir = NewFaultyDir(e.dir, Faults{WriteAfter: 3000})
		case "commit":
			dir = NewFaultyDir(e.dir, Faults{Commit: 1})
		}
		tables := Tables()
		sk := s.open(t, sinks.Options{Dir: dir, Tables: tables, Partition: true, MemoryBudget: 64 << 10})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rows := SampleRows(20_000)
		b := schema.NewBatch(tables[1], 1000)
		var failed error
		for lo := 0; lo < len(rows) && failed == nil; lo += 1000 {
			if how == "cancel" && lo == 5000 {
				cancel()
			}
			b.Reset()
			Fill(b, rows[lo:lo+1000])
			failed = sk.Write(ctx, b)
			if failed == nil && lo == 0 {
				ab := schema.NewBatch(tables[0], 8)
				Fill(ab, AllTypesRows())
				failed = sk.Write(ctx, ab)
			}
		}
		switch how {
		case "close":
			if failed != nil {
				t.Fatalf("write: %v", failed)
			}
		case "cancel":
			if !errors.Is(failed, context.Canceled) {
				t.Fatalf("write with a cancelled context: got %v, want context.Canceled", failed)
			}
		}
		if how != "close" {
			_, err := sk.Commit(ctx, Meta())
			if err == nil {
				t.Fatalf("commit after a failure succeeded")
			}
			if failed != nil && !errors.Is(err, failed) && !strings.Contains(err.Error(), failed.Error()) {
				t.Errorf("commit after failure %q returned %q", failed, err)
			}
			if how != "cancel" && !errors.Is(err, ErrInjected) {
				t.Errorf("commit: got %v, want it to wrap the Dir's error", err)
			}
		}
		if err := sk.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		assertNoFiles(t, e.root)
	}
}

// assertNoFiles checks that no file at all is left under root.
func assertNoFiles(t *testing.T, root string) {
	t.Helper()
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("file left behind: %s", p)
		}
		if err == nil && d.IsDir() && sinks.IsTemp(d.Name()) {
			t.Errorf("temporary folder left behind: %s", p)
		}
		return nil
	})
}

func testLifecycle(s Suite) func(*testing.T) {
	return func(t *testing.T) {
		ctx := context.Background()
		e := newEnv(t)
		samples := Samples()
		b := schema.NewBatch(samples, 10)
		Fill(b, SampleRows(10))

		sk := s.open(t, sinks.Options{Dir: e.dir, Tables: []*schema.Table{samples}})
		if err := sk.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
		commit(t, sk)
		if _, err := sk.Commit(ctx, Meta()); !errors.Is(err, sinks.ErrCommitted) {
			t.Errorf("second Commit: got %v, want ErrCommitted", err)
		}
		if err := sk.Write(ctx, b); !errors.Is(err, sinks.ErrCommitted) {
			t.Errorf("Write after Commit: got %v, want ErrCommitted", err)
		}
		if err := sk.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := sk.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := sk.Write(ctx, b); !errors.Is(err, sinks.ErrClosed) {
			t.Errorf("Write after Close: got %v, want ErrClosed", err)
		}
		if _, err := sk.Commit(ctx, Meta()); !errors.Is(err, sinks.ErrClosed) {
			t.Errorf("Commit after Close: got %v, want ErrClosed", err)
		}

		sk = s.open(t, sinks.Options{Dir: newEnv(t).dir, Tables: []*schema.Table{samples}})
		sk.Close()
		if _, err := sk.Commit(ctx, Meta()); !errors.Is(err, sinks.ErrClosed) {
			t.Errorf("Commit after Close without writes: got %v, want ErrClosed", err)
		}

		sk = s.open(t, sinks.Options{Dir: newEnv(t).dir, Tables: []*schema.Table{samples}})
		if _, err := sk.Commit(ctx, sinks.Meta{}); err == nil {
			t.Error("Commit accepted an empty Meta")
		}
	}
}

func testBadBatches(s Suite) func(*testing.T) {
	return func(t *testing.T) {
		ctx := context.Background()
		samples, all := Samples(), AllTypes()
		okRows := SampleRows(3)
		cases := []struct {
			name  string
			batch func() *schema.Batch
		}{
			{"unknown table", func() *schema.Batch {
				b := schema.NewBatch(Empty(), 1)
				Fill(b, [][]any{{"k", nil, nil}})
				return b
			}},
			{"null in required column", func() *schema.Batch {
				b := schema.NewBatch(samples, 1)
				Fill(b, okRows)
				b.Cols[3].Valid[1] = false
				return b
			}},
			{"invalid JSON", func() *schema.Batch {
				b := schema.NewBatch(all, 1)
				row := AllTypesRows()[0]
				row[7] = `{"a":`
				Fill(b, [][]any{row})
				return b
			}},
			{"invalid UTF-8", func() *schema.Batch {
				b := schema.NewBatch(samples, 1)
				Fill(b, [][]any{{"v2\xff", int64(1), int64(2), int64(3), nil}})
				return b
			}},
			{"short vector", func() *schema.Batch {
				b := schema.NewBatch(samples, 1)
				Fill(b, okRows)
				b.Cols[3].Int = b.Cols[3].Int[:2]
				return b
			}},
			{"date out of range", func() *schema.Batch {
				b := schema.NewBatch(samples, 1)
				Fill(b, [][]any{{"v2", int64(1) << 40, int64(2), int64(3), nil}})
				return b
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := newEnv(t)
				sk := s.open(t, sinks.Options{Dir: e.dir, Tables: []*schema.Table{samples, all}})
				good := schema.NewBatch(samples, 3)
				Fill(good, okRows)
				if err := sk.Write(ctx, good); err != nil {
					t.Fatal(err)
				}
				if err := sk.Write(ctx, c.batch()); err == nil {
					t.Fatal("Write accepted the batch")
				}
				if _, err := sk.Commit(ctx, Meta()); err == nil {
					t.Fatal("Commit succeeded after a failed Write")
				}
				sk.Close()
				assertNoFiles(t, e.root)
			})
		}
	}
}
