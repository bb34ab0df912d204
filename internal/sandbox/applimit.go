package sandbox

import (
	"net/http"
	"strconv"
	"time"
)

// The per-application rate limit: Oura limits the requests of each access
// token and, separately, of each application (all tokens of one OAuth
// client together), and says which limit a 429 is about in
// X-RateLimit-Tier. With Options.AppRateLimit the sandbox emulates the
// second: a fixed window per client, opened by its first request, shared by
// every token of the client (static tokens belong to the sandbox's client).
// Over it the answer is 429 with Retry-After (seconds to the window's
// end), X-RateLimit-Tier: application and the application's
// X-RateLimit-Limit, -Remaining (0), -Window and -Reset. A request the
// application's limit refuses does not count against its token's.

// admitApp applies the application's rate limit; it answers the request
// and returns false when the limit is reached.
func (s *Server) admitApp(w http.ResponseWriter, r *http.Request, rs *reqState, g grant, v1 bool) bool {
	if s.cfg.AppRateLimit <= 0 {
		return true
	}
	q := s.app.take(g.client, s.cfg.Now())
	if q.ok {
		return true
	}
	win := int(s.cfg.AppRateWindow / time.Second)
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(q.retryAfter))
	h.Set("X-RateLimit-Tier", "application")
	h.Set("X-RateLimit-Limit", strconv.Itoa(q.limit))
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Window", strconv.Itoa(win))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(q.reset.Unix(), 10))
	rs.tier, rs.retryAfter = "application", q.retryAfter
	msg := "Application request rate limit exceeded: " + strconv.Itoa(q.limit) + " requests per " +
		strconv.Itoa(win) + " seconds for all users of this application. Retry after " + strconv.Itoa(q.retryAfter) + " seconds."
	if v1 {
		s.problem(w, r, rs, http.StatusTooManyRequests, "Too Many Requests", msg)
	} else {
		s.detail(w, r, rs, http.StatusTooManyRequests, msg)
	}
	return false
}
