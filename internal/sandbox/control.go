package sandbox

import (
	"net/http"
	"strconv"
)

// controlMethods are the control routes and their methods.
var controlMethods = map[string]string{"advance": http.MethodPost, "revise": http.MethodPost, "stats": http.MethodGet, "info": http.MethodGet}

// serveControl serves the test-control surface under /_sandbox/ (outside
// Oura's namespace, no token needed, never faulted or rate-limited):
//
//	POST /_sandbox/advance?days=N           the history end moves N days (default 1)
//	POST /_sandbox/revise?user=N&day=DATE   that day's documents get new values
//	POST /_sandbox/delete?user=N&collection=C&id=ID|day=DATE   a document goes
//	GET|POST /_sandbox/webhook              webhook state and faults (webhook_change.go)
//	GET  /_sandbox/stats                    the counters, as JSON (see Stats)
//	GET  /_sandbox/info                     users, history, seed, tokens, OAuth client
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request, rs *reqState, op string) {
	if op == "delete" || op == "webhook" {
		s.serveHookControl(w, r, rs, op)
		return
	}
	q := r.URL.Query()
	method := controlMethods[op]
	if method == "" {
		s.detail(w, r, rs, http.StatusNotFound, "Not Found")
		return
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		s.detail(w, r, rs, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	var out any
	switch op {
	case "advance":
		days := 1
		if v := q.Get("days"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 3650 {
				s.detail(w, r, rs, http.StatusBadRequest, "days must be an integer from 1 to 3650")
				return
			}
			days = n
		}
		until, changes := s.AdvanceChanges(days)
		m := wireChanges(changes)
		m["until"] = until.String()
		out = m
	case "revise":
		user, err := strconv.Atoi(q.Get("user"))
		if err != nil || user < 1 || user > s.cfg.Users {
			s.detail(w, r, rs, http.StatusBadRequest, "user must be a user number from 1 to "+strconv.Itoa(s.cfg.Users))
			return
		}
		day, err := ParseDate(q.Get("day"))
		if err != nil {
			s.detail(w, r, rs, http.StatusBadRequest, "day: "+err.Error())
			return
		}
		changes, _ := s.ReviseChanges(user, day) // the user was checked above
		m := wireChanges(changes)
		m["user"], m["day"], m["revision"] = user, day.String(), s.revision(user, day)
		out = m
	case "stats":
		out = s.Stats()
	case "info":
		out = map[string]any{
			"users": s.cfg.Users, "since": s.t.since.String(), "until": s.Until().String(), "seed": s.cfg.Seed,
			"token_pattern": tokenPrefix + "<n>", "client_id": ClientID, "client_secret": ClientSecret,
		}
	}
	s.sendJSON(w, r, rs, http.StatusOK, out)
}
