package cli

import (
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/suggest"
	"github.com/ouraexport/ouraexport/schema"
)

const exportLong = `Takes your complete Oura history out of the Oura Cloud API and writes it to
--out as Parquet, CSV and a JSON archive, with a MANIFEST.json of every file
(size, SHA-256, rows). Run it again to bring the export up to date: it fetches
only what is new, plus the last --lookback days that Oura may have revised.
An interrupted export resumes where it stopped.

The access token comes from --token-file, else $OURA_TOKEN, else the login
stored by 'ouraexport auth login'. It is never accepted as a flag value.`

const exportNotes = cohortNotes + `

Exit status: 0 done; 1 failed; 2 bad usage or input; 3 partial (some
collections or participants could not be exported, or with --dry-run
planned; the rest are complete); 4 login needed; 130 interrupted by Ctrl-C
or SIGTERM (run the same command again to resume).`

var allFormats = []string{"parquet", "csv", "archive"}

// exportFlags are the export command line as given: the options, and the
// flags that become options once parsed and checked.
type exportFlags struct {
	o                          exportOptions
	formats, collections, apis listFlag
	since, until, partition    string
	config                     string
}

// exportCommand is 'ouraexport export'.
func exportCommand(s Streams) *cobra.Command {
	var f exportFlags
	c := &cobra.Command{
		Use:               "export [flags]",
		Short:             "export your complete Oura history to Parquet, CSV and a JSON archive",
		Long:              exportLong,
		Annotations:       map[string]string{NotesAnnotation: exportNotes},
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, _ []string) error {
			o, err := f.options(c.Flags())
			if err != nil {
				return err
			}
			return runExport(c.Context(), o, s)
		},
	}
	f.register(c.Flags())
	return c
}

// register defines the export flags in fs.
func (f *exportFlags) register(fs *pflag.FlagSet) {
	o := &f.o
	fs.StringVar(&o.out, "out", "./oura-export", "output folder (default ./oura-export)")
	fs.Var(&f.formats, "format", "parquet,csv,archive (default: all three)")
	fs.Var(&f.collections, "collections", "collections to export (default: all; see 'ouraexport schema'); one a\n"+
		"newer API added, by its route name, is kept raw (all,NAME: all and it)")
	fs.StringVar(&f.since, "since", "", "first day, YYYY-MM-DD (default: the whole history)")
	fs.StringVar(&f.until, "until", "", "last day, YYYY-MM-DD (default: today)")
	fs.Var(&f.apis, "api", "v2, v1 or v1,v2 (default v2)")
	fs.StringVar(&o.apiURL, "api-url", "", "API server (default https://api.ouraring.com)")
	fs.StringVar(&o.tokenFile, "token-file", "", "read the access token (or a login saved by 'auth login') from FILE")
	fs.IntVar(&o.workers, "workers", 4, "requests in flight at once (default 4)")
	fs.IntVar(&o.lookback, "lookback", 14, "re-fetch this many recent days on every run (default 14)")
	fs.StringVar(&f.partition, "partition", "", "write Parquet and CSV as Hive datasets partitioned by year")
	fs.BoolVar(&o.sandbox, "sandbox", false, "export user 1 of a built-in sandbox API (no account needed)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the plan (windows, requests, time) and what the\n"+
		"login's scopes unlock, and stop")
	fs.DurationVar(&o.timeout, "request-timeout", 0, "give up on one request attempt after DUR and retry (default 2m)")
	o.encrypt.register(fs)
	fs.BoolVar(&o.noReport, "no-report", false, "do not write report.html (see 'ouraexport help report')")
	fs.BoolVar(&o.open, "open", false, "open report.html in your browser when the export is done")
	fs.BoolVar(&o.quiet, "quiet", false, "print nothing but errors")
	fs.StringVar(&o.logFormat, "log-format", "text", "text or json (default text)")
	fs.StringVar(&f.config, "config", "", "settings file (default <config folder>/ouraexport/config.toml);\n"+
		"a flag beats $OURAEXPORT_<SETTING>, which beats the file")
	o.cohort.register(fs)
	refuse(fs, "token", "a token is never taken as a flag value (it would show in the process list); use --token-file FILE or $OURA_TOKEN")
	flagArgs(fs, "out=DIR", "format=LIST", "collections=LIST", "since=DATE", "until=DATE", "api=LIST", "api-url=URL",
		"token-file=FILE", "workers=N", "lookback=DAYS", "partition=year", "request-timeout=DUR", "log-format=FORMAT", "config=FILE")
}

// options reads the flags of fs, parsed from the command line: flags left
// unset take their values from the environment, then the config file, and
// the whole is checked.
func (f *exportFlags) options(fs *pflag.FlagSet) (exportOptions, error) {
	const cmd = "export"
	o := &f.o // the flags of fs set its fields
	var err error
	if o.conf, err = loadConfig(f.config); err != nil {
		return *o, err
	}
	// The sandbox needs no server or token; a cohort's tokens come from
	// its accounts file.
	var except []string
	if o.sandbox {
		except = append(except, "api_url", "token_file")
	}
	if accounts, _ := o.conf.Lookup("accounts"); accounts != "" || o.cohort.accounts != "" {
		except = append(except, "token_file")
	}
	if strings.TrimSpace(os.Getenv("OURA_TOKEN")) != "" && !strings.HasPrefix(o.conf.Source("token_file"), "$") {
		// $OURA_TOKEN (the environment) beats token_file in the file.
		except = append(except, "token_file")
	}
	if err := applyFlags(o.conf, fs, except...); err != nil {
		return *o, err
	}
	o.formats = []string(f.formats)
	if len(o.formats) == 0 {
		o.formats = allFormats
	}
	o.collections = []string(f.collections)
	if o.apis, err = parseAPIs(f.apis); err != nil {
		return *o, err
	}
	if o.since, err = parseDay(cmd, "--since", f.since); err != nil {
		return *o, err
	}
	if o.until, err = parseDay(cmd, "--until", f.until); err != nil {
		return *o, err
	}
	switch f.partition {
	case "", "none":
	case "year":
		o.partition = true
	default:
		return *o, usagef(cmd, "--partition %q: the only partitioning is \"year\"", f.partition)
	}
	err = o.validate()
	return *o, err
}

// parseDay parses a YYYY-MM-DD flag value ("" is the zero time).
func parseDay(cmd, flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return t, usagef(cmd, "%s %q is not a date: write it as YYYY-MM-DD", flag, v)
	}
	return t, nil
}

func (o *exportOptions) validate() error {
	const cmd = "export"
	for _, f := range o.formats {
		if !slices.Contains(allFormats, f) {
			return usagef(cmd, "--format %q: choose from %s", f, strings.Join(allFormats, ","))
		}
	}
	names := collectionNames()
	for i, c := range o.collections {
		if strings.EqualFold(c, allCollectionsName) {
			o.collections[i] = allCollectionsName
			continue
		}
		name, ok := names[strings.ToLower(c)]
		if !ok {
			// A collection the server may offer that no table models is
			// asked for as it is, and kept raw (selectCollections); a name
			// next to one ouraexport models is taken for a typo.
			if s := suggest.Closest(strings.ToLower(c), slices.Sorted(maps.Keys(names)), 2); s != "" {
				return usagef(cmd, "--collections: unknown collection %q; did you mean %q?", c, names[s])
			}
			if _, err := exporter.RawCollection(c); err != nil {
				return usagef(cmd, "--collections: unknown collection %q; the collections are %s (a collection of a newer API, by its route name, is kept raw)", c, strings.Join(exportCollections(), ","))
			}
			continue
		}
		o.collections[i] = name
	}
	if !o.since.IsZero() && !o.until.IsZero() && o.until.Before(o.since) {
		return usagef(cmd, "--until %s is before --since %s", o.until.Format(time.DateOnly), o.since.Format(time.DateOnly))
	}
	if !o.since.IsZero() && o.since.After(time.Now().Add(48*time.Hour)) {
		return usagef(cmd, "--since %s is in the future", o.since.Format(time.DateOnly))
	}
	if o.workers < 1 || o.workers > 64 {
		return usagef(cmd, "--workers %d: choose 1 to 64", o.workers)
	}
	if o.lookback < 0 || o.lookback > 365 {
		return usagef(cmd, "--lookback %d: choose 0 to 365 days", o.lookback)
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return usagef(cmd, "--log-format %q: choose text or json", o.logFormat)
	}
	if o.sandbox && o.apiURL != "" {
		return usagef(cmd, "--sandbox and --api-url exclude each other")
	}
	if o.sandbox && o.tokenFile != "" {
		return usagef(cmd, "--sandbox needs no token; drop --token-file")
	}
	if o.out == "" {
		return usagef(cmd, "--out is empty")
	}
	if o.timeout < 0 {
		return usagef(cmd, "--request-timeout %s is negative", o.timeout)
	}
	if o.open && o.noReport {
		return usagef(cmd, "--open opens report.html, which --no-report leaves out; choose one")
	}
	return o.encrypt.validate(cmd, o.formats, o.cohort.wanted(o.out))
}

// exportCollections lists the collections export knows, in export order.
func exportCollections() []string {
	var names []string
	for _, c := range exporter.V2Collections(nil) {
		names = append(names, c.Name)
	}
	return names
}

// collectionNames maps lower-case collection and table names (child
// tables too: they come with their collection) to collection names.
func collectionNames() map[string]string {
	m := map[string]string{}
	for _, c := range exporter.V2Collections(nil) {
		m[strings.ToLower(c.Name)] = c.Name
		for _, t := range schema.TablesOf(c.Name) {
			m[t.Name] = c.Name
		}
	}
	return m
}
