package cohort_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/cohort"
	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/sinks"
)

// localCohort exports a cohort of n+2 into a local folder, over the days
// since..2024-03-10: n good participants, then one whose token the API
// rejects and one whose token file is missing.
func localCohort(t *testing.T, n int, since string, mod func(*cohort.Options)) (*world, string, *cohort.Result, error) {
	t.Helper()
	w := newWorld(t, n+2, since, "2024-03-10", nil)
	accts := w.accounts(t, n+2, map[string]string{id(n + 1): "sandbox-token-999", id(n + 2): "-"})
	out := filepath.Join(t.TempDir(), "cohort")
	o := w.options(accts, local(t, out))
	if mod != nil {
		mod(&o)
	}
	res, err := cohort.Run(context.Background(), o)
	return w, out, res, err
}

func TestCohortLocal(t *testing.T) {
	// Collections of every kind, in every format (the engine's own tests
	// cover the rest of the collections).
	keep := []string{"personal_info", "ring_configuration", "daily_sleep", "sleep", "daily_activity", "heartrate", "workout"}
	w, out, res, err := localCohort(t, 2, "2024-02-28", func(o *cohort.Options) {
		o.Account.Fetch.Collections = slices.DeleteFunc(o.Account.Fetch.Collections, func(c *exporter.Collection) bool { return !slices.Contains(keep, c.Name) })
	})
	if !errors.Is(err, cohort.ErrPartial) {
		t.Fatalf("Run = %v, want ErrPartial (two participants fail)", err)
	}
	for _, p := range res.Participants {
		want := cohort.Complete
		if p.Account.ID == "p03" || p.Account.ID == "p04" {
			want = cohort.Failed
		}
		if p.Status != want {
			t.Errorf("%s: status %s (%v), want %s", p.Account.ID, p.Status, p.Err, want)
		}
	}
	if p := res.Participants[2]; !errors.Is(p.Err, oura.ErrUnauthorized) {
		t.Errorf("p03: %v, want the token rejected", p.Err)
	}
	if p := res.Participants[3]; !errors.Is(p.Err, cohort.ErrToken) {
		t.Errorf("p04: %v, want a bad token file", p.Err)
	}
	root := local(t, out).root
	m := readManifest(t, root, cohort.Shard{Count: 1})
	if m.Complete != 2 || m.Failed != 2 || len(m.Participants) != 4 || m.Rows != res.Rows() || m.Rows == 0 {
		t.Errorf("cohort manifest: %d complete, %d failed, %d participants, %d rows; want 2, 2, 4, %d",
			m.Complete, m.Failed, len(m.Participants), m.Rows, res.Rows())
	}
	all := files(t, root)
	partPath := regexp.MustCompile(`^participant=p0[12]/([a-z0-9_]+/year=(\d{4}|__HIVE_DEFAULT_PARTITION__)/part-0\.parquet|csv/[a-z0-9_]+/year=(\d{4}|__HIVE_DEFAULT_PARTITION__)/part-0\.csv)$`)
	for n := 1; n <= 2; n++ {
		e := m.Participants[n-1]
		// Each participant's data is their own account's, and nobody else's.
		if want := w.accountOf(t, n); e.Account != want {
			t.Errorf("%s: account %s, want sandbox user %d's %s", e.ID, e.Account, n, want)
		}
		got := rawLines(t, all[e.Folder+"/oura-export-"+e.ID+".zip"], "daily_sleep")
		var want []string
		for doc, err := range w.srv.Documents(n, "daily_sleep", w.since, w.until.AddDate(0, 0, 1)) {
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, string(doc))
		}
		if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: the archive holds %d daily_sleep documents, not user %d's %d", e.ID, len(got), n, len(want))
		}
		if e.Manifest == nil || digest(all[e.Manifest.Path]) != e.Manifest.SHA256 {
			t.Errorf("%s: the cohort manifest does not record the participant's MANIFEST.json", e.ID)
		}
	}
	for name := range all {
		switch {
		case strings.HasPrefix(name, cohort.ManifestFolder+"/"),
			strings.HasSuffix(name, "/"+sinks.ManifestName),
			strings.HasSuffix(name, ".zip"),
			partPath.MatchString(name),
			regexp.MustCompile(`^participant=p0[12]/((personal_info|ring_configuration)\.parquet|csv/(personal_info|ring_configuration)\.csv)$`).MatchString(name):
		default:
			t.Errorf("%s is outside the cohort layout", name)
		}
	}
	for _, e := range m.Participants[2:] {
		if e.Manifest != nil || e.Error == "" || len(participants(filterPrefix(all, e.Folder))) > 0 {
			t.Errorf("%s: failed, yet %+v or files in its folder", e.ID, e)
		}
	}

	rep, err := cohort.Verify(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Participants != 2 || len(rep.NotExported) != 2 || rep.Files == 0 {
		t.Errorf("verify: %d participants, %d not exported, %d files, problems %v", rep.Participants, len(rep.NotExported), rep.Files, rep.Problems)
	}

	// A second run brings everyone up to date from their stores: it
	// fetches only the last --lookback days again.
	o := w.options(w.accounts(t, 2, nil), local(t, out))
	o.Account.Fetch.Collections = slices.DeleteFunc(o.Account.Fetch.Collections, func(c *exporter.Collection) bool { return !slices.Contains(keep, c.Name) })
	o.Account.Fetch.Lookback, o.Account.Formats = 2, []string{"csv"}
	again, err := cohort.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if first, second := fetched(res), fetched(again); second == 0 || second >= first/3 {
		t.Errorf("the second run fetched %d documents, the first %d: the stores were not used", second, first)
	}
}

// fetched returns the documents a run fetched from the API.
func fetched(res *cohort.Result) int {
	n := 0
	for _, p := range res.Participants {
		if p.Export != nil && p.Export.Fetch != nil {
			for _, c := range p.Export.Fetch.Collections {
				n += c.Docs
			}
		}
	}
	return n
}

func filterPrefix(all map[string][]byte, folder string) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range all {
		if strings.HasPrefix(k, folder+"/") {
			out[k] = v
		}
	}
	return out
}

// TestVerifyCohort damages copies of a cohort and checks what Verify says.
func TestVerifyCohort(t *testing.T) {
	_, clean, _, _ := localCohort(t, 3, "2024-03-06", func(o *cohort.Options) { *o = lean(*o) })
	const csv = "participant=p02/csv/daily_readiness/year=2024/part-0.csv"
	if _, err := os.Stat(filepath.Join(clean, csv)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		damage func(t *testing.T, root string)
		want   []any // path, kind
	}{
		{name: "intact", damage: func(*testing.T, string) {}},
		{name: "changed data file", damage: func(t *testing.T, root string) {
			edit(t, filepath.Join(root, csv), bump)
		}, want: []any{csv, sinks.ErrDigest}},
		{name: "participant gone", damage: func(t *testing.T, root string) {
			os.RemoveAll(filepath.Join(root, "participant=p03"))
		}, want: []any{"participant=p03/", sinks.ErrMissing}},
		{name: "participant manifest rewritten", damage: func(t *testing.T, root string) {
			edit(t, filepath.Join(root, "participant=p01", sinks.ManifestName), func(b []byte) []byte {
				var m sinks.Manifest
				json.Unmarshal(b, &m)
				m.Notes = append(m.Notes, "edited")
				b, _ = json.Marshal(m)
				return b
			})
		}, want: []any{"participant=p01/", sinks.ErrDigest}},
		{name: "unknown participant", damage: func(t *testing.T, root string) {
			os.MkdirAll(filepath.Join(root, "participant=zz"), 0o700)
			os.WriteFile(filepath.Join(root, "participant=zz", "x.csv"), []byte("a\r\n"), 0o600)
		}, want: []any{"participant=zz/", sinks.ErrExtra}},
		{name: "stray file", damage: func(t *testing.T, root string) {
			os.WriteFile(filepath.Join(root, "notes.txt"), []byte("mine"), 0o600)
			os.WriteFile(filepath.Join(root, ".DS_Store"), []byte("finder"), 0o600) // hidden: not counted
		}, want: []any{"notes.txt", sinks.ErrExtra}},
		{name: "damaged cohort manifest", damage: func(t *testing.T, root string) {
			edit(t, filepath.Join(root, cohort.ManifestPath(cohort.Shard{Count: 1})), func(b []byte) []byte { return b[:len(b)/2] })
		}, want: []any{cohort.ManifestPath(cohort.Shard{Count: 1}), sinks.ErrManifest,
			"participant=p01/", sinks.ErrExtra, "participant=p02/", sinks.ErrExtra, "participant=p03/", sinks.ErrExtra,
			"participant=p04/", sinks.ErrExtra}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "copy")
			if err := os.CopyFS(root, os.DirFS(clean)); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, root)
			rep, err := cohort.Verify(context.Background(), root)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, rep.Problems, tc.want...)
		})
	}
	t.Run("not a cohort", func(t *testing.T) {
		if _, err := cohort.Verify(context.Background(), t.TempDir()); !errors.Is(err, cohort.ErrNotCohort) || !errors.Is(err, sinks.ErrNotExport) {
			t.Errorf("got %v, want ErrNotCohort and ErrNotExport", err)
		}
	})
}

// bump adds one to the first digit 0-8 after a CSV file's header: the
// file still reads, only its digest tells.
func bump(b []byte) []byte {
	b = bytes.Clone(b)
	i := bytes.IndexByte(b, '\n') + 1
	for b[i] < '0' || b[i] > '8' {
		i++
	}
	b[i]++
	return b
}

func edit(t *testing.T, p string, f func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, f(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// expect checks that the problems are exactly the wanted (path, kind) pairs.
func expect(t *testing.T, probs []sinks.Problem, want ...any) {
	t.Helper()
	matched := make([]bool, len(probs))
	for i := 0; i < len(want); i += 2 {
		path, kind := want[i].(string), want[i+1].(error)
		found := false
		for j, p := range probs {
			if p.Path == path && errors.Is(p.Err, kind) {
				found, matched[j] = true, true
			}
		}
		if !found {
			t.Errorf("no %q problem for %s; problems: %v", kind, path, probs)
		}
	}
	for j, p := range probs {
		if !matched[j] {
			t.Errorf("unexpected problem: %s", p)
		}
	}
}

// TestOtherAccount swaps two participants' tokens between runs: their
// stores hold the other person's data, so both must fail, not mix.
func TestOtherAccount(t *testing.T) {
	w := newWorld(t, 3, "2024-03-07", "2024-03-10", nil)
	out := local(t, filepath.Join(t.TempDir(), "cohort"))
	o := w.options(w.accounts(t, 3, nil), out)
	o.Account.Formats = []string{"csv"}
	if _, err := cohort.Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	o.Accounts = w.accounts(t, 3, map[string]string{"p01": w.srv.Token(2), "p02": w.srv.Token(1)})
	res, err := cohort.Run(context.Background(), o)
	if !errors.Is(err, cohort.ErrPartial) {
		t.Fatalf("Run = %v, want ErrPartial", err)
	}
	for i, want := range []cohort.Status{cohort.Failed, cohort.Failed, cohort.Complete} {
		p := res.Participants[i]
		if p.Status != want {
			t.Errorf("%s: %s, want %s", p.Account.ID, p.Status, want)
		}
		if want == cohort.Failed && !errors.Is(p.Err, exporter.ErrOtherAccount) {
			t.Errorf("%s: %v, want ErrOtherAccount", p.Account.ID, p.Err)
		}
	}
}

// counting is an HTTP transport that records the most requests in flight.
type counting struct {
	next          http.RoundTripper
	now, peak     atomic.Int64
	mu            sync.Mutex
	perToken      map[string]int
	authorization bool
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	n := c.now.Add(1)
	defer c.now.Add(-1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
	c.mu.Lock()
	c.perToken[r.Header.Get("Authorization")]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

// TestSharedPool checks that all participants share one pool of workers,
// each with their own token.
func TestSharedPool(t *testing.T) {
	w := newWorld(t, 6, "2024-03-08", "2024-03-10", func(o *sandbox.Options) { o.Latency = 2 * time.Millisecond })
	accts := w.accounts(t, 6, nil)
	o := w.options(accts, local(t, filepath.Join(t.TempDir(), "cohort")))
	o.Account.Formats = []string{"csv"}
	c := &counting{next: http.DefaultTransport, perToken: map[string]int{}}
	o.Account.Client.HTTP = &http.Client{Transport: c}
	o.Account.Fetch.Workers, o.Parallel = 2, 3
	res, err := cohort.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	// Windows take a slot of the pool; identifying an account (one request
	// at a time) does not, so each participant being started may add one.
	if peak := c.peak.Load(); peak > int64(o.Account.Fetch.Workers+o.Parallel) {
		t.Errorf("%d requests in flight at once, want at most %d workers + %d participants starting", peak, o.Account.Fetch.Workers, o.Parallel)
	}
	if len(c.perToken) != 6 {
		t.Errorf("requests came with %d different tokens, want 6", len(c.perToken))
	}
	if res.Count(cohort.Complete) != 6 {
		t.Errorf("%d of 6 complete", res.Count(cohort.Complete))
	}
}

// TestEmptyShard checks a shard that owns nobody: an empty manifest, no error.
func TestEmptyShard(t *testing.T) {
	w := newWorld(t, 1, "2024-03-01", "2024-03-10", nil)
	out := local(t, t.TempDir())
	o := w.options(nil, out)
	o.Shard = cohort.Shard{Index: 1, Count: 2}
	res, err := cohort.Run(context.Background(), o)
	if err != nil || len(res.Participants) != 0 {
		t.Fatalf("Run = %v, %d participants", err, len(res.Participants))
	}
	if m := readManifest(t, out.root, o.Shard); len(m.Participants) != 0 || m.Shard.Index != 1 || m.Shard.Count != 2 {
		t.Errorf("manifest %+v", m)
	}
}

// TestPartialParticipants: tokens without the heartrate scope get 403 on
// that collection. Each participant is partial (the rest of their data is
// exported), the cohort manifest says which collection is missing, and a
// participant whose token is rejected fails without touching the others.
func TestPartialParticipants(t *testing.T) {
	w := newWorld(t, 3, "2024-03-07", "2024-03-10", func(o *sandbox.Options) {
		o.Scopes = slices.DeleteFunc(slices.Clone(sandbox.Scopes), func(s string) bool { return s == "heartrate" })
	})
	out := local(t, filepath.Join(t.TempDir(), "cohort"))
	o := w.options(w.accounts(t, 3, map[string]string{"p03": "sandbox-token-999"}), out)
	o.Account.Formats = []string{"csv"}
	res, err := cohort.Run(context.Background(), o)
	if !errors.Is(err, cohort.ErrPartial) {
		t.Fatalf("Run = %v, want ErrPartial", err)
	}
	m := readManifest(t, out.root, cohort.Shard{Count: 1})
	if m.Partial != 2 || m.Failed != 1 || m.Complete != 0 {
		t.Errorf("manifest: %d partial, %d failed, %d complete; want 2, 1, 0", m.Partial, m.Failed, m.Complete)
	}
	for _, e := range m.Participants[:2] {
		if e.Status != cohort.Partial || !slices.Contains(e.Incomplete, "heartrate") || e.Rows == 0 || e.Manifest == nil || e.Error == "" {
			t.Errorf("%s: %+v; want partial without heartrate, with rows and a manifest", e.ID, e)
		}
	}
	if e := m.Participants[2]; e.Status != cohort.Failed || !strings.Contains(e.Error, "401") {
		t.Errorf("p03: %+v; want failed on a rejected token", e)
	}
	if res.Rows() == 0 {
		t.Error("no rows exported")
	}
	rep, err := cohort.Verify(context.Background(), out.state)
	if err != nil || !rep.OK() || rep.Participants != 2 {
		t.Errorf("verify: %v, %d participants, problems %v", err, rep.Participants, rep.Problems)
	}
}
