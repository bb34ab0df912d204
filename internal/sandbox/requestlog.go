package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"
	"time"
)

// Request is one request the sandbox answered, as Options.RecordRequests
// keeps them: tests check when each client and token sent what (a cohort
// must not send while the application is paused).
type Request struct {
	// Arrived is when the request came in; Answered when its answer was
	// written (both on the sandbox's clock).
	Arrived, Answered time.Time
	// Route is as Stats names it ("v2/sleep", "oauth/token", ...).
	Route  string
	Status int
	// User and Client are those of the request's token (0 and "" when it
	// had none or was rejected); Token is a digest of it, never the token.
	User   int
	Client string
	Token  string
	// Tier is the X-RateLimit-Tier of a 429 ("application" or
	// "access_token"); RetryAfter its Retry-After, in seconds.
	Tier       string
	RetryAfter int
}

// requestLog is the record of requests; nil records nothing.
type requestLog struct {
	mu   sync.Mutex
	reqs []Request
}

func newRequestLog(on bool) *requestLog {
	if !on {
		return nil
	}
	return &requestLog{}
}

func (l *requestLog) add(rs *reqState, now time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, Request{Arrived: rs.arrived, Answered: now, Route: rs.route, Status: rs.status,
		User: rs.user, Client: rs.client, Token: rs.token, Tier: rs.tier, RetryAfter: rs.retryAfter})
}

// Requests returns the requests answered so far, in the order their answers
// were written; nil unless Options.RecordRequests.
func (s *Server) Requests() []Request {
	if s.log == nil {
		return nil
	}
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return slices.Clone(s.log.reqs)
}

// tokenDigest names a token in the request log without revealing it.
func tokenDigest(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:6])
}
