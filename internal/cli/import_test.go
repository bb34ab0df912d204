package cli

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/catalog"
	"github.com/ouraexport/ouraexport/internal/config"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/sinks"
)

const trendsSample = "date,Sleep Score,Total Bedtime ,Bedtime Start,Activity Score,Steps,Readiness Score,Mystery Column,\r\n" +
	"2021-04-18,80,25200,2021-04-17T23:10:00+03:00,70,9000,75,x,\r\n" +
	"2021-04-19,None,None,None,71,9100,None,,\r\n" +
	"4/20/2021,82,26000,2021-04-19T23:30:00+03:00,72,9200,77,y,\r\n"

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Main(context.Background(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return out.String() + errOut.String(), err
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "export")
	trends := filepath.Join(dir, "trends.csv")
	if err := os.WriteFile(trends, []byte(trendsSample), 0o644); err != nil {
		t.Fatal(err)
	}
	msg, err := runCmd(t, "import", trends, "../../testdata/oura/samples/v1", "--out", out, "--keep-unrecognised")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, msg)
	}
	if !strings.Contains(msg, "Oura Cloud trends CSV") || !strings.Contains(msg, "unrecognised") {
		t.Errorf("summary:\n%s", msg)
	}
	rep, err := sinks.Verify(context.Background(), out)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
	csv, err := os.ReadFile(filepath.Join(out, "csv", "daily_activity.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(csv), "\r\n"); n != 5 { // header, three trends days, the v1 example
		t.Errorf("daily_activity.csv has %d lines:\n%s", n, csv)
	}
	if !strings.Contains(string(csv), `"{""Mystery Column"":""x""}"`) {
		t.Errorf("the unknown column is not kept in extra:\n%s", csv)
	}

	// A bad file changes nothing, and says where it is bad.
	manifest, _ := os.ReadFile(filepath.Join(out, sinks.ManifestName))
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("date,Sleep Score,Activity Score\n2021-05-01,80,70\n2021-05-02,81\n"), 0o644)
	_, err = runCmd(t, "import", trends, bad, "--out", out)
	if !errors.Is(err, ErrBadInput) || !strings.Contains(Message(err), bad+":3: ") {
		t.Fatalf("bad file: got %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(out, sinks.ManifestName))
	if !bytes.Equal(manifest, after) {
		t.Error("a failed import changed the manifest")
	}
	st, err := exporter.OpenStore(filepath.Join(out, exporter.StoreDir))
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := exporter.Imports(st)
	st.Close()
	for _, r := range recs {
		if r.File == bad {
			t.Error("the bad file was recorded")
		}
	}

	// Importing the same files again changes no row (the file read last
	// speaks first: rows are in the order of their sources).
	before, _ := os.ReadFile(filepath.Join(out, "csv", "sleep.csv"))
	if msg, err := runCmd(t, "import", trends, "--out", out, "--quiet"); err != nil || msg != "" {
		t.Fatalf("again: %v %q", err, msg)
	}
	again, _ := os.ReadFile(filepath.Join(out, "csv", "sleep.csv"))
	if sortedLines(before) != sortedLines(again) {
		t.Errorf("importing the same file twice changed sleep.csv:\n%s\n%s", before, again)
	}
}

func TestImportUsage(t *testing.T) {
	dir := t.TempDir()
	notExport := filepath.Join(dir, "stuff")
	os.MkdirAll(notExport, 0o755)
	os.WriteFile(filepath.Join(notExport, "x.txt"), []byte("x"), 0o644)
	f := filepath.Join(dir, "a.csv")
	os.WriteFile(f, []byte(trendsSample), 0o644)
	tests := []struct {
		name  string
		args  []string
		usage bool
		bad   bool
	}{
		{"no files", []string{"import"}, true, false},
		{"bad format", []string{"import", f, "--format", "xml"}, true, false},
		{"missing file", []string{"import", filepath.Join(dir, "nope.csv"), "--out", filepath.Join(dir, "o1")}, false, true},
		{"out is not an export", []string{"import", f, "--out", notExport}, false, true},
		{"out inside the input", []string{"import", dir, "--out", filepath.Join(dir, "o2")}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runCmd(t, tt.args...)
			var ue *UsageError
			if errors.As(err, &ue) != tt.usage || errors.Is(err, ErrBadInput) != tt.bad {
				t.Errorf("got %v (usage %v, bad input %v)", err, tt.usage, tt.bad)
			}
		})
	}
}

func TestCollectionsForV1(t *testing.T) {
	colls, err := collectionsFor(catalog.All(), []string{"v1", "v2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(colls) != 26 || colls[0].API != "v2" || colls[len(colls)-1].API != "v1" {
		t.Errorf("%d collections, first %s, last %s", len(colls), colls[0].Name, colls[len(colls)-1].Name)
	}
	colls, _ = collectionsFor(catalog.All(), []string{"v1"}, []string{"daily_sleep"})
	if len(colls) != 1 || colls[0].Name != "v1_sleep" {
		t.Errorf("--api v1 --collections daily_sleep gave %v", colls)
	}
	tables := exporter.OutputTables(colls)
	var names []string
	for _, tb := range tables {
		names = append(names, tb.Name)
	}
	if got := strings.Join(names, ","); got != "daily_sleep,sleep,sleep_heart_rate,sleep_hrv,sleep_phase_5_min" {
		t.Errorf("tables of v1_sleep: %s", got)
	}
}

func sortedLines(b []byte) string {
	lines := strings.Split(string(b), "\r\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// apiWorld serves a small sandbox history over loopback and points the
// command's token lookup at it (no config file, no saved login).
func apiWorld(t *testing.T, mod func(*sandbox.Options)) string {
	t.Helper()
	since, _ := sandbox.ParseDate("2024-02-01")
	until, _ := sandbox.ParseDate("2024-02-12")
	o := sandbox.Options{Users: 1, Since: since, Until: until, NoGzip: true}
	if mod != nil {
		mod(&o)
	}
	sb, err := sandbox.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, k := range config.Keys() {
		t.Setenv(k.Env, "")
	}
	t.Setenv(config.EnvPath, "")
	t.Setenv("OURA_TOKEN", sb.Token(1))
	return srv.URL
}

// TestExportAPIV1 runs the export command with --api v1 and --api v1,v2:
// the v1 rows land in the unified tables (v2's where both have a record),
// and a server that retired v1 gets a plain message: a partial export
// (exit 3) when v2 was exported too, an error naming the import command
// when only v1 was asked.
func TestExportAPIV1(t *testing.T) {
	url := apiWorld(t, nil)
	args := []string{"--api-url", url, "--until", "2024-02-12", "--quiet", "--format", "csv", "--collections", "daily_activity"}
	for _, api := range []string{"v1", "v1,v2"} {
		out := filepath.Join(t.TempDir(), "out")
		if msg, err := runCmd(t, append([]string{"export", "--api", api, "--out", out}, args...)...); err != nil {
			t.Fatalf("--api %s: %v\n%s", api, err, msg)
		}
		csv, err := os.ReadFile(filepath.Join(out, "csv", "daily_activity.csv"))
		if err != nil {
			t.Fatal(err)
		}
		want := ",v1,"
		if api == "v1,v2" {
			want = ",v2,"
		}
		lines := strings.Split(strings.TrimSpace(string(csv)), "\r\n")
		if len(lines) < 10 {
			t.Fatalf("--api %s: %d lines", api, len(lines))
		}
		for _, l := range lines[1:] {
			if !strings.Contains(l, want) {
				t.Errorf("--api %s: row without origin %s: %s", api, want, l)
				break
			}
		}
		if _, err := os.Stat(filepath.Join(out, "csv", "daily_activity_met.csv")); err != nil {
			t.Errorf("--api %s: %v", api, err)
		}
	}

	retired := apiWorld(t, func(o *sandbox.Options) { o.V1Retired = true })
	args[1] = retired
	_, err := runCmd(t, append([]string{"export", "--api", "v1,v2", "--out", filepath.Join(t.TempDir(), "out")}, args...)...)
	if !errors.Is(err, ErrPartial) || !strings.Contains(Message(err), "v1_activity") {
		t.Errorf("v1,v2 from a server that retired v1: %v", err)
	}
	_, err = runCmd(t, append([]string{"export", "--api", "v1", "--out", filepath.Join(t.TempDir(), "out")}, args...)...)
	if err == nil || !strings.Contains(Message(err), "retired") || !strings.Contains(Message(err), "ouraexport import") {
		t.Errorf("v1 alone from a server that retired it: %v", err)
	}
}
