package exporter

import (
	"fmt"
	"sort"
	"time"
)

// compactAbove is how many segments a collection may have before a run
// merges them into one. A nightly run adds a segment per collection (its
// look-back window), so this compacts about every two months.
const compactAbove = 64

// segPart is a span of a segment that still speaks for its collection.
type segPart struct {
	seg   Segment
	cover span // zero: the whole segment
	first bool // the first segPart of its segment (takes documents without a key)
}

// effectiveParts returns the parts of segs that speak for the collection, in
// time order.
func effectiveParts(segs []Segment) []segPart {
	var parts []segPart
	for i, spans := range effective(segs) {
		for k, sp := range spans {
			parts = append(parts, segPart{seg: segs[i], cover: sp, first: k == 0})
		}
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].cover.From.Before(parts[j].cover.From) })
	return parts
}

// keep reports whether doc, read from p, belongs to the collection's
// current content: its key lies in the segPart (documents without a key are
// taken once, from the first segPart of their segment).
func (p segPart) keep(c *Collection, doc []byte) bool {
	if c.Kind != ByDate && c.Kind != ByInstant {
		return true
	}
	key, ok := docKey(c, doc)
	if !ok {
		return p.first
	}
	return p.seg.Whole() || (!key.Before(p.cover.From) && key.Before(p.cover.To))
}

// compact tidies a collection's segments before a run: segments that newer
// ones supersede entirely are removed, and when too many remain they are
// merged into one. The merged segment is committed before the old ones are
// removed, and it supersedes them, so a crash in between loses nothing.
func (s *Store) compact(c *Collection, gen int) error {
	segs, err := s.Segments(c.API, c.Name)
	if err != nil {
		return err
	}
	eff := effective(segs)
	var live []Segment
	for i, spans := range eff {
		if len(spans) == 0 {
			if err := s.Remove(segs[i]); err != nil {
				return err
			}
			continue
		}
		live = append(live, segs[i])
	}
	if len(live) <= compactAbove || c.Kind == Single || c.Kind == Paged {
		return nil
	}
	// Merge each run of segments whose ranges touch or overlap: a merged
	// segment claims its whole range, so it must never bridge a gap that
	// no segment covers (an interrupted run leaves such gaps to fill).
	sort.SliceStable(live, func(i, j int) bool { return live[i].From.Before(live[j].From) })
	for i := 0; i < len(live); {
		j, to := i+1, live[i].To
		for j < len(live) && !live[j].From.After(to) {
			if live[j].To.After(to) {
				to = live[j].To
			}
			j++
		}
		if j-i > 1 {
			if err := s.merge(c, live[i:j], to, gen); err != nil {
				return err
			}
		}
		i = j
	}
	return nil
}

// merge writes run, segments whose ranges form one contiguous span ending at
// to, as one segment, then removes them.
func (s *Store) merge(c *Collection, run []Segment, to time.Time, gen int) error {
	from, fetched := run[0].From, run[0].Fetched
	for _, sg := range run {
		if sg.From.Before(from) {
			from = sg.From
		}
		// The newest fetch dates the merged segment: days within the
		// look-back of it are fetched again, as they would have been.
		if sg.Fetched.After(fetched) {
			fetched = sg.Fetched
		}
	}
	w, err := s.Create(c.API, c.Name, from, to, gen)
	if err != nil {
		return err
	}
	defer w.Abort()
	w.SetFetched(fetched)
	for _, p := range effectiveParts(run) {
		err := s.Read(p.seg, func(doc []byte) error {
			if p.keep(c, doc) {
				return w.Add(doc)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("compact %s: %w", c.Name, err)
		}
	}
	if _, err := w.Commit(); err != nil {
		return fmt.Errorf("compact %s: %w", c.Name, err)
	}
	for _, sg := range run {
		if err := s.Remove(sg); err != nil {
			return err
		}
	}
	return nil
}
