package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/scope"
)

// access is what is known of which collections a login may read: the
// scopes it was granted (known is false when the token does not say, as
// with $OURA_TOKEN), and what the server answered for the collections a
// dry run probed (true: readable).
type access struct {
	granted scope.Set
	known   bool
	probed  map[string]bool
}

// accessOf returns the access of a login with scopes (nil: unknown) and
// of the fetch result res of a dry run (nil: none).
func accessOf(scopes []string, res *exporter.FetchResult) access {
	a := access{granted: scope.Granted(scopes), known: len(scopes) > 0, probed: map[string]bool{}}
	if res != nil {
		for _, c := range res.Collections {
			if c.Collection.Optional != nil || c.Err != nil {
				a.probed[c.Collection.Name] = c.Err == nil
			}
		}
	}
	return a
}

// unlocks says whether the login reads collection: true, false, or
// unknown (ok false).
func (a access) unlocks(collection string) (yes, ok bool) {
	if v, done := a.probed[collection]; done {
		return v, true
	}
	if !a.known {
		return false, false
	}
	return a.granted.Unlocks(collection), true
}

// split returns the collections of the scope table the login unlocks, those
// it does not, and those it cannot tell.
func (a access) split() (unlocked, locked, unknown []string) {
	var all []string
	for _, s := range scope.All() {
		for _, c := range s.Collections {
			if !slices.Contains(all, c) {
				all = append(all, c)
			}
		}
	}
	for _, c := range all {
		switch yes, ok := a.unlocks(c); {
		case !ok:
			unknown = append(unknown, c)
		case yes:
			unlocked = append(unlocked, c)
		default:
			locked = append(locked, c)
		}
	}
	return unlocked, locked, unknown
}

// writeDoctor prints, per scope of the scope table, whether the login holds
// it and what it unlocks or leaves out, so that a person knows before a
// long export what it will bring, and what to do about the rest.
func writeDoctor(w io.Writer, a access) {
	fmt.Fprintln(w, "What the login's scopes unlock:")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  scope\tgranted\tcollections")
	missing := false
	for _, s := range scope.All() {
		held := "?"
		switch {
		case a.known && a.granted[s.Name]:
			held = "yes"
		case a.known:
			held = "no"
		}
		var parts []string
		for _, c := range s.Collections {
			yes, ok := a.unlocks(c)
			switch {
			case !ok || yes:
				parts = append(parts, c)
			case s.Optional:
				parts = append(parts, c+" (optional: not exported; "+s.Grants+")")
				missing = true
			default:
				parts = append(parts, c+" (403: the export will be partial)")
				missing = true
			}
		}
		if len(parts) == 0 {
			parts = []string{"personal_info: " + s.Grants}
		}
		if held == "?" && len(s.Collections) > 0 {
			// The token does not say; a probe may have.
			switch yes, ok := a.unlocks(s.Collections[0]); {
			case ok && yes:
				held = "yes"
			case ok:
				held = "no"
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, held, strings.Join(parts, ", "))
	}
	tw.Flush()
	switch {
	case !a.known:
		fmt.Fprintln(w, "\nThe token does not say which scopes it holds (? above): the export finds out collection by collection.")
	case missing:
		fmt.Fprintln(w, "\nTo add a scope, log in again and allow it on Oura's page: ouraexport auth login (with --scopes listing it, or without --scopes to be asked for all).")
	}
}
