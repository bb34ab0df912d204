package exporter

import (
	"sort"
	"time"
)

// span is a half-open interval of time [From, To).
type span struct{ From, To time.Time }

func (s span) empty() bool { return !s.From.Before(s.To) }

// spans is a sorted list of disjoint, non-adjacent spans.
type spans []span

// add returns the union of ss and s.
func (ss spans) add(s span) spans {
	if s.empty() {
		return ss
	}
	out := make(spans, 0, len(ss)+1)
	placed := false
	for _, x := range ss {
		switch {
		case x.To.Before(s.From):
			out = append(out, x)
		case s.To.Before(x.From):
			if !placed {
				out = append(out, s)
				placed = true
			}
			out = append(out, x)
		default: // overlapping or adjacent: merge into s
			if x.From.Before(s.From) {
				s.From = x.From
			}
			if x.To.After(s.To) {
				s.To = x.To
			}
		}
	}
	if !placed {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].From.Before(out[j].From) })
	return out
}

// subtract returns the parts of s not covered by ss.
func (ss spans) subtract(s span) spans {
	var out spans
	cur := s
	for _, x := range ss {
		if cur.empty() {
			break
		}
		if !x.To.After(cur.From) || !x.From.Before(cur.To) {
			continue
		}
		if x.From.After(cur.From) {
			out = append(out, span{cur.From, x.From})
		}
		cur.From = x.To
	}
	if !cur.empty() {
		out = append(out, cur)
	}
	return out
}

// contains reports whether t lies in one of the spans.
func (ss spans) contains(t time.Time) bool {
	i := sort.Search(len(ss), func(i int) bool { return ss[i].To.After(t) })
	return i < len(ss) && !t.Before(ss[i].From)
}

// effective resolves overlapping segments: a newer generation supersedes an
// older one where they overlap, so every instant belongs to exactly one
// segment. It returns, per segment, the spans it still speaks for (whole
// segments: the newest one speaks for everything, the others for nothing).
func effective(segs []Segment) [][]span {
	out := make([][]span, len(segs))
	order := make([]int, len(segs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		sa, sb := segs[order[a]], segs[order[b]]
		if sa.Gen != sb.Gen {
			return sa.Gen > sb.Gen
		}
		return sa.Fetched.After(sb.Fetched)
	})
	var claimed spans
	wholeTaken := false
	for _, i := range order {
		s := segs[i]
		if s.Whole() {
			if !wholeTaken {
				out[i] = []span{{}}
				wholeTaken = true
			}
			continue
		}
		cov := span{s.From, s.To}
		out[i] = claimed.subtract(cov)
		claimed = claimed.add(cov)
	}
	return out
}
