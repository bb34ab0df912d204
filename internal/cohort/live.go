package cohort

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/ouraexport/ouraexport/exporter"
)

// Live exports a cohort's participants one at a time and as often as
// asked, each exactly as Run exports them (the same folder, layout, labels,
// pool and application limiters), and rewrites the shard's manifest after
// every export, so that the cohort verifies between any two: 'ouraexport
// watch' applies a participant's events and resyncs it this way.
type Live struct {
	r  *runner
	mu sync.Mutex
	// entries are the participants as the manifest records them, by id:
	// those of the manifest found on disk, then each export's.
	entries map[string]Entry
}

// NewLive prepares the participants of o for Export. The shard's manifest
// already in o.Root, if any, is kept for those not exported yet.
func NewLive(o Options) (*Live, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	l := &Live{r: newRunner(o), entries: map[string]Entry{}}
	if old, err := Latest(o.Root); err == nil {
		mine := map[string]bool{}
		for _, a := range o.Accounts {
			mine[strings.ToLower(a.ID)] = true
		}
		for _, e := range old {
			if mine[strings.ToLower(e.ID)] {
				l.entries[e.ID] = e
			}
		}
	}
	return l, nil
}

// Export exports participant a with export (the Options' Export when nil)
// given the options Run would give it, records the outcome in the shard's
// manifest and writes it. The participant is returned with the error of
// writing the manifest, if any; the export's own error is the
// participant's Err.
func (l *Live) Export(ctx context.Context, a Account, export func(context.Context, exporter.AccountOptions) (*exporter.Result, error)) (*Participant, error) {
	if export == nil {
		export = l.r.o.Export
	}
	p := l.r.export(ctx, a, export)
	if ctx.Err() != nil || p.Manifest == nil {
		// Nothing new was published: the manifest's entry stands.
		return p, nil
	}
	e := entryOf(p)
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.entries[e.ID]; ok {
		// A refresh may know less than a whole export about the account.
		e.Account = cmp.Or(e.Account, old.Account)
		e.Since = cmp.Or(e.Since, old.Since)
		e.Until = cmp.Or(e.Until, old.Until)
	}
	l.entries[e.ID] = e
	var entries []Entry
	for _, x := range l.entries {
		entries = append(entries, x)
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.ID, b.ID) })
	return p, WriteManifest(l.r.o.Root, summarize(l.r.header(p.Elapsed), entries))
}
