package sandbox

import (
	"maps"
	"sync"
)

// Stats are the sandbox's counters since it started.
type Stats struct {
	// Requests counts every request, including rejected ones.
	Requests int64 `json:"requests"`
	// Routes counts requests per route: "v2/<collection>",
	// "sandbox/<collection>", "v1/<kind>", "oauth/<step>", "control",
	// "unknown".
	Routes map[string]int64 `json:"routes"`
	// Status2xx ... Status5xx count responses by class; Status429 counts
	// rate-limited requests (also in Status4xx).
	Status2xx int64 `json:"status_2xx"`
	Status3xx int64 `json:"status_3xx"`
	Status4xx int64 `json:"status_4xx"`
	Status5xx int64 `json:"status_5xx"`
	Status429 int64 `json:"status_429"`
	// Faults counts the faults injected, per kind.
	Faults map[string]int64 `json:"faults"`
	// Bytes is the number of response body bytes written (after gzip).
	Bytes int64 `json:"bytes"`
	// Documents is the number of documents and rows served.
	Documents int64 `json:"documents"`
}

type statsCounter struct {
	mu sync.Mutex
	s  Stats
}

func newStatsCounter() *statsCounter {
	return &statsCounter{s: Stats{Routes: map[string]int64{}, Faults: map[string]int64{}}}
}

func (c *statsCounter) record(rs *reqState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Requests++
	c.s.Routes[rs.route]++
	switch {
	case rs.status >= 500:
		c.s.Status5xx++
	case rs.status >= 400:
		c.s.Status4xx++
	case rs.status >= 300:
		c.s.Status3xx++
	case rs.status >= 200:
		c.s.Status2xx++
	}
	if rs.status == 429 {
		c.s.Status429++
	}
	if rs.fault != "" {
		c.s.Faults[rs.fault]++
	}
	c.s.Bytes += rs.bytes
	c.s.Documents += rs.docs
}

func (c *statsCounter) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.s
	out.Routes = maps.Clone(c.s.Routes)
	out.Faults = maps.Clone(c.s.Faults)
	return out
}
