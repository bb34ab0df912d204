package cohort_test

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/cohort"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/s3/s3test"
)

// TestShardsS3 exports a cohort of 20 in three shards, as three machines
// would (at once, each with its own state), into one S3 prefix, and the
// same cohort on one machine into another: the union of the shards must be
// the single machine's export (written to a local folder: the layout is the
// same), and verify must pass, then catch a change.
func TestShardsS3(t *testing.T) {
	const users, shards = 20, 3
	w := newWorld(t, users, "2024-03-07", "2024-03-10", nil)
	accts := w.accounts(t, users, nil)
	srv := s3test.Start(t)
	srv.Bucket(t, "exports")
	ctx := context.Background()

	var wg sync.WaitGroup
	errs := make([]error, shards)
	owned := make([][]string, shards)
	for i := range shards {
		shard := cohort.Shard{Index: i, Count: shards}
		out, _ := remote(t, ctx, srv, "study/sharded", t.TempDir())
		o := lean(w.options(shard.Select(accts), out))
		o.Shard = shard
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := cohort.Run(ctx, o)
			errs[i] = err
			for _, p := range res.Participants {
				owned[i] = append(owned[i], p.Account.ID)
			}
		}()
	}
	// The single machine at the same time, into a local folder.
	single := local(t, filepath.Join(t.TempDir(), "single"))
	var singleErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		o := lean(w.options(accts, single))
		o.Account.Fetch.Workers = 8
		_, singleErr = cohort.Run(ctx, o)
	}()
	wg.Wait()
	if singleErr != nil {
		t.Fatal(singleErr)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
		if len(owned[i]) == 0 {
			t.Errorf("shard %d owns nobody: the test proves less than it should", i)
		}
	}

	sharded, d := remote(t, ctx, srv, "study/sharded", t.TempDir())
	got, want := files(t, sharded.root), files(t, single.root)
	if p := participants(got); len(p) != users || !slices.Equal(p, participants(want)) {
		t.Errorf("the shards wrote %d participants (%v), the single machine %d", len(p), p, len(participants(want)))
	}
	compare(t, data(t, got), data(t, want))

	// Each shard's manifest lists its own participants, complete.
	seen := map[string]int{}
	for i := range shards {
		m := readManifest(t, sharded.root, cohort.Shard{Index: i, Count: shards})
		var ids []string
		for _, e := range m.Participants {
			ids = append(ids, e.ID)
			if prev, dup := seen[e.ID]; dup {
				t.Errorf("%s is in the manifests of shards %d and %d", e.ID, prev, i)
			}
			seen[e.ID] = i
			if e.Status != cohort.Complete {
				t.Errorf("shard %d: %s is %s: %s", i, e.ID, e.Status, e.Error)
			}
		}
		slices.Sort(owned[i])
		if !slices.Equal(ids, owned[i]) {
			t.Errorf("shard %d's manifest lists %v, it exported %v", i, ids, owned[i])
		}
	}
	if len(seen) != users {
		t.Errorf("the manifests list %d participants, want %d", len(seen), users)
	}

	// Verify reads back every object of every participant; it finds
	// exactly the one object changed behind the exporter's back.
	const name = "participant=p07/csv/daily_readiness/year=2024/part-0.csv"
	if got[name] == nil {
		t.Fatalf("no %s", name)
	}
	srv.Put(t, "exports", "study/sharded/"+name, bump(got[name]))
	rep, err := cohort.VerifyDir(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Participants != users || len(rep.Manifests) != shards || rep.Files < users*8 {
		t.Errorf("verify: %d participants, %d manifests, %d files", rep.Participants, len(rep.Manifests), rep.Files)
	}
	expect(t, rep.Problems, name, sinks.ErrDigest)
}

// lean keeps a test with many participants quick (CI runs it with the race
// detector on two cores, where each file costs): Parquet and CSV of a
// collection of each kind (by day, by instant, whole, paged).
func lean(o cohort.Options) cohort.Options {
	keep := []string{"personal_info", "ring_configuration", "daily_readiness", "heartrate"}
	o.Account.Fetch.Collections = slices.DeleteFunc(o.Account.Fetch.Collections, func(c *exporter.Collection) bool { return !slices.Contains(keep, c.Name) })
	o.Account.Formats = []string{"parquet", "csv"}
	return o
}

// killer is a progress reporter that cancels the run after some pages.
type killer struct {
	exporter.NopProgress
	pages  *atomic.Int64
	after  int64
	cancel context.CancelFunc
}

func (k killer) Page(string, int) {
	if k.pages.Add(1) == k.after {
		k.cancel()
	}
}

// TestResumeS3 kills a cohort run into S3 in the middle of fetching, then
// runs it again with the same state: it resumes from what was fetched, and
// the result is the same as an uninterrupted export's.
func TestResumeS3(t *testing.T) {
	w := newWorld(t, 4, "2024-03-04", "2024-03-10", func(o *sandbox.Options) {
		o.Latency = 2 * time.Millisecond // requests of several participants interleave
		o.PageSize = 500                 // heartrate takes several pages
	})
	accts := w.accounts(t, 4, nil)
	srv := s3test.Start(t)
	srv.Bucket(t, "exports")
	state := t.TempDir()

	ctx, cancel := context.WithCancel(context.Background())
	out, _ := remote(t, ctx, srv, "run", state)
	_, check := remote(t, context.Background(), srv, "run", t.TempDir())
	o := lean(w.options(accts, out))
	o.Account.Formats, o.Account.Fetch.Lookback = []string{"csv", "archive"}, 0
	var pages atomic.Int64
	o.Progress = func(cohort.Account) exporter.Progress {
		return killer{pages: &pages, after: 14, cancel: cancel}
	}
	res, err := cohort.Run(ctx, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: %v, want context.Canceled", err)
	}
	killedDocs := fetched(res)
	objs := srv.Objects(t, "exports", "run/")
	for key := range objs {
		if strings.HasPrefix(key, "run/"+cohort.ManifestFolder+"/") {
			t.Errorf("a killed run published %s", key)
		}
	}
	if left := spooled(t, state); len(left) > 0 {
		t.Errorf("spool files left after the kill: %v", left)
	}
	// Objects appear whole and each MANIFEST.json last: whatever a
	// participant's manifest lists is in the bucket, intact.
	for _, a := range accts {
		if _, ok := objs["run/"+a.Folder()+"/"+sinks.ManifestName]; !ok {
			continue
		}
		rep, err := sinks.VerifyDir(context.Background(), check.Sub(a.Folder()))
		if err != nil || !rep.OK() {
			t.Errorf("%s after the kill: %v, problems %v", a.ID, err, rep.Problems)
		}
	}

	// Again, with the same state.
	out, d := remote(t, context.Background(), srv, "run", state)
	o = lean(w.options(accts, out))
	o.Account.Formats, o.Account.Fetch.Lookback = []string{"csv", "archive"}, 0
	again, err := cohort.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	// Uninterrupted, elsewhere.
	fresh := local(t, filepath.Join(t.TempDir(), "fresh"))
	o = lean(w.options(accts, fresh))
	o.Account.Formats, o.Account.Fetch.Lookback = []string{"csv", "archive"}, 0
	whole, err := cohort.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if killedDocs == 0 || fetched(again) >= fetched(whole) {
		t.Errorf("the killed run fetched %d documents, the resumed one %d, an uninterrupted one %d: nothing was resumed",
			killedDocs, fetched(again), fetched(whole))
	}
	compare(t, data(t, files(t, out.root)), data(t, files(t, fresh.root)))
	rep, err := cohort.VerifyDir(context.Background(), d)
	if err != nil || !rep.OK() || rep.Participants != 4 {
		t.Errorf("verify after resuming: %v, %d participants, problems %v", err, rep.Participants, rep.Problems)
	}
}

// spooled lists the files in the S3 spool folders below state.
func spooled(t *testing.T, state string) []string {
	t.Helper()
	var left []string
	filepath.WalkDir(filepath.Join(state, "ouraexport-s3-spool"), func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	return left
}
