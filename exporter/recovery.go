package exporter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ouraexport/ouraexport/internal/oura"
)

const windowAttempts = 3

// retryWindow reports whether a window that failed may succeed if fetched again.
func retryWindow(err error) bool {
	var ae *oura.APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, oura.ErrUnauthorized) && !errors.Is(err, oura.ErrTooLarge) &&
		!fatal(err)
}

// fatal reports whether err ends the whole fetch: the server is not the
// Oura API, or it sent the request to another server.
func fatal(err error) bool {
	return errors.Is(err, oura.ErrNotAPI) || errors.As(err, new(*oura.RedirectError))
}

// run fetches one job and does the bookkeeping.
func (f *fetcher) run(ctx context.Context, j *job) error {
	n, err := f.fetchWindow(ctx, j, nil)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	var ae *oura.APIError
	switch {
	case err == nil:
		f.mu.Lock()
		cs := f.colls[j.c]
		cs.res.Windows++
		cs.res.Docs += n
		var more []*job
		if j.probe && !j.rest.empty() {
			more = f.chunk(j.c, j.rest, cs.maxWindow)
		}
		if !j.laneEnd.IsZero() && j.cont.Before(j.laneEnd) {
			more = append(more, laneJob(j.c, j.cont, j.laneEnd, cs.maxWindow))
		}
		f.mu.Unlock()
		f.add(more)
	case (errors.As(err, &ae) && (ae.Status == http.StatusBadRequest || ae.Status == http.StatusUnprocessableEntity) ||
		errors.Is(err, oura.ErrTooLarge)) && f.canHalve(j):
		// The server may refuse windows this long, or answer them with
		// more than a page may hold: probe with half of it.
		f.mu.Lock()
		cs := f.colls[j.c]
		half := j.to.Sub(j.from) / 2
		if j.c.Kind == ByDate {
			half = half.Truncate(day)
		}
		cs.maxWindow = half
		var retry *job
		if !j.laneEnd.IsZero() {
			retry = laneJob(j.c, j.from, j.laneEnd, half)
		} else {
			rest := span{j.from.Add(half), j.to}
			if j.probe && !j.rest.empty() {
				rest.To = j.rest.To
			}
			retry = &job{c: j.c, from: j.from, to: j.from.Add(half), probe: true, rest: rest, head: j.head}
		}
		f.mu.Unlock()
		f.add([]*job{retry})
	case retryWindow(err) && j.attempt+1 < windowAttempts:
		next := *j
		next.attempt++
		f.add([]*job{&next})
	case errors.Is(err, oura.ErrUnauthorized) || fatal(err):
		return fmt.Errorf("%s: %w", j.c.Name, err)
	default:
		f.mu.Lock()
		cs := f.colls[j.c]
		if cs.res.Err == nil {
			cs.res.Err = unavailable(j.c, err)
		}
		f.mu.Unlock()
	}
	f.finish(j.c)
	return nil
}

// canHalve reports whether a refused window is long enough to try shorter.
func (f *fetcher) canHalve(j *job) bool {
	min := time.Hour
	if j.c.Kind == ByDate {
		min = 2 * day
	}
	return (j.c.Kind == ByDate || j.c.Kind == ByInstant) && j.to.Sub(j.from) >= min
}
