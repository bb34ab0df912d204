package exporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"

	"github.com/ouraexport/ouraexport/internal/atomicfile"
	"github.com/ouraexport/ouraexport/internal/oura"
)

// Options configure a whole export: fetch into the store, build the outputs.
type Options struct {
	Fetch FetchOptions
	// Sinks receive the rows; Root is the export folder where MANIFEST.json goes.
	Sinks []sinks.Sink
	Root  sinks.Dir
	// Tables are the tables the sinks were opened with (nil: OutputTables
	// of the collections fetched). Stored documents of other sources (v1,
	// imported files) reach the outputs only in these tables.
	Tables []*schema.Table
	// ToolVersion is recorded in the outputs.
	ToolVersion string
	// Registry is every collection the store may hold (catalog.All): the
	// stored documents of those not fetched this run (v1 after its
	// retirement, imported files) are merged into the outputs. Required.
	Registry *Registry
	// After, when set, is called once every sink has committed and before
	// MANIFEST.json is written (see AfterFunc).
	After AfterFunc
}

// AfterFunc writes more files into an export once its sinks have
// committed (its report): it gets the export's root, the files the sinks
// published and the meta, and returns the files it published through root,
// which MANIFEST.json then lists too. When it fails, the manifest is still
// written, listing the sinks' files, and the export returns its error.
type AfterFunc func(ctx context.Context, root sinks.Dir, files []sinks.File, meta sinks.Meta) ([]sinks.File, error)

// Result is what an export did.
type Result struct {
	Fetch                                         *FetchResult     // nil for Rebuild
	Docs                                          map[string]int64 // documents per collection in the outputs
	Files                                         []sinks.File
	Warnings                                      []schema.Warning
	Elapsed                                       time.Duration
	Requests, Retries, RateLimited, Faults, Bytes int64
	// RowsByGen counts the top-level rows in the outputs by the store
	// generation they came from (Builder.RowsByGen): for an import, what
	// each file became.
	RowsByGen map[int]map[string]int64
	// Meta is what the outputs say about the export.
	Meta sinks.Meta
}

// Failed returns the collections that could not be fetched completely,
// leaving out the optional ones the login may not read (Unavailable).
func (r *Result) Failed() []*CollectionResult {
	if r.Fetch == nil {
		return nil
	}
	var out []*CollectionResult
	for _, c := range r.Fetch.Collections {
		if c.Err != nil && !errors.Is(c.Err, ErrUnavailable) {
			out = append(out, c)
		}
	}
	return out
}

// Unavailable returns the optional collections that were not exported
// because the login may not read them (or the server does not serve
// them): reported, not failed (see UnavailableError).
func (r *Result) Unavailable() []*CollectionResult {
	if r.Fetch == nil {
		return nil
	}
	return r.Fetch.Unavailable()
}

// Unavailable returns the optional collections the login may not read.
func (r *FetchResult) Unavailable() []*CollectionResult {
	var out []*CollectionResult
	for _, c := range r.Collections {
		if errors.Is(c.Err, ErrUnavailable) {
			out = append(out, c)
		}
	}
	return out
}

// Raw returns the collections fetched this run that no table models: their
// documents are in the archive's raw/ folder only.
func (r *Result) Raw() []*CollectionResult {
	if r.Fetch == nil {
		return nil
	}
	var out []*CollectionResult
	for _, c := range r.Fetch.Collections {
		if c.Collection.Raw && c.Collection.API != APIImport {
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

// ErrRetired is matched (errors.Is) by a *RetiredError.
var ErrRetired = errors.New("the server no longer serves this API")

// RetiredError is the failure of every collection of an API the server no
// longer serves: before fetching, Export asks each API other than v2 once,
// and an answer of 404, 410 or 401 means it is gone (Oura switched v1 off).
// It does not match ErrUnauthorized: v2 may still accept the token.
type RetiredError struct {
	API    string
	Status int    // the HTTP status of the answer
	Path   string // the route asked
}

func (e *RetiredError) Error() string {
	return fmt.Sprintf("Oura API %s is retired: the server answered HTTP %d to %s; its data lives on only in files saved "+
		"while it ran: import them with 'ouraexport import FILE...'", e.API, e.Status, e.Path)
}

// Unwrap returns ErrRetired.
func (e *RetiredError) Unwrap() error { return ErrRetired }

// Export fetches what the store lacks and writes every collection to the
// sinks, committing them and the manifest only when all is written. Sinks
// are closed (discarding their output) on failure. Outputs are built while
// fetching goes on: a v2 collection is built as soon as it is complete;
// collections of other APIs, and the v1 and imported documents the store
// holds from earlier runs, are merged under them once all v2 is in.
func Export(ctx context.Context, o Options) (*Result, error) { return export(ctx, o, nil) }

// fetchFunc is the fetching half of an export: Fetch, or Refresh's fetch
// of just what changed. It calls onDone as each collection is complete.
type fetchFunc func(ctx context.Context, o FetchOptions, onDone func(*Collection)) (*FetchResult, error)

// export is Export with fetch as its fetching half; nil is Fetch, after
// asking each API other than v2 whether the server retired it.
func export(ctx context.Context, o Options, fetch fetchFunc) (*Result, error) {
	start := time.Now()
	res := &Result{}
	defer func() {
		for _, s := range o.Sinks {
			s.Close()
		}
	}()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if o.Registry == nil {
		return res, errors.New("exporter: Options.Registry is nil: pass the collections the store may hold (catalog.All)")
	}
	st := o.Fetch.Store
	tables := o.Tables
	if tables == nil {
		for _, c := range o.Fetch.Collections {
			if c.API != APIv2 {
				// Its tables are not those its name gives: the sinks must have been opened with OutputTables.
				return res, fmt.Errorf("export of %s: Options.Tables must name the tables the outputs were opened with (OutputTables)", c.Name)
			}
		}
		tables = OutputTables(o.Fetch.Collections)
	}

	// An API the server retired fails as a whole, plainly.
	retired := map[*Collection]*RetiredError{}
	var err error
	if fetch == nil {
		fetch = Fetch
		if retired, err = probeAPIs(ctx, o.Fetch.Client, o.Fetch.Collections); err != nil {
			return res, err
		}
	}
	fo := o.Fetch
	fo.Collections = slices.DeleteFunc(slices.Clone(o.Fetch.Collections), func(c *Collection) bool { return retired[c] != nil })

	b := NewBuilder(ctx, BuildOptions{Store: st, Sinks: o.Sinks, Since: fo.Since, Until: fo.Until, Tables: tables})
	ready := make(chan *Collection, len(fo.Collections)+2)
	var wg sync.WaitGroup
	var buildErr error
	var later []*Collection
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Of the collections complete, build the largest first.
		var waiting []*Collection
		open := true
		for open || len(waiting) > 0 {
			if len(waiting) == 0 {
				c, ok := <-ready
				if !ok {
					break
				}
				waiting = append(waiting, c)
			}
			for more := open; more; {
				select {
				case c, ok := <-ready:
					if !ok {
						open, more = false, false
						continue
					}
					waiting = append(waiting, c)
				default:
					more = false
				}
			}
			var c *Collection
			c, waiting = largestFirst(st, waiting)
			if buildErr != nil {
				continue
			}
			if c.API != APIv2 {
				later = append(later, c) // merged once every v2 collection is built
				continue
			}
			if err := b.Collection(c); err != nil {
				buildErr = err
				cancel(err)
			}
		}
	}()
	var fres *FetchResult
	if len(fo.Collections) > 0 {
		fres, err = fetch(ctx, fo, func(c *Collection) { ready <- c })
	} else {
		fres = &FetchResult{Until: fo.Until, Account: st.State.Account}
		if fres.Until.IsZero() {
			fres.Until = dayOf(time.Now())
		}
	}
	close(ready)
	wg.Wait()
	if fres != nil {
		fres.Collections = withRetired(o.Fetch.Collections, fres.Collections, retired)
	}
	res.Fetch = fres
	if err == nil && buildErr == nil {
		// A retired API's documents stored by earlier runs are built like any
		// stored source: fetched is what was asked of the server this run.
		buildErr = b.lowerSources(o.Registry, fo.Collections, later)
	}
	if cerr := b.Close(); cerr != nil && buildErr == nil {
		buildErr = cerr
	}
	if c := fo.Client; c != nil {
		st := c.Stats()
		res.Requests, res.Retries, res.RateLimited, res.Faults, res.Bytes = st.Requests.Load(), st.Retries.Load(), st.RateLimited.Load(), st.Faults.Load(), st.Bytes.Load()
	}
	if buildErr != nil {
		return res, buildErr
	}
	if err != nil {
		return res, err
	}
	res.Docs = b.Docs()
	res.Warnings = b.Warnings()
	res.RowsByGen = b.RowsByGen()
	failed := res.Failed()
	var total int64
	for _, n := range res.Docs {
		total += n
	}
	if len(failed) > 0 && len(failed)+len(res.Unavailable()) == len(fres.Collections) && total == 0 {
		return res, fmt.Errorf("%w: %w", ErrNothing, failed[0].Err)
	}

	meta := sinks.Meta{
		ToolVersion:   o.ToolVersion,
		SchemaVersion: schema.Version,
		ExportedAt:    start.UTC(),
		Subject:       sinks.Subject{ID: fres.Account, Email: st.State.Email},
		Period: sinks.Period{Since: periodStart(st, fres).Format(time.DateOnly),
			Until: fres.Until.Format(time.DateOnly)},
		Counts: res.Docs,
	}
	base := ""
	if fo.Client != nil {
		base = fo.Client.BaseURL()
	}
	meta.Sources, err = sources(st, o.Fetch.Collections, o.Registry.Collections(), base, res.Docs)
	if err != nil {
		return res, err
	}
	for _, f := range failed {
		meta.Notes = append(meta.Notes, fmt.Sprintf("%s is incomplete: %s", f.Collection.Name, Describe(f.Err)))
		meta.Incomplete = append(meta.Incomplete, f.Collection.Name)
	}
	meta.Notes = append(meta.Notes, driftNotes(res, o.Sinks)...)
	if err := commit(ctx, o.Sinks, o.Root, meta, res, o.After); err != nil {
		return res, err
	}
	res.Elapsed = time.Since(start)
	if len(failed) > 0 {
		return res, ErrPartial
	}
	return res, nil
}

// lowerSources builds, once every v2 collection is in, the collections of
// other APIs fetched this run (later, in the order fetched), then the
// stored collections of other APIs that were not fetched, then imports.
func (b *Builder) lowerSources(reg *Registry, fetched, later []*Collection) error {
	order := map[*Collection]int{}
	for i, c := range fetched {
		order[c] = i
	}
	slices.SortStableFunc(later, func(x, y *Collection) int { return order[x] - order[y] })
	for _, c := range later {
		if err := b.Collection(c); err != nil {
			return err
		}
	}
	isFetched := map[string]bool{}
	for _, c := range fetched {
		isFetched[c.API+"/"+c.Name] = true
	}
	var apis, imports []*Collection
	for _, c := range reg.Collections() {
		switch {
		case c.API == APIv2 || isFetched[c.API+"/"+c.Name]:
			// v2 is built from what was asked this run; others only merge under it.
		case c.API == APIImport:
			imports = append(imports, c)
		default:
			apis = append(apis, c)
		}
	}
	stored, err := Stored(b.o.Store, apis)
	if err != nil {
		return err
	}
	for _, c := range stored {
		if err := b.Collection(c); err != nil {
			return err
		}
	}
	if imports, err = Stored(b.o.Store, imports); err != nil || len(imports) == 0 {
		return err
	}
	return b.Imports(imports)
}

// commit commits every sink, calls after, and writes the manifest. An
// error of after is returned once the manifest of the sinks' files is written.
func commit(ctx context.Context, outs []sinks.Sink, root sinks.Dir, meta sinks.Meta, res *Result, after AfterFunc) error {
	for _, s := range outs {
		files, err := s.Commit(ctx, meta)
		if err != nil {
			return fmt.Errorf("commit outputs: %w", err)
		}
		res.Files = append(res.Files, files...)
	}
	var afterErr error
	if after != nil {
		more, err := after(ctx, root, slices.Clone(res.Files), meta)
		if err != nil {
			afterErr = err
		} else {
			res.Files = append(res.Files, more...)
		}
	}
	sort.Slice(res.Files, func(i, j int) bool { return res.Files[i].Path < res.Files[j].Path })
	if err := sinks.WriteManifest(root, sinks.NewManifest(meta, res.Files)); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	res.Meta = meta
	return afterErr
}

// probeAPIs asks each API other than v2 once, with its first collection
// that is not a bare document, and returns the collections of those the
// server answered 404, 410 or 401.
func probeAPIs(ctx context.Context, client *oura.Client, colls []*Collection) (map[*Collection]*RetiredError, error) {
	out := map[*Collection]*RetiredError{}
	probed := map[string]*RetiredError{}
	for _, c := range colls {
		if c.API == APIv2 || c.API == APIImport || client == nil {
			continue
		}
		re, done := probed[c.API]
		if !done {
			var err error
			if re, err = probe(ctx, client, colls, c.API); err != nil {
				return nil, err
			}
			probed[c.API] = re
		}
		if re != nil {
			out[c] = re
		}
	}
	return out, nil
}

func probe(ctx context.Context, client *oura.Client, colls []*Collection, api string) (*RetiredError, error) {
	// A route with an envelope of its own tells the API from another
	// server's JSON best: a bare object (v1's userinfo) could be anything.
	var c *Collection
	for _, x := range colls {
		if x.API == api && (c == nil || c.Kind == Single && x.Kind != Single) {
			c = x
		}
	}
	var q = map[string][]string{}
	if c.Query != nil && c.Kind != Single {
		today := dayOf(time.Now())
		q = c.Query(today.AddDate(0, 0, -1), today)
	}
	_, err := client.Get(ctx, c.Path, q, func(body []byte) error {
		_, _, err := c.accept(body)
		return err
	})
	var ae *oura.APIError
	switch {
	case err == nil:
		return nil, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusGone || ae.Status == http.StatusUnauthorized):
		return &RetiredError{API: api, Status: ae.Status, Path: c.Path}, nil
	case fatal(err):
		return nil, err
	}
	return nil, nil // anything else: the fetch meets it and reports it per collection
}

// withRetired puts the results of the retired collections back in the
// order of all. Results are matched by API and name: Fetch reports a raw
// collection by the copy it settled.
func withRetired(all []*Collection, got []*CollectionResult, retired map[*Collection]*RetiredError) []*CollectionResult {
	if len(retired) == 0 {
		return got
	}
	by := map[string]*CollectionResult{}
	for _, r := range got {
		by[registryKey(r.Collection.API, r.Collection.Name)] = r
	}
	var out []*CollectionResult
	for _, c := range all {
		switch r := by[registryKey(c.API, c.Name)]; {
		case r != nil:
			out = append(out, r)
		case retired[c] != nil:
			out = append(out, &CollectionResult{Collection: c, Err: retired[c]})
		}
	}
	return out
}

// periodStart is the first day of the exported history.
func periodStart(st *Store, r *FetchResult) time.Time {
	if !st.State.Earliest.IsZero() && st.State.Earliest.After(r.Since) {
		return st.State.Earliest
	}
	return r.Since
}

// sources describes where the outputs' records came from: the APIs of the
// collections built (fetched this run or stored before) and the files imported.
func sources(st *Store, fetched, known []*Collection, base string, docs map[string]int64) ([]sinks.Source, error) {
	var out []sinks.Source
	apiColls := map[string][]string{}
	var apis []string
	add := func(c *Collection) {
		if c.API == APIImport {
			return
		}
		if _, ok := apiColls[c.API]; !ok {
			apis = append(apis, c.API)
		}
		if !slices.Contains(apiColls[c.API], c.Name) {
			apiColls[c.API] = append(apiColls[c.API], c.Name)
		}
	}
	for _, c := range fetched {
		add(c)
	}
	for _, c := range append(V2Collections(nil), known...) {
		if docs[c.Name] > 0 {
			add(c)
		}
	}
	for _, api := range apis {
		out = append(out, sinks.Source{Name: "Oura Cloud API " + api, URL: base, Collections: apiColls[api]})
	}
	recs, err := Imports(st)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		out = append(out, sinks.Source{Name: r.Kind, URL: r.File, Collections: r.Collections})
	}
	return out, nil
}

// ImportRecord is one file an import stored, kept in the store
// (imports.json) so that every later build names its sources.
type ImportRecord struct {
	// File is the file as the user named it (a zip entry as zip!entry).
	File string `json:"file"`
	// Kind says what the file is ("Oura Cloud trends CSV").
	Kind   string `json:"kind"`
	SHA256 string `json:"sha256"`
	// Gen is the generation of the segments it was stored in.
	Gen         int       `json:"gen"`
	Imported    time.Time `json:"imported"`
	Collections []string  `json:"collections,omitempty"`
	Docs        int       `json:"documents"`
}

const importsFile = "imports.json"

// Imports returns the files imported into the store so far, oldest first.
func Imports(st *Store) ([]ImportRecord, error) {
	b, err := os.ReadFile(filepath.Join(st.Dir(), importsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the import log: %w", err)
	}
	var recs []ImportRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, fmt.Errorf("%w: %s is not valid JSON (%v)", ErrStoreFormat, filepath.Join(st.Dir(), importsFile), err)
	}
	return recs, nil
}

// RecordImports appends recs to the store's import log, atomically.
func RecordImports(st *Store, recs []ImportRecord) error {
	old, err := Imports(st)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(append(old, recs...), "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(st.Dir(), importsFile), append(b, '\n'))
}
