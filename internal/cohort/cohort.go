// Package cohort exports many Oura accounts at once, as a research study
// needs: the participants of an accounts file (ReadAccounts), or the part of
// them one machine owns (Shard, a stable split for n machines such as the
// pods of a Kubernetes Indexed Job), into one dataset that reads as a whole
// with Hive partitioning:
//
//	participant=<id>/<table>/year=<yyyy>/part-0.parquet
//	participant=<id>/csv/<table>/year=<yyyy>/part-0.csv
//	participant=<id>/oura-export-<id>.zip
//	participant=<id>/MANIFEST.json
//	_cohort/shard-<i>-of-<n>.json
//
// Every participant has their own token, API client and rate limiter, their
// own resumable store and their own manifest; all share one pool of workers
// (exporter.FetchOptions.Gate), and the participants of one application
// (OAuth client) share its rate limiter: a 429 of the application's tier
// pauses them all together, and the budget it states paces them all, while
// a token's own 429 pauses only that participant (oura.ClientOptions.App). A participant's failure is recorded and the
// others go on. The cohort manifest of the shard is written last. Verify and
// VerifyDir check a cohort's folder or bucket.
package cohort

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/auth"
	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/sinks"
)

// Options configure a cohort run. Run checks them with Validate.
type Options struct {
	// Accounts are the participants to export (one shard's).
	Accounts []Account
	// Shard is the part of the cohort they are, for the manifest.
	Shard Shard
	// Root is the cohort's output folder; its _cohort/ gets the manifest.
	Root sinks.Dir
	// Open returns the export root of a participant's folder (Account.Folder):
	// a Dir whose published paths are relative to that folder.
	Open func(folder string) (sinks.Dir, error)
	// State is the local folder of the participants' stores:
	// <State>/participant=<id>/.ouraexport.
	State string
	// Account is the template of every participant's export: the API
	// client (Tokens is set from the participant's token file; a nil HTTP
	// client is replaced by one all participants share), the fetch (Gate,
	// Progress set per participant; Workers is the size of the pool all
	// participants share, default 4), the formats (Parquet and CSV are
	// partitioned by year), the sink options (SpoolDir: a local folder for
	// the archive's spool files), the registry and the tool version. State,
	// Out and FormatDir are set per participant.
	Account exporter.AccountOptions
	// Tokens, when set, returns the token source of a participant (a saved
	// login that renews itself, say); nil reads a plain access token from
	// the token file (ReadToken).
	Tokens func(ctx context.Context, a Account) (oura.TokenSource, error)
	// Export exports one participant (nil: exporter.ExportAccount).
	Export func(context.Context, exporter.AccountOptions) (*exporter.Result, error)
	// Parallel is how many participants are exported at once (default:
	// Workers+1, at most the number of participants): enough that the
	// pool stays busy while some participants identify their account or
	// write their files.
	Parallel int
	// Progress, when set, returns the progress reporter of a participant.
	Progress func(Account) exporter.Progress
	// Done, when set, is called as each participant finishes (one call at a time).
	Done func(*Participant)
}

// Validate reports the first problem with o, or nil.
func (o *Options) Validate() error {
	switch {
	case o.Root == nil || o.Open == nil:
		return errors.New("cohort: no output folder")
	case o.State == "":
		return errors.New("cohort: no state folder")
	case len(o.Account.Formats) == 0 && !o.Account.Fetch.DryRun:
		return errors.New("cohort: no output format")
	case o.Parallel < 0 || o.Account.Fetch.Workers < 0:
		return errors.New("cohort: negative parallelism")
	case o.Shard.Count > 1 && (o.Shard.Index < 0 || o.Shard.Index >= o.Shard.Count):
		return fmt.Errorf("cohort: shard %s does not exist", o.Shard)
	}
	seen := map[string]bool{}
	for _, a := range o.Accounts {
		if !ValidID(a.ID) || seen[strings.ToLower(a.ID)] {
			return fmt.Errorf("cohort: participant id %q is invalid or repeated", clip(a.ID))
		}
		seen[strings.ToLower(a.ID)] = true
	}
	for _, f := range o.Account.Formats {
		if !slices.Contains(sinks.Names(), f) {
			return fmt.Errorf("cohort: unknown output format %q (known: %s)", f, strings.Join(sinks.Names(), ", "))
		}
	}
	return nil
}

// Participant is how one participant's export went.
type Participant struct {
	Account Account
	Status  Status
	// Err is why the export failed (Failed) or which collections could not
	// be exported (Partial, wrapping exporter.ErrPartial).
	Err error
	// Export is the engine's result; nil when it did not get that far.
	Export *exporter.Result
	// Plan is a dry run's plan.
	Plan *exporter.FetchResult
	// Manifest is the participant's MANIFEST.json as published, its path
	// relative to the cohort root.
	Manifest *sinks.File
	// Rows is the number of rows exported (of one format).
	Rows    int64
	Elapsed time.Duration
}

// Result is what a cohort run did.
type Result struct {
	// Participants are in the order of Options.Accounts.
	Participants []*Participant
	// Manifest is the cohort manifest as written (zero for a dry run or an
	// interrupted run).
	Manifest Manifest
	Elapsed  time.Duration
}

// Count returns how many participants ended with status s.
func (r *Result) Count(s Status) int {
	n := 0
	for _, p := range r.Participants {
		if p.Status == s {
			n++
		}
	}
	return n
}

// Rows returns the rows exported, over all participants.
func (r *Result) Rows() int64 {
	var n int64
	for _, p := range r.Participants {
		n += p.Rows
	}
	return n
}

// Requests returns the API requests made, over all participants.
func (r *Result) Requests() int64 {
	var n int64
	for _, p := range r.Participants {
		if p.Export != nil {
			n += p.Export.Requests
		}
	}
	return n
}

// Errors Run returns; main maps them to exit codes.
var (
	// ErrPartial: some participants failed or are partial; the others are
	// complete, and the cohort manifest records every one.
	ErrPartial = errors.New("some participants could not be exported completely")
	// ErrNothing: every participant failed.
	ErrNothing = errors.New("no participant could be exported")
)

// Run exports the participants of o (or, for a dry run, plans their
// exports). It returns ErrPartial (wrapped) when some participants are
// partial or failed, ErrNothing when all failed,
// the context's error when interrupted (then no cohort manifest is
// written: run again to resume, every participant from its store), and
// other errors when the cohort manifest cannot be written.
func Run(ctx context.Context, o Options) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	r := newRunner(o)
	o = r.o
	res := &Result{Participants: make([]*Participant, len(o.Accounts))}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Parallel)
	for i, a := range o.Accounts {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			p := r.export(gctx, a, o.Export)
			res.Participants[i] = p
			if o.Done != nil {
				r.doneMu.Lock()
				o.Done(p)
				r.doneMu.Unlock()
			}
			return nil // a participant's failure is theirs alone
		})
	}
	g.Wait()
	res.Elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		res.Participants = slices.DeleteFunc(res.Participants, func(p *Participant) bool { return p == nil })
		return res, fmt.Errorf("cohort interrupted: %w", err)
	}
	if o.Account.Fetch.DryRun {
		// A plan is as complete as the export it plans: a participant
		// whose collections could not all be planned is partial.
		for _, p := range res.Participants {
			if p.Status != Complete || p.Plan == nil {
				continue
			}
			var names []string
			for _, c := range p.Plan.Collections {
				if c.Err != nil {
					names = append(names, c.Collection.Name+" ("+exporter.Describe(c.Err)+")")
				}
			}
			if len(names) > 0 {
				p.Status = Partial
				p.Err = fmt.Errorf("%w: the plan is incomplete: %s", exporter.ErrPartial, strings.Join(names, "; "))
			}
		}
		return res, outcome(res)
	}
	res.Manifest = r.manifest(res)
	if err := WriteManifest(o.Root, res.Manifest); err != nil {
		return res, err
	}
	return res, outcome(res)
}

// outcome is Run's error for what the participants' exports (or plans)
// came to.
func outcome(res *Result) error {
	switch failed, partial := res.Count(Failed), res.Count(Partial); {
	case len(res.Participants) == 0:
		return nil // a shard that owns no participant
	case failed == len(res.Participants):
		return fmt.Errorf("%w: %d participants, all failed; the first: %s: %w", ErrNothing, failed, res.Participants[0].Account.ID, res.Participants[0].Err)
	case failed+partial > 0:
		return fmt.Errorf("%w: %d of %d participants failed, %d are partial; the others are complete",
			ErrPartial, failed, len(res.Participants), partial)
	}
	return nil
}

// newRunner fills in o's defaults (the pool, the participants exported at
// once, a shared HTTP client) and returns the state of a run.
func newRunner(o Options) *runner {
	workers := &o.Account.Fetch.Workers
	if *workers == 0 {
		*workers = 4
	}
	if o.Parallel == 0 {
		o.Parallel = *workers + 1
	}
	o.Parallel = max(1, min(o.Parallel, len(o.Accounts)))
	if o.Account.Client.HTTP == nil {
		o.Account.Client.HTTP = sharedHTTP(*workers, o.Account.Client.Timeout)
	}
	if o.Export == nil {
		o.Export = exporter.ExportAccount
	}
	return &runner{o: o, gate: newGate(*workers), apps: map[string]*oura.Limiter{}}
}

// runner is the state of one Run.
type runner struct {
	o      Options
	gate   gate
	doneMu sync.Mutex
	appMu  sync.Mutex
	apps   map[string]*oura.Limiter // by OAuth client id
}

// appLimiter returns the rate limiter of the application whose token
// tokens supplies: a saved login names its client; a plain access token
// does not, and its participants are taken to share the cohort's one
// application (the common case: one study, one app). A limiter the
// template already holds is every participant's.
func (r *runner) appLimiter(tokens oura.TokenSource) *oura.Limiter {
	if l := r.o.Account.Client.App; l != nil {
		return l
	}
	client := ""
	if l, ok := tokens.(interface{ Login() auth.Token }); ok {
		client = l.Login().ClientID
	}
	r.appMu.Lock()
	defer r.appMu.Unlock()
	l := r.apps[client]
	if l == nil {
		l = oura.NewApplicationLimiter()
		r.apps[client] = l
	}
	return l
}

// sharedHTTP returns the HTTP client all participants share, so that
// connections to the API are pooled across them.
func sharedHTTP(workers int, timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(64, 2*workers)
	t.ResponseHeaderTimeout = timeout
	return &http.Client{Transport: t}
}

// export runs one participant's export with export (Options.Export, or
// a watch's refresh); every failure stays in the result.
func (r *runner) export(ctx context.Context, a Account, export func(context.Context, exporter.AccountOptions) (*exporter.Result, error)) *Participant {
	p := &Participant{Account: a, Status: Failed}
	start := time.Now()
	defer func() { p.Elapsed = time.Since(start) }()
	if err := r.exportInto(ctx, p, export); err != nil {
		p.Err = err
		if errors.Is(err, exporter.ErrPartial) && p.Manifest != nil {
			p.Status = Partial
		}
		return p
	}
	p.Status = Complete
	return p
}

func (r *runner) exportInto(ctx context.Context, p *Participant, export func(context.Context, exporter.AccountOptions) (*exporter.Result, error)) error {
	o := r.o
	a := p.Account
	var tokens oura.TokenSource
	if o.Tokens != nil {
		src, err := o.Tokens(ctx, a)
		if err != nil {
			return err
		}
		tokens = src
	} else {
		tok, err := ReadToken(a.TokenFile)
		if err != nil {
			return err
		}
		tokens = oura.StaticToken(tok)
	}
	ao := o.Account
	ao.Client.Tokens = tokens
	ao.Client.App = r.appLimiter(tokens)
	ao.State = filepath.Join(o.State, a.Folder())
	ao.Fetch.Gate = r.gate
	if o.Progress != nil {
		ao.Fetch.Progress = o.Progress(a)
	}
	var rec *recorder
	ao.Out = func() (sinks.Dir, error) {
		root, err := o.Open(a.Folder())
		if err != nil {
			return nil, fmt.Errorf("open output folder %s: %w", a.Folder(), err)
		}
		rec = &recorder{Dir: root}
		return rec, nil
	}
	ao.FormatDir = formatDir
	ao.Sink.Partition = true
	ao.Sink.Name = "oura-export-" + a.ID
	ao.Sink.MemoryBudget = max(4<<20, int64(sinks.DefaultMemoryBudget)/int64(o.Parallel))
	open := ao.OpenSink
	if open == nil {
		open = sinks.Open
	}
	ao.OpenSink = func(format string, so sinks.Options) (sinks.Sink, error) {
		sk, err := open(format, so)
		if err != nil {
			return nil, err
		}
		return label(sk, a.ID), nil
	}
	res, err := export(ctx, ao)
	if ao.Fetch.DryRun {
		if res != nil {
			p.Plan = res.Fetch
		}
		return err
	}
	p.Export = res
	if rec != nil && rec.manifest != nil {
		m := *rec.manifest
		m.Path = path.Join(a.Folder(), m.Path)
		p.Manifest = &m
	}
	if res != nil {
		p.Rows = rows(res.Files)
	}
	if err != nil && errors.Is(err, exporter.ErrPartial) && res != nil && res.Fetch != nil {
		var names []string
		for _, c := range res.Failed() {
			names = append(names, c.Collection.Name+" ("+exporter.Describe(c.Err)+")")
		}
		return fmt.Errorf("%w: %s", err, strings.Join(names, "; "))
	}
	if err != nil && res != nil && res.Fetch != nil && errors.Is(err, exporter.ErrNothing) {
		if failed := res.Failed(); len(failed) > 0 {
			return fmt.Errorf("nothing could be exported: %s", exporter.Describe(failed[0].Err))
		}
	}
	return err
}

// CSVFolder is the folder of a participant's CSV files. Parquet files are
// at the top of the participant's folder, in the layout
// (<table>/year=<yyyy>/part-0.parquet); CSV files go below csv/ with the
// same layout so that each table's folders hold one format only: Spark and
// Trino read every file of a folder they are given.
const CSVFolder = "csv"

// formatDir returns the folder of a participant's files of a format.
func formatDir(root sinks.Dir, format string) sinks.Dir {
	if format == "csv" {
		return root.Sub(CSVFolder)
	}
	return root
}

// rows returns the rows of an export's files, counting one format: the
// one with the most (each format holds every row).
func rows(files []sinks.File) int64 {
	per := map[string]int64{}
	for _, f := range files {
		per[path.Ext(f.Path)] += f.Rows
	}
	var n int64
	for _, r := range per {
		n = max(n, r)
	}
	return n
}

// manifest returns the cohort manifest of a finished run.
func (r *runner) manifest(res *Result) Manifest {
	var entries []Entry
	for _, p := range res.Participants {
		entries = append(entries, entryOf(p))
	}
	return summarize(r.header(res.Elapsed), entries)
}

// header is the cohort manifest of the run's shard, made now and taking
// elapsed, before its entries.
func (r *runner) header(elapsed time.Duration) Manifest {
	return Manifest{Version: ManifestVersion, Tool: sinks.Tool, ToolVersion: r.o.Account.ToolVersion, CreatedAt: time.Now().UTC(),
		Shard: ShardInfo{Index: r.o.Shard.Index, Count: max(r.o.Shard.Count, 1)}, Seconds: elapsed.Seconds()}
}

// entryOf is a participant's entry in the cohort manifest.
func entryOf(p *Participant) Entry {
	e := Entry{ID: p.Account.ID, Folder: p.Account.Folder(), Status: p.Status, Rows: p.Rows, Seconds: p.Elapsed.Seconds(), Manifest: p.Manifest}
	if p.Err != nil {
		e.Error = Describe(p.Err)
	}
	if x := p.Export; x != nil {
		e.Files, e.Requests = len(x.Files), x.Requests
		if f := x.Fetch; f != nil {
			e.Account = f.Account
			if !f.Since.IsZero() {
				e.Since = f.Since.Format(time.DateOnly)
			}
			if !f.Until.IsZero() {
				e.Until = f.Until.Format(time.DateOnly)
			}
			for _, c := range x.Failed() {
				e.Incomplete = append(e.Incomplete, c.Collection.Name)
			}
		}
	}
	if e.Status == Failed {
		e.Manifest, e.Files, e.Rows = nil, 0, 0
	}
	return e
}

// summarize completes m with the participants' entries: counts, totals
// and notes.
func summarize(m Manifest, entries []Entry) Manifest {
	accounts := map[string][]string{}
	for _, e := range entries {
		if e.Account != "" {
			accounts[e.Account] = append(accounts[e.Account], e.ID)
		}
		switch e.Status {
		case Complete:
			m.Complete++
		case Partial:
			m.Partial++
		default:
			m.Failed++
		}
		m.Files += e.Files
		m.Rows += e.Rows
		m.Participants = append(m.Participants, e)
	}
	sort.Slice(m.Participants, func(i, j int) bool { return m.Participants[i].ID < m.Participants[j].ID })
	for acct, ids := range accounts {
		if len(ids) > 1 {
			slices.Sort(ids)
			m.Notes = append(m.Notes, fmt.Sprintf("participants %s are the same Oura account (%s): check their token files", strings.Join(ids, ", "), acct))
		}
	}
	slices.Sort(m.Notes)
	return m
}

// Describe returns a one-line explanation of a participant's failure.
func Describe(err error) string {
	switch {
	case errors.Is(err, oura.ErrUnauthorized):
		return "the access token was rejected (HTTP 401): renew the participant's token file"
	case errors.Is(err, exporter.ErrOtherAccount):
		return "the token belongs to another Oura account than this participant's earlier exports: check the token file"
	}
	return exporter.Describe(err)
}

// recorder is a Dir that remembers the MANIFEST.json published through it.
type recorder struct {
	sinks.Dir
	mu       sync.Mutex
	manifest *sinks.File
}

func (d *recorder) Create(name string) (sinks.FileWriter, error) {
	w, err := d.Dir.Create(name)
	if err != nil || name != sinks.ManifestName {
		return w, err
	}
	return &recordedFile{FileWriter: w, d: d}, nil
}

type recordedFile struct {
	sinks.FileWriter
	d *recorder
}

func (w *recordedFile) Commit() (sinks.File, error) {
	f, err := w.FileWriter.Commit()
	if err == nil {
		w.d.mu.Lock()
		w.d.manifest = &f
		w.d.mu.Unlock()
	}
	return f, err
}

// label wraps a sink so that its outputs name the participant
// (sinks.Subject.Account): the archive's README says whose data it is.
func label(s sinks.Sink, id string) sinks.Sink {
	l := labelled{Sink: s, id: id}
	if raw, ok := s.(sinks.RawSink); ok {
		return labelledRaw{labelled: l, RawSink: raw}
	}
	return l
}

type labelled struct {
	sinks.Sink
	id string
}

func (s labelled) Commit(ctx context.Context, meta sinks.Meta) ([]sinks.File, error) {
	meta.Subject.Account = s.id
	return s.Sink.Commit(ctx, meta)
}

type labelledRaw struct {
	labelled
	sinks.RawSink
}
