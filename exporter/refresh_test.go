package exporter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

// account returns the options of user 1's export of the world into out,
// as the CLI makes them for ExportAccount (and Refresh).
func (w *world) account(t testing.TB, out string) exporter.AccountOptions {
	t.Helper()
	until := w.until
	return exporter.AccountOptions{
		Client: oura.ClientOptions{BaseURL: w.url, Tokens: oura.StaticToken(w.srv.Token(1)),
			Retry: &oura.Retry{Attempts: 10, MaxRateLimited: 1000, Base: time.Millisecond, Max: 20 * time.Millisecond}},
		State: out,
		Fetch: exporter.FetchOptions{Collections: exporter.V2Collections(schema.CheckV2), Until: until, Lookback: 14,
			Workers: 4, Now: func() time.Time { return until.Add(20 * time.Hour) }},
		Out:         func() (sinks.Dir, error) { return sinks.LocalDir(out) },
		Formats:     []string{"parquet", "csv", "archive"},
		Registry:    exporter.MustRegistry(exporter.V2Collections(schema.CheckV2)...),
		ToolVersion: "test",
	}
}

// exportAccount runs ExportAccount of the world into out.
func (w *world) exportAccount(t testing.TB, out string) *exporter.Result {
	t.Helper()
	res, err := exporter.ExportAccount(context.Background(), w.account(t, out))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// events are the changes the sandbox announced for user 1, as a webhook
// receiver hands them to Refresh.
func events(cs []sandbox.Change) []exporter.Change {
	var out []exporter.Change
	for _, c := range cs {
		if c.User == 1 {
			out = append(out, exporter.Change{Collection: c.Collection, ObjectID: c.ID, Op: c.Op})
		}
	}
	return out
}

// sameExport requires the export in got to equal the one in want, file by
// file and byte for byte, the export times and the server's address
// masked (outputFiles), MANIFEST.json included.
func sameExport(t *testing.T, got string, gotMeta sinks.Meta, want string, wantMeta sinks.Meta) {
	t.Helper()
	compareFiles(t, "refresh", outputFiles(t, got, gotMeta), "a fresh export", outputFiles(t, want, wantMeta))
	gm, wm := readManifest(t, got), readManifest(t, want)
	if !bytes.Equal(manifestText(t, gm), manifestText(t, wm)) {
		t.Errorf("MANIFEST.json differs from a fresh export's:\n%s\nwant\n%s", manifestText(t, gm), manifestText(t, wm))
	}
}

func readManifest(t *testing.T, out string) sinks.Manifest {
	t.Helper()
	f, err := os.Open(filepath.Join(out, sinks.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := sinks.DecodeManifest(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// manifestText is a manifest with what differs between two exports of the
// same data masked: the times, and the size and digest of the files that
// hold the export time (Parquet, the archive, the report).
func manifestText(t *testing.T, m sinks.Manifest) []byte {
	t.Helper()
	m.ExportedAt, m.CreatedAt = time.Time{}, time.Time{}
	for i, f := range m.Files {
		if !strings.HasSuffix(f.Path, ".csv") {
			m.Files[i].SHA256, m.Files[i].Size = strings.Repeat("0", 64), 0
		}
	}
	var b bytes.Buffer
	if err := m.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRefreshAdvanceRevise grows the history by three days and revises two
// earlier ones, then refreshes the export with the changes Oura would
// announce: the folder equals a fresh full export, for far fewer requests
// than an incremental export.
func TestRefreshAdvanceRevise(t *testing.T) {
	w := newWorld(t, "2024-01-01", "2024-03-10", nil)
	out := t.TempDir()
	w.exportAccount(t, out)
	newUntil, created := w.srv.AdvanceChanges(3)
	chs := events(created)
	for _, d := range []string{"2024-02-20", "2024-03-08"} {
		day, _ := sandbox.ParseDate(d)
		revised, err := w.srv.ReviseChanges(1, day)
		if err != nil {
			t.Fatal(err)
		}
		chs = append(chs, events(revised)...)
	}
	w.until, _ = time.Parse(time.DateOnly, newUntil.String())
	if len(chs) < 10 {
		t.Fatalf("only %d changes: the sandbox did not change", len(chs))
	}
	incr := t.TempDir()
	copyDir(t, out, incr)

	fresh := t.TempDir()
	fres := w.exportAccount(t, fresh)
	if stale := outputFiles(t, out, fres.Meta); bytes.Equal(stale["csv/daily_sleep.csv"], outputFiles(t, fresh, fres.Meta)["csv/daily_sleep.csv"]) {
		t.Fatal("the export already equals the new history: the test would prove nothing")
	}

	res, err := exporter.Refresh(context.Background(), w.account(t, out), chs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Retry) > 0 || len(res.Applied) != len(chs) {
		t.Errorf("%d changes applied, %d to retry (%v), want all %d applied", len(res.Applied), len(res.Retry), res.Retry, len(chs))
	}
	sameExport(t, out, res.Meta, fresh, fres.Meta)

	for _, c := range res.Fetch.Collections {
		if c.Windows > 0 {
			t.Logf("%s: %d windows, %d docs", c.Collection.Name, c.Windows, c.Docs)
		}
	}
	ires := w.exportAccount(t, incr)
	t.Logf("%d changes: refresh %d requests, incremental export %d, fresh export %d", len(chs), res.Requests, ires.Requests, fres.Requests)
	if res.Requests >= ires.Requests {
		t.Errorf("refresh made %d requests, an incremental export %d", res.Requests, ires.Requests)
	}
}

// TestRefreshDelete deletes a tag at the API and refreshes with its
// delete event: the tag leaves the outputs, which equal a fresh export's.
func TestRefreshDelete(t *testing.T) {
	w := newWorld(t, "2023-12-01", "2024-03-10", nil)
	out := t.TempDir()
	w.exportAccount(t, out)
	tags := w.truth(t, 1, "tag")
	if len(tags) == 0 {
		t.Fatal("the world has no tags")
	}
	var tag struct {
		ID  string `json:"id"`
		Day string `json:"day"`
	}
	if err := json.Unmarshal([]byte(tags[len(tags)/2]), &tag); err != nil {
		t.Fatal(err)
	}
	if err := w.srv.Delete(1, "tag", tag.ID); err != nil {
		t.Fatal(err)
	}
	if !inOutputs(t, out, "tag", tag.ID) {
		t.Fatal("the tag is not in the export")
	}
	res := refreshDelete(t, w, out, "tag", tag.ID)
	fresh := t.TempDir()
	fres := w.exportAccount(t, fresh)
	sameExport(t, out, res.Meta, fresh, fres.Meta)
	t.Logf("delete: %d requests", res.Requests)
	if res.Requests != 1 {
		t.Errorf("a delete took %d requests, want 1: its day's tags", res.Requests)
	}
}

// inOutputs reports whether the outputs in out hold a document of the
// collection coll that mentions id.
func inOutputs(t *testing.T, out, coll, id string) bool {
	t.Helper()
	return slices.ContainsFunc(rawDocs(t, out)[coll], func(d string) bool { return strings.Contains(d, id) })
}

// refreshDelete refreshes out with the delete event of the document id of
// coll, and checks that it is applied and the document left the outputs.
func refreshDelete(t *testing.T, w *world, out, coll, id string) *exporter.RefreshResult {
	t.Helper()
	del := exporter.Change{Collection: coll, ObjectID: id, Op: exporter.OpDelete}
	res, err := exporter.Refresh(context.Background(), w.account(t, out), []exporter.Change{del})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Applied, []exporter.Change{del}) || len(res.Retry) > 0 {
		t.Errorf("applied %v, retry %v: want the delete applied", res.Applied, res.Retry)
	}
	if inOutputs(t, out, coll, id) {
		t.Errorf("the deleted %s is still in the outputs", coll)
	}
	return res
}

// TestRefreshStoreDelete: a document the store holds and the API no longer
// has (deleted while no one listened) leaves the outputs with its delete
// event, and a refresh without changes rebuilds the outputs from the store.
func TestRefreshStoreDelete(t *testing.T) {
	w := newWorld(t, "2024-02-01", "2024-03-10", nil)
	out := t.TempDir()
	w.exportAccount(t, out)
	// A workout stored as a later run would have, on a day the API has another.
	works := w.truth(t, 1, "workout")
	if len(works) == 0 {
		t.Fatal("the world has no workouts")
	}
	var work struct {
		ID  string `json:"id"`
		Day string `json:"day"`
	}
	if err := json.Unmarshal([]byte(works[0]), &work); err != nil {
		t.Fatal(err)
	}
	const gone = "0b4c1e5a-8f7d-4e2a-9c3b-5d6e7f8a9b0c"
	day, _ := time.Parse(time.DateOnly, work.Day)
	st, err := exporter.OpenStore(filepath.Join(out, exporter.StoreDir))
	if err != nil {
		t.Fatal(err)
	}
	st.State.Runs++
	sw, err := st.Create("v2", "workout", day, day.AddDate(0, 0, 1), st.State.Runs)
	if err != nil {
		t.Fatal(err)
	}
	for doc, err := range w.srv.Documents(1, "workout", day, day.AddDate(0, 0, 1)) {
		if err != nil {
			t.Fatal(err)
		}
		sw.Add(doc)
	}
	sw.Add([]byte(strings.Replace(works[0], work.ID, gone, 1)))
	if _, err := sw.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveState(); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := exporter.Refresh(context.Background(), w.account(t, out), nil); err != nil {
		t.Fatal(err)
	}
	if !inOutputs(t, out, "workout", gone) {
		t.Fatal("the stored workout is not in the outputs")
	}
	res := refreshDelete(t, w, out, "workout", gone)
	fresh := t.TempDir()
	fres := w.exportAccount(t, fresh)
	sameExport(t, out, res.Meta, fresh, fres.Meta)
}

// TestRefreshNotVisibleYet: a created document the API does not show yet
// (404 by id) is to be retried, and changes nothing; one of a collection
// the export does not hold needs nothing.
func TestRefreshNotVisibleYet(t *testing.T) {
	w := newWorld(t, "2024-02-20", "2024-03-10", nil)
	out := t.TempDir()
	w.exportAccount(t, out)
	late := exporter.Change{Collection: "workout", ObjectID: "7d1f0c2e-3b4a-4c5d-8e6f-a7b8c9d0e1f2", Op: exporter.OpCreate}
	other := exporter.Change{Collection: "no_such_collection", ObjectID: "x", Op: exporter.OpUpdate}
	res, err := exporter.Refresh(context.Background(), w.account(t, out), []exporter.Change{late, other})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Retry, []exporter.Change{late}) || !slices.Equal(res.Applied, []exporter.Change{other}) {
		t.Errorf("retry %v, applied %v: want the unseen document retried, the other collection applied", res.Retry, res.Applied)
	}
	fresh := t.TempDir()
	fres := w.exportAccount(t, fresh)
	sameExport(t, out, res.Meta, fresh, fres.Meta)
}

// TestRefreshLateDocuments: right after their events the changed
// documents are 404 by id and missing from their days' lists (the
// sandbox's late document fault); Refresh asks for them to be retried and
// leaves the outputs as they were (an update's day is not stored without
// the document), and once they show, the retried changes bring the folder
// to a fresh export's.
func TestRefreshLateDocuments(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	w := newWorld(t, "2024-02-01", "2024-03-10", func(o *sandbox.Options) {
		o.Now = func() time.Time { return time.Unix(0, clock.Load()) }
	})
	out := t.TempDir()
	w.exportAccount(t, out)
	before := dataFiles(t, out)

	w.srv.SetWebhookLate(time.Hour)
	newUntil, created := w.srv.AdvanceChanges(1)
	chs := events(created)
	day, _ := sandbox.ParseDate("2024-03-05")
	revised, err := w.srv.ReviseChanges(1, day)
	if err != nil {
		t.Fatal(err)
	}
	chs = append(chs, events(revised)...)
	w.until, _ = time.Parse(time.DateOnly, newUntil.String())

	res, err := exporter.Refresh(context.Background(), w.account(t, out), chs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Retry) != len(chs) {
		t.Errorf("%d of %d changes to retry (applied: %v), want all", len(res.Retry), len(chs), res.Applied)
	}
	after := dataFiles(t, out)
	for name, sum := range before {
		// The new day's time series are in (they have no events), nothing else changed.
		if after[name] != sum && !strings.Contains(name, "heartrate") && !strings.Contains(name, "interbeat") && !strings.Contains(name, "ring_battery") {
			t.Errorf("%s changed while its documents were not visible", name)
		}
	}

	clock.Add(int64(2 * time.Hour))
	res, err = exporter.Refresh(context.Background(), w.account(t, out), res.Retry)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Retry) > 0 || len(res.Applied) != len(chs) {
		t.Errorf("retried: %d applied, %d to retry again", len(res.Applied), len(res.Retry))
	}
	fresh := t.TempDir()
	fres := w.exportAccount(t, fresh)
	sameExport(t, out, res.Meta, fresh, fres.Meta)
}

// TestRefreshCarriesOutcomes: a login without the scopes of the optional
// collections and of session (which is not optional: incomplete). The
// refreshed outputs say what a fresh export says about them, the daily_spo2
// changes the server refuses are to be retried, the others applied.
func TestRefreshCarriesOutcomes(t *testing.T) {
	var scopes []string
	for _, s := range sandbox.Scopes {
		if s != "reproductive_cycle" && s != "interbeat_interval" && s != "spo2" {
			scopes = append(scopes, "extapi:"+s)
		}
	}
	w := newWorld(t, "2024-02-01", "2024-03-10", func(o *sandbox.Options) { o.Scopes = scopes })
	account := func(out string) exporter.AccountOptions {
		o := w.account(t, out)
		o.Fetch.Collections = optionalColls()
		return o
	}
	partial := func(out string) *exporter.Result {
		res, err := exporter.ExportAccount(context.Background(), account(out))
		if !errors.Is(err, exporter.ErrPartial) {
			t.Fatalf("export: %v, want ErrPartial (daily_spo2 refused)", err)
		}
		return res
	}
	out := t.TempDir()
	partial(out)
	newUntil, created := w.srv.AdvanceChanges(4)
	w.until, _ = time.Parse(time.DateOnly, newUntil.String())
	chs := events(created)
	res, err := exporter.Refresh(context.Background(), account(out), chs)
	if err != nil {
		t.Fatal(err)
	}
	var refused int
	for _, c := range chs {
		if c.Collection == "daily_spo2" {
			refused++
			if !slices.Contains(res.Retry, c) {
				t.Errorf("%v: the server refuses daily_spo2, want it retried", c)
			}
		}
	}
	if refused == 0 || len(res.Retry) != refused || len(res.Applied) != len(chs)-refused {
		t.Errorf("%d daily_spo2 changes; %d retried, %d applied of %d", refused, len(res.Retry), len(res.Applied), len(chs))
	}
	if len(res.Meta.Notes) < 3 || !slices.Contains(res.Meta.Incomplete, "daily_spo2") {
		t.Errorf("notes %q, incomplete %v: want the two optional collections and daily_spo2", res.Meta.Notes, res.Meta.Incomplete)
	}
	fresh := t.TempDir()
	fres := partial(fresh)
	sameExport(t, out, res.Meta, fresh, fres.Meta)
}

// TestRefreshInterrupted: a refresh cancelled while it fetches leaves the
// outputs and MANIFEST.json as they were, reports nothing applied, and the
// same changes asked again bring the folder to a fresh export's.
func TestRefreshInterrupted(t *testing.T) {
	w := newWorld(t, "2024-02-01", "2024-03-10", nil)
	out := t.TempDir()
	w.exportAccount(t, out)
	before, manifest := dataFiles(t, out), readManifest(t, out)
	newUntil, created := w.srv.AdvanceChanges(2)
	w.until, _ = time.Parse(time.DateOnly, newUntil.String())
	chs := events(created)

	ctx, cancel := context.WithCancel(context.Background())
	o := w.account(t, out)
	o.Progress = func(*oura.Stats) exporter.Progress {
		return progressFunc(func() { cancel() }) // at the first page stored
	}
	res, err := exporter.Refresh(ctx, o, chs)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if res != nil && (len(res.Applied) > 0 || len(res.Retry) > 0) {
		t.Errorf("an interrupted refresh reports %d applied, %d to retry", len(res.Applied), len(res.Retry))
	}
	compareData(t, dataFiles(t, out), before)
	if m := readManifest(t, out); !m.CreatedAt.Equal(manifest.CreatedAt) {
		t.Error("an interrupted refresh rewrote MANIFEST.json")
	}
	noTemp(t, out)

	res, err = exporter.Refresh(context.Background(), w.account(t, out), chs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != len(chs) {
		t.Errorf("%d of %d changes applied", len(res.Applied), len(chs))
	}
	fresh := t.TempDir()
	fres := w.exportAccount(t, fresh)
	sameExport(t, out, res.Meta, fresh, fres.Meta)
	noTemp(t, out)
}

// noTemp fails if the export folder holds temporary files outside the store.
func noTemp(t *testing.T, out string) {
	t.Helper()
	filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(info.Name(), ".tmp-") && !strings.Contains(p, exporter.StoreDir) {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}

// TestRefreshNeedsAnExport: a folder without an export says what to do.
func TestRefreshNeedsAnExport(t *testing.T) {
	w := newWorld(t, "2024-03-01", "2024-03-10", nil)
	_, err := exporter.Refresh(context.Background(), w.account(t, t.TempDir()), nil)
	if err == nil || !strings.Contains(err.Error(), "run the export") {
		t.Fatalf("got %v, want ErrNoExport", err)
	}
}

// copyDir copies the folder from into to (which exists).
func copyDir(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if info.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		if info.Name() == "lock" {
			return nil
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, src); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}
