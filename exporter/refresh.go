package exporter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ouraexport/ouraexport/sinks"
)

// Change is one change to an account's history that the API announced (a
// webhook event): a document of a collection created, updated or deleted.
type Change struct {
	Collection string // the route name: "tag", "vO2_max", ...
	ObjectID   string
	Op         string // "create", "update", "delete"
}

// The operations of a Change.
const (
	OpCreate = "create"
	OpUpdate = "update"
	OpDelete = "delete"
)

// RefreshResult is what a Refresh did.
type RefreshResult struct {
	*Result // as ExportAccount's (files, manifest, requests)
	// Applied are the changes the folder now reflects (a change of a
	// collection the export does not hold, or the delete of a document it
	// never held, is applied by doing nothing).
	Applied []Change
	// Retry are the changes not yet visible at the API (the document is
	// 404 by id, or its day's list does not show it as the event said):
	// ask again later. The periodic incremental export is the safety net.
	Retry []Change
}

// ErrNoExport is returned (wrapped) by Refresh for a folder that holds no
// complete export to refresh.
var ErrNoExport = errors.New("no complete export to refresh")

// Refresh brings an export up to date with changes the API announced,
// fetching only what they touch: a document the store holds is refetched
// with its day (one window of its collection, the windows of one batch
// merged where they are close); a new one is looked for in one window from
// the collection's last stored day on, and only if it is not there asked
// for by id, then its day fetched; a delete refetches the day the store
// holds the document on. The time series, which the API sends no events
// for, are refetched over the days touched. What was fetched is stored as a
// newer generation, and the outputs are rewritten from the store exactly
// as ExportAccount writes them (every sink committed atomically, the
// AfterFunc, MANIFEST.json last), so the folder equals a fresh full export
// of the same history. The options are ExportAccount's.
//
// The folder must hold a complete export (its MANIFEST.json): what it says
// about the collections the last export could not read (the login's
// scopes, a collection incomplete) is carried over rather than asked again.
// When Refresh returns an error with Applied and Retry empty, the outputs
// are unchanged (documents it stored are kept, as a later run's) and every
// change should be asked again; an AfterFunc's error comes with the
// outputs committed and the changes sorted.
func Refresh(ctx context.Context, o AccountOptions, changes []Change) (*RefreshResult, error) {
	if o.Fetch.DryRun {
		return nil, errors.New("refresh: a dry run fetches nothing; run it without --dry-run")
	}
	st, client, err := o.open()
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if st.State.Account == "" {
		return nil, fmt.Errorf("%w in %s: run the export into it first", ErrNoExport, o.State)
	}
	root, err := o.Out()
	if err != nil {
		return nil, err
	}
	prior, err := sinks.ReadManifest(root)
	if err != nil {
		return nil, fmt.Errorf("%w in %s (%v): run the export into it first", ErrNoExport, o.State, err)
	}
	r := &refresh{changes: changes, prior: prior}
	res, err := o.export(ctx, o.fetchOptions(st, client), root, r.fetch)
	if errors.Is(err, ErrPartial) {
		err = nil // collections the last export could not read: carried over, the outputs are committed
	}
	out := &RefreshResult{Result: res}
	if res != nil && !res.Meta.ExportedAt.IsZero() {
		// The outputs and MANIFEST.json are committed (an AfterFunc may
		// still have failed: its error is returned with them).
		out.Applied, out.Retry = r.applied, r.retry
	}
	return out, err
}

// priorError is the outcome the last export recorded for a collection (its
// MANIFEST.json's note), carried into the refreshed outputs unchanged.
type priorError struct {
	msg         string
	unavailable bool // an optional collection the login may not read
}

func (e *priorError) Error() string { return e.msg }

func (e *priorError) Unwrap() error {
	if e.unavailable {
		return ErrUnavailable
	}
	return nil
}

// priorOutcome returns what the last export's manifest says about the
// collection name: nil when it was exported completely, else an error
// whose text is the manifest's note, so that the refreshed outputs say the
// same (Export writes "<name> is incomplete: <Describe(err)>" for a failed
// collection, and UnavailableError.Error for one the login may not read).
func priorOutcome(m sinks.Manifest, name string) error {
	for _, n := range m.Notes {
		if rest, ok := strings.CutPrefix(n, name+" is incomplete: "); ok && slices.Contains(m.Incomplete, name) {
			return &priorError{msg: rest}
		}
		if strings.HasPrefix(n, name+" was not exported: ") {
			return &priorError{msg: n, unavailable: true}
		}
	}
	return nil
}
