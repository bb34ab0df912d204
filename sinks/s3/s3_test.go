package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	_ "github.com/ouraexport/ouraexport/sinks/csv"
	_ "github.com/ouraexport/ouraexport/sinks/jsonarchive"
	_ "github.com/ouraexport/ouraexport/sinks/parquet"
	"github.com/ouraexport/ouraexport/sinks/s3"
	"github.com/ouraexport/ouraexport/sinks/s3/s3test"
	"github.com/ouraexport/ouraexport/sinks/sinktest"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		in, bucket, prefix string
		bad                bool
	}{
		{in: "s3://bucket", bucket: "bucket"},
		{in: "s3://bucket/", bucket: "bucket"},
		{in: "s3://my-bucket.eu/study/2024", bucket: "my-bucket.eu", prefix: "study/2024"},
		{in: "s3://b1b/participant=p01/", bucket: "b1b", prefix: "participant=p01"},
		{in: "s3://Bucket/x", bad: true},
		{in: "s3://ab/x", bad: true},
		{in: "s3://-ab/x", bad: true},
		{in: "s3://a..b/x", bad: true},
		{in: "s3://bucket/../x", bad: true},
		{in: "s3://bucket/a//b", bad: true},
		{in: "s3://bucket/.hidden", bad: true},
		{in: "gs://bucket/x", bad: true},
		{in: "/tmp/x", bad: true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			b, p, err := s3.ParseURL(tc.in)
			if tc.bad {
				if err == nil {
					t.Errorf("ParseURL(%q) = %q, %q; want an error", tc.in, b, p)
				}
				return
			}
			if err != nil || b != tc.bucket || p != tc.prefix {
				t.Errorf("ParseURL(%q) = %q, %q, %v; want %q, %q", tc.in, b, p, err, tc.bucket, tc.prefix)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	env := map[string]string{
		"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET", "AWS_SESSION_TOKEN": "TOK",
		"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "https://other.example", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000",
	}
	o := s3.OptionsFromEnv(func(k string) string { return env[k] })
	want := s3.Options{Endpoint: "http://127.0.0.1:9000", Region: "eu-west-1", AccessKeyID: "AKID", SecretAccessKey: "SECRET", SessionToken: "TOK"}
	if o != want {
		t.Errorf("OptionsFromEnv = %+v, want %+v", o, want)
	}
	cases := []struct {
		name string
		o    s3.Options
		ok   bool
	}{
		{"env", want, true},
		{"no credentials", s3.Options{}, true},
		{"bare host", s3.Options{Endpoint: "minio.local:9000"}, true},
		{"key without secret", s3.Options{AccessKeyID: "A"}, false},
		{"token alone", s3.Options{SessionToken: "T"}, false},
		{"endpoint with path", s3.Options{Endpoint: "https://host/s3"}, false},
		{"endpoint with credentials", s3.Options{Endpoint: "https://user:pw@host"}, false},
		{"ftp endpoint", s3.Options{Endpoint: "ftp://host"}, false},
		{"small parts", s3.Options{PartSize: 1 << 20}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate()
			if (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && strings.Contains(err.Error(), "pw") {
				t.Errorf("the message shows a secret: %v", err)
			}
		})
	}
}

// open starts a server with a bucket and opens s3://<bucket>/<prefix>.
func open(t testing.TB, prefix string, mod func(*s3.Options)) (*s3test.Server, *s3.Dir, string) {
	t.Helper()
	srv := s3test.Start(t)
	bucket := srv.Bucket(t, "exports")
	o := srv.Options()
	o.SpoolDir = t.TempDir()
	if mod != nil {
		mod(&o)
	}
	d, err := s3.Open(context.Background(), "s3://"+bucket+"/"+prefix, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return srv, d, o.SpoolDir
}

func put(t *testing.T, d sinks.Dir, name string, data []byte) sinks.File {
	t.Helper()
	w, err := d.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	f, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func read(t *testing.T, d sinks.Dir, name string) []byte {
	t.Helper()
	rc, err := d.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// spoolFiles lists the files left in the spool folder.
func spoolFiles(t *testing.T, spool string) []string {
	t.Helper()
	var left []string
	filepath.WalkDir(spool, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	return left
}

func TestDir(t *testing.T) {
	srv, d, spool := open(t, "study/run1", func(o *s3.Options) { o.PartSize = 5 << 20 })
	ctx := context.Background()

	t.Run("invisible until commit", func(t *testing.T) {
		w, err := d.Create("a/b.csv")
		if err != nil {
			t.Fatal(err)
		}
		// Writes of every size: gathered small ones and large ones.
		data := bytes.Repeat([]byte("0123456789abcdef"), 5000)
		for _, n := range []int{1, 7, 20000, 100, 40000} {
			if _, err := w.Write(data[:n]); err != nil {
				t.Fatal(err)
			}
		}
		names, err := d.List()
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != 0 {
			t.Errorf("before Commit the bucket lists %v", names)
		}
		if _, err := d.Open("a/b.csv"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open before Commit: %v, want fs.ErrNotExist", err)
		}
		f, err := w.Commit()
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		for _, n := range []int{1, 7, 20000, 100, 40000} {
			want = append(want, data[:n]...)
		}
		sum := sha256.Sum256(want)
		if f.Path != "a/b.csv" || f.Size != int64(len(want)) || f.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("Commit = %+v, want a/b.csv, %d bytes, %x", f, len(want), sum)
		}
		if got := read(t, d, "a/b.csv"); !bytes.Equal(got, want) {
			t.Errorf("read back %d bytes, want %d", len(got), len(want))
		}
		objs := srv.Objects(t, "exports", "")
		if _, ok := objs["study/run1/a/b.csv"]; !ok || len(objs) != 1 {
			t.Errorf("the bucket holds %v, want study/run1/a/b.csv", keys(objs))
		}
		if _, err := w.Commit(); err == nil {
			t.Error("a second Commit succeeded")
		}
		if _, err := w.Write([]byte("x")); err == nil {
			t.Error("Write after Commit succeeded")
		}
	})
	t.Run("abort", func(t *testing.T) {
		w, err := d.Create("gone.parquet")
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("data"))
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		if err := w.Abort(); err != nil {
			t.Errorf("second Abort: %v", err)
		}
		if _, err := w.Commit(); err == nil {
			t.Error("Commit after Abort succeeded")
		}
		if _, err := d.Open("gone.parquet"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open of an aborted file: %v, want fs.ErrNotExist", err)
		}
		if left := spoolFiles(t, spool); len(left) != 0 {
			t.Errorf("spool files left: %v", left)
		}
	})
	t.Run("multipart", func(t *testing.T) {
		big := make([]byte, 12<<20+12345) // three parts of 5 MiB
		rand.Read(big)
		f := put(t, d, "big/part-0.parquet", big)
		if f.Size != int64(len(big)) {
			t.Errorf("size %d, want %d", f.Size, len(big))
		}
		if got := read(t, d, "big/part-0.parquet"); !bytes.Equal(got, big) {
			t.Error("the multipart object differs from what was written")
		}
	})
	t.Run("empty file", func(t *testing.T) {
		f := put(t, d, "empty.csv", nil)
		if f.Size != 0 || f.SHA256 != hex.EncodeToString(sha256.New().Sum(nil)) {
			t.Errorf("Commit = %+v", f)
		}
		if got := read(t, d, "empty.csv"); len(got) != 0 {
			t.Errorf("read %d bytes", len(got))
		}
	})
	t.Run("overwrite", func(t *testing.T) {
		put(t, d, "x.json", []byte("old"))
		put(t, d, "x.json", []byte("new"))
		if got := string(read(t, d, "x.json")); got != "new" {
			t.Errorf("read %q, want new", got)
		}
	})
	t.Run("sub and root", func(t *testing.T) {
		sub := d.Sub("csv").Sub("daily_sleep")
		f := put(t, sub, "year=2024/part-0.csv", []byte("a\r\n"))
		if f.Path != "csv/daily_sleep/year=2024/part-0.csv" {
			t.Errorf("Sub: path %q, want it relative to the root", f.Path)
		}
		root, err := d.Root("participant=p01")
		if err != nil {
			t.Fatal(err)
		}
		f = put(t, root.Sub("csv"), "t.csv", []byte("b\r\n"))
		if f.Path != "csv/t.csv" {
			t.Errorf("Root: path %q, want it relative to the new root", f.Path)
		}
		if root.URL() != "s3://exports/study/run1/participant=p01" {
			t.Errorf("URL() = %q", root.URL())
		}
		if got := string(read(t, d, "participant=p01/csv/t.csv")); got != "b\r\n" {
			t.Errorf("read through the parent: %q", got)
		}
		names, err := d.Sub("csv").List()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(names, []string{"daily_sleep/year=2024/part-0.csv"}) {
			t.Errorf("Sub.List() = %v", names)
		}
	})
	t.Run("list and remove", func(t *testing.T) {
		names, err := d.List()
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"a/b.csv", "big/part-0.parquet", "csv/daily_sleep/year=2024/part-0.csv", "empty.csv", "participant=p01/csv/t.csv", "x.json"}
		if !slices.Equal(names, want) {
			t.Errorf("List() = %v, want %v", names, want)
		}
		if err := d.Remove("a/b.csv"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Open("a/b.csv"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open after Remove: %v", err)
		}
		if names, _ := d.Sub("nothing").List(); len(names) != 0 {
			t.Errorf("an empty prefix lists %v", names)
		}
	})
	t.Run("bad names", func(t *testing.T) {
		for _, name := range []string{"", ".", "../x", "a//b", ".hidden", "a/.tmp", `a\b`} {
			if _, err := d.Create(name); !errors.Is(err, sinks.ErrBadName) {
				t.Errorf("Create(%q) = %v, want ErrBadName", name, err)
			}
			if _, err := d.Open(name); !errors.Is(err, sinks.ErrBadName) {
				t.Errorf("Open(%q) = %v, want ErrBadName", name, err)
			}
			if _, err := d.Sub(name).List(); !errors.Is(err, sinks.ErrBadName) {
				t.Errorf("Sub(%q).List() = %v, want ErrBadName", name, err)
			}
		}
	})
	if left := spoolFiles(t, spool); len(left) != 0 {
		t.Errorf("spool files left: %v", left)
	}
	_ = ctx
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestOpenErrors(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "exports")
	ctx := context.Background()
	o := srv.Options()
	o.SpoolDir = t.TempDir()
	if _, err := s3.Open(ctx, "s3://nobucket/x", o); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing bucket: %v, want fs.ErrNotExist", err)
	}
	bad := o
	bad.SecretAccessKey = "wrong-secret-value"
	_, err := s3.Open(ctx, "s3://exports/x", bad)
	if err == nil {
		t.Fatal("a wrong secret was accepted")
	}
	if strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("the error shows the secret: %v", err)
	}
}

// TestCancelled checks that a cancelled run uploads nothing.
func TestCancelled(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "exports")
	o := srv.Options()
	o.SpoolDir = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	d, err := s3.Open(ctx, "s3://exports", o)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	w, err := d.Create("a.csv")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("a\r\n"))
	cancel()
	if _, err := w.Commit(); !errors.Is(err, context.Canceled) {
		t.Errorf("Commit after cancel: %v, want context.Canceled", err)
	}
	if objs := srv.Objects(t, "exports", ""); len(objs) != 0 {
		t.Errorf("the bucket holds %v", keys(objs))
	}
	if left := spoolFiles(t, o.SpoolDir); len(left) != 0 {
		t.Errorf("spool files left: %v", left)
	}
}

// TestSpoolCleaning checks that Close removes the spool folder and that
// Open removes those of processes that are gone.
func TestSpoolCleaning(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "exports")
	o := srv.Options()
	o.SpoolDir = t.TempDir()
	stale := filepath.Join(o.SpoolDir, "ouraexport-s3-spool", ".spool.tmp-99999999-0123456789abcdef")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(stale, "part-1"), []byte("x"), 0o600)
	d, err := s3.Open(context.Background(), "s3://exports", o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the spool folder of a dead process is still there: %v", err)
	}
	w, _ := d.Create("a.csv")
	w.Write([]byte("x"))
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Join(o.SpoolDir, "ouraexport-s3-spool"))
	if len(ents) != 0 {
		t.Errorf("Close left %d spool folders", len(ents))
	}
	if _, err := w.Commit(); err == nil {
		t.Error("a file committed after Close")
	}
}

// TestSinks writes a partitioned export of every format into a bucket, as
// the engine does, and verifies it there; then damages it behind the Dir's
// back and checks that VerifyDir notices.
func TestSinks(t *testing.T) {
	srv, d, spool := open(t, "cohort/participant=p01", nil)
	ctx := context.Background()
	tables := sinktest.Tables()
	var all []sinks.File
	for _, format := range []string{"parquet", "csv", "archive"} {
		sk, err := sinks.Open(format, sinks.Options{Dir: d, Tables: tables, Partition: true, Name: "oura-export-p01", SpoolDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		ab := schema.NewBatch(tables[0], 8)
		sinktest.Fill(ab, sinktest.AllTypesRows())
		sb := schema.NewBatch(tables[1], 8)
		sinktest.Fill(sb, sinktest.SampleRows(5000))
		for _, b := range []*schema.Batch{ab, sb} {
			if err := sk.Write(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		files, err := sk.Commit(ctx, sinktest.Meta())
		if err != nil {
			t.Fatal(err)
		}
		sk.Close()
		all = append(all, files...)
	}
	if err := sinks.WriteManifest(d, sinks.NewManifest(sinktest.Meta(), all)); err != nil {
		t.Fatal(err)
	}
	rep, err := sinks.VerifyDir(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Files != len(all) {
		t.Fatalf("verify: %d files of %d, problems %v", rep.Files, len(all), rep.Problems)
	}
	if left := spoolFiles(t, spool); len(left) != 0 {
		t.Errorf("spool files left: %v", left)
	}
	var parquet string
	for _, f := range all {
		if strings.HasSuffix(f.Path, ".parquet") && f.Rows > 0 {
			parquet = f.Path
		}
		if !strings.Contains(f.Path, "/year=") && !strings.HasSuffix(f.Path, ".zip") && !strings.HasPrefix(f.Path, "empty.") {
			t.Errorf("%s is not in a year partition", f.Path)
		}
	}
	key := "cohort/participant=p01/" + parquet
	obj := srv.Objects(t, "exports", key)[key]
	obj[len(obj)/2] ^= 1
	srv.Put(t, "exports", key, obj)
	srv.Put(t, "exports", "cohort/participant=p01/notes.txt", []byte("mine"))
	rep, err = sinks.VerifyDir(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, p := range rep.Problems {
		switch {
		case p.Path == parquet && errors.Is(p.Err, sinks.ErrDigest):
			kinds = append(kinds, "digest")
		case p.Path == "notes.txt" && errors.Is(p.Err, sinks.ErrExtra):
			kinds = append(kinds, "extra")
		}
	}
	slices.Sort(kinds)
	if !slices.Equal(slices.Compact(kinds), []string{"digest", "extra"}) {
		t.Errorf("problems %v; want a digest mismatch of %s and an extra notes.txt", rep.Problems, parquet)
	}
}
