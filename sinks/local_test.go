package sinks_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/sinks"
)

func localDir(t *testing.T) (sinks.Dir, string) {
	t.Helper()
	root := t.TempDir()
	d, err := sinks.LocalDir(root)
	if err != nil {
		t.Fatal(err)
	}
	return d, root
}

// entries lists every name below root, folders with a trailing slash.
func entries(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	return out
}

func TestAtomicFile(t *testing.T) {
	d, root := localDir(t)
	sub := d.Sub("parquet")
	w, err := sub.Create("heartrate/year=2024/part-0.parquet")
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(strings.Repeat("health data ", 20_000))
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	// Before Commit: only a temporary file, which List does not show.
	got := entries(t, root)
	if len(got) != 4 || !sinks.IsTemp(filepath.Base(got[3])) {
		t.Fatalf("before Commit the folder holds %v", got)
	}
	if names, _ := sub.List(); len(names) != 0 {
		t.Errorf("List shows %v before Commit", names)
	}
	f, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	want := sinks.File{Path: "parquet/heartrate/year=2024/part-0.parquet", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	if f != want {
		t.Errorf("Commit returned %+v, want %+v", f, want)
	}
	if got := entries(t, root); !slices.Equal(got, []string{"parquet/", "parquet/heartrate/", "parquet/heartrate/year=2024/", "parquet/heartrate/year=2024/part-0.parquet"}) {
		t.Errorf("after Commit the folder holds %v", got)
	}
	if runtime.GOOS != "windows" {
		for _, e := range entries(t, root) {
			fi, _ := os.Stat(filepath.Join(root, e))
			want := sinks.FileMode
			if fi.IsDir() {
				want = sinks.DirMode
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s has mode %v, want %v", e, fi.Mode().Perm(), want)
			}
		}
	}
	if names, _ := sub.List(); !slices.Equal(names, []string{"heartrate/year=2024/part-0.parquet"}) {
		t.Errorf("List = %v", names)
	}
	r, err := sub.Open("heartrate/year=2024/part-0.parquet")
	if err != nil {
		t.Fatal(err)
	}
	back, _ := io.ReadAll(r)
	r.Close()
	if string(back) != string(data) {
		t.Error("file content differs")
	}
	if _, err := w.Commit(); err == nil {
		t.Error("second Commit succeeded")
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Commit succeeded")
	}

	// Removing the file removes the folders it leaves empty.
	if err := sub.Remove("heartrate/year=2024/part-0.parquet"); err != nil {
		t.Fatal(err)
	}
	if got := entries(t, root); !slices.Equal(got, []string{"parquet/"}) {
		t.Errorf("after Remove the folder holds %v", got)
	}
}

func TestAbort(t *testing.T) {
	d, root := localDir(t)
	w, err := d.Create("a.csv")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := entries(t, root); len(got) != 0 {
		t.Errorf("after Abort the folder holds %v", got)
	}
	if _, err := w.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	if err := w.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
}

func TestOverwrite(t *testing.T) {
	d, root := localDir(t)
	for _, content := range []string{"first, longer content", "second"} {
		w, err := d.Create("a.csv")
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
		if _, err := w.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(root, "a.csv")); string(got) != "second" {
		t.Errorf("file holds %q", got)
	}
}

func TestCheckName(t *testing.T) {
	good := []string{"a.csv", "heartrate/year=2024/part-0.parquet", "MANIFEST.json", "x/y_z-1.ndjson"}
	bad := []string{"", ".", "..", "../x", "a/../b", "/abs", "a//b", "a/", `a\b`, ".hidden", "a/.tmp", "a/./b"}
	for _, n := range good {
		if err := sinks.CheckName(n); err != nil {
			t.Errorf("CheckName(%q) = %v", n, err)
		}
	}
	d, _ := localDir(t)
	for _, n := range bad {
		if err := sinks.CheckName(n); !errors.Is(err, sinks.ErrBadName) {
			t.Errorf("CheckName(%q) = %v, want ErrBadName", n, err)
		}
		if _, err := d.Create(n); err == nil {
			t.Errorf("Create(%q) succeeded", n)
		}
		if _, err := d.Sub(n).Create("x"); err == nil {
			t.Errorf("Sub(%q).Create succeeded", n)
		}
	}
}

// TestStaleTemp checks that LocalDir removes what killed runs left, and
// only that.
func TestStaleTemp(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("process liveness is told differently there")
	}
	root := t.TempDir()
	dead := deadPID(t)
	keep := []string{
		".a.csv.tmp-" + strconv.Itoa(os.Getpid()) + "-0123456789abcdef", // this process
		".b.csv.tmp-1-0123456789abcdef",                                 // init: alive
		".hidden",
		"x.tmp-" + strconv.Itoa(dead) + "-0123456789abcdef", // no leading dot: not ours
		".c.csv.tmp-" + strconv.Itoa(dead) + "-0123",        // short random part: not ours
	}
	remove := []string{
		".d.csv.tmp-" + strconv.Itoa(dead) + "-0123456789abcdef",
		"sub/.e.parquet.tmp-" + strconv.Itoa(dead) + "-fedcba9876543210",
	}
	for _, n := range append(append([]string{}, keep...), remove...) {
		p := filepath.Join(root, n)
		os.MkdirAll(filepath.Dir(p), 0o700)
		os.WriteFile(p, []byte("x"), 0o600)
	}
	spool := filepath.Join(root, ".x.zip.tmp-"+strconv.Itoa(dead)+"-00000000000000ff")
	os.MkdirAll(filepath.Join(spool, "inner"), 0o700)
	os.WriteFile(filepath.Join(spool, "inner", "0001.deflate"), []byte("x"), 0o600)

	if _, err := sinks.LocalDir(root); err != nil {
		t.Fatal(err)
	}
	for _, n := range keep {
		if _, err := os.Stat(filepath.Join(root, n)); err != nil {
			t.Errorf("%s was removed: %v", n, err)
		}
	}
	for _, n := range append(remove, filepath.Base(spool)) {
		if _, err := os.Stat(filepath.Join(root, n)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s was not removed", n)
		}
	}
}

// deadPID returns the id of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess(os.Args[0], []string{os.Args[0], "-test.run=^$"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return p.Pid
}

func TestListMissingFolder(t *testing.T) {
	d, _ := localDir(t)
	names, err := d.Sub("never-created").List()
	if err != nil || len(names) != 0 {
		t.Errorf("List of a missing folder = %v, %v", names, err)
	}
}
