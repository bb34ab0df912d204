package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/auth"
	"github.com/ouraexport/ouraexport/internal/config"
	"github.com/ouraexport/ouraexport/internal/oura"
)

const authUsage = `Usage: ouraexport auth login [flags]
       ouraexport auth status [--json] [--token-file FILE]
       ouraexport auth logout [--token-file FILE]

login logs in to Oura with OAuth2 (authorization code with PKCE): it opens
your browser at Oura's consent page and receives the answer on this machine
(http://127.0.0.1:<free port>/callback). The login is stored in your config
folder (token.json, readable only by you); exports renew it by themselves,
saving every rotated refresh token before using it, so nightly and
overlapping runs keep working. A token in $OURA_TOKEN still works and is
used instead of the stored login when set.

status shows who is logged in, the scopes and when the access token expires
(never a token), after checking the login with the API. logout revokes the
login at the server (best effort) and deletes it.

Login flags:
  --client-id ID        OAuth2 client id (default $OURA_CLIENT_ID or client_id
                        in the config file; the sandbox's is sandbox-client)
  --api-url URL         API server (default https://api.ouraring.com)
  --auth-url URL        authorize endpoint (default Oura's, or URL/oauth/authorize
                        with --api-url)
  --token-url URL       token endpoint (default Oura's, or URL/oauth/token with
                        --api-url; apps of the new developer portal may need
                        https://moi.ouraring.com/oauth/v2/ext/oauth-token, which
                        is also tried when Oura's answers invalid_request)
  --redirect-url URL    the redirect URI registered for your app, which Oura
                        matches exactly (e.g. http://127.0.0.1:8765/callback;
                        or redirect_url in the config file)
  --scopes LIST         scopes to ask for (default: all the app may have)
  --no-browser          print the address instead of opening a browser
  --paste               for machines without a browser: open the address on any
                        machine, then paste here the address the browser landed on
  --timeout DUR         how long to wait for the browser (default 5m)

Flags of every auth command:
  --token-file FILE     the login file (default <config folder>/ouraexport/token.json)
  --config FILE         the config file (default <config folder>/ouraexport/config.toml)

The client secret comes from $OURA_CLIENT_SECRET or client_secret in the
config file (which must then be chmod 600), never from a flag; apps that use
PKCE without a secret need none (the sandbox's is sandbox-secret).

Exit status: 0 done; 1 failed (the server could not be reached); 2 bad usage
or input; 4 not logged in, or the login expired or was revoked.`

// openBrowser opens the authorize URL; tests replace it.
var openBrowser = auth.OpenBrowser

func runAuth(ctx context.Context, args []string, s Streams) error {
	if len(args) == 0 {
		return usagef("auth", "say what to do: login, status or logout")
	}
	switch args[0] {
	case "login":
		return authLogin(ctx, args[1:], s)
	case "status":
		return authStatus(ctx, args[1:], s)
	case "logout":
		return authLogout(ctx, args[1:], s)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(s.Out, authUsage)
		return nil
	}
	return usagef("auth", "unknown auth command %q: choose login, status or logout", args[0])
}

// authFlags are the flags every auth command has.
type authFlags struct {
	tokenFile string
	config    string
}

func (a *authFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.tokenFile, "token-file", "", "")
	fs.StringVar(&a.config, "config", "", "")
}

// store returns the login file's store: --token-file, else the default.
func (a *authFlags) store() (*auth.Store, error) {
	if a.tokenFile != "" {
		return auth.NewStore(a.tokenFile), nil
	}
	p, err := auth.DefaultPath()
	if err != nil {
		return nil, fmt.Errorf("%w: %w; pass --token-file FILE", ErrBadInput, err)
	}
	return auth.NewStore(p), nil
}

// loadConfig loads the config file: path, else $OURAEXPORT_CONFIG, else the
// default one (none is fine).
func loadConfig(path string) (*config.Config, error) {
	conf, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	return conf, nil
}

// applyFlags gives the flags of fs the command line left unset their
// values from the environment or conf: flag beats environment beats file
// beats default. Settings in except are not applied.
func applyFlags(conf *config.Config, fs *flag.FlagSet, except ...string) error {
	if err := conf.ApplyFlags(fs, except...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	return nil
}

// applyConfig loads the config file and applies it to fs (loadConfig,
// applyFlags).
func applyConfig(fs *flag.FlagSet, path string) (*config.Config, error) {
	conf, err := loadConfig(path)
	if err != nil {
		return nil, err
	}
	return conf, applyFlags(conf, fs)
}

// refuseSecretFlag makes --client-secret an error that says where secrets go.
func refuseSecretFlag(fs *flag.FlagSet) {
	fs.Func("client-secret", "", func(string) error {
		return errors.New("the client secret is never taken as a flag value (it would show in the process list); set $OURA_CLIENT_SECRET or client_secret in the config file")
	})
}

func authLogin(ctx context.Context, args []string, s Streams) error {
	const cmd = "auth"
	var (
		af                                               authFlags
		clientID, apiURL, authURL, tokenURL, redirectURL string
		scopes                                           listFlag
		noBrowser, paste                                 bool
		timeout                                          time.Duration
	)
	fs := newFlagSet(cmd)
	af.register(fs)
	fs.StringVar(&clientID, "client-id", "", "")
	fs.StringVar(&apiURL, "api-url", "", "")
	fs.StringVar(&authURL, "auth-url", "", "")
	fs.StringVar(&tokenURL, "token-url", "", "")
	fs.StringVar(&redirectURL, "redirect-url", "", "")
	fs.Var(&scopes, "scopes", "")
	fs.BoolVar(&noBrowser, "no-browser", false, "")
	fs.BoolVar(&paste, "paste", false, "")
	fs.DurationVar(&timeout, "timeout", auth.DefaultLoginTimeout, "")
	refuseSecretFlag(fs)
	pos, err := parseFlags(cmd, fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(cmd, pos); err != nil {
		return err
	}
	conf, err := applyConfig(fs, af.config)
	if err != nil {
		return err
	}
	if clientID == "" {
		return usagef(cmd, "no OAuth client id: pass --client-id ID, set $OURA_CLIENT_ID, or client_id in the config file (register an app at https://developer.ouraring.com; the sandbox's client is sandbox-client)")
	}
	if timeout <= 0 {
		return usagef(cmd, "--timeout %s: must be positive", timeout)
	}
	if apiURL == "" {
		apiURL = auth.DefaultAPIURL
	}
	apiURL = strings.TrimRight(apiURL, "/")
	defAuth, defToken := auth.Endpoints(apiURL)
	if authURL == "" {
		authURL = defAuth
	}
	if tokenURL == "" {
		tokenURL = defToken
	}
	for _, u := range []struct{ flag, url string }{{"--api-url", apiURL}, {"--auth-url", authURL}, {"--token-url", tokenURL}} {
		if err := auth.CheckURL(u.flag, u.url); err != nil {
			return usagef(cmd, "%v", err)
		}
	}
	st, err := af.store()
	if err != nil {
		return err
	}
	secret, _ := conf.Lookup("client_secret")
	o := auth.LoginOptions{
		App:         auth.App{ClientID: clientID, ClientSecret: secret, AuthURL: authURL, TokenURL: tokenURL, APIURL: apiURL},
		Scopes:      scopes,
		RedirectURL: redirectURL,
		Prompt:      s.Err,
		Timeout:     timeout,
	}
	switch {
	case paste:
		if s.In == nil {
			return usagef(cmd, "--paste needs a terminal (or a pipe) on standard input")
		}
		o.Paste = s.In
	case !noBrowser:
		o.Browser = openBrowser
	}
	tok, err := auth.Login(ctx, o)
	if err != nil {
		return loginError(ctx, err)
	}
	id, ierr := identify(ctx, apiURL, oura.StaticToken(tok.AccessToken))
	if ierr == nil {
		tok.Account, tok.Email = id.ID, id.Email
	}
	if err := st.Save(ctx, tok); err != nil {
		return fmt.Errorf("the login worked but could not be stored: %w", err)
	}
	fmt.Fprintf(s.Out, "Logged in to %s as %s.\n", apiURL, tok.Who())
	if ierr != nil {
		fmt.Fprintf(s.Out, "(Could not read the account's personal info: %s.)\n", exporter.Describe(ierr))
	}
	if len(tok.Scopes) > 0 {
		fmt.Fprintf(s.Out, "Scopes: %s\n", strings.Join(tok.Scopes, " "))
	}
	fmt.Fprintf(s.Out, "The login is stored in %s (readable only by you); exports renew it by themselves.\n", st.Path())
	if os.Getenv("OURA_TOKEN") != "" {
		fmt.Fprintln(s.Out, "Note: $OURA_TOKEN is set, and 'ouraexport export' uses it instead of this login; unset it to use the login.")
	}
	return nil
}

// loginError classifies a failed login for the exit code.
func loginError(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("login interrupted: %w", context.Canceled)
	case errors.Is(err, auth.ErrClient):
		return fmt.Errorf("%w: login: %w", ErrBadInput, err)
	case errors.Is(err, auth.ErrLoginExpired), errors.Is(err, auth.ErrRefused):
		return fmt.Errorf("%w: login: %w", ErrAuthNeeded, err)
	}
	if errors.Is(err, auth.ErrBadOption) {
		return usagef("auth", "%s", strings.TrimPrefix(err.Error(), auth.ErrBadOption.Error()+": "))
	}
	return fmt.Errorf("login: %w", err)
}

// statusReport is what 'auth status --json' prints; it never holds a token.
type statusReport struct {
	File           string    `json:"file"`
	LoggedIn       bool      `json:"logged_in"`
	Account        string    `json:"account,omitempty"`
	Email          string    `json:"email,omitempty"`
	Scopes         []string  `json:"scopes,omitempty"`
	ClientID       string    `json:"client_id,omitempty"`
	APIURL         string    `json:"api_url,omitempty"`
	TokenURL       string    `json:"token_url,omitempty"`
	Expires        time.Time `json:"expires,omitzero"`
	ExpiresIn      float64   `json:"expires_in_seconds,omitempty"`
	Since          time.Time `json:"logged_in_at,omitzero"`
	Refreshes      int       `json:"refreshes"`
	Verified       bool      `json:"verified"`
	Problem        string    `json:"problem,omitempty"`
	OuraTokenIsSet bool      `json:"oura_token_env"`
}

func authStatus(ctx context.Context, args []string, s Streams) error {
	const cmd = "auth"
	var (
		af     authFlags
		asJSON bool
	)
	fs := newFlagSet(cmd)
	af.register(fs)
	fs.BoolVar(&asJSON, "json", false, "")
	pos, err := parseFlags(cmd, fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(cmd, pos); err != nil {
		return err
	}
	conf, err := applyConfig(fs, af.config)
	if err != nil {
		return err
	}
	st, err := af.store()
	if err != nil {
		return err
	}
	rep := statusReport{File: st.Path(), OuraTokenIsSet: os.Getenv("OURA_TOKEN") != ""}
	secret, _ := conf.Lookup("client_secret")
	src, err := auth.NewSource(st, auth.SourceOptions{ClientSecret: secret})
	if err != nil {
		if !errors.Is(err, auth.ErrNoLogin) {
			return fmt.Errorf("%w: %w", ErrBadInput, err)
		}
		rep.Problem = "not logged in"
		printStatus(s.Out, rep, asJSON)
		if rep.OuraTokenIsSet {
			return nil // exports use $OURA_TOKEN
		}
		return fmt.Errorf("%w: not logged in: run 'ouraexport auth login' (or set OURA_TOKEN)", ErrAuthNeeded)
	}
	// Check the login: renew it if due, and ask the API whose it is.
	verr := verifyLogin(ctx, src)
	tok := src.Login()
	rep.LoggedIn = true
	rep.Account, rep.Email, rep.Scopes, rep.ClientID = tok.Account, tok.Email, tok.Scopes, tok.ClientID
	rep.APIURL, rep.TokenURL, rep.Expires, rep.Since, rep.Refreshes = tok.APIURL, tok.TokenURL, tok.Expiry, tok.LoggedIn, tok.Refreshes
	if !tok.Expiry.IsZero() {
		rep.ExpiresIn = time.Until(tok.Expiry).Round(time.Second).Seconds()
	}
	rep.Verified = verr == nil
	if verr != nil {
		rep.Problem = exporter.Describe(verr)
		if errors.Is(verr, auth.ErrLoginExpired) {
			rep.Problem = verr.Error()
		}
	}
	printStatus(s.Out, rep, asJSON)
	switch {
	case verr == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted: %w", context.Canceled)
	case errors.Is(verr, oura.ErrUnauthorized):
		return fmt.Errorf("%w: %w", ErrAuthNeeded, verr)
	case errors.Is(verr, oura.ErrForbidden):
		return nil // the login works; the data is forbidden (shown above)
	}
	return fmt.Errorf("could not check the login with the API: %w", verr)
}

// identify asks the API at apiURL whose token tokens supplies, through
// the API client (its retries, limiter and refresh on a 401).
func identify(ctx context.Context, apiURL string, tokens oura.TokenSource) (auth.Identity, error) {
	c, err := oura.NewClient(oura.ClientOptions{BaseURL: apiURL, Tokens: tokens, UserAgent: "ouraexport/" + version(),
		Retry: &oura.Retry{Attempts: 3, MaxRateLimited: 3, Base: 250 * time.Millisecond, Max: 2 * time.Second}})
	if err != nil {
		return auth.Identity{}, err
	}
	return auth.Identify(ctx, c)
}

// verifyLogin asks the API whose login src holds, refreshing it when due
// or rejected, and records the account in the login if it was unknown.
func verifyLogin(ctx context.Context, src *auth.Source) error {
	login := src.Login()
	id, err := identify(ctx, login.APIURL, src) // a 401 refreshes the login once
	if err != nil {
		return err
	}
	if login.Account != "" && id.ID != "" && login.Account != id.ID {
		return fmt.Errorf("the API says the token belongs to account %s, but the login was made for %s", id.ID, login.Account)
	}
	return nil
}

func printStatus(w io.Writer, r statusReport, asJSON bool) {
	if asJSON {
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		_ = e.Encode(r)
		return
	}
	if !r.LoggedIn {
		fmt.Fprintf(w, "Not logged in (no login at %s).\n", r.File)
		if r.OuraTokenIsSet {
			fmt.Fprintln(w, "$OURA_TOKEN is set: exports use it.")
		}
		return
	}
	who := (&auth.Token{Account: r.Account, Email: r.Email}).Who()
	fmt.Fprintf(w, "Logged in to %s as %s.\n", r.APIURL, who)
	fmt.Fprintf(w, "  login file    %s\n", r.File)
	if len(r.Scopes) > 0 {
		fmt.Fprintf(w, "  scopes        %s\n", strings.Join(r.Scopes, " "))
	}
	switch {
	case r.Expires.IsZero():
		fmt.Fprintf(w, "  access token  expiry unknown\n")
	case r.ExpiresIn > 0:
		fmt.Fprintf(w, "  access token  expires %s (in %s); renewed automatically\n", r.Expires.Local().Format(time.DateTime), time.Duration(r.ExpiresIn*float64(time.Second)))
	default:
		fmt.Fprintf(w, "  access token  expired %s; renewed on the next export\n", r.Expires.Local().Format(time.DateTime))
	}
	fmt.Fprintf(w, "  client        %s (token endpoint %s)\n", r.ClientID, r.TokenURL)
	if !r.Since.IsZero() {
		fmt.Fprintf(w, "  logged in     %s, %d refreshes since\n", r.Since.Local().Format(time.DateTime), r.Refreshes)
	}
	if r.Verified {
		fmt.Fprintln(w, "  check         the API accepts the login")
	} else {
		fmt.Fprintf(w, "  check         FAILED: %s\n", r.Problem)
	}
	if r.OuraTokenIsSet {
		fmt.Fprintln(w, "Note: $OURA_TOKEN is set, and exports use it instead of this login.")
	}
}

func authLogout(ctx context.Context, args []string, s Streams) error {
	const cmd = "auth"
	var af authFlags
	fs := newFlagSet(cmd)
	af.register(fs)
	pos, err := parseFlags(cmd, fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(cmd, pos); err != nil {
		return err
	}
	if _, err := applyConfig(fs, af.config); err != nil {
		return err
	}
	st, err := af.store()
	if err != nil {
		return err
	}
	res, err := auth.Logout(ctx, st, nil)
	if err != nil {
		return err
	}
	switch {
	case !res.Found:
		fmt.Fprintf(s.Out, "Not logged in (no login at %s).\n", st.Path())
	case res.Login == nil:
		fmt.Fprintf(s.Out, "Deleted %s (it could not be read, so nothing was revoked: %v).\n", st.Path(), res.LoadErr)
	case res.RevokeErr != nil:
		fmt.Fprintf(s.Out, "Logged out %s: deleted %s.\nThe server did not confirm the revocation (%v); to be sure, remove the app's access in your Oura account settings.\n",
			res.Login.Who(), st.Path(), res.RevokeErr)
	default:
		fmt.Fprintf(s.Out, "Logged out %s: revoked the login at %s and deleted %s.\n", res.Login.Who(), res.Login.APIURL, st.Path())
	}
	return nil
}

// noTokenHint is the message for an export without any token.
const noTokenHint = "no access token: set OURA_TOKEN, pass --token-file FILE, or run 'ouraexport auth login' (try 'ouraexport export --sandbox' without an account)"

// loginSource opens the login stored at path for an export from apiURL,
// and renews its access token now if it is due, so that a login that
// expired or was revoked stops the export before it starts (exit 4).
func loginSource(ctx context.Context, path, apiURL string, conf *config.Config, log *slog.Logger) (oura.TokenSource, error) {
	secret, _ := conf.Lookup("client_secret")
	src, err := auth.NewSource(auth.NewStore(path), auth.SourceOptions{ClientSecret: secret, Logger: log})
	if errors.Is(err, auth.ErrNoLogin) {
		return nil, fmt.Errorf("%w: %s", ErrAuthNeeded, noTokenHint)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	if err := auth.CheckServer(path, src.Login().APIURL, apiURL); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAuthNeeded, err)
	}
	if _, err := src.Token(ctx); err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, oura.ErrUnauthorized):
			return nil, fmt.Errorf("%w: %w", ErrAuthNeeded, err)
		}
		return nil, fmt.Errorf("renew the login in %s: %w", path, err)
	}
	return src, nil
}
