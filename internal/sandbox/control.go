package sandbox

import (
	"encoding/json"
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
//	GET  /_sandbox/stats                    the counters, as JSON (see Stats)
//	GET  /_sandbox/info                     users, history, seed, tokens, OAuth client
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request, rs *reqState, op string) {
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
		out = map[string]string{"until": s.Advance(days).String()}
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
		_ = s.Revise(user, day) // the user was checked above
		out = map[string]any{"user": user, "day": day.String(), "revision": s.revision(user, day)}
	case "stats":
		out = s.Stats()
	case "info":
		out = map[string]any{
			"users": s.cfg.Users, "since": s.t.since.String(), "until": s.Until().String(), "seed": s.cfg.Seed,
			"token_pattern": tokenPrefix + "<n>", "client_id": ClientID, "client_secret": ClientSecret,
		}
	}
	body, err := json.Marshal(out)
	if err != nil {
		s.detail(w, r, rs, http.StatusInternalServerError, "encode: "+err.Error())
		return
	}
	s.send(w, r, rs, http.StatusOK, ctypeJSON, body, "")
}
