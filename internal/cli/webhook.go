package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ouraexport/ouraexport/internal/auth"
	"github.com/ouraexport/ouraexport/internal/config"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/internal/webhook"
)

const webhookLong = `Manages the app's webhook subscriptions: the routes that ask Oura to
send an event to a callback URL whenever a user's data is created, updated
or deleted ('ouraexport watch' receives them).

subscribe subscribes --callback-url to create, update and delete events of
every data type an export writes (or those of --collections), and renews
those that expire soon; run it again at any time, it makes only what is
missing. Oura first checks the callback: it must be reachable over https
(plain http only for loopback) and answer the challenge with the
verification token, so start 'ouraexport watch' before subscribing. list
shows the subscriptions and when they expire, renew extends them (Oura's
last about 90 days) and delete removes them.

A subscription belongs to the app (its client id and secret), not to a
user: it delivers the events of every user who authorised the app. There
are no events for heartrate, ring_battery_level or personal_info: watch
polls those.`

const webhookSecretNote = `The client id comes from --client-id, $OURA_CLIENT_ID or client_id in the
config file; the client secret from $OURA_CLIENT_SECRET or client_secret in
the config file, never from a flag (as for 'ouraexport auth login'). The
verification token is made on first use and kept in the file
--verification-token-file names (default webhook-token beside the login
file, readable only by you); 'ouraexport watch' reads the same file.`

const webhookExitNote = `Exit status: 0 done; 1 failed (the server could not be reached, a
subscription could not be made, or list found expired subscriptions); 2 bad
usage or input (a callback URL that is not https, an unknown subscription
id, a callback that failed Oura's verification); 4 the API refused the
client id and secret.`

// webhookFlags are the flags every webhook command has: how to reach the
// subscription routes, and the verification token file.
type webhookFlags struct {
	clientID, apiURL, tokenFile, config string
	sandbox                             bool
}

func (w *webhookFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&w.clientID, "client-id", "", "the app's OAuth2 client id (default $OURA_CLIENT_ID or client_id\n"+
		"in the config file)")
	fs.StringVar(&w.apiURL, "api-url", "", "API server (default https://api.ouraring.com)")
	fs.BoolVar(&w.sandbox, "sandbox", false, "use a built-in sandbox API that lasts as long as the command\n"+
		"(to try a callback's verification; no account needed)")
	fs.StringVar(&w.tokenFile, "verification-token-file", "", "the verification token file, made if missing (default\n"+
		"webhook-token beside the login file)")
	fs.StringVar(&w.config, "config", "", "the config file (default <config folder>/ouraexport/config.toml)")
	refuse(fs, "client-secret", "the client secret is never taken as a flag value (it would show in the process list); set $OURA_CLIENT_SECRET or client_secret in the config file")
	flagArgs(fs, "client-id=ID", "api-url=URL", "verification-token-file=FILE", "config=FILE")
}

// open returns the subscription client the flags of fs (from the command
// line, else the environment and config file) describe, and a function
// that stops the sandbox when there is one.
func (w *webhookFlags) open(cmd string, fs *pflag.FlagSet) (*webhook.Client, func(), error) {
	conf, err := loadConfig(w.config)
	if err != nil {
		return nil, nil, err
	}
	var except []string
	if w.sandbox {
		except = append(except, "api_url", "client_id")
	}
	if err := applyFlags(conf, fs, except...); err != nil {
		return nil, nil, err
	}
	if !w.sandbox {
		c, err := webhookClient(cmd, w.apiURL, w.clientID, conf)
		return c, func() {}, err
	}
	if w.apiURL != "" {
		return nil, nil, usagef(cmd, "--sandbox and --api-url exclude each other")
	}
	srv, err := sandbox.New(sandbox.Options{NoGzip: true})
	if err != nil {
		return nil, nil, err
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("start the sandbox: %w", err)
	}
	// The sandbox's app, whatever the environment says of the real one.
	c := &webhook.Client{BaseURL: base, ClientID: sandbox.ClientID, ClientSecret: sandbox.ClientSecret, UserAgent: "ouraexport/" + version()}
	return c, func() { srv.Close() }, nil
}

// webhookClient returns the client of the subscription routes of the API
// at apiURL ("" is Oura's) with the app's client id and the client secret
// from conf (the environment or the config file), as 'auth login' takes
// them. cmd names the command in usage errors.
func webhookClient(cmd, apiURL, clientID string, conf *config.Config) (*webhook.Client, error) {
	if clientID == "" {
		return nil, usagef(cmd, "no OAuth client id: pass --client-id ID, set $OURA_CLIENT_ID, or client_id in the config file (the app's, from https://developer.ouraring.com)")
	}
	secret, _ := conf.Lookup("client_secret")
	if secret == "" {
		return nil, usagef(cmd, "no client secret: the subscription routes need the app's; set $OURA_CLIENT_SECRET or client_secret in the config file")
	}
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	apiURL = strings.TrimRight(apiURL, "/")
	if err := auth.CheckURL("--api-url", apiURL); err != nil {
		return nil, usagef(cmd, "%v", err)
	}
	return &webhook.Client{BaseURL: apiURL, ClientID: clientID, ClientSecret: secret, UserAgent: "ouraexport/" + version()}, nil
}

// verificationTokenPath returns the verification token file: flag if
// given, else webhook-token beside the default login file.
func verificationTokenPath(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	p, err := auth.DefaultPath()
	if err != nil {
		return "", fmt.Errorf("%w: %w; pass --verification-token-file FILE", ErrBadInput, err)
	}
	return filepath.Join(filepath.Dir(p), webhook.TokenFile), nil
}

// verificationToken returns the verification token kept in the file
// verificationTokenPath(flag) names, making it if there is none.
func verificationToken(flag string) (string, error) {
	path, err := verificationTokenPath(flag)
	if err != nil {
		return "", err
	}
	tok, err := webhook.LoadOrCreateToken(path)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	return tok, nil
}

// webhookError classifies an error of the subscription routes for the
// exit code.
func webhookError(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted: %w", context.Canceled)
	case errors.Is(err, webhook.ErrForbidden):
		return fmt.Errorf("%w: %w", ErrAuthNeeded, err)
	case errors.Is(err, webhook.ErrInvalid), errors.Is(err, webhook.ErrNotFound), errors.Is(err, webhook.ErrNoCredentials):
		return fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	return err
}

// webhookCommand is 'ouraexport webhook' and its commands.
func webhookCommand(s Streams) *cobra.Command {
	wf := &webhookFlags{}
	c := &cobra.Command{
		Use:               "webhook subscribe|list|renew|delete [flags]",
		Short:             "subscribe a callback to Oura's webhook events, list, renew or delete subscriptions",
		Long:              webhookLong,
		Annotations:       map[string]string{NotesAnnotation: webhookSecretNote + "\n\n" + webhookExitNote},
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return usagef("webhook", "say what to do: subscribe, list, renew or delete")
			case args[0] == "help":
				return c.Help()
			}
			return usagef("webhook", "unknown webhook command %q: choose subscribe, list, renew or delete", args[0])
		},
	}
	wf.register(c.PersistentFlags())
	c.AddCommand(webhookSubscribeCommand(wf, s), webhookListCommand(wf, s), webhookRenewCommand(wf, s), webhookDeleteCommand(wf, s))
	return c
}

// subscribeFlags are the flags of webhook subscribe.
type subscribeFlags struct {
	callback    string
	collections listFlag
	renewWithin time.Duration
}

// DefaultRenewWithin is how close to expiry subscribe renews a
// subscription.
const DefaultRenewWithin = 30 * 24 * time.Hour

func webhookSubscribeCommand(wf *webhookFlags, s Streams) *cobra.Command {
	var sf subscribeFlags
	c := &cobra.Command{
		Use:   "subscribe --callback-url URL [flags]",
		Short: "subscribe a callback to the events of every data type an export writes",
		Long: `Subscribes --callback-url to the create, update and delete events of every
data type an export writes (or those of --collections), making only the
subscriptions that are missing, and renews those that expire within
--renew-within. Oura checks the callback first: start 'ouraexport watch'
behind it before subscribing.`,
		Annotations:       map[string]string{NotesAnnotation: webhookSecretNote + "\n\n" + webhookExitNote},
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, _ []string) error {
			return webhookSubscribe(c.Context(), c.Flags(), wf, sf, s)
		},
	}
	fs := c.Flags()
	fs.StringVar(&sf.callback, "callback-url", "", "the https address Oura sends events to (plain http only for\n"+
		"loopback)")
	fs.Var(&sf.collections, "collections", "the collections whose events to subscribe to (default: every\n"+
		"one an export writes that Oura sends events for)")
	fs.DurationVar(&sf.renewWithin, "renew-within", DefaultRenewWithin, "renew the subscriptions that expire within DUR (default 720h)")
	flagArgs(fs, "callback-url=URL", "collections=LIST", "renew-within=DUR")
	return c
}

// webhookDataTypes returns the data types of collections (all export
// collections when empty), refusing one Oura sends no events for.
func webhookDataTypes(cmd string, collections []string) ([]string, error) {
	if len(collections) == 0 || slices.ContainsFunc(collections, func(c string) bool { return strings.EqualFold(c, allCollectionsName) }) {
		return webhook.DataTypes(exportCollections()), nil
	}
	names := collectionNames()
	var colls []string
	for _, c := range collections {
		name, ok := names[strings.ToLower(c)]
		if !ok {
			if coll, isType := webhook.Collection(strings.ToLower(c)); isType {
				name, ok = coll, true
			}
		}
		if !ok {
			return nil, usagef(cmd, "--collections: unknown collection %q; the collections are %s", c, strings.Join(exportCollections(), ","))
		}
		if _, ok := webhook.DataType(name); !ok {
			return nil, usagef(cmd, "--collections: Oura sends no webhook events for %s; 'ouraexport watch' polls it", name)
		}
		colls = append(colls, name)
	}
	return webhook.DataTypes(colls), nil
}

func webhookSubscribe(ctx context.Context, fs *pflag.FlagSet, wf *webhookFlags, sf subscribeFlags, s Streams) error {
	const cmd = "webhook subscribe"
	if sf.callback == "" {
		return usagef(cmd, "--callback-url is missing: give the https address Oura should send events to")
	}
	if err := webhook.CheckCallback(sf.callback); err != nil {
		return usagef(cmd, "--callback-url: %v", err)
	}
	if sf.renewWithin < 0 {
		return usagef(cmd, "--renew-within %s is negative", sf.renewWithin)
	}
	types, err := webhookDataTypes(cmd, sf.collections)
	if err != nil {
		return err
	}
	c, stop, err := wf.open(cmd, fs)
	if err != nil {
		return err
	}
	defer stop()
	tok, err := verificationToken(wf.tokenFile)
	if err != nil {
		return err
	}
	rep, err := c.Ensure(ctx, sf.callback, tok, types, sf.renewWithin)
	offered := len(types) - len(rep.Refused)
	if len(rep.Created)+len(rep.Renewed)+len(rep.Kept) > 0 {
		fmt.Fprintf(s.Out, "Subscribed %s to %d of %d events (%d data types × create, update, delete): %d made, %d renewed, %d already there.\n",
			sf.callback, len(rep.Created)+len(rep.Renewed)+len(rep.Kept), offered*len(webhook.EventTypes), offered,
			len(rep.Created), len(rep.Renewed), len(rep.Kept))
		if e := rep.Expires(); !e.IsZero() {
			fmt.Fprintf(s.Out, "They expire from %s: renew them with 'ouraexport webhook renew' before then ('ouraexport watch' does it by itself).\n", e.Format(time.RFC3339))
		}
	}
	if len(rep.Refused) > 0 {
		fmt.Fprintf(s.Out, "The server offers no events for %s: 'ouraexport watch' polls it.\n", strings.Join(rep.Refused, ", "))
	}
	if n := len(rep.Others); n > 0 {
		fmt.Fprintf(s.Out, "The app has %d other subscriptions (other callbacks or data types), left as they are: see 'ouraexport webhook list'.\n", n)
	}
	return webhookError(ctx, err)
}

func webhookListCommand(wf *webhookFlags, s Streams) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:               "list [--json] [flags]",
		Short:             "list the app's subscriptions and when they expire",
		Long:              "Lists the app's webhook subscriptions: id, data type, event type, expiry and callback.",
		Annotations:       map[string]string{NotesAnnotation: webhookSecretNote + "\n\n" + webhookExitNote},
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, _ []string) error {
			cl, stop, err := wf.open("webhook list", c.Flags())
			if err != nil {
				return err
			}
			defer stop()
			subs, err := cl.List(c.Context())
			if err != nil {
				return webhookError(c.Context(), err)
			}
			return printSubscriptions(s.Out, subs, time.Now(), asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the subscriptions as JSON")
	return c
}

// subscriptionJSON is one subscription as 'webhook list --json' prints it.
type subscriptionJSON struct {
	ID          string    `json:"id"`
	DataType    string    `json:"data_type"`
	EventType   string    `json:"event_type"`
	CallbackURL string    `json:"callback_url"`
	Expires     time.Time `json:"expiration_time,omitzero"`
	Expired     bool      `json:"expired"`
}

// printSubscriptions prints subs, and returns an error when some have
// expired at now.
func printSubscriptions(w io.Writer, subs []webhook.Subscription, now time.Time, asJSON bool) error {
	var expired []webhook.Subscription
	for _, s := range subs {
		if s.Expired(now) {
			expired = append(expired, s)
		}
	}
	if asJSON {
		out := make([]subscriptionJSON, 0, len(subs))
		for _, s := range subs {
			out = append(out, subscriptionJSON{ID: s.ID, DataType: s.DataType, EventType: s.EventType, CallbackURL: s.CallbackURL, Expires: s.Expires, Expired: s.Expired(now)})
		}
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		if err := e.Encode(out); err != nil {
			return err
		}
	} else if len(subs) == 0 {
		fmt.Fprintln(w, "The app has no webhook subscriptions: make them with 'ouraexport webhook subscribe --callback-url URL'.")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tDATA TYPE\tEVENT\tEXPIRES (UTC)\tCALLBACK")
		for _, s := range subs {
			exp := "unknown"
			if !s.Expires.IsZero() {
				exp = s.Expires.UTC().Format("2006-01-02 15:04")
			}
			if s.Expired(now) {
				exp += " EXPIRED"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.DataType, s.EventType, exp, s.CallbackURL)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	switch len(expired) {
	case 0:
		return nil
	case 1:
		return expired[0].Check(now)
	}
	return fmt.Errorf("%w: %d of %d subscriptions have expired and deliver nothing: run 'ouraexport webhook renew'", webhook.ErrExpired, len(expired), len(subs))
}

func webhookRenewCommand(wf *webhookFlags, s Streams) *cobra.Command {
	var callback string
	c := &cobra.Command{
		Use:   "renew [ID...] [flags]",
		Short: "renew subscriptions: those named, those of --callback-url, or all",
		Long: `Renews the subscriptions named by id, else those of --callback-url, else
all of the app's, and prints their new expiry.`,
		Annotations:       map[string]string{NotesAnnotation: webhookSecretNote + "\n\n" + webhookExitNote},
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			return webhookEach(c, wf, s, "renew", args, callback, func(ctx context.Context, cl *webhook.Client, id string) (string, error) {
				r, err := cl.Renew(ctx, id)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("Renewed %s (%s %s): it expires %s.", r.ID, r.DataType, r.EventType, r.Expires.Format(time.RFC3339)), nil
			})
		},
	}
	c.Flags().StringVar(&callback, "callback-url", "", "renew the subscriptions of this callback")
	flagArgs(c.Flags(), "callback-url=URL")
	return c
}

func webhookDeleteCommand(wf *webhookFlags, s Streams) *cobra.Command {
	var (
		callback string
		all      bool
	)
	c := &cobra.Command{
		Use:   "delete ID...|--callback-url URL|--all [flags]",
		Short: "delete subscriptions: those named, those of --callback-url, or --all",
		Long: `Deletes the subscriptions named by id, or those of --callback-url, or with
--all every one of the app's.`,
		Annotations:       map[string]string{NotesAnnotation: webhookSecretNote + "\n\n" + webhookExitNote},
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 && callback == "" && !all {
				return usagef("webhook delete", "say which subscriptions: their ids, --callback-url URL, or --all")
			}
			if all && (len(args) > 0 || callback != "") {
				return usagef("webhook delete", "--all deletes every subscription; drop the ids and --callback-url")
			}
			return webhookEach(c, wf, s, "delete", args, callback, func(ctx context.Context, cl *webhook.Client, id string) (string, error) {
				return "Deleted " + id + ".", cl.Delete(ctx, id)
			})
		},
	}
	c.Flags().StringVar(&callback, "callback-url", "", "delete the subscriptions of this callback")
	c.Flags().BoolVar(&all, "all", false, "delete every subscription of the app")
	flagArgs(c.Flags(), "callback-url=URL")
	return c
}

// webhookEach runs fn for the subscriptions ids names, else those of
// callback, else all of them, printing a line for each, and carries on
// past one that fails.
func webhookEach(c *cobra.Command, wf *webhookFlags, s Streams, verb string, ids []string, callback string,
	fn func(context.Context, *webhook.Client, string) (string, error)) error {
	ctx, cmd := c.Context(), "webhook "+verb
	if len(ids) > 0 && callback != "" {
		return usagef(cmd, "give ids or --callback-url, not both")
	}
	cl, stop, err := wf.open(cmd, c.Flags())
	if err != nil {
		return err
	}
	defer stop()
	if len(ids) == 0 {
		subs, err := cl.List(ctx)
		if err != nil {
			return webhookError(ctx, err)
		}
		for _, sub := range subs {
			if callback == "" || sub.CallbackURL == callback {
				ids = append(ids, sub.ID)
			}
		}
		if len(ids) == 0 {
			fmt.Fprintf(s.Out, "No subscriptions to %s.\n", verb)
			return nil
		}
	}
	var first error
	failed := 0
	for _, id := range ids {
		line, err := fn(ctx, cl, id)
		if err != nil {
			if ctx.Err() != nil {
				return webhookError(ctx, err)
			}
			failed++
			if first == nil {
				first = err
			}
			fmt.Fprintf(s.Err, "Could not %s %s: %s\n", verb, id, err)
			continue
		}
		fmt.Fprintln(s.Out, line)
	}
	if first != nil {
		if failed == 1 {
			return webhookError(ctx, first)
		}
		return webhookError(ctx, fmt.Errorf("%d of %d subscriptions could not be %s; the first: %w", failed, len(ids), strings.TrimSuffix(verb, "e")+"ed", first))
	}
	return nil
}
