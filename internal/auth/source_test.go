package auth

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/internal/sandbox"
)

// newSource opens st with the sandbox's secret and clock c.
func newSource(t testing.TB, st *Store, c *clock) *Source {
	t.Helper()
	o := SourceOptions{ClientSecret: sandbox.ClientSecret}
	if c != nil {
		o.Now = c.Now
	}
	s, err := NewSource(st, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func load(t testing.TB, st *Store) *Token {
	t.Helper()
	tok, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// dueClock returns a clock at which st's access token is due.
func dueClock(t testing.TB, st *Store) *clock {
	tok := load(t, st)
	return &clock{t: tok.Expiry.Add(-tok.Margin() + time.Second)}
}

func TestSourceRefreshesWhenDue(t *testing.T) {
	w := newWorld(t, nil) // 24-hour tokens
	st := w.loggedIn(t)
	before := load(t, st)
	c := &clock{t: before.Issued.Add(time.Hour)}
	src := newSource(t, st, c)
	ctx := context.Background()
	for range 3 {
		got, err := src.Token(ctx)
		if err != nil || got != before.AccessToken {
			t.Fatalf("fresh token: got %v", err)
		}
	}
	if n, _ := w.refreshes(); n != 0 {
		t.Fatalf("%d refreshes of a fresh token", n)
	}

	c.Set(before.Expiry.Add(-4 * time.Minute)) // within the 5-minute margin
	got, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after := load(t, st)
	switch {
	case got == before.AccessToken:
		t.Error("the due token was not replaced")
	case got != after.AccessToken:
		t.Error("the token handed out is not the one saved")
	case after.RefreshToken == before.RefreshToken:
		t.Error("the rotated refresh token was not saved")
	case after.Refreshes != before.Refreshes+1 || after.Account != before.Account || after.LoggedIn.IsZero():
		t.Errorf("metadata lost: %v", after)
	}
	if n, failed := w.refreshes(); n != 1 || failed != 0 {
		t.Errorf("%d refreshes (%d failed), want 1", n, failed)
	}
	// The old refresh token is spent: the file holds the only live one.
	if status, code := w.redeem(t, before.RefreshToken); status != http.StatusBadRequest || code != "invalid_grant" {
		t.Errorf("old refresh token: %d %s, want 400 invalid_grant", status, code)
	}
	if src.Refreshes() != 1 {
		t.Errorf("Refreshes() = %d", src.Refreshes())
	}
}

func TestSourceRefreshOnReject(t *testing.T) {
	w := newWorld(t, nil)
	st := w.loggedIn(t)
	src := newSource(t, st, nil)
	ctx := context.Background()
	old, _ := src.Token(ctx)
	got, err := src.Refresh(ctx, old)
	if err != nil || got == old {
		t.Fatalf("Refresh of the current token: %v", err)
	}
	// A late 401 for the old token must not refresh again.
	again, err := src.Refresh(ctx, old)
	if err != nil || again != got {
		t.Fatalf("Refresh of a replaced token: %v", err)
	}
	if n, _ := w.refreshes(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	if _, err := Identify(ctx, identityClient(t, w.url, got)); err != nil {
		t.Errorf("the new token does not work: %v", err)
	}
}

// TestSourceAdopts checks that a source whose token is due uses the token
// another source (another process) saved, without a request.
func TestSourceAdopts(t *testing.T) {
	w := newWorld(t, nil)
	st := w.loggedIn(t)
	c := dueClock(t, st)
	a, b := newSource(t, st, c), newSource(t, st, c)
	ctx := context.Background()
	ta, err := a.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ta != tb {
		t.Error("b did not take up a's token")
	}
	if n, _ := w.refreshes(); n != 1 || b.Adopted() != 1 || b.Refreshes() != 0 {
		t.Errorf("%d refreshes, b adopted %d and refreshed %d; want 1, 1, 0", n, b.Adopted(), b.Refreshes())
	}
}

// TestSourceConcurrent has many goroutines of several sources of one file
// ask for a due token at once: one refresh, no invalid_grant.
func TestSourceConcurrent(t *testing.T) {
	w := newWorld(t, nil)
	st := w.loggedIn(t)
	c := dueClock(t, st)
	var srcs []*Source
	for range 4 {
		srcs = append(srcs, newSource(t, NewStore(st.Path()), c))
	}
	var wg sync.WaitGroup
	toks := make(chan string, 64)
	for i := range 32 {
		wg.Go(func() {
			tok, err := srcs[i%len(srcs)].Token(context.Background())
			if err != nil {
				t.Error(err)
			}
			toks <- tok
		})
	}
	wg.Wait()
	close(toks)
	final := load(t, st).AccessToken
	for tok := range toks {
		if tok != final {
			t.Fatal("a goroutine got another token than the one saved")
		}
	}
	if n, failed := w.refreshes(); n != 1 || failed != 0 {
		t.Errorf("%d refreshes (%d failed), want 1 and 0", n, failed)
	}
}

// TestSourceExpired checks invalid_grant: the login is dead, the error
// says what to do, matches oura.ErrUnauthorized, and no further
// request is made.
func TestSourceExpired(t *testing.T) {
	w := newWorld(t, nil)
	st := w.loggedIn(t)
	tok := load(t, st)
	if status, _ := w.redeem(t, tok.RefreshToken); status != http.StatusOK { // a careless tool spends it
		t.Fatal("redeem failed")
	}
	src := newSource(t, st, dueClock(t, st))
	_, err := src.Token(context.Background())
	if !errors.Is(err, ErrLoginExpired) || !errors.Is(err, oura.ErrUnauthorized) {
		t.Fatalf("got %v, want ErrLoginExpired and ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), "run 'ouraexport auth login' again") || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("message: %v", err)
	}
	noSecrets(t, "the error", err.Error(), tok)
	if _, err := src.Refresh(context.Background(), tok.AccessToken); !errors.Is(err, ErrLoginExpired) {
		t.Errorf("second call: %v", err)
	}
	if n, _ := w.refreshes(); n != 2 {
		t.Errorf("%d refresh requests, want 2: the careless tool's and one (the dead login is not retried)", n)
	}
}

// TestSourceLocklessWriter: a writer that ignores the lock rotates the
// token while this source refreshes; the source takes up its login.
func TestSourceLocklessWriter(t *testing.T) {
	w := newWorld(t, nil)
	st := w.loggedIn(t)
	tok := load(t, st)
	c := dueClock(t, st)
	var fired atomic.Bool
	w.setHook(func(rw http.ResponseWriter, r *http.Request) bool {
		if !fired.CompareAndSwap(false, true) {
			return false // the other writer's own request, and any later one
		}
		// Rotate with the same refresh token and save, without the lock.
		other := &Source{store: st, opts: SourceOptions{ClientSecret: sandbox.ClientSecret, Now: c.Now}, tok: tok}
		next, err := other.refresh(r.Context(), tok)
		if err != nil {
			t.Error(err)
		} else if err := st.save(next); err != nil {
			t.Error(err)
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(http.StatusBadRequest)
		rw.Write([]byte(`{"error":"invalid_grant","error_description":"used"}`))
		return true
	})
	src := newSource(t, st, c)
	got, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != load(t, st).AccessToken || src.Adopted() != 1 {
		t.Errorf("did not adopt the other writer's login (adopted %d)", src.Adopted())
	}
}

func TestSourceRetriesServerErrors(t *testing.T) {
	fastRetries(t)
	w := newWorld(t, nil)
	st := w.loggedIn(t)
	fails := 2
	var mu sync.Mutex
	w.setHook(func(rw http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if fails == 0 {
			return false
		}
		fails--
		http.Error(rw, "busy", http.StatusServiceUnavailable)
		return true
	})
	src := newSource(t, st, nil)
	tok := load(t, st)
	got, err := src.Refresh(context.Background(), tok.AccessToken)
	if err != nil || got == tok.AccessToken {
		t.Fatalf("got %v", err)
	}
	if n, failed := w.refreshes(); n != 3 || failed != 2 {
		t.Errorf("%d refreshes, %d failed; want 3, 2", n, failed)
	}
}

// TestSourceKeepsValidToken: when an early refresh fails for now, the
// still valid token is used, and the refresh is not retried on every call.
func TestSourceKeepsValidToken(t *testing.T) {
	fastRetries(t)
	w := newWorld(t, nil)
	st := w.loggedIn(t)
	w.setHook(func(rw http.ResponseWriter, r *http.Request) bool {
		http.Error(rw, "down", http.StatusBadGateway)
		return true
	})
	tok := load(t, st)
	c := dueClock(t, st)
	src := newSource(t, st, c)
	for range 5 {
		got, err := src.Token(context.Background())
		if err != nil || got != tok.AccessToken {
			t.Fatalf("got %v", err)
		}
	}
	if n, _ := w.refreshes(); n != grantAttempts {
		t.Errorf("%d refresh requests, want %d (one refresh, retried)", n, grantAttempts)
	}
	c.Set(tok.Expiry.Add(time.Second)) // expired: now the failure shows
	if _, err := src.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("expired token: got %v", err)
	}
}

// TestSourceFallback: the legacy token endpoint answers invalid_request;
// the developer portal's answers, and the login remembers it.
func TestSourceFallback(t *testing.T) {
	w := newWorld(t, nil)
	legacy := w.url + "/legacy/oauth/token"
	portal := w.url + "/oauth/token"
	old := tokenFallbacks
	tokenFallbacks = map[string]string{legacy: portal}
	t.Cleanup(func() { tokenFallbacks = old })
	var legacyCalls int
	w.setHook(func(rw http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/legacy/oauth/token" {
			return false
		}
		legacyCalls++
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(http.StatusBadRequest)
		rw.Write([]byte(`{"error":"invalid_request","error_description":"Invalid refresh token request"}`))
		return true
	})
	st := w.loggedIn(t)
	tok := load(t, st)
	tok.TokenURL = legacy
	if err := st.Save(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	src := newSource(t, st, nil)
	if _, err := src.Refresh(context.Background(), tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	if got := load(t, st).TokenURL; got != portal || legacyCalls != 1 {
		t.Errorf("token URL %s after %d legacy calls; want %s after 1", got, legacyCalls, portal)
	}
	if _, err := src.Refresh(context.Background(), load(t, st).AccessToken); err != nil || legacyCalls != 1 {
		t.Errorf("second refresh: %v, %d legacy calls", err, legacyCalls)
	}
}

func TestSourceAccountChanged(t *testing.T) {
	w := newWorld(t, nil)
	st := w.loggedIn(t)
	c := dueClock(t, st)
	src := newSource(t, st, c)
	other := w.login(t, "2")
	if err := st.Save(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	_, err := src.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "another account") || !errors.Is(err, oura.ErrUnauthorized) {
		t.Errorf("got %v", err)
	}
}

func TestSourceLoggedOut(t *testing.T) {
	w := newWorld(t, nil)
	st := w.loggedIn(t)
	src := newSource(t, st, dueClock(t, st))
	res, err := Logout(context.Background(), st, nil)
	if err != nil || !res.Found || res.RevokeErr != nil {
		t.Fatalf("Logout: %+v, %v", res, err)
	}
	if _, err := src.Token(context.Background()); !errors.Is(err, ErrNoLogin) || !errors.Is(err, oura.ErrUnauthorized) || !strings.Contains(err.Error(), "removed") {
		t.Errorf("got %v", err)
	}
	// The revoked tokens are dead at the server.
	if _, err := Identify(context.Background(), identityClient(t, w.url, res.Login.AccessToken)); !errors.Is(err, oura.ErrUnauthorized) {
		t.Errorf("revoked access token: %v", err)
	}
	if status, code := w.redeem(t, res.Login.RefreshToken); status != http.StatusBadRequest || code != "invalid_grant" {
		t.Errorf("revoked refresh token: %d %s", status, code)
	}
	if res, err := Logout(context.Background(), st, nil); err != nil || res.Found {
		t.Errorf("second Logout: %+v, %v", res, err)
	}
}

// TestCrashHelper refreshes a login and dies the moment it is saved, before
// the new access token is used (run by TestCrashAfterRefresh).
func TestCrashHelper(t *testing.T) {
	path := os.Getenv("OURAEXPORT_TEST_CRASH")
	if path == "" {
		t.Skip("helper process")
	}
	src, err := NewSource(NewStore(path), SourceOptions{ClientSecret: sandbox.ClientSecret})
	if err != nil {
		os.Exit(2)
	}
	afterSave = func() {
		p, _ := os.FindProcess(os.Getpid())
		p.Kill()
		time.Sleep(time.Minute)
	}
	tok := src.Login()
	src.Refresh(context.Background(), tok.AccessToken)
	os.Exit(3) // not reached
}

// TestCrashAfterRefresh kills a process right after a refresh: the file
// holds the newest token pair, the lock is free, and the next run goes on.
func TestCrashAfterRefresh(t *testing.T) {
	w := newWorld(t, nil)
	st := w.loggedIn(t)
	before := load(t, st)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
	cmd.Env = append(os.Environ(), "OURAEXPORT_TEST_CRASH="+st.Path())
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 2 || ee.ExitCode() == 3 {
		t.Fatalf("helper: %v", err)
	}
	after := load(t, st)
	if after.RefreshToken == before.RefreshToken || after.Refreshes != before.Refreshes+1 {
		t.Fatal("the refresh was not saved before the crash")
	}
	if n, failed := w.refreshes(); n != 1 || failed != 0 {
		t.Fatalf("%d refreshes, %d failed", n, failed)
	}
	// The saved pair is the newest: the next run refreshes with it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	src := newSource(t, st, nil)
	if _, err := src.Refresh(ctx, after.AccessToken); err != nil {
		t.Fatalf("refresh with the saved token: %v", err)
	}
	if status, code := w.redeem(t, before.RefreshToken); status != http.StatusBadRequest || code != "invalid_grant" {
		t.Errorf("the pre-crash token: %d %s, want invalid_grant", status, code)
	}
}
