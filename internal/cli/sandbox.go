package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/ouraexport/ouraexport/internal/sandbox"
)

const sandboxUsage = `Usage: ouraexport sandbox [flags]

Serve a local emulator of the Oura API over loopback HTTP: v2 (every
usercollection route, its /v2/sandbox mirror), v1 and OAuth2, for several
users with deterministic synthetic histories. It prints "listening on URL"
on stderr once it answers, and stops on Ctrl-C (SIGINT) or SIGTERM.

User n's access token is sandbox-token-<n>. The OAuth client is
sandbox-client with secret sandbox-secret; /oauth/authorize approves at once
as user 1 (or user n with login_hint=n).

Flags:
  --addr HOST:PORT        listen address (default 127.0.0.1:8765; port 0 picks a free port)
  --users N               number of users (default 3)
  --since DATE            first day of the history (default: --until minus 5 years)
  --until DATE            last day of the history, the sandbox's "today" (default: today, UTC)
  --seed N                seed of the synthetic truth (default 0); same seed, same bytes
  --page-size N           page size of every list route (default 100 documents, 10000 rows
                          for heartrate and ring_battery_level)
  --latency DUR           delay before each answer, e.g. 50ms (default 0)
  --fault-rate F          share of requests that get a fault, 0..1 (default 0)
  --faults LIST           fault kinds to draw from (default 500,502,503,reset,truncate;
                          also slow,html,malformed,loop,duplicate,wrongtype)
  --slow-delay DUR        how long a "slow" fault waits (default 60s)
  --fault-oauth           let faults hit the /oauth routes too
  --rate-limit N/DUR      requests per token per window (default 5000/5m; "off" disables)
  --token-ttl DUR         lifetime of OAuth access tokens (default 24h)
  --max-window DUR        longest heartrate/ring_battery_level range per request
                          (default 30d; Go durations or Nd)
  --date-semantics LIST   end_date semantics per collection, e.g. sleep=inclusive,all=exclusive
                          (default: exclusive for daily_activity, sleep, workout; inclusive elsewhere)
  --scopes LIST           scopes of the static tokens (default: all)
  --lapsed                answer 403 on v2 data routes (membership ended)
  --v1-retired            answer 404 on every /v1 route
  --no-gzip               never gzip responses
  --verbose               log one line per request (never a token)

Control routes for tests (no token): POST /_sandbox/advance?days=N,
POST /_sandbox/revise?user=N&day=DATE, GET /_sandbox/stats, GET /_sandbox/info.`

// sandboxFlags are the parsed sandbox command line.
type sandboxFlags struct {
	addr    string
	opts    sandbox.Options
	verbose bool
}

func parseSandboxFlags(args []string) (sandboxFlags, error) {
	const cmd = "sandbox"
	var f sandboxFlags
	var since, until, rate, maxWindow, semantics string
	var faults, scopes listFlag
	fs := newFlagSet(cmd)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8765", "")
	fs.IntVar(&f.opts.Users, "users", sandbox.DefaultUsers, "")
	fs.StringVar(&since, "since", "", "")
	fs.StringVar(&until, "until", "", "")
	fs.Int64Var(&f.opts.Seed, "seed", 0, "")
	fs.IntVar(&f.opts.PageSize, "page-size", 0, "")
	fs.DurationVar(&f.opts.Latency, "latency", 0, "")
	fs.Float64Var(&f.opts.FaultRate, "fault-rate", 0, "")
	fs.Var(&faults, "faults", "")
	fs.DurationVar(&f.opts.SlowDelay, "slow-delay", sandbox.DefaultSlowDelay, "")
	fs.BoolVar(&f.opts.FaultOAuth, "fault-oauth", false, "")
	fs.StringVar(&rate, "rate-limit", "", "")
	fs.DurationVar(&f.opts.TokenTTL, "token-ttl", sandbox.DefaultTokenTTL, "")
	fs.StringVar(&maxWindow, "max-window", "", "")
	fs.StringVar(&semantics, "date-semantics", "", "")
	fs.Var(&scopes, "scopes", "")
	fs.BoolVar(&f.opts.Lapsed, "lapsed", false, "")
	fs.BoolVar(&f.opts.V1Retired, "v1-retired", false, "")
	fs.BoolVar(&f.opts.NoGzip, "no-gzip", false, "")
	fs.BoolVar(&f.verbose, "verbose", false, "")
	pos, err := parseFlags(cmd, fs, args)
	if err != nil {
		return f, err
	}
	if err := noArgs(cmd, pos); err != nil {
		return f, err
	}
	if f.opts.Users < 1 {
		return f, usagef(cmd, "--users %d: want at least 1", f.opts.Users)
	}
	for _, d := range []struct {
		name, val string
		dst       *sandbox.Date
	}{{"since", since, &f.opts.Since}, {"until", until, &f.opts.Until}} {
		if d.val == "" {
			continue
		}
		v, err := sandbox.ParseDate(d.val)
		if err != nil {
			return f, usagef(cmd, "--%s: %v", d.name, err)
		}
		*d.dst = v
	}
	if rate != "" {
		n, w, err := parseRate(rate)
		if err != nil {
			return f, usagef(cmd, "--rate-limit %q: %v", rate, err)
		}
		f.opts.RateLimit, f.opts.RateWindow = n, w
	}
	if maxWindow != "" {
		d, err := parseDays(maxWindow)
		if err != nil || d <= 0 {
			return f, usagef(cmd, "--max-window %q: want a positive duration such as 720h or 30d", maxWindow)
		}
		f.opts.MaxWindow = d
	}
	if semantics != "" {
		m, err := sandbox.ParseDateSemantics(semantics)
		if err != nil {
			return f, usagef(cmd, "--date-semantics: %v", err)
		}
		f.opts.DateSemantics = m
	}
	f.opts.Faults = faults
	if scopes != nil {
		f.opts.Scopes = scopes
	}
	if err := f.opts.Validate(); err != nil {
		return f, usagef(cmd, "%v", err)
	}
	return f, nil
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

func runSandbox(ctx context.Context, args []string, s Streams) error {
	f, err := parseSandboxFlags(args)
	if err != nil {
		return err
	}
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
