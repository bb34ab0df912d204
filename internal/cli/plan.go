package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
)

// A dry run (export --dry-run) prints the plan: what an export would
// fetch, and what it could not plan.

// printPlan writes a dry run's plan.
func printPlan(w io.Writer, res *exporter.FetchResult, requests int64) {
	type row struct {
		windows  int
		from, to time.Time
	}
	per := map[string]*row{}
	for _, p := range res.Plan {
		r := per[p.Collection]
		if r == nil {
			r = &row{from: p.From, to: p.To}
			per[p.Collection] = r
		}
		r.windows++
		if p.From.Before(r.from) {
			r.from = p.From
		}
		if p.To.After(r.to) {
			r.to = p.To
		}
	}
	fmt.Fprintf(w, "Plan for account %s, history %s to %s:\n\n", orUnknown(res.Account), res.Since.Format(time.DateOnly), res.Until.Format(time.DateOnly))
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "collection\twindows\tfrom\tto")
	windows := 0
	for _, c := range res.Collections {
		r := per[c.Collection.Name]
		var ue *exporter.UnavailableError
		switch {
		case errors.As(c.Err, &ue):
			fmt.Fprintf(tw, "%s\t-\t%s\t\n", c.Collection.Name, unavailableShort(ue))
		case c.Err != nil:
			fmt.Fprintf(tw, "%s\t-\t%s\t\n", c.Collection.Name, exporter.Describe(c.Err))
		case r == nil && (c.Collection.Kind == exporter.Single || c.Collection.Kind == exporter.Paged):
			fmt.Fprintf(tw, "%s\t1\t(whole)\t\n", c.Collection.Name)
			windows++
		case r == nil:
			fmt.Fprintf(tw, "%s\t0\t(up to date)\t\n", c.Collection.Name)
		default:
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", c.Collection.Name, r.windows, r.from.Format(time.DateOnly), r.to.Add(-time.Second).Format(time.DateOnly))
			windows += r.windows
		}
	}
	tw.Flush()
	est := res.Estimate
	fmt.Fprintf(w, "\n%d windows, about %d requests (%d made to plan).\n", windows, est, requests)
	// Oura allows 5000 requests per 5 minutes.
	if est > 5000 {
		fmt.Fprintf(w, "Under the rate limit of 5000 requests per 5 minutes this takes at least %s.\n", (time.Duration(est-5000) * 300 * time.Second / 5000).Round(time.Second))
	} else {
		fmt.Fprintln(w, "That is within the rate limit of 5000 requests per 5 minutes: it is limited only by the server's speed.")
	}
}

// planError is the outcome of a dry run whose plan is incomplete: some
// collections could not be planned (the plan names them and why) is
// partial (exit 3), none could be is a failure of its class; a dry run
// that could not plan what was asked is not done.
func planError(res *exporter.Result) error {
	failed := res.Failed()
	asked := len(res.Fetch.Collections) - len(res.Unavailable()) // optional ones it may not read are reported, not failed
	switch {
	case len(failed) == 0:
		return nil
	case len(failed) == asked:
		if lapsed(res) {
			return fmt.Errorf("%w: nothing could be planned: the API answered 403 (forbidden) for every collection; %s", ErrPartial, lapsedHint)
		}
		return fmt.Errorf("nothing could be planned: %s", exporter.Describe(failed[0].Err))
	}
	var names []string
	for _, f := range failed {
		names = append(names, f.Collection.Name)
	}
	return fmt.Errorf("%w: the plan is incomplete: %d of %d collections could not be planned (%s)", ErrPartial,
		len(names), asked, strings.Join(names, ", "))
}
