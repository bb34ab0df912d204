package exporter

import (
	"context"
	"errors"
	"time"

	"github.com/ouraexport/ouraexport/internal/oura"
)

// settle asks the server about the collections whose fetch depends on its
// answer, before anything is planned: the shape of each raw collection
// (settleRaw), and whether the login may read each optional one
// (probeOptional). It returns the collections to fetch (raw ones replaced
// by settled copies; the caller's are never changed, as a cohort shares
// them) and, per collection, the error that leaves it out of the plan. An
// error is returned only when the export cannot go on (401, the context).
func (f *fetcher) settle(ctx context.Context, colls []*Collection) ([]*Collection, map[*Collection]error, error) {
	out := make([]*Collection, 0, len(colls))
	skip := map[*Collection]error{}
	for _, c := range colls {
		var err error
		switch {
		case c.Raw && c.API == APIv2:
			var s *Collection
			if s, err = f.settleRaw(ctx, c); s != nil {
				c = s
			}
		case c.Optional != nil:
			err = f.probeOptional(ctx, c)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			if errors.Is(err, oura.ErrUnauthorized) {
				return nil, nil, err
			}
			skip[c] = unavailable(c, err)
		}
		out = append(out, c)
	}
	return out, skip, nil
}

// probeOptional asks for a recent stretch of an optional collection: one
// request, so that a login without its scope learns it at once rather than
// window by window (and a dry run can say so). It returns an
// *UnavailableError when the server refuses; other failures are left to the
// fetch, which retries and reports them.
func (f *fetcher) probeOptional(ctx context.Context, c *Collection) error {
	var q = probeQuery(c, f.now)
	_, err := f.o.Client.Get(ctx, c.Path, q, nil)
	if err == nil || ctx.Err() != nil || errors.Is(err, oura.ErrUnauthorized) {
		return err
	}
	if u := unavailable(c, err); u != err {
		return u
	}
	return nil
}

// probeQuery returns the query of a short recent window of c.
func probeQuery(c *Collection, now time.Time) map[string][]string {
	if c.Query == nil || c.Kind == Single || c.Kind == Paged {
		return nil
	}
	if c.Kind == ByInstant {
		return c.Query(now.Add(-day).Truncate(time.Minute), now.Truncate(time.Minute))
	}
	today := dayOf(now)
	return c.Query(today.AddDate(0, 0, -1), today.Add(day))
}
