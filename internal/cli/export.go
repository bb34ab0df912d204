package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/auth"
	"github.com/ouraexport/ouraexport/internal/config"
	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/internal/report"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/internal/scope"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/s3"
)

// DefaultAPIURL is Oura's API server.
const DefaultAPIURL = "https://api.ouraring.com"

// exportOptions are the parsed export command line.
type exportOptions struct {
	out         string
	apis        []string
	formats     []string
	collections []string
	since       time.Time
	until       time.Time
	apiURL      string
	tokenFile   string
	workers     int
	lookback    int
	partition   bool
	sandbox     bool
	dryRun      bool
	quiet       bool
	logFormat   string
	conf        *config.Config // the config file and environment
	cohort      cohortFlags
	timeout     time.Duration // per request attempt; 0 is the client's default
	encrypt     encryptFlags
	noReport    bool // --no-report: no report.html
	open        bool // --open: open report.html when done
}

func runExport(ctx context.Context, o exportOptions, s Streams) error {
	if o.cohort.wanted(o.out) {
		return runCohort(ctx, o, s)
	}
	log := newLogger(s.Err, o.logFormat)

	base, tokens, stop, err := o.source(ctx, log)
	if err != nil {
		return err
	}
	defer stop()

	if err := checkOutDir(o.out); err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o700); err != nil {
		return fmt.Errorf("create --out %s: %w", o.out, err)
	}
	return exportInto(ctx, o, s, log, base, tokens, exportTarget{
		open:  func() (sinks.Dir, error) { return sinks.LocalDir(o.out) },
		state: o.out,
	})
}

// exportTarget is where an export writes: its outputs (opened only when
// there is something to write, not for a dry run), the folder holding its
// state, and where sinks spool (empty: beside their files).
type exportTarget struct {
	open  func() (sinks.Dir, error)
	state string
	spool string
}

// exportAccount exports one account; tests replace it to see the options
// the command line became.
var exportAccount = exporter.ExportAccount

// account returns what the command line asks of every account's export:
// the one place where export flags become client, fetch and sink options,
// for a single export and each participant of a cohort alike. Tokens,
// State and Out are the caller's.
func (o *exportOptions) account(base string, reg *exporter.Registry, colls []*exporter.Collection) exporter.AccountOptions {
	return exporter.AccountOptions{
		Client: oura.ClientOptions{BaseURL: base, UserAgent: "ouraexport/" + version(), Timeout: o.timeout},
		Fetch: exporter.FetchOptions{Collections: colls, Since: o.since, Until: o.until,
			Lookback: o.lookback, Workers: o.workers, DryRun: o.dryRun},
		Formats:     o.formats,
		Sink:        sinks.Options{Partition: o.partition},
		OpenSink:    o.encrypt.open,
		Registry:    reg,
		ToolVersion: version(),
		After:       o.report(),
	}
}

// report returns the hook that writes report.html into every export, nil
// with --no-report.
func (o *exportOptions) report() exporter.AfterFunc {
	if o.noReport {
		return nil
	}
	return report.After(nil)
}

// exportInto runs one account's export from the API at base into t: plan,
// fetch, build, summary. Local and s3:// exports share it.
func exportInto(ctx context.Context, o exportOptions, s Streams, log *slog.Logger, base string, tokens oura.TokenSource, t exportTarget) error {
	sel, err := selectCollections(o)
	if err != nil {
		return err
	}
	if !o.quiet {
		for _, n := range sel.notes {
			fmt.Fprintf(s.Err, "Note: %s.\n", n)
		}
	}
	reg, colls := sel.reg, sel.colls
	ao := o.account(base, reg, colls)
	ao.Client.Tokens = tokens
	ao.State = t.state
	ao.Out = t.open
	ao.Sink.SpoolDir = t.spool
	var prog *progress
	ao.Progress = func(stats *oura.Stats) exporter.Progress {
		prog = newProgress(s.Err, log, o.quiet, len(colls), stats)
		return prog
	}
	res, err := exportAccount(ctx, ao)
	if prog != nil {
		prog.finish()
	}
	switch {
	case errors.Is(err, exporter.ErrClient):
		return usagef("export", "--api-url: %v", errors.Unwrap(err))
	case o.dryRun && err == nil:
		printPlan(s.Out, res.Fetch, res.Requests)
		fmt.Fprintln(s.Out)
		writeDoctor(s.Out, accessOf(grantedScopes(tokens), res.Fetch))
		return planError(res)
	case o.dryRun || res == nil:
		return describeExportError(err)
	}
	if errors.Is(err, report.ErrNotWritten) {
		return reportNotWritten(t.state, err)
	}
	if err != nil && !errors.Is(err, exporter.ErrPartial) {
		if res.Fetch != nil && errors.Is(err, exporter.ErrNothing) {
			return nothingExported(res)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w; what was fetched is kept in %s, run the same command again to resume",
				context.Canceled, filepath.Join(t.state, exporter.StoreDir))
		}
		return describeExportError(err)
	}
	if !o.quiet {
		printSummary(s.Out, log, o, res)
	}
	if o.open && !s3.IsURL(o.out) {
		openWritten(s.Err, filepath.Join(o.out, report.Name))
	}
	if errors.Is(err, exporter.ErrPartial) {
		return partialError(res)
	}
	return nil
}

// reportNotWritten is the error of an export whose outputs and manifest
// are complete but whose report could not be written.
func reportNotWritten(out string, err error) error {
	return fmt.Errorf("the export is complete and MANIFEST.json lists its files, but %w; write it again with 'ouraexport report %s'", err, out)
}

// openWritten opens a report just written, saying so when it cannot.
func openWritten(w io.Writer, path string) {
	if err := openReport(path); err != nil {
		fmt.Fprintf(w, "could not open a browser (%v): open %s yourself\n", err, path)
	}
}

// source returns the API base URL and token source: the built-in sandbox,
// or the given server with the token from --token-file or $OURA_TOKEN. A
// stored login logs its refreshes to log (nil: silent).
func (o *exportOptions) source(ctx context.Context, log *slog.Logger) (string, oura.TokenSource, func(), error) {
	if o.sandbox {
		// Loopback: compressing answers would only cost CPU.
		srv, err := sandbox.New(sandbox.Options{NoGzip: true})
		if err != nil {
			return "", nil, nil, err
		}
		base, err := srv.Start("127.0.0.1:0")
		if err != nil {
			return "", nil, nil, fmt.Errorf("start the sandbox: %w", err)
		}
		return base, oura.StaticToken(srv.Token(1)), func() { srv.Close() }, nil
	}
	base := o.apiURL
	if base == "" {
		base = DefaultAPIURL
	}
	tok, err := resolveToken(ctx, o.tokenFile, base, o.conf, log)
	if err != nil {
		return "", nil, nil, err
	}
	return base, tok, func() {}, nil
}

// resolveToken finds the access token for the API at apiURL: --token-file
// (a bare token, or a login saved by 'auth login', which is then renewed as
// needed), else $OURA_TOKEN, else the login stored by 'auth login'.
func resolveToken(ctx context.Context, file, apiURL string, conf *config.Config, log *slog.Logger) (oura.TokenSource, error) {
	if file != "" {
		tf, err := auth.ReadTokenFile(file)
		if err != nil {
			return nil, fmt.Errorf("%w: --token-file: %w", ErrBadInput, err)
		}
		if tf.Login {
			return loginSource(ctx, file, apiURL, conf, log)
		}
		return oura.StaticToken(tf.Token), nil
	}
	if tok := strings.TrimSpace(os.Getenv("OURA_TOKEN")); tok != "" {
		return oura.StaticToken(tok), nil
	}
	path, err := auth.DefaultPath()
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrAuthNeeded, noTokenHint)
	}
	return loginSource(ctx, path, apiURL, conf, log)
}

// checkOutDir refuses a folder that holds something other than an export.
func checkOutDir(dir string) error {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: --out %s: %w", ErrBadInput, dir, errors.Unwrap(err))
	}
	if !info.IsDir() {
		return fmt.Errorf("%w: --out %s is a file, not a folder", ErrBadInput, dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%w: --out %s: %w", ErrBadInput, dir, errors.Unwrap(err))
	}
	if len(ents) == 0 {
		return nil
	}
	for _, e := range ents {
		if e.Name() == exporter.StoreDir || e.Name() == "MANIFEST.json" {
			return nil
		}
	}
	return fmt.Errorf("%w: --out %s is not empty and holds no ouraexport export; choose a new or empty folder", ErrBadInput, dir)
}

// describeExportError classifies errors for the exit code.
func describeExportError(err error) error {
	switch {
	case errors.Is(err, auth.ErrLoginExpired), errors.Is(err, auth.ErrNoLogin):
		// The stored login's own words: expired or revoked, log in again.
		return fmt.Errorf("%w: %w", ErrAuthNeeded, err)
	case errors.Is(err, oura.ErrUnauthorized):
		detail := ""
		var ae *oura.APIError
		if errors.As(err, &ae) && ae.Detail != "" {
			detail = " (" + strings.TrimSuffix(ae.Detail, ".") + ")"
		}
		return fmt.Errorf("%w: the API rejected the access token%s: log in again with 'ouraexport auth login', or check $OURA_TOKEN or --token-file", ErrAuthNeeded, detail)
	case errors.Is(err, exporter.ErrOtherAccount), errors.Is(err, exporter.ErrStoreFormat):
		return fmt.Errorf("%w: %w", ErrBadInput, err)
	case errors.Is(err, oura.ErrNotAPI), errors.As(err, new(*oura.RedirectError)):
		return errors.New(exporter.Describe(err)) // a wrong server: the run failed (exit 1)
	}
	return err
}

// lapsed reports whether every failure is a 403.
func lapsed(res *exporter.Result) bool {
	failed := res.Failed()
	for _, f := range failed {
		if !errors.Is(f.Err, oura.ErrForbidden) {
			return false
		}
	}
	return len(failed) > 0
}

const lapsedHint = "if your Oura membership has lapsed, download your data at https://membership.ouraring.com/data-export and run 'ouraexport import' on the file"

func partialError(res *exporter.Result) error {
	var names []string
	for _, f := range res.Failed() {
		names = append(names, f.Collection.Name)
	}
	msg := fmt.Sprintf("%d of %d collections could not be exported (%s); the rest are complete",
		len(names), len(res.Fetch.Collections), strings.Join(names, ", "))
	if lapsed(res) {
		msg += "; the login may lack their scopes (log in again and grant them), or " + lapsedHint
	}
	return fmt.Errorf("%w: %s", ErrPartial, msg)
}

func nothingExported(res *exporter.Result) error {
	if lapsed(res) {
		return fmt.Errorf("%w: nothing could be exported: the API answered 403 (forbidden) for every collection; %s", ErrPartial, lapsedHint)
	}
	return fmt.Errorf("nothing could be exported: %s", exporter.Describe(res.Failed()[0].Err))
}

// unavailableShort says in a few words why an optional collection will
// not be exported (the doctor table below the plan says the rest).
func unavailableShort(ue *exporter.UnavailableError) string {
	var ae *oura.APIError
	if errors.As(ue.Err, &ae) && ae.Status == 404 {
		return "(optional; the server does not serve it)"
	}
	if len(ue.Optional.Scopes) == 0 {
		return "(optional; the login may not read it)"
	}
	return "(optional; needs the " + strings.Join(ue.Optional.Scopes, " or ") + " scope)"
}

// grantedScopes returns the scopes of the login tokens is, nil when it is
// a bare token (which does not say).
func grantedScopes(tokens oura.TokenSource) []string {
	if l, ok := tokens.(interface{ Login() auth.Token }); ok {
		return l.Login().Scopes
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// printSummary writes what an export did.
func printSummary(w io.Writer, log *slog.Logger, o exportOptions, res *exporter.Result) {
	fr := res.Fetch
	if o.logFormat == "json" {
		attrs := []any{"account", fr.Account, "out", o.out, "requests", res.Requests, "retries", res.Retries,
			"rate_limited", res.RateLimited, "bytes", res.Bytes, "seconds", res.Elapsed.Seconds(), "files", len(res.Files)}
		for _, c := range fr.Collections {
			attrs = append(attrs, "records."+c.Collection.Name, res.Docs[c.Collection.Name])
		}
		for _, c := range res.Unavailable() {
			attrs = append(attrs, "not_exported."+c.Collection.Name, exporter.Describe(c.Err))
		}
		for _, c := range res.Raw() {
			attrs = append(attrs, "raw."+c.Collection.Name, res.Docs[c.Collection.Name])
		}
		log.Info("export finished", attrs...)
		return
	}
	fmt.Fprintf(w, "Exported %s to %s for account %s into %s in %s.\n\n", fr.Since.Format(time.DateOnly), fr.Until.Format(time.DateOnly),
		orUnknown(fr.Account), o.out, res.Elapsed.Round(100*time.Millisecond))
	fmt.Fprintf(w, "  %-26s %12s  %s\n", "collection", "records", "")
	for _, c := range fr.Collections {
		status := ""
		switch {
		case errors.Is(c.Err, exporter.ErrUnavailable):
			status = exporter.Describe(c.Err) // not exported, and why: the run is not partial for it
		case c.Err != nil:
			status = "incomplete: " + exporter.Describe(c.Err)
			if sc := scope.For(c.Collection.Name); errors.Is(c.Err, oura.ErrForbidden) && len(sc) > 0 {
				status += " (scope " + strings.Join(sc, " or ") + ")"
			}
		case c.Collection.Raw:
			status = "not modelled: kept raw"
			if slices.Contains(o.formats, "archive") {
				status += " in the archive's raw/" + c.Collection.Name + ".ndjson"
			} else {
				status += " in the store (add --format archive to write them)"
			}
		}
		fmt.Fprintf(w, "  %-26s %12d  %s\n", c.Collection.Name, res.Docs[c.Collection.Name], status)
	}
	fmt.Fprintf(w, "\n%d requests (%d retried, %d rate limited), %.1f MB received.\n", res.Requests, res.Retries, res.RateLimited, float64(res.Bytes)/1e6)
	var n int
	var unknown []string
	for _, wn := range res.Warnings {
		if wn.Issue == schema.IssueUnknown {
			if f := wn.Table + "." + wn.Field; !slices.Contains(unknown, f) {
				unknown = append(unknown, f)
			}
			continue
		}
		n += wn.Count
	}
	if n > 0 {
		fmt.Fprintf(w, "%d values did not fit their columns and were kept in the extra column (see 'ouraexport schema').\n", n)
	}
	if len(unknown) > 0 {
		shown := unknown[:min(len(unknown), 4)]
		more := ""
		if len(unknown) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(unknown)-len(shown))
		}
		fmt.Fprintf(w, "%d fields no table models (%s%s) were kept in the extra column: a newer API sent them ('ouraexport spec check' compares its document).\n",
			len(unknown), strings.Join(shown, ", "), more)
	}
	fmt.Fprintf(w, "%d files; check them any time with: ouraexport verify %s\n", len(res.Files), o.out)
}
