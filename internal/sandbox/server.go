package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a sandbox: an emulator of the Oura API (v2, v1, OAuth2) over
// deterministic synthetic histories. It is an http.Handler; Start also
// serves it on a listener of its own. A Server is safe for concurrent use.
type Server struct {
	cfg      config
	t        *truth
	until    atomic.Int32
	revMu    sync.RWMutex
	revs     map[revKey]int
	oauth    *oauthStore
	limiter  *limiter
	faults   *faulter
	stats    *statsCounter
	tokenKey []byte
	extra    []*collection // Options.ExtraCollections (drift.go)
	app      *limiter      // the per-application rate limit (applimit.go)
	log      *requestLog   // Options.RecordRequests (requestlog.go)
	hooks    *hooks        // webhook subscriptions and deliveries (webhook*.go)
	masks    masks         // deleted and late documents (webhook_change.go)
	histMu   sync.Mutex    // serialises advance, revise and delete

	srvMu sync.Mutex
	srv   *http.Server
}

type revKey struct {
	user int
	day  Date
}

// New makes a sandbox. It is quick (nothing is precomputed per day).
func New(opts Options) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("sandbox options: %w", err)
	}
	cfg := opts.withDefaults()
	if cfg.Since > cfg.Until {
		return nil, fmt.Errorf("sandbox options: since %s is after until %s", cfg.Since, cfg.Until)
	}
	zones, err := loadZones()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	seed := uint64(cfg.Seed)
	t := &truth{seed: seed, since: cfg.Since, base: cfg.Until, zones: zones, ids: newIDCodec(seed)}
	t.profiles = make([]profile, cfg.Users)
	for i := range t.profiles {
		t.profiles[i] = newProfile(seed, i+1, cfg.Since, cfg.Until)
	}
	key := sha256.Sum256(binary.LittleEndian.AppendUint64([]byte("ouraexport sandbox next_token"), streamKey(seed, 0, tagTokenKey, 0, 0)))
	s := &Server{
		cfg:      cfg,
		t:        t,
		revs:     map[revKey]int{},
		oauth:    newOAuthStore(),
		limiter:  newLimiter(cfg.RateLimit, cfg.RateWindow),
		faults:   newFaulter(seed, cfg.FaultRate, cfg.faults),
		stats:    newStatsCounter(),
		tokenKey: key[:],
		extra:    extraCollections(cfg.ExtraCollections),
		app:      newLimiter(cfg.AppRateLimit, cfg.AppRateWindow),
		log:      newRequestLog(cfg.RecordRequests),
	}
	s.hooks = newHooks(cfg, s.userID)
	s.until.Store(int32(cfg.Until))
	return s, nil
}

// Users returns the number of users.
func (s *Server) Users() int { return s.cfg.Users }

// Since returns the first day of the history.
func (s *Server) Since() Date { return s.t.since }

// Until returns the last day of the history ("today" for the sandbox).
func (s *Server) Until() Date { return Date(s.until.Load()) }

// Advance moves the end of the history days forward (new days appear) and
// returns the new last day; days < 0 count as 0. Days already served keep
// their documents, except that a rest mode period still running at the old
// end may now have ended. Live webhook subscriptions get the events.
func (s *Server) Advance(days int) Date {
	until, _ := s.advanceChanges(days, false)
	return until
}

// Revise gives day's documents of user new values (same ids): another
// sleep score, other heart rates, other steps. Each call makes a new
// revision. Other days' documents do not change. Live webhook
// subscriptions get an update event for each document that changed.
func (s *Server) Revise(user int, day Date) error {
	_, err := s.ReviseChanges(user, day)
	return err
}

func (s *Server) revision(user int, day Date) int {
	s.revMu.RLock()
	defer s.revMu.RUnlock()
	if len(s.revs) == 0 {
		return 0
	}
	return s.revs[revKey{user, day}]
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// newWorld returns a world for user at the current history end.
func (s *Server) newWorld(user int) *world {
	return newWorld(s.t, user, s.Until(), func(d Date) int { return s.revision(user, d) })
}

// historyEnd is the instant the history ends: the end of the last day's window.
func (w *world) historyEnd() int64 { return w.planOf(w.until).w1 }

// Start listens on addr (e.g. "127.0.0.1:0") and serves in a goroutine;
// it returns the base URL, e.g. "http://127.0.0.1:41234". The server
// answers requests as soon as Start returns.
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sandbox: listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	s.srvMu.Lock()
	if s.srv != nil {
		s.srvMu.Unlock()
		ln.Close()
		return "", errors.New("sandbox: already started")
	}
	s.srv = srv
	s.srvMu.Unlock()
	go func() { _ = srv.Serve(ln) }() // Serve returns ErrServerClosed on Close
	return "http://" + ln.Addr().String(), nil
}

// Shutdown stops the server gracefully: it stops accepting, lets requests
// in flight finish until ctx ends, then closes what is left. Webhook
// deliveries stop at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.hooks.close()
	s.srvMu.Lock()
	srv := s.srv
	s.srvMu.Unlock()
	if srv == nil {
		return nil
	}
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return nil
		}
		return fmt.Errorf("sandbox: shutdown: %w", err)
	}
	return nil
}

// Close stops the server at once, closing open connections (and so
// cancelling requests in flight), and stops webhook deliveries.
func (s *Server) Close() error {
	s.hooks.close()
	s.srvMu.Lock()
	srv := s.srv
	s.srvMu.Unlock()
	if srv == nil {
		return nil
	}
	if err := srv.Close(); err != nil {
		return fmt.Errorf("sandbox: close: %w", err)
	}
	return nil
}

// ServeHTTP serves the whole API: /v2/usercollection/..., its
// /v2/sandbox/usercollection/... mirror, /v1/..., /oauth/... and the
// /_sandbox/... control routes. The reset and truncate faults need a
// connection to drop: they hijack it, or panic with http.ErrAbortHandler
// (which net/http turns into a dropped connection) when w cannot be hijacked.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rs := &reqState{route: "unknown", arrived: s.cfg.Now()}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				s.record(rs)
				panic(v)
			}
			// A last resort: a bug must not take the server down.
			if rs.status == 0 {
				s.detail(w, r, rs, http.StatusInternalServerError, "Internal Server Error")
			}
			rs.status = http.StatusInternalServerError
		}
		s.record(rs)
		if l := s.cfg.Logger; l != nil {
			l.Info("request", "method", r.Method, "path", r.URL.Path, "route", rs.route, "status", rs.status,
				"bytes", rs.bytes, "fault", rs.fault, "duration", time.Since(start).Round(time.Microsecond))
		}
	}()
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/v2/usercollection/"):
		s.serveV2(w, r, rs, p[len("/v2/usercollection/"):], false)
	case strings.HasPrefix(p, "/v2/sandbox/usercollection/"):
		s.serveV2(w, r, rs, p[len("/v2/sandbox/usercollection/"):], true)
	case strings.HasPrefix(p, "/v1/"):
		s.serveV1(w, r, rs, p[len("/v1/"):])
	case p == "/oauth/authorize" || p == "/oauth/token" || p == "/oauth/revoke":
		s.serveOAuth(w, r, rs, p[len("/oauth/"):])
	case p == PortalTokenPath:
		s.serveOAuth(w, r, rs, portalStep)
	case p == "/v2/webhook/subscription" || strings.HasPrefix(p, "/v2/webhook/subscription/"):
		s.serveWebhook(w, r, rs, strings.TrimPrefix(p[len("/v2/webhook/subscription"):], "/"))
	case strings.HasPrefix(p, "/_sandbox/"):
		rs.route = "control"
		s.serveControl(w, r, rs, p[len("/_sandbox/"):])
	default:
		s.detail(w, r, rs, http.StatusNotFound, "Not Found")
	}
}

// record counts a request in the stats (and the request log), once.
func (s *Server) record(rs *reqState) {
	if !rs.done {
		rs.done = true
		s.stats.record(rs)
		s.log.add(rs, s.cfg.Now())
	}
}

// wait sleeps d unless the request is cancelled first; it reports whether
// the request is still wanted.
func wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// preamble applies latency and transport-level faults; it returns the
// fault left for the body (truncate, malformed, loop, duplicate,
// wrongtype) and false when the request has been answered.
func (s *Server) preamble(w http.ResponseWriter, r *http.Request, rs *reqState, faultable bool) (string, bool) {
	if !wait(r, s.cfg.Latency) {
		rs.status = 499
		return "", false
	}
	if !faultable {
		return "", true
	}
	f := s.faults.draw()
	switch f {
	case "":
		return "", true
	case Fault500:
		rs.fault = f
		s.detail(w, r, rs, http.StatusInternalServerError, "Internal Server Error")
	case Fault502:
		rs.fault = f
		s.send(w, r, rs, http.StatusBadGateway, ctypeHTML, []byte(html502), "")
	case Fault503:
		rs.fault = f
		w.Header().Set("Retry-After", "1")
		if s.faults.coin() {
			s.detail(w, r, rs, http.StatusServiceUnavailable, "Service Unavailable")
		} else {
			s.send(w, r, rs, http.StatusServiceUnavailable, ctypeHTML, []byte(html503), "")
		}
	case Fault429:
		rs.fault = f
		w.Header().Set("Retry-After", "1")
		s.detail(w, r, rs, http.StatusTooManyRequests, "Too Many Requests")
	case FaultReset:
		rs.fault, rs.status = f, 0
		s.resetConn(w, rs)
	case FaultHTML:
		rs.fault = f
		s.send(w, r, rs, http.StatusOK, ctypeHTML, []byte(htmlMaintenance), "")
	case FaultSlow:
		rs.fault = f
		if !wait(r, s.cfg.SlowDelay) {
			rs.status = 499
			return "", false
		}
		return "", true
	default:
		return f, true
	}
	return "", false
}

// oauthMethods are the OAuth endpoints and their methods.
var oauthMethods = map[string]string{"authorize": "GET", "token": "POST", portalStep: "POST", "revoke": "GET, POST"}

// serveOAuth routes the OAuth endpoints (never faulted unless FaultOAuth).
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request, rs *reqState, step string) {
	rs.route = "oauth/" + step
	allowed := oauthMethods[step]
	if !methodIn(r.Method, allowed) {
		w.Header().Set("Allow", allowed)
		s.detail(w, r, rs, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	if _, ok := s.preamble(w, r, rs, s.cfg.FaultOAuth); !ok {
		return
	}
	switch step {
	case "authorize":
		s.authorize(w, r, rs)
	case "token", portalStep:
		s.token(w, r, rs)
	default:
		s.revoke(w, r, rs)
	}
}

// methodIn reports whether m is one of the comma-separated methods.
func methodIn(m, allowed string) bool {
	for _, a := range strings.Split(allowed, ",") {
		if strings.TrimSpace(a) == m {
			return true
		}
	}
	return false
}
