package cohort_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/catalog"
	"github.com/ouraexport/ouraexport/internal/cohort"
	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/sinks"
	_ "github.com/ouraexport/ouraexport/sinks/csv"
	_ "github.com/ouraexport/ouraexport/sinks/jsonarchive"
	_ "github.com/ouraexport/ouraexport/sinks/parquet"
	"github.com/ouraexport/ouraexport/sinks/s3"
	"github.com/ouraexport/ouraexport/sinks/s3/s3test"
)

// world is a sandbox with many users, and an accounts file of them.
type world struct {
	srv          *sandbox.Server
	url          string
	since, until time.Time
	dir          string // where the accounts file and token files are
}

func newWorld(t testing.TB, users int, since, until string, mod func(*sandbox.Options)) *world {
	t.Helper()
	s, err := sandbox.ParseDate(since)
	if err != nil {
		t.Fatal(err)
	}
	u, err := sandbox.ParseDate(until)
	if err != nil {
		t.Fatal(err)
	}
	o := sandbox.Options{Users: users, Seed: 11, Since: s, Until: u, NoGzip: true}
	if mod != nil {
		mod(&o)
	}
	srv, err := sandbox.New(o)
	if err != nil {
		t.Fatal(err)
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	w := &world{srv: srv, url: base, dir: t.TempDir()}
	w.since, _ = time.Parse(time.DateOnly, since)
	w.until, _ = time.Parse(time.DateOnly, until)
	return w
}

// id is the participant id of sandbox user n.
func id(n int) string { return fmt.Sprintf("p%02d", n) }

// accounts writes token files for users 1..n (participant p<n> holds user
// n's token, unless tokens overrides it; "-" leaves the file out) and
// returns the accounts, read back from an accounts file.
func (w *world) accounts(t testing.TB, n int, tokens map[string]string) []cohort.Account {
	t.Helper()
	var lines []string
	for u := 1; u <= n; u++ {
		tok, ok := tokens[id(u)]
		if !ok {
			tok = w.srv.Token(u)
		}
		file := filepath.Join("tokens", id(u)+".token")
		if tok != "-" {
			os.MkdirAll(filepath.Join(w.dir, "tokens"), 0o700)
			if err := os.WriteFile(filepath.Join(w.dir, file), []byte(tok+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		lines = append(lines, id(u)+" "+file)
	}
	p := filepath.Join(w.dir, "accounts.txt")
	if err := os.WriteFile(p, []byte("# test cohort\n"+strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	accts, err := cohort.ReadAccounts(p)
	if err != nil {
		t.Fatal(err)
	}
	return accts
}

// output is where a cohort goes.
type output struct {
	root  sinks.Dir
	open  func(string) (sinks.Dir, error)
	state string
	spool string
}

// local returns a local cohort folder (its state inside it).
func local(t testing.TB, dir string) output {
	t.Helper()
	root, err := sinks.LocalDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return output{root: root, state: dir, open: func(f string) (sinks.Dir, error) { return sinks.LocalDir(filepath.Join(dir, f)) }}
}

// remote opens s3://exports/<prefix> on srv, with its state in state.
func remote(t testing.TB, ctx context.Context, srv *s3test.Server, prefix, state string) (output, *s3.Dir) {
	t.Helper()
	o := srv.Options()
	o.SpoolDir = state
	d, err := s3.Open(ctx, "s3://exports/"+prefix, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return output{root: d, state: state, spool: state, open: func(f string) (sinks.Dir, error) { return d.Root(f) }}, d
}

// options returns the options of a cohort run of the world into out.
func (w *world) options(accts []cohort.Account, out output) cohort.Options {
	reg := catalog.All()
	var v2 []*exporter.Collection
	for _, c := range reg.Collections() {
		if c.API == exporter.APIv2 {
			v2 = append(v2, c)
		}
	}
	return cohort.Options{
		Accounts: accts, Root: out.root, Open: out.open, State: out.state,
		Account: exporter.AccountOptions{
			Client: oura.ClientOptions{BaseURL: w.url,
				Retry: &oura.Retry{Attempts: 10, MaxRateLimited: 1000, Base: time.Millisecond, Max: 20 * time.Millisecond}},
			Fetch: exporter.FetchOptions{Collections: v2, Until: w.until, Lookback: 14, Workers: 4,
				Now: func() time.Time { return w.until.Add(20 * time.Hour) }},
			Formats:     []string{"parquet", "csv", "archive"},
			Sink:        sinks.Options{SpoolDir: out.spool},
			Registry:    reg,
			ToolVersion: "test",
		},
	}
}

// readManifest reads the cohort manifest of shard s in the folder d.
func readManifest(t testing.TB, d sinks.Dir, s cohort.Shard) cohort.Manifest {
	t.Helper()
	rc, err := d.Open(cohort.ManifestPath(s))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	m, err := cohort.DecodeManifest(rc)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// files reads every file below a cohort folder (local or in a bucket).
func files(t testing.TB, d sinks.Dir) map[string][]byte {
	t.Helper()
	names, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, n := range names {
		if strings.Contains(n, "/.") || strings.HasPrefix(n, ".") {
			continue // the engine's state
		}
		rc, err := d.Open(n)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[n] = b
	}
	return out
}

// data sums up the content of a cohort's participants that must be the
// same in two exports of the same data, whatever the machines or shards:
// per participant, the digest of each CSV file and of each data/ and raw/
// entry of the archive, and the row count of each Parquet file.
func data(t testing.TB, all map[string][]byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, b := range all {
		folder, rel, ok := strings.Cut(name, "/")
		if !ok || !strings.HasPrefix(folder, cohort.FolderPrefix) {
			continue
		}
		switch path.Ext(rel) {
		case ".csv":
			out[name] = digest(b)
		case ".zip":
			zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, f := range zr.File {
				if !strings.HasPrefix(f.Name, "data/") && !strings.HasPrefix(f.Name, "raw/") {
					continue
				}
				rc, _ := f.Open()
				c, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatalf("%s: %s: %v", name, f.Name, err)
				}
				out[folder+"/zip:"+f.Name] = digest(c)
			}
		case ".json":
			if rel != sinks.ManifestName {
				continue
			}
			m, err := sinks.DecodeManifest(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, f := range m.Files {
				if strings.HasSuffix(f.Path, ".parquet") {
					out[folder+"/"+f.Path+"#rows"] = fmt.Sprint(f.Rows)
				}
			}
		}
	}
	return out
}

func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// compare reports the differences of two data maps.
func compare(t testing.TB, got, want map[string]string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("the reference export holds no data; the comparison proves nothing")
	}
	var diffs []string
	for k, v := range want {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, "missing "+k)
		} else if g != v {
			diffs = append(diffs, "differs "+k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "extra "+k)
		}
	}
	slices.Sort(diffs)
	if len(diffs) > 0 {
		t.Errorf("%d differences, first %v", len(diffs), diffs[:min(len(diffs), 10)])
	}
}

// participants returns the participant folders among names.
func participants(all map[string][]byte) []string {
	var out []string
	for name := range all {
		if f, _, ok := strings.Cut(name, "/"); ok && strings.HasPrefix(f, cohort.FolderPrefix) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// accountOf returns the Oura user id of sandbox user n.
func (w *world) accountOf(t testing.TB, n int) string {
	t.Helper()
	for doc, err := range w.srv.Documents(n, "personal_info", w.since, w.until) {
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ ID string }
		if err := json.Unmarshal(doc, &v); err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	t.Fatalf("user %d has no personal_info", n)
	return ""
}

// rawLines returns the raw/<collection>.ndjson lines of an archive.
func rawLines(t testing.TB, archive []byte, collection string) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open("raw/" + collection + ".ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var lines []string
	sc := bufio.NewScanner(rc)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}
