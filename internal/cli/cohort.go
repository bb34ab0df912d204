package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/auth"
	"github.com/ouraexport/ouraexport/internal/cohort"
	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/internal/report"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/s3"
)

// cohortNotes documents cohorts and object stores in export's help, after
// the flags.
const cohortNotes = `Cohorts: with --accounts, every participant is exported into
--out/participant=<id>/ with Parquet and CSV partitioned by year
(<table>/year=<yyyy>/part-0.parquet, csv/<table>/year=<yyyy>/part-0.csv), so
that the cohort reads as one Hive dataset, plus their archive and
MANIFEST.json; _cohort/shard-<i>-of-<n>.json records each participant's
status. --workers is one pool shared by all
participants; each has their own token and rate limit. A participant who
fails does not stop the others (exit status 3). Token files named by a
relative path are found beside the accounts file.

Object stores: --out s3://bucket/prefix writes there directly, each file
appearing whole at once, MANIFEST.json last. Credentials come from
$AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY and $AWS_SESSION_TOKEN (else
~/.aws/credentials or the machine's role), the region from $AWS_REGION.`

// cohortFlags are the export flags of cohorts and object stores.
type cohortFlags struct {
	accounts string
	shard    string
	state    string
	endpoint string
}

// register adds the flags to the export command's flag set.
func (c *cohortFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.accounts, "accounts", "", "export a cohort: one participant per line, \"id token_file\"\n(see below)")
	fs.StringVar(&c.shard, "shard", "", "export only shard I (0-based) of N of the accounts; auto/N\n"+
		"takes I from $JOB_COMPLETION_INDEX (Kubernetes Indexed Job)")
	fs.StringVar(&c.state, "state", "", "where the resumable state lives (default: --out itself; for\n"+
		"an s3:// --out, a folder in your cache folder)")
	fs.StringVar(&c.endpoint, "s3-endpoint", "", "S3-compatible server (default $AWS_ENDPOINT_URL_S3,\n$AWS_ENDPOINT_URL, else Amazon S3)")
	flagArgs(fs, "accounts=FILE", "shard=I/N", "state=DIR", "s3-endpoint=URL")
}

// wanted reports whether the export must go through runCohort: a cohort,
// or an output in an object store.
func (c *cohortFlags) wanted(out string) bool {
	return c.accounts != "" || c.shard != "" || c.state != "" || c.endpoint != "" || s3.IsURL(out)
}

// runCohort runs an export with --accounts, or into an s3:// --out.
func runCohort(ctx context.Context, o exportOptions, s Streams) error {
	const cmd = "export"
	c := o.cohort
	remote := s3.IsURL(o.out)
	switch {
	case c.shard != "" && c.accounts == "":
		return usagef(cmd, "--shard splits the accounts of --accounts FILE; give --accounts too")
	case c.state != "" && c.accounts == "" && !remote:
		return usagef(cmd, "--state is for --accounts or an s3:// --out; a local export keeps its state in --out")
	case c.endpoint != "" && !remote:
		return usagef(cmd, "--s3-endpoint is for an s3://bucket/prefix --out")
	case c.accounts != "" && o.tokenFile != "":
		return usagef(cmd, "with --accounts every participant's token comes from the accounts file; drop --token-file")
	}
	if c.accounts == "" {
		return runRemoteExport(ctx, o, s)
	}
	accts, err := cohort.ReadAccounts(c.accounts)
	if err != nil {
		return fmt.Errorf("%w: --accounts %w", ErrBadInput, err)
	}
	shard, err := cohort.ParseShard(c.shard, os.Getenv)
	if err != nil {
		return usagef(cmd, "--shard: %v", err)
	}
	mine := shard.Select(accts)
	log := newLogger(s.Err, o.logFormat)

	out, err := openCohortOutput(ctx, o)
	if err != nil {
		return err
	}
	defer out.close()
	base, stop, err := cohortSource(o, accts)
	if err != nil {
		return err
	}
	defer stop()
	sel, err := selectCollections(o)
	if err != nil {
		return err
	}
	reg, colls := sel.reg, sel.colls
	if !o.quiet {
		for _, n := range sel.notes {
			log.Info(n)
		}
		log.Info("cohort", "participants", len(mine), "of", len(accts), "shard", shard.String(), "out", o.out, "workers", o.workers)
	}
	done := 0
	account := o.account(base, reg, colls)
	account.Sink.SpoolDir = out.spool
	res, err := cohort.Run(ctx, cohort.Options{
		Accounts: mine, Shard: shard, Root: out.root, Open: out.open, State: out.state,
		Account: account,
		Tokens:  participantTokens(base, o),
		Export:  exportAccount,
		Done: func(p *cohort.Participant) {
			done++
			if !o.quiet && !o.dryRun {
				logParticipant(log, p, done, len(mine))
			}
		},
	})
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w; what was fetched is kept in %s, run the same command again to resume", context.Canceled, out.state)
	}
	if res != nil && !o.quiet {
		if o.dryRun {
			printCohortPlan(s.Out, res)
		} else {
			printCohortSummary(s.Out, log, o, res)
		}
	}
	if res != nil && res.Manifest.Version > 0 && !o.noReport {
		// The index links every participant's report, all shards' alike.
		ix, ierr := cohortIndex(out.root, cohortTitle(o.out))
		if ierr == nil {
			_, ierr = report.WriteIndex(out.root, ix)
		}
		if ierr != nil {
			return fmt.Errorf("the cohort is exported and its manifest written, but its index page (report.html) could not be: %w; write it with 'ouraexport report %s'", ierr, o.out)
		}
		if o.open && !s3.IsURL(o.out) {
			openWritten(s.Err, filepath.Join(o.out, report.Name))
		}
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, cohort.ErrPartial):
		return fmt.Errorf("%w: %w", ErrPartial, err)
	case errors.Is(err, cohort.ErrNothing) && allUnauthorized(res):
		return fmt.Errorf("%w: %w", ErrAuthNeeded, err)
	case errors.Is(err, cohort.ErrNothing):
		return err
	}
	return describeExportError(err)
}

// cohortTitle names a cohort by its folder.
func cohortTitle(out string) string {
	if s3.IsURL(out) {
		return out
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return out
	}
	return filepath.Base(abs)
}

// allUnauthorized reports whether every participant failed on a rejected token.
func allUnauthorized(res *cohort.Result) bool {
	if res == nil || len(res.Participants) == 0 {
		return false
	}
	for _, p := range res.Participants {
		if !errors.Is(p.Err, oura.ErrUnauthorized) {
			return false
		}
	}
	return true
}

// participantTokens returns how a participant's token file is read: a
// plain access token, or a login saved by 'ouraexport auth login' (renewed
// as it expires), as --token-file takes them.
func participantTokens(apiURL string, o exportOptions) func(context.Context, cohort.Account) (oura.TokenSource, error) {
	return func(ctx context.Context, a cohort.Account) (oura.TokenSource, error) {
		tf, err := auth.ReadTokenFile(a.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", cohort.ErrToken, err)
		}
		if tf.Login {
			return loginSource(ctx, a.TokenFile, apiURL, o.conf, nil)
		}
		return oura.StaticToken(tf.Token), nil
	}
}

// cohortOutput is where a cohort goes: a local folder or an S3 prefix.
type cohortOutput struct {
	root  sinks.Dir
	open  func(folder string) (sinks.Dir, error)
	state string // local folder of the participants' stores
	spool string // local folder for spool files ("" for a local output)
	close func()
}

// openCohortOutput opens --out for a cohort, and finds its state folder.
func openCohortOutput(ctx context.Context, o exportOptions) (*cohortOutput, error) {
	if s3.IsURL(o.out) {
		d, state, err := openRemote(ctx, o)
		if err != nil {
			return nil, err
		}
		return &cohortOutput{root: d, state: state, spool: state, close: func() { d.Close() },
			open: func(folder string) (sinks.Dir, error) { return d.Root(folder) }}, nil
	}
	if err := checkCohortDir(o.out); err != nil {
		return nil, err
	}
	root, err := sinks.LocalDir(o.out)
	if err != nil {
		return nil, err
	}
	state := o.cohort.state
	if state == "" {
		state = o.out
	}
	return &cohortOutput{root: root, state: state, close: func() {},
		open: func(folder string) (sinks.Dir, error) { return sinks.LocalDir(filepath.Join(o.out, folder)) }}, nil
}

// openRemote opens an s3:// --out and returns it with the state folder.
func openRemote(ctx context.Context, o exportOptions) (*s3.Dir, string, error) {
	opts := s3.OptionsFromEnv(os.Getenv)
	if o.cohort.endpoint != "" {
		opts.Endpoint = o.cohort.endpoint
	}
	if err := opts.Validate(); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	if _, _, err := s3.ParseURL(o.out); err != nil {
		return nil, "", usagef("export", "--out: %v", err)
	}
	state := o.cohort.state
	if state == "" {
		var err error
		if state, err = defaultState(o.out, opts.Endpoint); err != nil {
			return nil, "", err
		}
	}
	if err := os.MkdirAll(state, 0o700); err != nil {
		return nil, "", fmt.Errorf("create --state %s: %w", state, err)
	}
	opts.SpoolDir = state
	d, err := s3.Open(ctx, o.out, opts)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("%w: --out %w", ErrBadInput, err)
		}
		return nil, "", err
	}
	return d, state, nil
}

// defaultState is the state folder of an export into an object store: in
// the user's cache folder, one per server and address.
func defaultState(url, endpoint string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("%w: no cache folder for the export's state (%v): give --state DIR", ErrBadInput, err)
	}
	bucket, _, _ := s3.ParseURL(url)
	sum := sha256.Sum256([]byte(endpoint + "\n" + url))
	return filepath.Join(cache, "ouraexport", "s3", bucket+"-"+hex.EncodeToString(sum[:6])), nil
}

// checkCohortDir refuses a local --out that holds something other than a cohort.
func checkCohortDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: --out %s: %w", ErrBadInput, dir, errors.Unwrap(err))
	}
	for _, e := range ents {
		if e.Name() == sinks.ManifestName || e.Name() == exporter.StoreDir {
			return fmt.Errorf("%w: --out %s holds a single-account export; export the cohort into a new or empty folder", ErrBadInput, dir)
		}
	}
	for _, e := range ents {
		if e.Name() == cohort.ManifestFolder || strings.HasPrefix(e.Name(), cohort.FolderPrefix) {
			return nil
		}
	}
	if len(ents) > 0 {
		return fmt.Errorf("%w: --out %s is not empty and holds no ouraexport cohort; choose a new or empty folder", ErrBadInput, dir)
	}
	return nil
}

// cohortSource returns the API base URL: the built-in sandbox (serving as
// many users as the accounts file could name) or the given server.
func cohortSource(o exportOptions, accts []cohort.Account) (string, func(), error) {
	if !o.sandbox {
		base := o.apiURL
		if base == "" {
			base = DefaultAPIURL
		}
		return base, func() {}, nil
	}
	srv, err := sandbox.New(sandbox.Options{NoGzip: true, Users: max(100, len(accts))})
	if err != nil {
		return "", nil, err
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("start the sandbox: %w", err)
	}
	return base, func() { srv.Close() }, nil
}

// logParticipant logs a participant's end.
func logParticipant(log *slog.Logger, p *cohort.Participant, done, total int) {
	attrs := []any{"id", p.Account.ID, "status", string(p.Status), "rows", p.Rows,
		"seconds", p.Elapsed.Round(100 * time.Millisecond).Seconds(), "done", fmt.Sprintf("%d/%d", done, total)}
	if p.Err != nil {
		attrs = append(attrs, "error", cohort.Describe(p.Err))
	}
	if p.Status == cohort.Failed {
		log.Warn("participant", attrs...)
		return
	}
	log.Info("participant", attrs...)
}

// printCohortSummary writes what a cohort run did.
func printCohortSummary(w io.Writer, log *slog.Logger, o exportOptions, res *cohort.Result) {
	m := res.Manifest
	secs := res.Elapsed.Seconds()
	if o.logFormat == "json" {
		log.Info("cohort finished", "out", o.out, "shard", fmt.Sprintf("%d/%d", m.Shard.Index, m.Shard.Count),
			"participants", len(res.Participants), "complete", m.Complete, "partial", m.Partial, "failed", m.Failed,
			"rows", res.Rows(), "requests", res.Requests(), "seconds", secs)
		return
	}
	fmt.Fprintf(w, "Exported %d participants (shard %d/%d) into %s in %s: %d complete, %d partial, %d failed.\n\n",
		len(res.Participants), m.Shard.Index, m.Shard.Count, o.out, res.Elapsed.Round(100*time.Millisecond), m.Complete, m.Partial, m.Failed)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  participant\tstatus\taccount\trows\tseconds\t")
	for _, e := range m.Participants {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%.1f\t%s\n", e.ID, e.Status, orUnknown(e.Account), e.Rows, e.Seconds, e.Error)
	}
	tw.Flush()
	for _, n := range m.Notes {
		fmt.Fprintf(w, "\nNote: %s.\n", n)
	}
	if secs > 0 {
		fmt.Fprintf(w, "\n%d rows, %d requests; %.1f participants per minute, %.0f rows per second.\n",
			res.Rows(), res.Requests(), float64(len(res.Participants))*60/secs, float64(res.Rows())/secs)
	}
	fmt.Fprintf(w, "Cohort manifest: %s; check the cohort any time with: ouraexport verify %s\n", cohort.ManifestPath(cohort.Shard{Index: m.Shard.Index, Count: m.Shard.Count}), o.out)
}

// printCohortPlan writes a cohort dry run's plan.
func printCohortPlan(w io.Writer, res *cohort.Result) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "participant\taccount\thistory\twindows\trequests\t")
	total := 0
	for _, p := range res.Participants {
		if p.Plan == nil || p.Status == cohort.Failed {
			reason := "no plan"
			if p.Err != nil {
				reason = cohort.Describe(p.Err)
			}
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t%s\n", p.Account.ID, reason)
			continue
		}
		reason := ""
		if p.Err != nil {
			reason = cohort.Describe(p.Err)
		}
		total += p.Plan.Estimate
		fmt.Fprintf(tw, "%s\t%s\t%s to %s\t%d\t%d\t%s\n", p.Account.ID, orUnknown(p.Plan.Account),
			p.Plan.Since.Format(time.DateOnly), p.Plan.Until.Format(time.DateOnly), len(p.Plan.Plan), p.Plan.Estimate, reason)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d participants, about %d requests.\n", len(res.Participants), total)
}

// runRemoteExport exports one account into an s3:// --out, with the same
// layout as a local export (parquet/, csv/, archive/, MANIFEST.json) and
// the engine's state in --state.
func runRemoteExport(ctx context.Context, o exportOptions, s Streams) error {
	log := newLogger(s.Err, o.logFormat)
	root, state, err := openRemote(ctx, o)
	if err != nil {
		return err
	}
	defer root.Close()
	base, tokens, stop, err := o.source(ctx, log)
	if err != nil {
		return err
	}
	defer stop()
	return exportInto(ctx, o, s, log, base, tokens, exportTarget{
		open:  func() (sinks.Dir, error) { return root, nil },
		state: state,
		spool: state,
	})
}

// verifyTarget verifies the export, archive or cohort at path, a local
// path or an s3:// address. The cohort report is nil for an export.
func verifyTarget(ctx context.Context, path, endpoint string) (sinks.Report, *cohort.Report, error) {
	if !s3.IsURL(path) {
		if endpoint != "" {
			return sinks.Report{}, nil, usagef("verify", "--s3-endpoint is for an s3://bucket/prefix PATH")
		}
		rep, err := sinks.Verify(ctx, path)
		if !errors.Is(err, sinks.ErrNotExport) {
			return rep, nil, err
		}
		if fi, serr := os.Stat(filepath.Join(path, cohort.ManifestFolder)); serr != nil || !fi.IsDir() {
			return rep, nil, err
		}
		crep, err := cohort.Verify(ctx, path)
		return crep.Report, &crep, err
	}
	opts := s3.OptionsFromEnv(os.Getenv)
	if endpoint != "" {
		opts.Endpoint = endpoint
	}
	if _, _, err := s3.ParseURL(path); err != nil {
		return sinks.Report{}, nil, usagef("verify", "%v", err)
	}
	d, err := s3.Open(ctx, path, opts)
	if err != nil {
		return sinks.Report{}, nil, err
	}
	defer d.Close()
	rep, err := sinks.VerifyDir(ctx, d)
	if !errors.Is(err, sinks.ErrNotExport) {
		return rep, nil, err
	}
	crep, cerr := cohort.VerifyDir(ctx, d)
	if errors.Is(cerr, cohort.ErrNotCohort) {
		return rep, nil, fmt.Errorf("%s: %w: it holds neither %s nor %s/", path, sinks.ErrNotExport, sinks.ManifestName, cohort.ManifestFolder)
	}
	return crep.Report, &crep, cerr
}

// cohortVerified ends verify of a cohort, whose problems are printed: it
// lists the participants that were not exported and sums up.
func cohortVerified(w io.Writer, path string, rep *cohort.Report) error {
	for _, e := range rep.NotExported {
		fmt.Fprintf(w, "%s/: not exported by the last run of its shard: %s\n", e.Folder, e.Error)
	}
	if n := len(rep.Problems); n > 0 {
		noun := "problems"
		if n == 1 {
			noun = "problem"
		}
		return fmt.Errorf("verify %s: %d %s found; the cohort is damaged or incomplete", path, n, noun)
	}
	for _, e := range rep.Partial {
		fmt.Fprintf(w, "%s/: partial: %s\n", e.Folder, e.Error)
	}
	fmt.Fprintf(w, "verified %d participants, %d files, %d rows", rep.Participants, rep.Files, rep.Rows)
	if n := len(rep.NotExported); n > 0 {
		fmt.Fprintf(w, "; %s not exported (listed above)", participantsWere(n))
	}
	fmt.Fprintln(w)
	var lacks []string
	if n := len(rep.NotExported); n > 0 {
		lacks = append(lacks, participantsWere(n)+" not exported")
	}
	if n := len(rep.Partial); n > 0 {
		lacks = append(lacks, participantsWere(n)+" exported partially")
	}
	if len(lacks) > 0 {
		return fmt.Errorf("%w: verify %s: every file checks out, but the cohort is incomplete: %s (listed above)",
			ErrPartial, path, strings.Join(lacks, ", "))
	}
	return nil
}

// participantsWere says "1 participant was" or "n participants were".
func participantsWere(n int) string {
	if n == 1 {
		return "1 participant was"
	}
	return fmt.Sprintf("%d participants were", n)
}
