package sandbox

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
)

// Defaults of the behaviours Options controls.
const (
	DefaultUsers          = 3
	DefaultYears          = 5
	DefaultDocPageSize    = 100
	DefaultSeriesPageSize = 10000
	DefaultRateLimit      = 5000
	DefaultRateWindow     = 5 * time.Minute
	DefaultTokenTTL       = 24 * time.Hour
	DefaultMaxWindow      = 30 * 24 * time.Hour
	DefaultSlowDelay      = 60 * time.Second
	// MaxUsers is the largest number of users a sandbox serves.
	MaxUsers = 100000
)

// DateSemantics says how a document route treats end_date.
type DateSemantics uint8

// The date semantics a collection can have.
const (
	// Inclusive returns documents whose day is in [start_date, end_date].
	Inclusive DateSemantics = iota + 1
	// Exclusive returns documents whose day is in [start_date, end_date).
	Exclusive
)

// String returns "inclusive" or "exclusive".
func (s DateSemantics) String() string {
	switch s {
	case Inclusive:
		return "inclusive"
	case Exclusive:
		return "exclusive"
	}
	return fmt.Sprintf("DateSemantics(%d)", uint8(s))
}

// ParseDateSemantics parses "collection=inclusive|exclusive,..." as the
// --date-semantics flag writes it. The collection "all" sets every document
// collection; later entries override earlier ones.
func ParseDateSemantics(s string) (map[string]DateSemantics, error) {
	out := map[string]DateSemantics{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("date semantics %q: want collection=inclusive|exclusive", part)
		}
		var sem DateSemantics
		switch strings.TrimSpace(val) {
		case "inclusive":
			sem = Inclusive
		case "exclusive":
			sem = Exclusive
		default:
			return nil, fmt.Errorf("date semantics %q: want inclusive or exclusive", part)
		}
		name = strings.TrimSpace(name)
		if name == "all" {
			for _, c := range collections {
				if c.kind == kindDaily {
					out[c.name] = sem
				}
			}
			continue
		}
		c := collectionByName(name)
		if c == nil || c.kind != kindDaily {
			return nil, fmt.Errorf("date semantics %q: %q is not a collection with start_date/end_date", part, name)
		}
		out[name] = sem
	}
	return out, nil
}

// Fault kinds the fault injector draws from.
const (
	Fault500       = "500"       // 500 with a JSON body
	Fault502       = "502"       // 502 with an HTML body, as a proxy sends it
	Fault503       = "503"       // 503 with a JSON or HTML body
	FaultReset     = "reset"     // the connection is closed without a response
	FaultTruncate  = "truncate"  // full Content-Length, part of the body, then close
	FaultSlow      = "slow"      // the answer comes after SlowDelay (interruptible)
	FaultHTML      = "html"      // 200 with an HTML page
	FaultMalformed = "malformed" // 200 with broken JSON
	FaultLoop      = "loop"      // a next_token that leads back to an earlier page
	FaultDuplicate = "duplicate" // a page repeats records of the previous page
	FaultWrongType = "wrongtype" // a number field served as a string
	Fault429       = "429"       // 429 Too Many Requests with Retry-After: 1, outside the rate limit
)

// DefaultFaults are the kinds drawn from when Options.Faults is empty.
var DefaultFaults = []string{Fault500, Fault502, Fault503, FaultReset, FaultTruncate}

// AllFaults lists every fault kind.
var AllFaults = []string{Fault500, Fault502, Fault503, FaultReset, FaultTruncate, FaultSlow,
	FaultHTML, FaultMalformed, FaultLoop, FaultDuplicate, FaultWrongType, Fault429}

// Scopes are the OAuth2 scopes the sandbox knows. Each is also accepted
// with the "extapi:" prefix of Oura's partner integrations, and "spo2Daily"
// as an alias of "spo2". reproductive_cycle gates daily_cycle_phases;
// interbeat_interval, which gates the research-only collection of that
// name, is the sandbox's guess at a scope Oura does not name publicly.
var Scopes = []string{"email", "personal", "daily", "heartrate", "workout", "tag", "session",
	"spo2", "stress", "heart_health", "ring_configuration", "reproductive_cycle", "interbeat_interval"}

// Options configure a sandbox. Zero values mean the documented defaults.
type Options struct {
	// Users is the number of users, numbered from 1 (default 3).
	Users int
	// Seed selects the synthetic truth; the same seed gives the same bytes.
	Seed int64
	// Since and Until bound the history (inclusive). Zero Until is today
	// (UTC); zero Since is Until minus 5 years.
	Since, Until Date
	// PageSize is the page size of every list route. Zero means 100
	// documents on document routes and 10000 rows on heartrate and
	// ring_battery_level.
	PageSize int
	// Latency is slept before answering each request (interruptible).
	Latency time.Duration
	// FaultRate is the probability that a request gets a fault.
	FaultRate float64
	// Faults are the kinds faults are drawn from (default DefaultFaults).
	Faults []string
	// FaultOAuth lets faults hit the /oauth routes too.
	FaultOAuth bool
	// SlowDelay is how long a "slow" fault waits (default 60s).
	SlowDelay time.Duration
	// RateLimit is the number of requests each token may make per
	// RateWindow (default 5000 per 5 minutes); negative disables the limit.
	RateLimit  int
	RateWindow time.Duration
	// TokenTTL is the lifetime of OAuth-issued access tokens (default 24h).
	TokenTTL time.Duration
	// MaxWindow is the longest heartrate/ring_battery_level range one
	// request may ask for (default 30 days).
	MaxWindow time.Duration
	// DateSemantics overrides the per-collection end_date semantics (see
	// DefaultDateSemantics).
	DateSemantics map[string]DateSemantics
	// Scopes restricts the static tokens' scopes (default: all).
	Scopes []string
	// Lapsed answers 403 on every v2 usercollection route (membership ended).
	Lapsed bool
	// V1Retired answers 404 on every /v1 route.
	V1Retired bool
	// NoGzip disables gzip responses.
	NoGzip bool
	// ExtraFields adds fields no published model has to every v2 document
	// and row (drift.go): an export must keep them, in extra.
	ExtraFields bool
	// ExtraCollections are collections no published spec has, served like
	// the date collections (drift.go): an export can keep them raw.
	ExtraCollections []string
	// TokenEndpoint says which token endpoint knows the OAuth client
	// (portal.go): TokenBoth (default), TokenLegacy or TokenPortal.
	TokenEndpoint string
	// AppRateLimit is the number of requests all tokens of the OAuth client
	// together may make per AppRateWindow (default 5 minutes); zero or
	// negative: no such limit (applimit.go).
	AppRateLimit  int
	AppRateWindow time.Duration
	// RecordRequests keeps a record of every request (Requests).
	RecordRequests bool
	// WebhookTTL is the lifetime of a webhook subscription from its
	// creation or renewal (default 90 days).
	WebhookTTL time.Duration
	// WebhookDelay is the time from a change to its events (default 1s).
	WebhookDelay time.Duration
	// WebhookTimeout is how long a callback may take to answer an event or
	// the verification challenge (default 10s).
	WebhookTimeout time.Duration
	// WebhookRetryBase is the wait before the first retry of an event; it
	// doubles with each try, up to WebhookTries (default 5s).
	WebhookRetryBase time.Duration
	// WebhookNaiveExpiry writes expiration_time without an offset.
	WebhookNaiveExpiry bool
	// WebhookLost loses the first N deliveries; WebhookLostFor loses every
	// delivery for that long after New (the lost events fault).
	WebhookLost    int
	WebhookLostFor time.Duration
	// WebhookLate hides each created or updated document, on the list and
	// by-id routes, until that long after its event was due (the late
	// document fault).
	WebhookLate time.Duration
	// Now is the clock (default time.Now); tests use it for token expiry
	// and rate windows.
	Now func() time.Time
	// Logger, when set, gets one line per request (never a token).
	Logger *slog.Logger
}

// DefaultDateSemantics returns the end_date semantics per collection: end
// exclusive for daily_activity, sleep and workout (as recorded responses
// suggest, see the package documentation), inclusive for the others.
func DefaultDateSemantics() map[string]DateSemantics {
	m := map[string]DateSemantics{}
	for _, c := range collections {
		if c.kind == kindDaily {
			m[c.name] = Inclusive
		}
	}
	m["daily_activity"] = Exclusive
	m["sleep"] = Exclusive
	m["workout"] = Exclusive
	return m
}

// Validate reports options that cannot work.
func (o *Options) Validate() error {
	var errs []error
	if o.Users < 0 || o.Users > MaxUsers {
		errs = append(errs, fmt.Errorf("users %d: want 1..%d", o.Users, MaxUsers))
	}
	if o.Since != 0 && o.Until != 0 && o.Since > o.Until {
		errs = append(errs, fmt.Errorf("since %s is after until %s", o.Since, o.Until))
	}
	if o.PageSize < 0 {
		errs = append(errs, fmt.Errorf("page size %d: must be positive", o.PageSize))
	}
	if o.Latency < 0 || o.SlowDelay < 0 || o.TokenTTL < 0 || o.MaxWindow < 0 || o.RateWindow < 0 {
		errs = append(errs, errors.New("durations must not be negative"))
	}
	if o.FaultRate < 0 || o.FaultRate > 1 {
		errs = append(errs, fmt.Errorf("fault rate %v: want 0..1", o.FaultRate))
	}
	for _, f := range o.Faults {
		if !contains(AllFaults, f) {
			errs = append(errs, fmt.Errorf("unknown fault kind %q (known: %s)", f, strings.Join(AllFaults, ",")))
		}
	}
	for _, sc := range o.Scopes {
		if normScope(sc) == "" {
			errs = append(errs, fmt.Errorf("unknown scope %q (known: %s)", sc, strings.Join(Scopes, ",")))
		}
	}
	errs = append(errs, o.validateDrift()...)
	if o.WebhookTTL < 0 || o.WebhookDelay < 0 || o.WebhookTimeout < 0 || o.WebhookRetryBase < 0 ||
		o.WebhookLostFor < 0 || o.WebhookLate < 0 || o.WebhookLost < 0 {
		errs = append(errs, errors.New("webhook durations and counts must not be negative"))
	}
	if o.AppRateWindow < 0 {
		errs = append(errs, errors.New("durations must not be negative"))
	}
	switch o.TokenEndpoint {
	case "", TokenBoth, TokenLegacy, TokenPortal:
	default:
		errs = append(errs, fmt.Errorf("token endpoint %q: want %s, %s or %s", o.TokenEndpoint, TokenBoth, TokenLegacy, TokenPortal))
	}
	for name, sem := range o.DateSemantics {
		if c := collectionByName(name); c == nil || c.kind != kindDaily {
			errs = append(errs, fmt.Errorf("date semantics for %q: not a collection with start_date/end_date", name))
		}
		if sem != Inclusive && sem != Exclusive {
			errs = append(errs, fmt.Errorf("date semantics for %q: invalid value", name))
		}
	}
	return errors.Join(errs...)
}

// config is Options with the defaults applied.
type config struct {
	Options
	docPage, seriesPage int
	semantics           map[string]DateSemantics
	staticScopes        scopeSet
	faults              []string
	webhookTTL          time.Duration
	webhookDelay        time.Duration
	webhookTimeout      time.Duration
	webhookRetryBase    time.Duration
}

func (o Options) withDefaults() config {
	c := config{Options: o}
	if c.Users == 0 {
		c.Users = DefaultUsers
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Until == 0 {
		c.Until = DateOf(c.Now().UTC())
	}
	if c.Since == 0 {
		y, m, d := c.Until.civil()
		c.Since = dateFromCivil(y-DefaultYears, m, d) + 1
	}
	c.docPage, c.seriesPage = DefaultDocPageSize, DefaultSeriesPageSize
	if o.PageSize > 0 {
		c.docPage, c.seriesPage = o.PageSize, o.PageSize
	}
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.RateWindow == 0 {
		c.RateWindow = DefaultRateWindow
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = DefaultTokenTTL
	}
	if c.MaxWindow == 0 {
		c.MaxWindow = DefaultMaxWindow
	}
	if c.SlowDelay == 0 {
		c.SlowDelay = DefaultSlowDelay
	}
	c.semantics = DefaultDateSemantics()
	for k, v := range o.DateSemantics {
		c.semantics[k] = v
	}
	c.staticScopes = allScopes
	if o.Scopes != nil {
		c.staticScopes = parseScopeList(o.Scopes)
	}
	if c.AppRateWindow == 0 {
		c.AppRateWindow = DefaultRateWindow
	}
	if c.TokenEndpoint == "" {
		c.TokenEndpoint = TokenBoth
	}
	c.faults = o.Faults
	if len(c.faults) == 0 {
		c.faults = DefaultFaults
	}
	c.webhookTTL = orDefault(o.WebhookTTL, DefaultWebhookTTL)
	c.webhookDelay = orDefault(o.WebhookDelay, DefaultWebhookDelay)
	c.webhookTimeout = orDefault(o.WebhookTimeout, DefaultWebhookTimeout)
	c.webhookRetryBase = orDefault(o.WebhookRetryBase, DefaultWebhookRetryBase)
	return c
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
