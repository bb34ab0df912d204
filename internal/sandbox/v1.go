package sandbox

import (
	"net/http"
)

// serveV1 serves /v1/userinfo and the /v1 summaries (sleep, activity,
// readiness, bedtime) with start/end inclusive, no pagination, the token in
// the Authorization header or the access_token parameter, and RFC 7807 errors.
func (s *Server) serveV1(w http.ResponseWriter, r *http.Request, rs *reqState, name string) {
	k := v1KindByName(name)
	if k == nil && name != "userinfo" {
		s.problem(w, r, rs, http.StatusNotFound, "Not Found", "No such route.")
		return
	}
	rs.route = "v1/" + name
	if s.cfg.V1Retired {
		s.detail(w, r, rs, http.StatusNotFound, "Not Found")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		s.problem(w, r, rs, http.StatusMethodNotAllowed, "Method Not Allowed", "")
		return
	}
	fault, ok := s.preamble(w, r, rs, true)
	if !ok {
		return
	}
	g, ok := s.authenticate(r, true)
	if !ok {
		w.Header().Set("WWW-Authenticate", "Bearer")
		s.problem(w, r, rs, http.StatusUnauthorized, "Invalid Access Token", "The access token is missing, invalid or expired.")
		return
	}
	if !s.admit(w, r, rs, g, true) {
		return
	}
	if fault == FaultLoop || fault == FaultDuplicate {
		fault = "" // v1 has no pagination to loop or duplicate
	}
	wo := s.newWorld(g.user)
	e := getEnc()
	defer putEnc(e)
	e.quoteNum = boolInt(fault == FaultWrongType)
	if k == nil {
		writeV1UserInfo(e, wo, g.scopes)
		rs.docs++
		s.send(w, r, rs, http.StatusOK, ctypeJSON, e.b, fault)
		return
	}
	if !g.scopes.has("daily") {
		s.problem(w, r, rs, http.StatusForbidden, "Missing Scopes", "The access token lacks the 'daily' scope.")
		return
	}
	q := r.URL.Query()
	end := wo.until
	if v := last(q, "end"); v != "" {
		d, err := ParseDate(v)
		if err != nil {
			s.problem(w, r, rs, http.StatusBadRequest, "Bad Request", "end: "+err.Error())
			return
		}
		end = d
	}
	start := end - 7
	if v := last(q, "start"); v != "" {
		d, err := ParseDate(v)
		if err != nil {
			s.problem(w, r, rs, http.StatusBadRequest, "Bad Request", "start: "+err.Error())
			return
		}
		start = d
	}
	if start > end {
		s.problem(w, r, rs, http.StatusBadRequest, "Bad Request", "start must not be after end.")
		return
	}
	st := &stream{s: s, w: w, r: r, rs: rs, e: e, fault: fault}
	e.obj()
	e.key(k.envelope)
	e.arrOpen()
	from := max(start+Date(k.shift), wo.t.since)
	to := min(end+Date(k.shift), wo.until)
	for d := from; d <= to; d++ {
		dd := wo.day(d)
		for i, n := 0, k.count(wo, dd); i < n; i++ {
			k.write(e, wo, dd, i)
			rs.docs++
		}
		st.flush()
	}
	e.arrEnd()
	e.objEnd()
	st.finish()
}
