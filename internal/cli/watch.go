package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/cohort"
	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/internal/watch"
	"github.com/ouraexport/ouraexport/internal/webhook"
	"github.com/ouraexport/ouraexport/sinks"
)

const watchLong = `Keeps an export current with Oura's webhooks. It listens on --listen for
the events Oura sends (a signed POST for every document created, updated or
deleted), keeps each in a journal before answering, and within a few seconds
fetches just what changed and rewrites the export folder the way 'export'
does: every file replaced whole, MANIFEST.json last, so --out is always a
complete export that 'ouraexport verify' checks.

Webhooks are hints, not truth: on start and every --resync it runs the
incremental export (events missed while it was down are recovered that way),
and with --callback-url it subscribes every data type the export writes and
renews the subscriptions before they expire. Oura delivers only to https: put
a reverse proxy or tunnel with a certificate in front of --listen.

The client secret (to check each event's signature) comes from
$OURA_CLIENT_SECRET or client_secret in the config file; the access token as
for export. With --accounts one watch serves a whole cohort on one port: each
event goes to the participant whose Oura user id it names.`

const watchNotes = `GET /healthz answers JSON: whether the watch works, the events waiting,
each account's last batch and resync, and when the subscriptions expire
(503 when the journal cannot be written or the subscriptions expired).

A log line is written per batch applied, resync and subscription check
(--log-format json for one JSON object a line). The journal lives in
--out/.ouraexport-watch/; a watch killed at any point replays it on start.

Exit status: 0 stopped by SIGINT or SIGTERM; 1 failed; 2 bad usage or input;
4 login needed.`

// watchExportFlags are the export flags watch takes, as export defines them.
var watchExportFlags = []string{"out", "format", "collections", "since", "api-url", "token-file", "workers",
	"lookback", "partition", "request-timeout", "no-report", "quiet", "log-format", "config", "accounts"}

// watchFlags are the watch command line: export's flags and its own.
type watchFlags struct {
	e          exportFlags
	listen     string
	callback   string
	resync     time.Duration
	clientID   string
	verifyFile string
}

// watchCommand is 'ouraexport watch'.
func watchCommand(s Streams) *cobra.Command {
	var f watchFlags
	c := &cobra.Command{
		Use:               "watch --out DIR --listen HOST:PORT [flags]",
		Short:             "keep an export current with Oura's webhooks",
		Long:              watchLong,
		Annotations:       map[string]string{NotesAnnotation: watchNotes},
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, _ []string) error {
			o, err := f.e.options(c.Flags())
			if err != nil {
				return err
			}
			return runWatch(c.Context(), f, o, s)
		},
	}
	f.register(c.Flags())
	return c
}

// register defines the watch flags in fs: those of export it shares (the
// same definitions, so that they mean the same), then its own.
func (f *watchFlags) register(fs *pflag.FlagSet) {
	all := pflag.NewFlagSet("export", pflag.ContinueOnError)
	f.e.register(all)
	for _, name := range watchExportFlags {
		fs.AddFlag(all.Lookup(name))
	}
	fs.Lookup("accounts").Usage = "serve a cohort: one participant per line, \"id token_file\", as for\n'ouraexport export --accounts' (see 'ouraexport help export')"
	fs.StringVar(&f.listen, "listen", "", "address to receive events on, e.g. 127.0.0.1:8080 (port 0 picks one)")
	fs.StringVar(&f.callback, "callback-url", "", "the https URL Oura sends events to (it reaches --listen through\n"+
		"your proxy or tunnel); given, watch subscribes and renews")
	fs.DurationVar(&f.resync, "resync", 6*time.Hour, "run the incremental export this often, and on start (default 6h)")
	fs.StringVar(&f.clientID, "client-id", "", "OAuth2 client id of the app, for --callback-url (default\n$OURA_CLIENT_ID or client_id in the config file)")
	fs.StringVar(&f.verifyFile, "verification-token-file", "", "the webhook verification token (default: webhook-token beside\n"+
		"the login file, created 0600 when missing)")
	refuse(fs, "token", "a token is never taken as a flag value (it would show in the process list); use --token-file FILE or $OURA_TOKEN")
	refuse(fs, "client-secret", "the client secret is never taken as a flag value (it would show in the process list); set $OURA_CLIENT_SECRET or client_secret in the config file")
	flagArgs(fs, "listen=HOST:PORT", "callback-url=URL", "resync=DUR", "client-id=ID", "verification-token-file=FILE")
}

// watchConfig is what a watch needs beyond the export options.
type watchConfig struct {
	secret, token string
	client        *webhook.Client // of the subscription routes; nil without --callback-url
}

// check checks the watch's own flags and finds its secrets.
func (f *watchFlags) check(o exportOptions) (watchConfig, error) {
	const cmd = "watch"
	var wc watchConfig
	switch {
	case f.listen == "":
		return wc, usagef(cmd, "--listen HOST:PORT is needed: the address Oura's events reach (through your https proxy or tunnel)")
	case f.resync < watchMinResync:
		return wc, usagef(cmd, "--resync %s: choose at least 1m", f.resync)
	}
	if _, _, err := net.SplitHostPort(f.listen); err != nil {
		return wc, usagef(cmd, "--listen %q: want HOST:PORT, such as 127.0.0.1:8080", f.listen)
	}
	if f.callback != "" {
		if err := webhook.CheckCallback(f.callback); err != nil {
			return wc, usagef(cmd, "--callback-url: %v", err)
		}
	}
	wc.secret, _ = o.conf.Lookup("client_secret")
	if wc.secret == "" {
		return wc, usagef(cmd, "no client secret to check the events' signatures: set $OURA_CLIENT_SECRET or client_secret in the config file (the sandbox's is %s)", "sandbox-secret")
	}
	if f.callback != "" {
		id := f.clientID
		if id == "" {
			id, _ = o.conf.Lookup("client_id")
		}
		client, err := webhookClient(cmd, o.apiURL, id, o.conf)
		if err != nil {
			return wc, err
		}
		wc.client = client
	}
	tok, err := verificationToken(f.verifyFile)
	if err != nil {
		return wc, err
	}
	wc.token = tok
	return wc, nil
}

// runWatch runs the watch until ctx is done.
func runWatch(ctx context.Context, f watchFlags, o exportOptions, s Streams) error {
	wc, err := f.check(o)
	if err != nil {
		return err
	}
	log := newLogger(s.Err, o.logFormat)
	if o.quiet {
		log = slog.New(discardBelow(log.Handler(), slog.LevelWarn))
	}
	sel, err := selectCollections(o)
	if err != nil {
		return err
	}
	base := o.apiURL
	if base == "" {
		base = DefaultAPIURL
	}
	var accts []watch.Account
	if o.cohort.accounts != "" {
		accts, err = cohortWatch(ctx, o, sel, base)
	} else {
		accts, err = singleWatch(ctx, o, sel, base, log)
	}
	if err != nil {
		return err
	}
	wo := watch.Options{
		Dir:        filepath.Join(o.out, ".ouraexport-watch"),
		Accounts:   accts,
		Collection: webhook.Collection,
		Resync:     f.resync,
		RetryBase:  watchRetryBase,
		Log:        log,
	}
	if client := wc.client; client != nil {
		var names []string
		for _, c := range sel.colls {
			names = append(names, c.Name)
		}
		types := webhook.DataTypes(names)
		wo.Subscribe = func(ctx context.Context) (time.Time, error) {
			rep, err := client.Ensure(ctx, f.callback, wc.token, types, renewWithin)
			return rep.Expires(), err
		}
	}
	w, err := watch.New(wo)
	if errors.Is(err, watch.ErrLocked) {
		return fmt.Errorf("%w: --out %s: %w", ErrBadInput, o.out, err)
	}
	if err != nil {
		return err
	}
	defer w.Close()
	hook := &webhook.Handler{Secret: wc.secret, VerificationToken: wc.token, Log: log,
		Accept: func(ctx context.Context, e webhook.Event, _ []byte) error { return w.Accept(ctx, watch.Event(e)) }}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", f.listen, err)
	}
	srv := &http.Server{Handler: w.Handler(hook), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 8 * time.Second,
		WriteTimeout: 9 * time.Second, IdleTimeout: time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(s.Err, "listening on http://%s\n", ln.Addr())
	log.Info("watch", "out", o.out, "accounts", len(accts), "listen", ln.Addr().String(), "callback", f.callback, "resync", f.resync.String())

	wctx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { w.Run(wctx); close(ran) }()
	select {
	case <-ctx.Done():
	case err = <-served:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(sctx) // answer what came in; take nothing more
	stop()
	<-ran
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve --listen %s: %w", f.listen, err)
	}
	log.Info("watch stopped", "queue", w.Health().Queue)
	return nil
}

// watchMinResync is the shortest --resync; tests shorten it.
var watchMinResync = time.Minute

// watchRetryBase is the first wait before a change the API does not show
// yet is asked for again (0: the watch's default, 30s); tests shorten it.
var watchRetryBase time.Duration

// renewWithin is how close to expiry a subscription is renewed: as
// 'webhook subscribe' does; the watch checks twice a day.
const renewWithin = DefaultRenewWithin

// singleWatch returns the one account of a watch without --accounts.
func singleWatch(ctx context.Context, o exportOptions, sel selection, base string, log *slog.Logger) ([]watch.Account, error) {
	if err := checkOutDir(o.out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.out, 0o700); err != nil {
		return nil, fmt.Errorf("create --out %s: %w", o.out, err)
	}
	tokens, err := resolveToken(ctx, o.tokenFile, base, o.conf, log)
	if err != nil {
		return nil, err
	}
	ao := o.account(base, sel.reg, sel.colls)
	ao.Client.Tokens = tokens
	ao.State = o.out
	ao.Out = func() (sinks.Dir, error) { return sinks.LocalDir(o.out) }
	return []watch.Account{{
		UserID: exporter.StoredAccount(o.out),
		Resync: func(ctx context.Context) (watch.Sync, error) {
			res, err := exportAccount(ctx, ao)
			return syncOf(res), watchError(res, err)
		},
		Apply: func(ctx context.Context, cs []watch.Change) (watch.Outcome, error) {
			rr, err := refresh(ctx, ao, changesOf(cs))
			return outcomeOf(rr), watchError(resultOf(rr), err)
		},
	}}, nil
}

// refresh is exporter.Refresh; tests replace it.
var refresh = exporter.Refresh

// cohortWatch returns the participants of --accounts, each exported as a
// cohort export exports them, the shard's manifest rewritten after each.
func cohortWatch(ctx context.Context, o exportOptions, sel selection, base string) ([]watch.Account, error) {
	accts, err := cohort.ReadAccounts(o.cohort.accounts)
	if err != nil {
		return nil, fmt.Errorf("%w: --accounts %w", ErrBadInput, err)
	}
	if o.tokenFile != "" {
		return nil, usagef("watch", "with --accounts every participant's token comes from the accounts file; drop --token-file")
	}
	if err := checkCohortDir(o.out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.out, 0o700); err != nil {
		return nil, fmt.Errorf("create --out %s: %w", o.out, err)
	}
	root, err := sinks.LocalDir(o.out)
	if err != nil {
		return nil, err
	}
	account := o.account(base, sel.reg, sel.colls)
	account.Client.App = oura.NewApplicationLimiter() // one app: its budget is shared
	live, err := cohort.NewLive(cohort.Options{
		Accounts: accts, Root: root, State: o.out, Account: account, Tokens: participantTokens(base, o), Export: exportAccount,
		Open: func(folder string) (sinks.Dir, error) { return sinks.LocalDir(filepath.Join(o.out, folder)) },
	})
	if err != nil {
		return nil, err
	}
	var out []watch.Account
	for _, a := range accts {
		out = append(out, watch.Account{
			ID:     a.ID,
			UserID: exporter.StoredAccount(filepath.Join(o.out, a.Folder())),
			Resync: func(ctx context.Context) (watch.Sync, error) {
				p, err := live.Export(ctx, a, nil)
				if err == nil {
					err = watchError(p.Export, p.Err)
				}
				return syncOf(p.Export), err
			},
			Apply: func(ctx context.Context, cs []watch.Change) (watch.Outcome, error) {
				var rr *exporter.RefreshResult
				p, err := live.Export(ctx, a, func(ctx context.Context, ao exporter.AccountOptions) (*exporter.Result, error) {
					var err error
					rr, err = refresh(ctx, ao, changesOf(cs))
					return resultOf(rr), err
				})
				if err == nil {
					err = watchError(p.Export, p.Err)
				}
				return outcomeOf(rr), err
			},
		})
	}
	return out, nil
}

// watchError is the error of a resync or batch: a partial export (some
// collections the login cannot read) is a success for the watch, the rest
// as the export command says them.
func watchError(res *exporter.Result, err error) error {
	if err == nil || errors.Is(err, exporter.ErrPartial) {
		return nil
	}
	if res != nil && res.Fetch != nil && errors.Is(err, exporter.ErrNothing) {
		return nothingExported(res)
	}
	if errors.Is(err, cohort.ErrPartial) {
		return nil
	}
	return errors.New(Message(describeExportError(err)))
}

func syncOf(res *exporter.Result) watch.Sync {
	var s watch.Sync
	if res != nil {
		s.Requests = res.Requests
		if res.Fetch != nil {
			s.UserID = res.Fetch.Account
		}
	}
	return s
}

func resultOf(rr *exporter.RefreshResult) *exporter.Result {
	if rr == nil {
		return nil
	}
	return rr.Result
}

func changesOf(cs []watch.Change) []exporter.Change {
	out := make([]exporter.Change, len(cs))
	for i, c := range cs {
		out[i] = exporter.Change{Collection: c.Collection, ObjectID: c.ObjectID, Op: c.Op}
	}
	return out
}

func outcomeOf(rr *exporter.RefreshResult) watch.Outcome {
	var out watch.Outcome
	if rr == nil {
		return out
	}
	if rr.Result != nil {
		out.Requests = rr.Requests
	}
	for _, c := range rr.Applied {
		out.Applied = append(out.Applied, watch.Change{Collection: c.Collection, ObjectID: c.ObjectID, Op: c.Op})
	}
	for _, c := range rr.Retry {
		out.Retry = append(out.Retry, watch.Change{Collection: c.Collection, ObjectID: c.ObjectID, Op: c.Op})
	}
	return out
}

// discardBelow is a handler that drops records below a level (--quiet).
func discardBelow(h slog.Handler, level slog.Level) slog.Handler {
	return &levelHandler{Handler: h, min: level}
}

type levelHandler struct {
	slog.Handler
	min slog.Level
}

func (h *levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h *levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &levelHandler{Handler: h.Handler.WithAttrs(as), min: h.min}
}

func (h *levelHandler) WithGroup(name string) slog.Handler {
	return &levelHandler{Handler: h.Handler.WithGroup(name), min: h.min}
}
