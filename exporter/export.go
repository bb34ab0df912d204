package exporter

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

// Options configure a whole export: fetch into the store, build the outputs.
type Options struct {
	Fetch FetchOptions
	// Sinks receive the rows; Root is the export folder where MANIFEST.json goes.
	Sinks []sinks.Sink
	Root  sinks.Dir
	// ToolVersion is recorded in the outputs.
	ToolVersion string
}

// Result is what an export did.
type Result struct {
	Fetch                                         *FetchResult
	Docs                                          map[string]int64 // documents per collection in the outputs
	Files                                         []sinks.File
	Warnings                                      []schema.Warning
	Elapsed                                       time.Duration
	Requests, Retries, RateLimited, Faults, Bytes int64
}

// Failed returns the collections that could not be fetched completely.
func (r *Result) Failed() []*CollectionResult {
	var out []*CollectionResult
	for _, c := range r.Fetch.Collections {
		if c.Err != nil {
			out = append(out, c)
		}
	}
	return out
}

// ErrPartial is returned (wrapped) when some collections could not be
// exported; the others are complete and committed.
var ErrPartial = errors.New("some collections could not be exported")

// ErrNothing is returned when nothing could be exported at all.
var ErrNothing = errors.New("nothing could be exported")

// Export fetches what the store lacks and writes every collection to the
// sinks, committing them and the manifest only when all is written. Sinks
// are closed (discarding their output) on failure. Outputs are built while
// fetching goes on: a collection is built as soon as it is complete.
func Export(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	res := &Result{}
	defer func() {
		for _, s := range o.Sinks {
			s.Close()
		}
	}()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	b := NewBuilder(ctx, BuildOptions{Store: o.Fetch.Store, Sinks: o.Sinks, Since: o.Fetch.Since, Until: o.Fetch.Until})
	ready := make(chan *Collection, len(o.Fetch.Collections)+2)
	var wg sync.WaitGroup
	var buildErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for c := range ready {
			if buildErr != nil {
				continue
			}
			if err := b.Collection(c); err != nil {
				buildErr = err
				cancel(err)
			}
		}
	}()
	fres, err := Fetch(ctx, o.Fetch, func(c *Collection) { ready <- c })
	close(ready)
	wg.Wait()
	if cerr := b.Close(); cerr != nil && buildErr == nil {
		buildErr = cerr
	}
	res.Fetch = fres
	st := o.Fetch.Client.Stats()
	res.Requests, res.Retries, res.RateLimited, res.Faults, res.Bytes = st.Requests.Load(), st.Retries.Load(), st.RateLimited.Load(), st.Faults.Load(), st.Bytes.Load()
	if buildErr != nil {
		return res, buildErr
	}
	if err != nil {
		return res, err
	}
	res.Docs = b.Docs()
	res.Warnings = b.Warnings()
	failed := res.Failed()
	var total int64
	for _, n := range res.Docs {
		total += n
	}
	if len(failed) == len(fres.Collections) && total == 0 {
		return res, fmt.Errorf("%w: %w", ErrNothing, failed[0].Err)
	}

	meta := sinks.Meta{
		ToolVersion:   o.ToolVersion,
		SchemaVersion: schema.Version,
		ExportedAt:    start.UTC(),
		Subject:       sinks.Subject{ID: fres.Account, Email: o.Fetch.Store.State.Email},
		Period: sinks.Period{Since: periodStart(o.Fetch.Store, fres).Format(time.DateOnly),
			Until: fres.Until.Format(time.DateOnly)},
		Counts: res.Docs,
	}
	var names []string
	for _, c := range o.Fetch.Collections {
		names = append(names, c.Name)
	}
	meta.Sources = append(meta.Sources, sinks.Source{Name: "Oura Cloud API v2", URL: o.Fetch.Client.BaseURL(), Collections: names})
	for _, f := range failed {
		meta.Notes = append(meta.Notes, fmt.Sprintf("%s is incomplete: %s", f.Collection.Name, Describe(f.Err)))
	}
	for _, s := range o.Sinks {
		files, err := s.Commit(ctx, meta)
		if err != nil {
			return res, fmt.Errorf("commit outputs: %w", err)
		}
		res.Files = append(res.Files, files...)
	}
	sort.Slice(res.Files, func(i, j int) bool { return res.Files[i].Path < res.Files[j].Path })
	if err := sinks.WriteManifest(o.Root, sinks.NewManifest(meta, res.Files)); err != nil {
		return res, fmt.Errorf("write manifest: %w", err)
	}
	res.Elapsed = time.Since(start)
	if len(failed) > 0 {
		return res, ErrPartial
	}
	return res, nil
}

// periodStart is the first day of the exported history.
func periodStart(st *Store, r *FetchResult) time.Time {
	if !st.State.Earliest.IsZero() && st.State.Earliest.After(r.Since) {
		return st.State.Earliest
	}
	return r.Since
}
