package sinks

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Pending is a finished file of a sink, waiting to be published.
type Pending struct {
	Name string     // name within the sink's Dir
	W    FileWriter // the file, written completely
	Rows int64      // rows it holds
}

// Publish commits every pending file, the last step of a sink's Commit,
// and returns them sorted by path. Sinks finish every file first (anything
// that can fail for a reason of theirs) and publish last, so that a failure
// rarely leaves a mix; if a Commit still fails, Publish removes the files it
// already published and aborts the others, so that no new file stays (a file
// of the same name from an earlier export, which a published one replaced,
// is then gone too).
func Publish(d Dir, pending []Pending) ([]File, error) {
	files := make([]File, 0, len(pending))
	for i, p := range pending {
		f, err := p.W.Commit()
		if err != nil {
			errs := []error{err}
			for _, q := range pending[:i] {
				errs = append(errs, d.Remove(q.Name))
			}
			for _, q := range pending[i+1:] {
				errs = append(errs, q.W.Abort())
			}
			return nil, fmt.Errorf("publish %s: %w", p.Name, errors.Join(errs...))
		}
		f.Rows = p.Rows
		files = append(files, f)
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}
