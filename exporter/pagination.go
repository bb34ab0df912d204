package exporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// maxLoops bounds how often a window re-reads pages to get out of a
// pagination loop before giving up.
const maxLoops = 20

// errCycle means the server's next_token led back to a page already read.
var errCycle = errors.New("the server's next_token repeats (a pagination loop)")

// fetchWindow fetches every page of one window into a new segment and
// commits it. Only documents whose key lies in the window are kept (queries
// are widened by the collection's margin), and a document repeated across
// pages is kept once. When the pages keep coming, the rest of the window is
// split into windows fetched in parallel.
func (f *fetcher) fetchWindow(ctx context.Context, j *job, each func(doc []byte)) (int, error) {
	c := j.c
	w, err := f.o.Store.Create(c.API, c.Name, j.from, j.to, f.gen)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", c.Name, err)
	}
	defer w.Abort()
	w.SetFetched(f.now)
	var query url.Values
	if c.Query != nil {
		query = c.Query(j.from, j.to)
	}
	seen := map[string]struct{}{}
	var first, last, early time.Time
	add := func(docs []json.RawMessage) (int, error) {
		kept := 0
		for _, d := range docs {
			var key time.Time
			if c.Kind == ByDate || c.Kind == ByInstant {
				if k, ok := docKey(c, d); ok {
					if k.Before(j.from) || !k.Before(j.to) {
						continue // in the margin: another window's
					}
					key = k
				}
			}
			id := string(d)
			if c.ID != "" {
				if v, err := topLevelStrings(d, c.ID); err == nil && v[0] != "" {
					id = v[0]
				}
			}
			if _, dup := seen[id]; dup {
				continue
			}
			seen[id] = struct{}{}
			if err := w.Add(d); err != nil {
				return kept, fmt.Errorf("%s: store: %w", c.Name, err)
			}
			if each != nil {
				each(d)
			}
			kept++
			if !key.IsZero() {
				if first.IsZero() || key.Before(first) {
					first = key
				}
				if key.After(last) {
					last = key
				}
				if c.Kind == ByDate && (early.IsZero() || key.Before(early)) {
					early = key
				}
			}
		}
		return kept, nil
	}
	get := func(token string) ([]json.RawMessage, string, error) {
		q := query
		if token != "" {
			q = url.Values{}
			for k, v := range query {
				q[k] = v
			}
			q.Set("next_token", token)
		}
		var docs []json.RawMessage
		var next string
		_, err := f.o.Client.Get(ctx, c.Path, q, func(body []byte) error {
			var err error
			docs, next, err = c.accept(body)
			return err
		})
		if err != nil {
			return nil, "", fmt.Errorf("%s%s: %w", c.Name, describeWindow(j), err)
		}
		return docs, next, nil
	}
	// Follow next_token to the end. A token already followed means a
	// pagination loop: one of the last two answers was wrong. Ask the
	// previous page again (its token may have misled us), then this one;
	// a loop that persists is an error.
	j.cont = j.to
	followed := map[string]struct{}{}
	requests := []string{""} // the tokens of the pages read, in order
	loops := 0
	for page := 1; ; page++ {
		cur := requests[len(requests)-1]
		docs, next, err := get(cur)
		if err != nil {
			return 0, err
		}
		for _, loop := followed[next]; loop && next != ""; _, loop = followed[next] {
			if loops++; loops > maxLoops {
				return 0, fmt.Errorf("%s%s: %w", c.Name, describeWindow(j), errCycle)
			}
			if len(requests) >= 2 {
				prev := requests[len(requests)-2]
				pdocs, pnext, err := get(prev)
				if err != nil {
					return 0, err
				}
				if _, seenBefore := followed[pnext]; pnext != cur && !seenBefore {
					// The previous answer sent us astray: continue from its fresh token.
					if _, err := add(pdocs); err != nil {
						return 0, err
					}
					delete(followed, cur)
					cur = pnext
					requests[len(requests)-1] = cur
					followed[cur] = struct{}{}
					if pnext == "" {
						docs, next = nil, ""
						break
					}
				}
			}
			if docs, next, err = get(cur); err != nil {
				return 0, err
			}
		}
		kept, err := add(docs)
		if err != nil {
			return 0, err
		}
		if page == 1 && c == f.anchor && j.from.Equal(f.since) && !early.IsZero() {
			f.seriesFrom(early)
		}
		if next != "" {
			f.mu.Lock()
			if cs := f.colls[c]; cs != nil && len(docs) > cs.pageSize {
				cs.pageSize = len(docs)
			}
			f.mu.Unlock()
		}
		f.o.Progress.Page(c.Name, kept)
		if next == "" {
			break
		}
		followed[next] = struct{}{}
		requests = append(requests, next)
		if cut := last.Truncate(time.Second); !j.laneEnd.IsZero() && cut.After(j.from) {
			// A full page: the lane goes on from its last row's second
			// (windows are whole seconds, as queries and segments name
			// them: rows with milliseconds must not fall between two).
			w.Narrow(cut)
			j.cont = cut
			break
		}
		if f.q != nil && f.split(j, w, page, first, last) {
			break
		}
	}
	if j.hold != nil && !j.hold() {
		return 0, errHeld
	}
	seg, err := w.Commit()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", c.Name, err)
	}
	if !early.IsZero() {
		f.mu.Lock()
		if f.early.IsZero() || early.Before(f.early) {
			f.early = early
		}
		// Remember it at once: a resumed run plans the time series from it.
		if st := f.o.Store; st.State.Earliest.IsZero() || early.Before(st.State.Earliest) {
			st.State.Earliest = early
			if err := st.SaveState(); err != nil {
				f.mu.Unlock()
				return 0, fmt.Errorf("save export state: %w", err)
			}
		}
		f.mu.Unlock()
	}
	f.covered(c, span{seg.From, seg.To})
	return seg.Docs, nil
}

func describeWindow(j *job) string {
	switch {
	case j.from.IsZero():
		return ""
	case j.c.Kind == ByDate:
		return fmt.Sprintf(" %s..%s", j.from.Format(time.DateOnly), j.to.AddDate(0, 0, -1).Format(time.DateOnly))
	default:
		return fmt.Sprintf(" %s..%s", j.from.Format(time.RFC3339), j.to.Format(time.RFC3339))
	}
}
