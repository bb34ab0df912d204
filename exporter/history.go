package exporter

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ouraexport/ouraexport/internal/oura"
)

// earliestHistory is the earliest day any Oura data can have (the company
// shipped its first rings in 2015; 2013 leaves room).
var earliestHistory = time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC)

// probeEarliest finds the first day with an activity document by bisection
// over [since, until]: about a dozen requests, whatever order the server
// returns documents in. It returns zero when there is no activity at all.
func (f *fetcher) probeEarliest(ctx context.Context) (time.Time, error) {
	c := V2Collection("daily_activity") // a document for every day the ring was worn
	any := func(from, to time.Time) (bool, error) {
		q := c.Query(from, to)
		found := false
		_, err := f.o.Client.Get(ctx, c.Path, q, func(body []byte) error {
			docs, _, err := c.Decode(body)
			for _, d := range docs {
				if k, ok := docKey(c, d); ok && !k.Before(from) && k.Before(to) {
					found = true
				}
			}
			return err
		})
		return found, err
	}
	lo, hi := f.since, f.until.Add(day)
	ok, err := any(lo, hi)
	if err != nil || !ok {
		var ae *oura.APIError
		if errors.As(err, &ae) && ae.Status != http.StatusUnauthorized {
			return time.Time{}, nil // not readable: plan from the defaults
		}
		return time.Time{}, err
	}
	// Invariant: [lo, hi) holds a document; find the smallest hi-lo.
	for hi.Sub(lo) > day {
		mid := lo.Add((hi.Sub(lo) / 2).Truncate(day))
		ok, err := any(lo, mid)
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			hi = mid
		} else {
			lo = mid
		}
	}
	return lo, nil
}

// storedEarliest returns the earliest day of any stored document of the
// date collections (zero when none is stored).
func (f *fetcher) storedEarliest() (time.Time, error) {
	var earliest time.Time
	for _, c := range f.o.Collections {
		if c.Kind != ByDate {
			continue
		}
		segs, err := f.o.Store.Segments(c.API, c.Name)
		if err != nil {
			return time.Time{}, err
		}
		for _, seg := range segs {
			if seg.Docs == 0 || (!earliest.IsZero() && !seg.From.Before(earliest)) {
				continue
			}
			err := f.o.Store.Read(seg, func(doc []byte) error {
				if k, ok := docKey(c, doc); ok && (earliest.IsZero() || k.Before(earliest)) {
					earliest = k
				}
				return nil
			})
			if err != nil {
				return time.Time{}, err
			}
			break // segments are in time order: the first with documents has the earliest
		}
	}
	return earliest, nil
}

// ringSetUp reads ring_configuration and returns the day the first ring
// was set up, when every ring's date is plausible.
func (f *fetcher) ringSetUp(ctx context.Context, c *Collection) (time.Time, error) {
	var first time.Time
	trusted := true
	_, err := f.fetchWholeDocs(ctx, c, func(doc []byte) {
		v, err := topLevelStrings(doc, "set_up_at")
		if err != nil {
			trusted = false
			return
		}
		t, ok := parseInstant(v[0])
		if !ok || t.Before(earliestHistory) || t.After(f.now.Add(day)) {
			trusted = false
			return
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
	})
	if err != nil || !trusted || first.IsZero() {
		return time.Time{}, err
	}
	return dayOf(first), nil
}

// fetchAccount fetches personal_info into a whole segment and returns the
// account's id and e-mail address.
func (f *fetcher) fetchAccount(ctx context.Context, c *Collection) (id, email string, err error) {
	_, err = f.fetchWholeDocs(ctx, c, func(doc []byte) {
		if v, err := topLevelStrings(doc, "id", "email"); err == nil && id == "" {
			id, email = v[0], v[1]
		}
	})
	return id, email, err
}

func (f *fetcher) fetchWholeDocs(ctx context.Context, c *Collection, each func(doc []byte)) (int, error) {
	var last error
	for attempt := 0; attempt < windowAttempts; attempt++ {
		n, err := f.fetchWindow(ctx, &job{c: c, attempt: attempt}, each)
		if err == nil || !retryWindow(err) || ctx.Err() != nil {
			f.wholeDocs[c] = n
			return n, err
		}
		last = err
	}
	return 0, last
}
