package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// manifestPaths returns the paths MANIFEST.json in dir lists.
func manifestPaths(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Files []struct{ Path string } `json:"files"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range m.Files {
		out = append(out, f.Path)
	}
	return out
}

func readText(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReportCommand: export writes report.html and lists it; 'report'
// verifies and rewrites it (verify still passes); an archive gets its own
// report; --no-report leaves it out; what is not an export is refused.
func TestReportCommand(t *testing.T) {
	since := time.Now().UTC().AddDate(0, 0, -45).Format(time.DateOnly)
	out := filepath.Join(t.TempDir(), "export")
	if r := ouraexport(t, nil, "export", "--sandbox", "--since", since, "--format", "parquet,archive", "--out", out, "--quiet"); r.code != 0 {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	page := filepath.Join(out, "report.html")
	if !slices.Contains(manifestPaths(t, out), "report.html") {
		t.Fatal("MANIFEST.json does not list report.html")
	}
	if s := readText(t, page); !strings.Contains(s, "Not verified.") || !strings.Contains(s, `href="parquet/sleep.parquet"`) {
		t.Errorf("the export's report does not say it is not verified, or does not link the files")
	}
	if r := ouraexport(t, nil, "verify", out); r.code != 0 {
		t.Fatalf("verify after export: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}

	t.Run("report verifies and rewrites", func(t *testing.T) {
		r := ouraexport(t, nil, "report", out)
		if r.code != 0 || !strings.Contains(r.stdout, "wrote "+page) {
			t.Fatalf("report: exit %d: %s%s", r.code, r.stdout, r.stderr)
		}
		if s := readText(t, page); !strings.Contains(s, "Verified.") {
			t.Error("the report does not say the files verified")
		}
		if r := ouraexport(t, nil, "verify", out); r.code != 0 {
			t.Errorf("verify after report: exit %d: %s%s", r.code, r.stdout, r.stderr)
		}
		if n := strings.Count(strings.Join(manifestPaths(t, out), "\n"), "report.html"); n != 1 {
			t.Errorf("MANIFEST.json lists report.html %d times", n)
		}
	})
	t.Run("damaged export", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "copy")
		if err := os.CopyFS(dir, os.DirFS(out)); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, "parquet", "tag.parquet")
		b, _ := os.ReadFile(f)
		b[len(b)/2] ^= 0xff
		os.WriteFile(f, b, 0o600)
		r := ouraexport(t, nil, "report", "--no-verify", dir)
		if r.code != 0 {
			t.Fatalf("report --no-verify: exit %d: %s", r.code, r.stderr)
		}
		if s := readText(t, filepath.Join(dir, "report.html")); !strings.Contains(s, "Not read.") || !strings.Contains(s, "read parquet/tag.parquet") {
			t.Error("the report does not say which file it could not read")
		}
		r = ouraexport(t, nil, "report", dir)
		if r.code != 1 || !strings.Contains(r.stderr, "verification found") {
			t.Errorf("report of a damaged export: exit %d: %s", r.code, r.stderr)
		}
		if s := readText(t, filepath.Join(dir, "report.html")); !strings.Contains(s, "parquet/tag.parquet: ") {
			t.Error("the report does not list the damaged file")
		}
	})
	t.Run("archive", func(t *testing.T) {
		zip := filepath.Join(out, "archive", "oura-export.zip")
		if r := ouraexport(t, nil, "report", zip); r.code != 2 || !strings.Contains(r.stderr, "part of the export") {
			t.Errorf("report of an archive inside an export: exit %d: %s", r.code, r.stderr)
		}
		alone := filepath.Join(t.TempDir(), "backup.zip")
		os.WriteFile(alone, []byte(readText(t, zip)), 0o600)
		r := ouraexport(t, nil, "report", alone)
		want := filepath.Join(filepath.Dir(alone), "backup.report.html")
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Fatalf("report of an archive: exit %d: %s%s", r.code, r.stdout, r.stderr)
		}
		if s := readText(t, want); !strings.Contains(s, `href="backup.zip"`) || !strings.Contains(s, "Verified.") {
			t.Error("the archive's report does not link the archive, or does not say it verified")
		}
	})
	t.Run("no report", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "plain")
		if r := ouraexport(t, nil, "export", "--sandbox", "--since", since, "--format", "csv", "--out", dir, "--quiet", "--no-report"); r.code != 0 {
			t.Fatalf("export --no-report: exit %d: %s", r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "report.html")); err == nil || slices.Contains(manifestPaths(t, dir), "report.html") {
			t.Error("--no-report wrote a report")
		}
	})
	t.Run("bad usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"export", "--sandbox", "--no-report", "--open"},
			{"report"},
			{"report", t.TempDir()},
			{"report", filepath.Join(t.TempDir(), "missing")},
		} {
			if r := ouraexport(t, nil, args...); r.code != 2 {
				t.Errorf("%q: exit %d, want 2: %s", args, r.code, r.stderr)
			}
		}
	})
}

// TestCohortReports: a local cohort gets a report per participant and an
// index page at its root that links them; verify accepts both.
func TestCohortReports(t *testing.T) {
	url := startSandbox(t, "--users", "2", "--since", "2024-02-01", "--until", "2024-03-10")
	dir := t.TempDir()
	var lines []string
	for _, u := range []string{"1", "2"} {
		os.WriteFile(filepath.Join(dir, "p"+u), []byte("sandbox-token-"+u+"\n"), 0o600)
		lines = append(lines, "p"+u+" p"+u)
	}
	accounts := filepath.Join(dir, "accounts.txt")
	os.WriteFile(accounts, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	out := filepath.Join(dir, "cohort")
	if r := ouraexport(t, nil, "export", "--api-url", url, "--accounts", accounts, "--out", out, "--format", "parquet",
		"--until", "2024-03-10", "--quiet"); r.code != 0 {
		t.Fatalf("cohort export: exit %d: %s", r.code, r.stderr)
	}
	index := readText(t, filepath.Join(out, "report.html"))
	for _, p := range []string{"p1", "p2"} {
		if !strings.Contains(index, `href="participant=`+p+`/report.html"`) {
			t.Errorf("the index does not link %s's report", p)
		}
		if _, err := os.Stat(filepath.Join(out, "participant="+p, "report.html")); err != nil {
			t.Error(err)
		}
	}
	if r := ouraexport(t, nil, "verify", out); r.code != 0 {
		t.Errorf("verify of the cohort: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if r := ouraexport(t, nil, "report", out); r.code != 0 {
		t.Errorf("report of the cohort: exit %d: %s", r.code, r.stderr)
	}
	if r := ouraexport(t, nil, "report", filepath.Join(out, "participant=p1")); r.code != 2 {
		t.Errorf("report of a participant's folder: exit %d, want 2: %s", r.code, r.stderr)
	}
}
