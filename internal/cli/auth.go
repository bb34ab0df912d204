package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/auth"
	"github.com/ouraexport/ouraexport/internal/config"
	"github.com/ouraexport/ouraexport/internal/oura"
)

const authLong = `Logs in to Oura, shows the login, and logs out.

login logs in to Oura with OAuth2 (authorization code with PKCE): it opens
your browser at Oura's consent page and receives the answer on this machine
(http://127.0.0.1:<free port>/callback). The login is stored in your config
folder (token.json, readable only by you); exports renew it by themselves,
saving every rotated refresh token before using it, so nightly and
overlapping runs keep working. A token in $OURA_TOKEN still works and is
used instead of the stored login when set.

status shows who is logged in, the scopes and when the access token expires
(never a token), after checking the login with the API. logout revokes the
login at the server (best effort) and deletes it.`

const authSecretNote = `The client secret comes from $OURA_CLIENT_SECRET or client_secret in the
config file (which must then be chmod 600), never from a flag; apps that use
PKCE without a secret need none (the sandbox's is sandbox-secret).`

const authExitNote = `Exit status: 0 done; 1 failed (the server could not be reached); 2 bad usage
or input; 4 not logged in, or the login expired or was revoked.`

// openBrowser opens the authorize URL; tests replace it.
var openBrowser = auth.OpenBrowser

// authCommand is 'ouraexport auth' and its commands.
func authCommand(s Streams) *cobra.Command {
	af := &authFlags{}
	c := &cobra.Command{
		Use:               "auth login|status|logout [flags]",
		Short:             "log in to Oura with OAuth2, show the login, or log out",
		Long:              authLong,
		Annotations:       map[string]string{NotesAnnotation: authSecretNote + "\n\n" + authExitNote},
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return usagef("auth", "say what to do: login, status or logout")
			case args[0] == "help":
				return c.Help()
			}
			return usagef("auth", "unknown auth command %q: choose login, status or logout", args[0])
		},
	}
	af.register(c.PersistentFlags())
	c.AddCommand(authLoginCommand(af, s), authStatusCommand(af, s), authLogoutCommand(af, s))
	return c
}

// authFlags are the flags every auth command has.
type authFlags struct {
	tokenFile string
	config    string
}

func (a *authFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&a.tokenFile, "token-file", "", "the login file (default <config folder>/ouraexport/token.json)")
	fs.StringVar(&a.config, "config", "", "the config file (default <config folder>/ouraexport/config.toml)")
	flagArgs(fs, "token-file=FILE", "config=FILE")
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
func applyFlags(conf *config.Config, fs *pflag.FlagSet, except ...string) error {
	if err := conf.ApplyFlags(fs, except...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	return nil
}

// applyConfig loads the config file and applies it to fs (loadConfig,
// applyFlags).
func applyConfig(fs *pflag.FlagSet, path string) (*config.Config, error) {
	conf, err := loadConfig(path)
	if err != nil {
		return nil, err
	}
	return conf, applyFlags(conf, fs)
}

// loginFlags are the flags of auth login.
type loginFlags struct {
	clientID, apiURL, authURL, tokenURL, redirectURL string
	scopes                                           listFlag
	noBrowser, paste                                 bool
	timeout                                          time.Duration
}

// authLoginCommand is 'ouraexport auth login'.
func authLoginCommand(af *authFlags, s Streams) *cobra.Command {
	var lf loginFlags
	c := &cobra.Command{
		Use:   "login [flags]",
		Short: "log in to Oura with OAuth2 and store the login",
		Long: `Logs in to Oura with OAuth2 (authorization code with PKCE): it opens your
browser at Oura's consent page and receives the answer on this machine
(http://127.0.0.1:<free port>/callback). The login is stored in your config
folder (token.json, readable only by you); exports renew it by themselves,
saving every rotated refresh token before using it, so nightly and
overlapping runs keep working. A token in $OURA_TOKEN still works and is
used instead of the stored login when set.`,
		Annotations:       map[string]string{NotesAnnotation: authSecretNote + "\n\n" + authExitNote},
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, _ []string) error {
			return authLogin(c.Context(), c.Flags(), af, &lf, s)
		},
	}
	fs := c.Flags()
	fs.StringVar(&lf.clientID, "client-id", "", "OAuth2 client id (default $OURA_CLIENT_ID or client_id\n"+
		"in the config file; the sandbox's is sandbox-client)")
	fs.StringVar(&lf.apiURL, "api-url", "", "API server (default https://api.ouraring.com)")
	fs.StringVar(&lf.authURL, "auth-url", "", "authorize endpoint (default Oura's, or URL/oauth/authorize\nwith --api-url)")
	fs.StringVar(&lf.tokenURL, "token-url", "", "token endpoint (default Oura's, or URL/oauth/token with\n"+
		"--api-url; apps of the new developer portal may need\n"+
		"https://moi.ouraring.com/oauth/v2/ext/oauth-token, which\n"+
		"is also tried when Oura's answers invalid_request)")
	fs.StringVar(&lf.redirectURL, "redirect-url", "", "the redirect URI registered for your app, which Oura\n"+
		"matches exactly (e.g. http://127.0.0.1:8765/callback;\n"+
		"or redirect_url in the config file)")
	fs.Var(&lf.scopes, "scopes", "scopes to ask for (default: all the app may have)")
	fs.BoolVar(&lf.noBrowser, "no-browser", false, "print the address instead of opening a browser")
	fs.BoolVar(&lf.paste, "paste", false, "for machines without a browser: open the address on any\n"+
		"machine, then paste here the address the browser landed on")
	fs.DurationVar(&lf.timeout, "timeout", auth.DefaultLoginTimeout, "how long to wait for the browser (default 5m)")
	refuse(fs, "client-secret", "the client secret is never taken as a flag value (it would show in the process list); set $OURA_CLIENT_SECRET or client_secret in the config file")
	flagArgs(fs, "client-id=ID", "api-url=URL", "auth-url=URL", "token-url=URL", "redirect-url=URL", "scopes=LIST", "timeout=DUR")
	return c
}

// authLogin logs in with the flags of fs (the login's in lf, the auth
// command's in af), from the command line or else the config.
func authLogin(ctx context.Context, fs *pflag.FlagSet, af *authFlags, lf *loginFlags, s Streams) error {
	const cmd = "auth login"
	conf, err := applyConfig(fs, af.config)
	if err != nil {
		return err
	}
	clientID, apiURL, authURL, tokenURL, redirectURL := lf.clientID, lf.apiURL, lf.authURL, lf.tokenURL, lf.redirectURL
	scopes, noBrowser, paste, timeout := lf.scopes, lf.noBrowser, lf.paste, lf.timeout
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
		return usagef("auth login", "%s", strings.TrimPrefix(err.Error(), auth.ErrBadOption.Error()+": "))
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

// authStatusCommand is 'ouraexport auth status'.
func authStatusCommand(af *authFlags, s Streams) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "status [--json] [--token-file FILE]",
		Short: "show who is logged in, after checking the login with the API",
		Long: `Shows who is logged in, the scopes and when the access token expires
(never a token), after checking the login with the API; a login that is
due is renewed.`,
		Annotations:       map[string]string{NotesAnnotation: authExitNote},
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, _ []string) error {
			return authStatus(c.Context(), c.Flags(), af, asJSON, s)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return c
}

func authStatus(ctx context.Context, fs *pflag.FlagSet, af *authFlags, asJSON bool, s Streams) error {
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

// authLogoutCommand is 'ouraexport auth logout'.
func authLogoutCommand(af *authFlags, s Streams) *cobra.Command {
	return &cobra.Command{
		Use:               "logout [--token-file FILE]",
		Short:             "revoke the login at the server and delete it",
		Long:              "Revokes the login at the server (best effort) and deletes the login file.",
		Annotations:       map[string]string{NotesAnnotation: authExitNote},
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, _ []string) error {
			return authLogout(c.Context(), c.Flags(), af, s)
		},
	}
}

func authLogout(ctx context.Context, fs *pflag.FlagSet, af *authFlags, s Streams) error {
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
