package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ouraexport/ouraexport/internal/oura"
	"golang.org/x/oauth2"
)

// DefaultLockWait is how long a token source waits for another process that
// holds the login's lock (a refresh takes seconds).
const DefaultLockWait = 2 * time.Minute

// SourceOptions configure a Source.
type SourceOptions struct {
	// ClientSecret is the OAuth2 client secret ($OURA_CLIENT_SECRET or the
	// config file); empty for a public client that logged in with PKCE.
	ClientSecret string
	// HTTP is the client for token requests (nil: 30-second timeout).
	HTTP *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// LockWait bounds the wait for the login's lock (default DefaultLockWait).
	LockWait time.Duration
	// Logger, when set, gets one line per refresh (never a token).
	Logger *slog.Logger
}

// Source is an access-token source backed by a stored login that refreshes
// ahead of expiry, and when the server rejects the token, without ever
// burning a refresh token: each refresh happens under the login's file
// lock, after re-reading the file (another process may have refreshed
// already: then its token is used, and no request made), and the rotated
// token pair is saved atomically before the new access token is handed
// out. It implements oura.TokenSource and oura.Refresher and is
// safe for concurrent use.
type Source struct {
	store *Store
	opts  SourceOptions
	sem   chan struct{} // held while the token is read or replaced
	tok   *Token        // the login as last read or saved
	dead  error         // set once the server refused the refresh token for good
	// retryAt delays the next early refresh after one failed.
	retryAt time.Time

	refreshes atomic.Int64
	adopted   atomic.Int64
}

var (
	_ oura.TokenSource = (*Source)(nil)
	_ oura.Refresher   = (*Source)(nil)
)

// afterSave, when set (tests), is called after a refreshed login was saved
// and before its access token is returned.
var afterSave func()

// NewSource loads the login of store. It fails with ErrNoLogin when there
// is none.
func NewSource(store *Store, o SourceOptions) (*Source, error) {
	tok, err := store.Load()
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LockWait <= 0 {
		o.LockWait = DefaultLockWait
	}
	return &Source{store: store, opts: o, sem: make(chan struct{}, 1), tok: tok}, nil
}

// Login returns a copy of the login as the source last saw it.
func (s *Source) Login() Token {
	s.sem <- struct{}{}
	defer func() { <-s.sem }()
	return *s.tok.clone()
}

// Refreshes returns how many refresh requests the source made; Adopted how
// many times it took up a token another process (or source) had saved.
func (s *Source) Refreshes() int { return int(s.refreshes.Load()) }

// Adopted returns how many times the source used a token that another
// process or source had refreshed, instead of refreshing itself.
func (s *Source) Adopted() int { return int(s.adopted.Load()) }

func (s *Source) acquire(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Token returns the current access token, refreshing it first when its
// expiry is near (see Token.Margin).
func (s *Source) Token(ctx context.Context) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer func() { <-s.sem }()
	if s.dead != nil {
		return "", s.dead
	}
	now := s.opts.Now()
	if !s.tok.Due(now) || (now.Before(s.retryAt) && now.Before(s.tok.Expiry)) {
		return s.tok.AccessToken, nil
	}
	tok, err := s.renew(ctx, s.tok.AccessToken)
	if err != nil && s.dead == nil && ctx.Err() == nil && now.Before(s.tok.Expiry) {
		// The refresh failed for now, but the token still works: use it,
		// and try again a little later.
		s.retryAt = now.Add(retryRefresh)
		s.logErr("could not refresh the access token yet; using it until it expires", err)
		return s.tok.AccessToken, nil
	}
	return tok, err
}

// retryRefresh is how long a source keeps using a valid token after an
// early refresh failed before it tries again.
const retryRefresh = 30 * time.Second

// Refresh replaces the access token the server rejected. When the source
// has already moved on from rejected, it returns the newer token without a
// request.
func (s *Source) Refresh(ctx context.Context, rejected string) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer func() { <-s.sem }()
	if s.dead != nil {
		return "", s.dead
	}
	if s.tok.AccessToken != rejected && !s.tok.Due(s.opts.Now()) {
		return s.tok.AccessToken, nil
	}
	return s.renew(ctx, rejected)
}

// renew replaces stale, an access token that is due or was rejected, under
// the login's lock. The caller holds sem.
func (s *Source) renew(ctx context.Context, stale string) (string, error) {
	lctx, cancel := context.WithTimeoutCause(ctx, s.opts.LockWait,
		fmt.Errorf("another process held the lock of %s for over %s (is another ouraexport stuck?)", s.store.Path(), s.opts.LockWait))
	unlock, err := s.store.Lock(lctx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", err
	}
	defer unlock()

	cur, err := s.store.Load()
	if err != nil {
		if errors.Is(err, ErrNoLogin) {
			s.dead = &fatalError{msg: fmt.Sprintf("the login %s was removed during the run ('ouraexport auth logout'?): run 'ouraexport auth login' again", s.store.Path()), also: []error{ErrNoLogin}}
		} else {
			s.dead = &fatalError{msg: err.Error(), also: []error{err}}
		}
		return "", s.dead
	}
	if s.tok.Account != "" && cur.Account != "" && cur.Account != s.tok.Account {
		s.dead = &fatalError{msg: fmt.Sprintf("the stored login changed to another account (%s, not %s) during the run", cur.Who(), s.tok.Who())}
		return "", s.dead
	}
	now := s.opts.Now()
	if cur.AccessToken != stale && !cur.Due(now) {
		// Another process (or source) refreshed already: use its token.
		s.tok = cur
		s.adopted.Add(1)
		s.log("using the access token another run refreshed", cur)
		return cur.AccessToken, nil
	}
	if cur.RefreshToken == "" {
		s.dead = &expiredError{detail: "the login holds no refresh token"}
		return "", s.dead
	}
	next, err := s.refresh(ctx, cur)
	if err != nil {
		if !errors.Is(err, ErrLoginExpired) {
			return "", err
		}
		// A writer that ignores the lock (a file shared over a network
		// file system without working locks) may have rotated the token
		// meanwhile: if so, use its login.
		if again, lerr := s.store.Load(); lerr == nil && again.RefreshToken != cur.RefreshToken && !again.Due(s.opts.Now()) {
			s.tok = again
			s.adopted.Add(1)
			s.log("using the access token another run refreshed", again)
			return again.AccessToken, nil
		}
		s.dead = err
		return "", err
	}
	// Save before the new access token is used: the old refresh token is
	// spent, and the new one exists only in memory until this returns.
	if err := s.store.save(next); err != nil {
		return "", fmt.Errorf("%w; the previous refresh token is already spent, so unless the disk recovers run 'ouraexport auth login' again", err)
	}
	if afterSave != nil {
		afterSave()
	}
	s.tok = next
	s.refreshes.Add(1)
	s.log("refreshed the access token", next)
	return next.AccessToken, nil
}

// refresh redeems cur's refresh token and returns the new login.
func (s *Source) refresh(ctx context.Context, cur *Token) (*Token, error) {
	app := &App{ClientID: cur.ClientID, ClientSecret: s.opts.ClientSecret, TokenURL: cur.TokenURL, APIURL: cur.APIURL, HTTP: s.opts.HTTP}
	ot, used, err := app.grant(ctx, func(ctx context.Context, cfg *oauth2.Config) (*oauth2.Token, error) {
		return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: cur.RefreshToken}).Token()
	})
	if err != nil {
		return nil, fmt.Errorf("refresh the access token: %w", err)
	}
	next := fromOAuth(ot, s.opts.Now(), cur.Scopes)
	if next.RefreshToken == "" {
		next.RefreshToken = cur.RefreshToken // the server kept the old one
	}
	if tok := next.AccessToken + next.RefreshToken; strings.ContainsAny(tok, " \t\r\n") || !utf8.ValidString(tok) {
		// Saved, it would not load back as it is (Load refuses white
		// space; the file's JSON cannot hold bytes that are not UTF-8).
		return nil, errors.New("refresh the access token: the token endpoint answered a malformed token (white space, or bytes that are not UTF-8)")
	}
	next.ClientID, next.TokenURL, next.APIURL = cur.ClientID, used, cur.APIURL
	next.Account, next.Email, next.LoggedIn = cur.Account, cur.Email, cur.LoggedIn
	next.Refreshes = cur.Refreshes + 1
	return next, nil
}

func (s *Source) logErr(msg string, err error) {
	if s.opts.Logger != nil {
		s.opts.Logger.Warn(msg, "login", s.store.Path(), "error", err.Error())
	}
}

func (s *Source) log(msg string, t *Token) {
	if s.opts.Logger != nil {
		s.opts.Logger.Info(msg, "login", s.store.Path(), "expires", t.Expiry.Format(time.RFC3339))
	}
}
