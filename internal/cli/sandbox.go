package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ouraexport/ouraexport/internal/sandbox"
)

const sandboxLong = `Serve a local emulator of the Oura API over loopback HTTP: v2 (every
usercollection route, its /v2/sandbox mirror), v1 and OAuth2, for several
users with deterministic synthetic histories. It prints "listening on URL"
on stderr once it answers, and stops on Ctrl-C (SIGINT) or SIGTERM.

User n's access token is sandbox-token-<n>. The OAuth client is
sandbox-client with secret sandbox-secret; /oauth/authorize approves at once
as user 1 (or user n with login_hint=n).`

const sandboxNotes = `Control routes for tests (no token): POST /_sandbox/advance?days=N,
POST /_sandbox/revise?user=N&day=DATE, POST /_sandbox/delete?user=N&collection=C&id=ID
(or &day=DATE), GET /_sandbox/stats, GET /_sandbox/info, GET /_sandbox/webhook
(subscriptions, delivery counters) and POST /_sandbox/webhook?lost=N&lost_for=DUR&
late=DUR&naive=BOOL&ttl=DUR (webhook faults).

Webhooks: /v2/webhook/subscription... with x-client-id sandbox-client and
x-client-secret sandbox-secret; advance, revise and delete send signed events
to every matching subscription after --webhook-delay.

Exit status: 0 stopped by SIGINT or SIGTERM; 1 failed (say, the address is
in use); 2 bad usage.`

// sandboxFlags are the parsed sandbox command line.
type sandboxFlags struct {
	addr    string
	opts    sandbox.Options
	verbose bool
}

// sandboxArgs are the sandbox flags that become options once checked.
type sandboxArgs struct {
	since, until, rate, maxWindow, semantics string
	faults, scopes                           listFlag
	appRate                                  string
	extra                                    listFlag
}

// sandboxCommand is 'ouraexport sandbox'.
func sandboxCommand(s Streams) *cobra.Command {
	var (
		f sandboxFlags
		a sandboxArgs
	)
	c := &cobra.Command{
		Use:               "sandbox [flags]",
		Short:             "serve a local emulator of the Oura API (v2, v1, OAuth2) with synthetic histories",
		Long:              sandboxLong,
		Annotations:       map[string]string{NotesAnnotation: sandboxNotes},
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := f.check(a); err != nil {
				return err
			}
			return serveSandbox(c.Context(), f, s)
		},
	}
	f.register(c.Flags(), &a)
	return c
}

// register defines the sandbox flags in fs: the options in f, the rest in a.
func (f *sandboxFlags) register(fs *pflag.FlagSet, a *sandboxArgs) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8765", "listen address (default 127.0.0.1:8765; port 0 picks a free port)")
	fs.IntVar(&f.opts.Users, "users", sandbox.DefaultUsers, "number of users (default 3)")
	fs.StringVar(&a.since, "since", "", "first day of the history (default: --until minus 5 years)")
	fs.StringVar(&a.until, "until", "", "last day of the history, the sandbox's \"today\" (default: today, UTC)")
	fs.Int64Var(&f.opts.Seed, "seed", 0, "seed of the synthetic truth (default 0); same seed, same bytes")
	fs.IntVar(&f.opts.PageSize, "page-size", 0, "page size of every list route (default 100 documents, 10000 rows\n"+
		"for heartrate and ring_battery_level)")
	fs.DurationVar(&f.opts.Latency, "latency", 0, "delay before each answer, e.g. 50ms (default 0)")
	fs.Float64Var(&f.opts.FaultRate, "fault-rate", 0, "share of requests that get a fault, 0..1 (default 0)")
	fs.Var(&a.faults, "faults", "fault kinds to draw from (default 500,502,503,reset,truncate;\n"+
		"also slow,html,malformed,loop,duplicate,wrongtype)")
	fs.DurationVar(&f.opts.SlowDelay, "slow-delay", sandbox.DefaultSlowDelay, "how long a \"slow\" fault waits (default 60s)")
	fs.BoolVar(&f.opts.FaultOAuth, "fault-oauth", false, "let faults hit the /oauth routes too")
	fs.StringVar(&a.rate, "rate-limit", "", "requests per token per window (default 5000/5m; \"off\" disables)")
	fs.DurationVar(&f.opts.TokenTTL, "token-ttl", sandbox.DefaultTokenTTL, "lifetime of OAuth access tokens (default 24h)")
	fs.StringVar(&a.maxWindow, "max-window", "", "longest heartrate/ring_battery_level range per request\n"+
		"(default 30d; Go durations or Nd)")
	fs.StringVar(&a.semantics, "date-semantics", "", "end_date semantics per collection, e.g. sleep=inclusive,all=exclusive\n"+
		"(default: exclusive for daily_activity, sleep, workout; inclusive elsewhere)")
	fs.Var(&a.scopes, "scopes", "scopes of the static tokens, plain or extapi:-prefixed (default: all)")
	fs.StringVar(&a.appRate, "app-rate-limit", "", "requests per window of all tokens of the OAuth client together;\n"+
		"over it: 429 with X-RateLimit-Tier: application (default: none)")
	fs.StringVar(&f.opts.TokenEndpoint, "token-endpoint", "", "which token endpoint knows the client: both, legacy\n"+
		"(/oauth/token) or portal (/oauth/v2/ext/oauth-token); the other\n"+
		"refuses it as Oura's do (default both)")
	fs.BoolVar(&f.opts.ExtraFields, "extra-fields", false, "add fields no published model has to every document and row")
	fs.Var(&a.extra, "extra-collection", "serve a collection no published spec has, by date (repeatable)")
	fs.BoolVar(&f.opts.Lapsed, "lapsed", false, "answer 403 on v2 data routes (membership ended)")
	fs.BoolVar(&f.opts.V1Retired, "v1-retired", false, "answer 404 on every /v1 route")
	fs.BoolVar(&f.opts.NoGzip, "no-gzip", false, "never gzip responses")
	fs.DurationVar(&f.opts.WebhookDelay, "webhook-delay", sandbox.DefaultWebhookDelay, "time from a change to its webhook events (default 1s)")
	fs.DurationVar(&f.opts.WebhookTTL, "webhook-ttl", sandbox.DefaultWebhookTTL, "lifetime of a webhook subscription (default 2160h, 90 days)")
	fs.DurationVar(&f.opts.WebhookTimeout, "webhook-timeout", sandbox.DefaultWebhookTimeout, "how long a callback may take to answer (default 10s)")
	fs.DurationVar(&f.opts.WebhookRetryBase, "webhook-retry", sandbox.DefaultWebhookRetryBase, "first retry delay of an event, doubling, 10 tries (default 5s)")
	fs.IntVar(&f.opts.WebhookLost, "webhook-lost", 0, "lose the first N webhook deliveries (events that stop)")
	fs.DurationVar(&f.opts.WebhookLostFor, "webhook-lost-for", 0, "lose every webhook delivery for this long after the start")
	fs.DurationVar(&f.opts.WebhookLate, "webhook-late", 0, "a created or updated document is 404 until this long after its event")
	fs.BoolVar(&f.opts.WebhookNaiveExpiry, "webhook-naive-expiry", false, "write expiration_time without a time-zone offset")
	fs.BoolVar(&f.verbose, "verbose", false, "log one line per request (never a token)")
	flagArgs(fs, "addr=HOST:PORT", "users=N", "since=DATE", "until=DATE", "seed=N", "page-size=N", "latency=DUR",
		"fault-rate=F", "faults=LIST", "slow-delay=DUR", "rate-limit=N/DUR", "token-ttl=DUR", "max-window=DUR",
		"date-semantics=LIST", "scopes=LIST", "app-rate-limit=N/DUR", "token-endpoint=WHICH", "extra-collection=NAME",
		"webhook-delay=DUR", "webhook-ttl=DUR", "webhook-timeout=DUR", "webhook-retry=DUR", "webhook-lost=N",
		"webhook-lost-for=DUR", "webhook-late=DUR")
}

// check reads the flags in a into f's options and checks them.
func (f *sandboxFlags) check(a sandboxArgs) error {
	const cmd = "sandbox"
	if f.opts.Users < 1 {
		return usagef(cmd, "--users %d: want at least 1", f.opts.Users)
	}
	for _, d := range []struct {
		name, val string
		dst       *sandbox.Date
	}{{"since", a.since, &f.opts.Since}, {"until", a.until, &f.opts.Until}} {
		if d.val == "" {
			continue
		}
		v, err := sandbox.ParseDate(d.val)
		if err != nil {
			return usagef(cmd, "--%s: %v", d.name, err)
		}
		*d.dst = v
	}
	if a.rate != "" {
		n, w, err := parseRate(a.rate)
		if err != nil {
			return usagef(cmd, "--rate-limit %q: %v", a.rate, err)
		}
		f.opts.RateLimit, f.opts.RateWindow = n, w
	}
	if a.maxWindow != "" {
		d, err := parseDays(a.maxWindow)
		if err != nil || d <= 0 {
			return usagef(cmd, "--max-window %q: want a positive duration such as 720h or 30d", a.maxWindow)
		}
		f.opts.MaxWindow = d
	}
	if a.semantics != "" {
		m, err := sandbox.ParseDateSemantics(a.semantics)
		if err != nil {
			return usagef(cmd, "--date-semantics: %v", err)
		}
		f.opts.DateSemantics = m
	}
	if a.appRate != "" {
		n, w, err := parseRate(a.appRate)
		if err != nil {
			return usagef(cmd, "--app-rate-limit %q: %v", a.appRate, err)
		}
		f.opts.AppRateLimit, f.opts.AppRateWindow = n, w
	}
	f.opts.ExtraCollections = a.extra
	f.opts.Faults = a.faults
	if a.scopes != nil {
		f.opts.Scopes = a.scopes
	}
	if err := f.opts.Validate(); err != nil {
		return usagef(cmd, "%v", err)
	}
	return nil
}

// parseRate reads N/DUR ("5000/5m"); "off" or "0" disables the limit.
func parseRate(s string) (int, time.Duration, error) {
	if s == "off" || s == "0" {
		return -1, 0, nil
	}
	ns, ds, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("want N/DUR such as 5000/5m, or off")
	}
	n, err := strconv.Atoi(ns)
	if err != nil || n < 1 {
		return 0, 0, fmt.Errorf("want a positive number of requests")
	}
	d, err := parseDays(ds)
	if err != nil || d < time.Second {
		return 0, 0, fmt.Errorf("want a window of at least 1s")
	}
	return n, d, nil
}

// parseDays reads a Go duration, or a whole number of days as "30d".
func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("invalid days %q", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return d, nil
}

// serveSandbox serves the sandbox f describes until ctx is done.
func serveSandbox(ctx context.Context, f sandboxFlags, s Streams) error {
	if f.verbose {
		f.opts.Logger = slog.New(slog.NewTextHandler(s.Err, nil))
	}
	srv, err := sandbox.New(f.opts)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	url, err := srv.Start(f.addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "listening on %s\n", url)
	fmt.Fprintf(s.Err, "users 1..%d (token sandbox-token-<n>), history %s..%s, OAuth client %s/%s\n",
		srv.Users(), srv.Since(), srv.Until(), sandbox.ClientID, sandbox.ClientSecret)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	return nil
}
