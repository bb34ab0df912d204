package apispec

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Write prints the report for people: per collection, each change and
// what ouraexport does with it, then a line on whether exports go on.
func (r *Report) Write(w io.Writer) error {
	fmt.Fprintf(w, "Compared %s with %s, which ouraexport was built from.\n", r.New, r.Old)
	if len(r.Changes) == 0 {
		_, err := fmt.Fprintln(w, "\nNo differences in the routes, documents or OAuth2 flow: exports go on as they are.")
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	last := "\x00"
	for _, c := range r.Changes {
		if c.Collection != last {
			title := c.Collection
			if title == "" {
				title = "OAuth2"
			}
			fmt.Fprintf(tw, "\n%s\n", title)
			last = c.Collection
		}
		name := c.Name
		if c.Detail != "" {
			name += " (" + c.Detail + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Kind, name, c.Action)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	n := len(r.Breaking())
	var err error
	switch {
	case n == 0:
		_, err = fmt.Fprintf(w, "\n%d changes; none stops an export: every value the newer API sends is kept (new fields in extra, new collections raw).\n", len(r.Changes))
	default:
		var names []string
		for _, c := range r.Breaking() {
			names = append(names, c.Collection)
		}
		_, err = fmt.Fprintf(w, "\n%d changes; %d make exports partial (exit 3) until ouraexport follows them: %s.\n", len(r.Changes), n, strings.Join(names, ", "))
	}
	return err
}
