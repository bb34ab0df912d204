package cli

import (
	"encoding/csv"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/schema"
)

// TestExportExactRange: every output of an export holds rows only for the
// days of --since..--until, whatever the server sends around the edges
// (v1's inclusive end and summary_date, v2's padded windows of the time
// series), and child rows only with their parent; and every day of the
// range is there. One sandbox history, wider than the range on both sides,
// serves v2, v1, both, and a cohort.
func TestExportExactRange(t *testing.T) {
	since, _ := sandbox.ParseDate("2023-12-28")
	until, _ := sandbox.ParseDate("2024-01-14")
	sb, err := sandbox.New(sandbox.Options{Users: 2, Since: since, Until: until, NoGzip: true})
	if err != nil {
		t.Fatal(err)
	}
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("OURA_TOKEN", sb.Token(1))
	accounts := filepath.Join(t.TempDir(), "accounts.txt")
	for u := 1; u <= 2; u++ {
		os.WriteFile(filepath.Join(filepath.Dir(accounts), "p"+strconv.Itoa(u)+".token"), []byte(sb.Token(u)+"\n"), 0o600)
	}
	os.WriteFile(accounts, []byte("p1 p1.token\np2 p2.token\n"), 0o600)

	const from, to = "2024-01-01", "2024-01-10"
	// What the range holds: the server's own documents of those days (a
	// time series' by the UTC day of its samples), one row each.
	want := map[string]map[string]int{} // participant folder, table: rows
	f, _ := time.Parse(time.DateOnly, from)
	l, _ := time.Parse(time.DateOnly, to)
	for u, root := range map[int]string{1: "", 2: "participant=p2/"} {
		want[root] = map[string]int{}
		for _, c := range []string{"daily_activity", "daily_sleep", "daily_readiness", "sleep", "heartrate", "ring_battery_level"} {
			for _, err := range sb.Documents(u, c, f, l.AddDate(0, 0, 1)) {
				if err != nil {
					t.Fatal(err)
				}
				want[root][c]++
			}
		}
	}
	want["participant=p1/"] = want[""]
	for _, tc := range []struct {
		name   string
		args   []string
		tables []string // whose rows must all be there
	}{
		{"v2", []string{"--api", "v2"}, []string{"daily_activity", "daily_sleep", "daily_readiness", "sleep", "heartrate", "ring_battery_level"}},
		{"v1", []string{"--api", "v1"}, []string{"daily_activity", "daily_sleep", "daily_readiness"}},
		{"v1,v2", []string{"--api", "v1,v2"}, []string{"daily_activity", "daily_sleep", "daily_readiness", "heartrate", "ring_battery_level"}},
		{"cohort", []string{"--accounts", accounts, "--workers", "2"}, []string{"daily_sleep", "heartrate", "ring_battery_level"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"export", "--api-url", url, "--out", out, "--since", from, "--until", to,
				"--format", "csv,archive", "--quiet"}, tc.args...)
			if msg, err := runCmd(t, args...); err != nil {
				t.Fatalf("%v\n%s", err, msg)
			}
			got := checkRange(t, out, from, to)
			for root, tables := range got {
				for _, name := range tc.tables {
					if tables[name] != want[root][name] {
						t.Errorf("%s%s: %d rows, want the %d of %s..%s", root, name, tables[name], want[root][name], from, to)
					}
				}
			}
		})
	}
}

// checkRange checks every CSV table below out (one export, or the
// participants of a cohort): each top-level row's day (see days.go in the
// engine) lies in from..to and each child row has its parent. It returns
// the rows of each table of each export folder.
func checkRange(t *testing.T, out, from, to string) map[string]map[string]int {
	t.Helper()
	type export struct {
		tables map[string][][]string // rows with the header first
	}
	exports := map[string]*export{}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".csv") {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		root, rest, ok := strings.Cut(filepath.ToSlash(rel), "csv/")
		if !ok {
			return nil
		}
		table, _, _ := strings.Cut(strings.TrimSuffix(rest, ".csv"), "/")
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			return err
		}
		e := exports[root]
		if e == nil {
			e = &export{tables: map[string][][]string{}}
			exports[root] = e
		}
		if old := e.tables[table]; old != nil {
			recs = append(old, recs[1:]...) // another year's part
		}
		e.tables[table] = recs
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(exports) == 0 {
		t.Fatalf("no CSV files below %s", out)
	}
	counts := map[string]map[string]int{}
	for root, e := range exports {
		counts[root] = map[string]int{}
		ids := map[string]map[string]bool{}
		for name, recs := range e.tables {
			tab := schema.Lookup(name)
			if tab == nil || tab.Parent != "" || tab.DatedBy == "" {
				continue
			}
			col := index(recs[0], tab.DatedBy)
			off := index(recs[0], tab.DatedBy+"_utc_offset")
			idc := index(recs[0], schema.ColID)
			ids[name] = map[string]bool{}
			counts[root][name] = len(recs) - 1
			reported := false
			for _, r := range recs[1:] {
				if idc >= 0 {
					ids[name][r[idc]] = true
				}
				day := r[col]
				if tab.Columns[tab.MustIndex(tab.DatedBy)].Type == schema.Timestamp {
					at, err := time.Parse(time.RFC3339Nano, day)
					if err != nil {
						t.Fatalf("%s%s: %q: %v", root, name, day, err)
					}
					if off >= 0 && r[off] != "" {
						m, _ := strconv.Atoi(r[off])
						at = at.Add(time.Duration(m) * time.Minute)
					}
					day = at.Format(time.DateOnly)
				}
				if (day < from || day > to) && !reported {
					t.Errorf("%s%s holds a row of %s, outside %s..%s", root, name, day, from, to)
					reported = true
				}
			}
		}
		for name, recs := range e.tables {
			tab := schema.Lookup(name)
			if tab == nil || tab.Parent == "" || ids[tab.Parent] == nil {
				continue
			}
			pc := index(recs[0], tab.Parent+"_id")
			for _, r := range recs[1:] {
				if !ids[tab.Parent][r[pc]] {
					t.Errorf("%s%s: a row of %s %s, which is not in %s", root, name, tab.Parent, r[pc], tab.Parent)
					break
				}
			}
		}
	}
	return counts
}

func index(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	return -1
}
