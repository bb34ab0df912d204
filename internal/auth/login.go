package auth

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// DefaultLoginTimeout is how long Login waits for the browser or the paste.
const DefaultLoginTimeout = 5 * time.Minute

// callbackPath is the path of the default loopback redirect.
const callbackPath = "/callback"

// LoginOptions configure Login.
type LoginOptions struct {
	App App
	// Scopes to ask for; none means whatever the server grants by default
	// (Oura asks the person for every scope).
	Scopes []string
	// RedirectURL is the redirect URI registered for the client. Empty
	// means http://127.0.0.1:<free port>/callback. Without Paste it must be
	// a loopback http URL, where Login listens for the answer.
	RedirectURL string
	// LoginHint is passed as login_hint (the sandbox's user number).
	LoginHint string
	// Browser opens the authorize URL (OpenBrowser); nil means the URL is
	// only printed. Unused with Paste.
	Browser func(url string) error
	// Paste, when set, is where the person pastes the address the browser
	// landed on (for machines without a browser); Login then does not
	// listen for the redirect.
	Paste io.Reader
	// Prompt receives the instructions and the authorize URL.
	Prompt io.Writer
	// Timeout bounds the wait for the browser or the paste (default
	// DefaultLoginTimeout).
	Timeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Login runs OAuth2's authorization code flow with PKCE (S256) and a
// random state: it shows (or opens) the authorize URL, receives the code on
// a loopback redirect or from a pasted address, and exchanges it for
// tokens. The Token it returns is not saved yet, and does not know its
// account (see Identify).
func Login(ctx context.Context, o LoginOptions) (*Token, error) {
	a := o.App
	if a.ClientID == "" {
		return nil, fmt.Errorf("%w: no OAuth client id", ErrBadOption)
	}
	for _, u := range []struct{ what, url string }{{"authorize URL", a.AuthURL}, {"token URL", a.TokenURL}, {"API URL", a.APIURL}} {
		if err := CheckURL(u.what, u.url); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadOption, err)
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultLoginTimeout
	}
	prompt := o.Prompt
	if prompt == nil {
		prompt = io.Discard
	}
	state, err := randomString()
	if err != nil {
		return nil, err
	}
	verifier := oauth2.GenerateVerifier()

	wctx, cancel := context.WithTimeoutCause(ctx, o.Timeout, errWaited{o.Timeout, o.Paste != nil})
	defer cancel()
	results := make(chan callback, 1)
	deliver := func(c callback) {
		select {
		case results <- c:
		default: // only the first answer counts
		}
	}

	var redirect string
	if o.Paste != nil {
		redirect = o.RedirectURL
		if redirect == "" {
			redirect = "http://127.0.0.1" + callbackPath
		}
		if err := checkRedirect(redirect, false); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadOption, err)
		}
	} else {
		stop, r, err := listen(o.RedirectURL, state, deliver)
		if err != nil {
			return nil, err
		}
		defer stop()
		redirect = r
	}

	cfg := a.oauthConfig(a.TokenURL, redirect, o.Scopes)
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if o.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", o.LoginHint))
	}
	authURL := cfg.AuthCodeURL(state, opts...)

	switch {
	case o.Paste != nil:
		fmt.Fprintf(prompt, "Open this address in a browser, on any machine, and allow access:\n\n  %s\n\n"+
			"The browser then goes to %s?code=... (the page may fail to load: that is fine).\n"+
			"Paste that whole address here and press Enter:\n", authURL, redirect)
		go readPaste(o.Paste, prompt, state, deliver)
	case o.Browser != nil:
		fmt.Fprintf(prompt, "Opening your browser to log in. If it does not open, visit:\n\n  %s\n\n", authURL)
		if err := o.Browser(authURL); err != nil {
			fmt.Fprintf(prompt, "Could not open a browser (%v): open the address above yourself.\n", err)
		}
		fmt.Fprintf(prompt, "Waiting for the browser (up to %s)...\n", o.Timeout)
	default:
		fmt.Fprintf(prompt, "Open this address in a browser on this machine and allow access:\n\n  %s\n\nWaiting for the browser (up to %s)...\n", authURL, o.Timeout)
	}

	var code string
	select {
	case c := <-results:
		if c.err != nil {
			return nil, c.err
		}
		code = c.code
	case <-wctx.Done():
		return nil, context.Cause(wctx)
	}

	ot, used, err := a.grant(ctx, func(ctx context.Context, cfg *oauth2.Config) (*oauth2.Token, error) {
		cfg.RedirectURL = redirect
		return cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	})
	if err != nil {
		return nil, fmt.Errorf("exchange the authorization code: %w", err)
	}
	if ot.RefreshToken == "" {
		return nil, errors.New("the token server sent no refresh token: a scheduled export could not renew the login")
	}
	now := o.Now()
	tok := fromOAuth(ot, now, o.Scopes)
	tok.ClientID, tok.TokenURL, tok.APIURL, tok.LoggedIn = a.ClientID, used, strings.TrimRight(a.APIURL, "/"), now
	return tok, nil
}

// errWaited is the timeout of the wait for the browser or the paste.
type errWaited struct {
	d     time.Duration
	paste bool
}

func (e errWaited) Error() string {
	if e.paste {
		return fmt.Sprintf("no address was pasted within %s: run 'ouraexport auth login --paste' again", e.d)
	}
	return fmt.Sprintf("the browser did not come back within %s: run 'ouraexport auth login' again (on a machine without a browser, add --paste; "+
		"if Oura's page complained about the redirect URI, pass the one registered for your app with --redirect-url)", e.d)
}

// callback is the outcome of the authorization: a code or an error.
type callback struct {
	code string
	err  error
}

// randomString returns 32 random bytes, base64url.
func randomString() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// errRetry marks a pasted address that is wrong but may be corrected.
type errRetry struct{ msg string }

func (e errRetry) Error() string { return e.msg }

// parseAnswer reads the redirect's query: the code, a refusal (final
// error), or an errRetry for answers of another attempt or no answer.
func parseAnswer(q url.Values, state string) (string, error) {
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		return "", errRetry{"this answer belongs to another login attempt (its state does not match)"}
	}
	if e := q.Get("error"); e != "" {
		msg := clean(e, 64)
		if d := q.Get("error_description"); d != "" {
			msg += ": " + clean(d, 200)
		}
		return "", fmt.Errorf("%w: %s", ErrRefused, msg)
	}
	code := q.Get("code")
	if code == "" {
		return "", errRetry{"the answer holds no code"}
	}
	return code, nil
}

// readPaste reads pasted addresses until one holds the answer.
func readPaste(r io.Reader, prompt io.Writer, state string, deliver func(callback)) {
	br := bufio.NewReaderSize(r, 4096)
	for {
		line, err := readLine(br, 16<<10)
		if line = strings.TrimSpace(line); line != "" {
			code, perr := parsePasted(line, state)
			var retry errRetry
			if perr == nil || !errors.As(perr, &retry) {
				deliver(callback{code: code, err: perr})
				return
			}
			fmt.Fprintf(prompt, "%s. Paste the whole address the browser shows (it holds ?code=...&state=...):\n", perr)
		}
		if err != nil {
			deliver(callback{err: errors.New("no address was pasted (the input ended)")})
			return
		}
	}
}

// readLine reads one line of at most limit bytes (the rest is dropped).
func readLine(br *bufio.Reader, limit int) (string, error) {
	var b strings.Builder
	for {
		chunk, isPrefix, err := br.ReadLine()
		if b.Len() < limit {
			b.Write(chunk[:min(len(chunk), limit-b.Len())])
		}
		if err != nil || !isPrefix {
			return b.String(), err
		}
	}
}

// parsePasted reads a pasted redirect address.
func parsePasted(s, state string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || u.RawQuery == "" {
		return "", errRetry{"that is not the address the browser landed on"}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", errRetry{"that address's query cannot be read"}
	}
	return parseAnswer(q, state)
}

// checkRedirect checks a redirect URL; listening ones must be loopback http.
func checkRedirect(raw string, listening bool) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("redirect URL %q must be an absolute URL without credentials or fragment", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("redirect URL %q is not an http(s) URL", raw)
	}
	if listening && (u.Scheme != "http" || !isLoopback(u.Hostname())) {
		return fmt.Errorf("redirect URL %s is not on this machine (http://127.0.0.1:PORT/...): use --paste with it", raw)
	}
	return nil
}

// listen serves the loopback redirect: the registered redirect URL's host
// and port, or 127.0.0.1 on a free port. It returns a function that stops
// the server and the redirect URL to send.
func listen(redirect, state string, deliver func(callback)) (func(), string, error) {
	host, port, path := "127.0.0.1", "0", callbackPath
	if redirect != "" {
		if err := checkRedirect(redirect, true); err != nil {
			return nil, "", fmt.Errorf("%w: %w", ErrBadOption, err)
		}
		u, _ := url.Parse(redirect)
		host, port, path = u.Hostname(), u.Port(), u.EscapedPath()
		if port == "" {
			port = "80"
		}
		if path == "" {
			path = "/"
		}
	}
	addrs := []string{net.JoinHostPort(host, port)}
	if strings.EqualFold(host, "localhost") {
		addrs = []string{net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("::1", port)}
	}
	first, err := net.Listen("tcp", addrs[0])
	if err != nil {
		return nil, "", fmt.Errorf("listen for the browser's redirect on %s: %w", addrs[0], err)
	}
	lns := []net.Listener{first}
	if len(addrs) > 1 {
		_, p, _ := net.SplitHostPort(first.Addr().String())
		if ln6, err := net.Listen("tcp", net.JoinHostPort("::1", p)); err == nil {
			lns = append(lns, ln6) // best effort: browsers may resolve localhost to ::1
		}
	}
	if redirect == "" {
		redirect = "http://" + first.Addr().String() + callbackPath
	}
	srv := &http.Server{Handler: callbackHandler(path, state, deliver), ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	for _, ln := range lns {
		wg.Go(func() { _ = srv.Serve(ln) })
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		wg.Wait()
	}, redirect, nil
}

// callbackHandler answers the browser's redirect and delivers its code.
func callbackHandler(path, state string, deliver func(callback)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		if r.URL.EscapedPath() != path {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet {
			h.Set("Allow", "GET")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		code, err := parseAnswer(r.URL.Query(), state)
		var retry errRetry
		switch {
		case errors.As(err, &retry):
			page(w, http.StatusBadRequest, "Not this login", retry.msg+". Start again with 'ouraexport auth login'.")
			return
		case err != nil:
			page(w, http.StatusOK, "Login refused", err.Error()+".")
		default:
			page(w, http.StatusOK, "Logged in", "ouraexport received the authorization. You can close this tab and return to the terminal.")
		}
		deliver(callback{code: code, err: err})
	})
}

// page writes a small self-contained HTML page.
func page(w http.ResponseWriter, status int, title, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>ouraexport: %[1]s</title></head>`+
		`<body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>%[1]s</h1><p>%[2]s</p></body></html>`,
		html.EscapeString(title), html.EscapeString(msg))
}
