package exporter

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/sinks"
)

// AccountOptions configure ExportAccount: everything one account's export
// needs, whoever asks for it (the export command, each participant of a
// cohort, an object-store output, watch).
type AccountOptions struct {
	// Client configures the account's API client: its server, token
	// source, per-attempt timeout, user agent and HTTP client.
	Client oura.ClientOptions
	// State is the folder below which the account's resumable store lives
	// (State/.ouraexport).
	State string
	// Fetch is the fetch: collections, days, look-back, workers, dry run,
	// a shared gate. ExportAccount sets its Client and Store.
	Fetch FetchOptions
	// Progress, when set, returns the run's progress reporter given the
	// client's counters; it replaces Fetch.Progress.
	Progress func(*oura.Stats) Progress
	// Out opens the export's root folder. It is called only when there is
	// something to write: never for a dry run.
	Out func() (sinks.Dir, error)
	// Formats are the output formats (sinks.Names), in order.
	Formats []string
	// Sink is the template of every format's sink options; Dir and Tables
	// are set per format.
	Sink sinks.Options
	// FormatDir returns the folder of a format's files below the root
	// (nil: root.Sub(format), the layout of a single export).
	FormatDir func(root sinks.Dir, format string) sinks.Dir
	// OpenSink opens a format's sink (nil: sinks.Open). Encryption and
	// labels wrap the sink here.
	OpenSink func(format string, o sinks.Options) (sinks.Sink, error)
	// Registry is every collection the store may hold (see Options.Registry).
	Registry    *Registry
	ToolVersion string
	// After writes more files into the export (see Options.After).
	After AfterFunc
}

// ErrClient marks client options that cannot make a client (an API URL
// that is not an http(s) URL, one that carries credentials).
var ErrClient = errors.New("bad API client options")

// ExportAccount exports one account: it opens the account's store, makes
// its API client, and then either plans (a dry run: Result.Fetch holds the
// plan, and nothing is opened for writing) or fetches and builds every
// format, as Export does, committing the outputs and MANIFEST.json only
// when all is written. Its errors are Export's (ErrPartial, ErrNothing, the
// context's), ErrClient for client options, and the store's.
func ExportAccount(ctx context.Context, o AccountOptions) (*Result, error) {
	st, client, err := o.open()
	if err != nil {
		return nil, err
	}
	defer st.Close()
	fetch := o.fetchOptions(st, client)
	if fetch.DryRun {
		// An API the server retired is asked once, as an export would.
		retired, err := probeAPIs(ctx, client, fetch.Collections)
		if err != nil {
			return &Result{Requests: client.Stats().Requests.Load()}, err
		}
		all := fetch.Collections
		fetch.Collections = slices.DeleteFunc(slices.Clone(all), func(c *Collection) bool { return retired[c] != nil })
		var plan *FetchResult
		if len(fetch.Collections) > 0 {
			plan, err = Fetch(ctx, fetch, nil)
		} else {
			plan = &FetchResult{Until: fetch.Until, Account: st.State.Account}
		}
		if plan != nil {
			plan.Collections = withRetired(all, plan.Collections, retired)
		}
		res := &Result{Fetch: plan}
		res.Requests = client.Stats().Requests.Load()
		return res, err
	}
	root, err := o.Out()
	if err != nil {
		return nil, err
	}
	return o.export(ctx, fetch, root, nil)
}

// open opens the account's store and makes its API client.
func (o AccountOptions) open() (*Store, *oura.Client, error) {
	st, err := OpenStore(filepath.Join(o.State, StoreDir))
	if err != nil {
		return nil, nil, err
	}
	client, err := oura.NewClient(o.Client)
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("%w: %w", ErrClient, err)
	}
	return st, client, nil
}

// fetchOptions returns o.Fetch with the store, the client and the progress set.
func (o AccountOptions) fetchOptions(st *Store, client *oura.Client) FetchOptions {
	fetch := o.Fetch
	fetch.Client, fetch.Store = client, st
	if o.Progress != nil {
		fetch.Progress = o.Progress(client.Stats())
	}
	return fetch
}

// export opens a sink per format below root and runs the export with
// fetch as its fetching half (nil: Fetch).
func (o AccountOptions) export(ctx context.Context, fetch FetchOptions, root sinks.Dir, f fetchFunc) (*Result, error) {
	tables := OutputTables(fetch.Collections) // v1 collections write to their v2 twins' tables
	open := o.OpenSink
	if open == nil {
		open = sinks.Open
	}
	var outs []sinks.Sink
	for _, format := range o.Formats {
		so := o.Sink
		so.Tables = tables
		if o.FormatDir != nil {
			so.Dir = o.FormatDir(root, format)
		} else {
			so.Dir = root.Sub(format)
		}
		sk, err := open(format, so)
		if err != nil {
			for _, x := range outs {
				x.Close()
			}
			return nil, fmt.Errorf("open %s output: %w", format, err)
		}
		outs = append(outs, sk)
	}
	return export(ctx, Options{Fetch: fetch, Sinks: outs, Root: root, Tables: tables, ToolVersion: o.ToolVersion, Registry: o.Registry, After: o.After}, f)
}
