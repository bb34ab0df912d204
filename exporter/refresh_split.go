package exporter

import "time"

// splitSpans cuts the spans of ss longer than max (0: no limit) into
// pieces of at most max: the API refuses a longer window of a time series.
func splitSpans(ss spans, max time.Duration) spans {
	if max <= 0 {
		return ss
	}
	var out spans
	for _, s := range ss {
		for s.To.Sub(s.From) > max {
			out = append(out, span{s.From, s.From.Add(max)})
			s.From = s.From.Add(max)
		}
		out = append(out, s)
	}
	return out
}
