package webhook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// EnsureReport says what Ensure found and did.
type EnsureReport struct {
	Created []Subscription // subscriptions it made
	Renewed []Subscription // subscriptions it renewed (their new expiry)
	Kept    []Subscription // subscriptions it left as they were
	// Others are subscriptions of the app to another callback, or of a
	// data type not asked for: left alone.
	Others []Subscription
	// Failed are the (data type, event type) pairs it could not create or
	// renew, each with its error; Ensure's error summarises them.
	Failed []EnsureFailure
	// Refused are the Optional data types the server does not offer (it
	// refused their data_type): their changes reach an export only by
	// polling. Not an error.
	Refused []string
}

// EnsureFailure is one subscription Ensure could not make or renew.
type EnsureFailure struct {
	DataType, EventType string
	Err                 error
}

// Expires returns the earliest expiry of the callback's subscriptions
// (created, renewed and kept), zero when there are none.
func (r EnsureReport) Expires() time.Time {
	var first time.Time
	for _, l := range [][]Subscription{r.Created, r.Renewed, r.Kept} {
		for _, s := range l {
			if !s.Expires.IsZero() && (first.IsZero() || s.Expires.Before(first)) {
				first = s.Expires
			}
		}
	}
	return first
}

// ensureWorkers is how many subscriptions Ensure makes at once (each
// makes Oura call the callback back).
const ensureWorkers = 4

// Ensure makes callback subscribed to every event type of every data type
// in dataTypes: it creates each (data type, event type) pair the app has
// no subscription to callback for (with the verification token token),
// and renews those that expire within renewWithin (or have expired). A
// pair with several subscriptions counts once (the one that expires last);
// subscriptions to other callbacks are left alone. It carries on past a
// pair that fails, and returns the report with an error naming the
// failures (nil when there were none).
func (c *Client) Ensure(ctx context.Context, callback, token string, dataTypes []string, renewWithin time.Duration) (EnsureReport, error) {
	var rep EnsureReport
	if err := CheckCallback(callback); err != nil {
		return rep, err
	}
	if token == "" {
		return rep, errors.New("webhook: no verification token")
	}
	var uniq []string
	for _, d := range dataTypes {
		if !slices.Contains(uniq, d) {
			uniq = append(uniq, d)
		}
	}
	dataTypes = uniq
	subs, err := c.List(ctx)
	if err != nil {
		return rep, err
	}
	type pair struct{ data, event string }
	have := map[pair]Subscription{}
	for _, s := range subs {
		p := pair{s.DataType, s.EventType}
		if s.CallbackURL != callback || !slices.Contains(dataTypes, s.DataType) || !slices.Contains(EventTypes, s.EventType) {
			rep.Others = append(rep.Others, s)
			continue
		}
		if old, ok := have[p]; ok {
			if s.Expires.After(old.Expires) {
				old, s = s, old
			}
			have[p] = old
			rep.Others = append(rep.Others, s)
			continue
		}
		have[p] = s
	}
	now := time.Now()
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(ensureWorkers)
	for _, d := range dataTypes {
		for _, e := range EventTypes {
			s, ok := have[pair{d, e}]
			if ok && (s.Expires.IsZero() || s.Expires.Sub(now) > renewWithin) {
				rep.Kept = append(rep.Kept, s)
				continue
			}
			g.Go(func() error {
				var got Subscription
				var err error
				if ok {
					got, err = c.Renew(gctx, s.ID)
				} else {
					got, err = c.Create(gctx, CreateRequest{CallbackURL: callback, VerificationToken: token, EventType: e, DataType: d})
				}
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil && !ok && Optional(d) && refusedDataType(err):
					if !slices.Contains(rep.Refused, d) {
						rep.Refused = append(rep.Refused, d)
					}
				case err != nil:
					rep.Failed = append(rep.Failed, EnsureFailure{DataType: d, EventType: e, Err: err})
				case ok:
					rep.Renewed = append(rep.Renewed, got)
				default:
					rep.Created = append(rep.Created, got)
				}
				if err != nil && (errors.Is(err, ErrForbidden) || errors.Is(err, ErrNoCredentials)) {
					return err // the rest would fail the same way
				}
				return nil
			})
		}
	}
	gerr := g.Wait()
	for _, l := range [][]Subscription{rep.Created, rep.Renewed, rep.Kept} {
		sortSubscriptions(l)
	}
	slices.Sort(rep.Refused)
	slices.SortFunc(rep.Failed, func(a, b EnsureFailure) int {
		return cmpPair(a.DataType, a.EventType, b.DataType, b.EventType)
	})
	switch {
	case gerr != nil:
		return rep, gerr
	case ctx.Err() != nil:
		return rep, ctx.Err()
	case len(rep.Failed) > 0:
		f := rep.Failed[0]
		return rep, fmt.Errorf("%d of %d subscriptions could not be made or renewed; %s %s: %w",
			len(rep.Failed), (len(dataTypes)-len(rep.Refused))*len(EventTypes), f.DataType, f.EventType, f.Err)
	}
	return rep, nil
}

// refusedDataType reports whether err is a 422 about the data type.
func refusedDataType(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && errors.Is(err, ErrInvalid) && strings.Contains(ae.Detail, "data_type")
}

// sortSubscriptions orders subs by data type (Oura's order), then event
// type.
func sortSubscriptions(subs []Subscription) {
	slices.SortFunc(subs, func(a, b Subscription) int {
		return cmpPair(a.DataType, a.EventType, b.DataType, b.EventType)
	})
}

func cmpPair(ad, ae, bd, be string) int {
	if c := rank(ad) - rank(bd); c != 0 {
		return c
	}
	if ad != bd {
		if ad < bd {
			return -1
		}
		return 1
	}
	return slices.Index(EventTypes, ae) - slices.Index(EventTypes, be)
}

// rank is a data type's place in Oura's list (unknown ones last).
func rank(d string) int {
	for i, t := range dataTypes {
		if t.name == d {
			return i
		}
	}
	return len(dataTypes)
}
