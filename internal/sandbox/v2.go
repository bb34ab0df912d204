package sandbox

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Messages of the v2 error answers.
const (
	msgUnauthorized = "Invalid or expired authentication token."
	msgLapsed       = "Access forbidden. The user's Oura membership has expired, so their data is not available via the API."
	msgNotFound     = "Document not found."
	msgBadToken     = "Invalid next_token: it is malformed or belongs to another query."
)

// serveV2 serves /v2/usercollection/<rest> (and the sandbox mirror).
func (s *Server) serveV2(w http.ResponseWriter, r *http.Request, rs *reqState, rest string, mirror bool) {
	name, id, single := strings.Cut(rest, "/")
	c := s.lookup(name)
	if c == nil || (mirror && c.kind == kindPersonal) || (single && (id == "" || strings.Contains(id, "/") ||
		c.kind == kindSeries || c.kind == kindPersonal)) {
		s.detail(w, r, rs, http.StatusNotFound, "Not Found")
		return
	}
	if mirror {
		rs.route = "sandbox/" + name
	} else {
		rs.route = "v2/" + name
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		s.detail(w, r, rs, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	fault, ok := s.preamble(w, r, rs, true)
	if !ok {
		return
	}
	g, ok := s.authenticate(r, false)
	if !ok {
		w.Header().Set("WWW-Authenticate", "Bearer")
		s.detail(w, r, rs, http.StatusUnauthorized, msgUnauthorized)
		return
	}
	if !s.admit(w, r, rs, g, false) {
		return
	}
	if s.cfg.Lapsed {
		s.detail(w, r, rs, http.StatusForbidden, msgLapsed)
		return
	}
	if c.scope != "" && !g.scopes.has(c.scope) && (c.alt == "" || !g.scopes.has(c.alt)) {
		s.detail(w, r, rs, http.StatusForbidden, "Access forbidden. The access token lacks the '"+c.scope+"' scope this route requires.")
		return
	}
	wo := s.newWorld(g.user)
	switch {
	case c.kind == kindPersonal:
		e := getEnc()
		defer putEnc(e)
		e.quoteNum = boolInt(fault == FaultWrongType)
		writePersonal(e, wo, g.scopes)
		s.extraFields(e, c.code, wo, 0, 0)
		rs.docs++
		s.send(w, r, rs, http.StatusOK, ctypeJSON, e.b, fault)
	case single:
		s.single(w, r, rs, c, wo, id, fault)
	default:
		s.list(w, r, rs, c, wo, mirror, fault)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// admit applies the per-token rate limit and sets the X-RateLimit headers.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, rs *reqState, g grant, v1 bool) bool {
	rs.user, rs.client, rs.token = g.user, g.client, tokenDigest(g.key)
	if !s.admitApp(w, r, rs, g, v1) {
		return false
	}
	q := s.limiter.take(g.key, s.cfg.Now())
	if q.limit < 0 {
		return true
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(q.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(q.remaining))
	h.Set("X-RateLimit-Window", strconv.Itoa(int(s.cfg.RateWindow/time.Second)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(q.reset.Unix(), 10))
	if q.ok {
		return true
	}
	h.Set("Retry-After", strconv.Itoa(q.retryAfter))
	h.Set("X-RateLimit-Tier", "access_token")
	rs.tier, rs.retryAfter = "access_token", q.retryAfter
	msg := "Request rate limit exceeded: " + strconv.Itoa(q.limit) + " requests per " +
		strconv.Itoa(int(s.cfg.RateWindow/time.Second)) + " seconds. Retry after " + strconv.Itoa(q.retryAfter) + " seconds."
	if v1 {
		s.problem(w, r, rs, http.StatusTooManyRequests, "Too Many Requests", msg)
	} else {
		s.detail(w, r, rs, http.StatusTooManyRequests, msg)
	}
	return false
}

// single serves /{document_id}. Ids that are malformed, of another
// collection or another user, or of a day outside the history, are 404.
func (s *Server) single(w http.ResponseWriter, r *http.Request, rs *reqState, c *collection, wo *world, id string, fault string) {
	k, ok := s.t.ids.decode(id)
	if !ok || k.coll != c.code || k.user != wo.user || s.masked(k) {
		s.detail(w, r, rs, http.StatusNotFound, msgNotFound)
		return
	}
	e := getEnc()
	defer putEnc(e)
	e.quoteNum = boolInt(fault == FaultWrongType)
	switch c.kind {
	case kindStatic:
		if k.day != 0 || k.idx > 1 {
			s.detail(w, r, rs, http.StatusNotFound, msgNotFound)
			return
		}
		writeRing(e, wo, k.idx)
		s.extraFields(e, c.code, wo, 0, int64(k.idx))
	default:
		if !wo.inHistory(k.day) {
			s.detail(w, r, rs, http.StatusNotFound, msgNotFound)
			return
		}
		dd := wo.day(k.day)
		if k.idx >= c.count(wo, dd) {
			s.detail(w, r, rs, http.StatusNotFound, msgNotFound)
			return
		}
		s.writeDoc(e, c, wo, dd, k.idx)
	}
	rs.docs++
	s.send(w, r, rs, http.StatusOK, ctypeJSON, e.b, fault)
}

// canon is the query a next_token is bound to.
func canon(r *http.Request, user int, params ...string) string {
	q := r.URL.Query()
	var b strings.Builder
	b.WriteString(r.URL.Path)
	b.WriteByte('\n')
	b.WriteString(strconv.Itoa(user))
	for _, p := range params {
		b.WriteByte('\n')
		b.WriteString(last(q, p))
	}
	return b.String()
}

// list serves a list route.
func (s *Server) list(w http.ResponseWriter, r *http.Request, rs *reqState, c *collection, wo *world, mirror bool, fault string) {
	q := r.URL.Query()
	var fields []string
	if !mirror {
		fields = parseFields(last(q, "fields"))
	}
	e := getEnc()
	defer putEnc(e)
	e.filter = fields
	e.docDepth = 3
	e.quoteNum = boolInt(fault == FaultWrongType)
	if c.kind == kindSeries {
		e.always = "timestamp"
		s.listSeries(w, r, rs, c, wo, e, fault)
		return
	}
	e.always = "id"
	var ok bool
	switch c.kind {
	case kindStatic:
		ok = s.listRings(w, r, rs, wo, e, fault)
	default:
		ok = s.listDocs(w, r, rs, c, wo, e, fault)
	}
	if ok {
		s.send(w, r, rs, http.StatusOK, ctypeJSON, e.b, fault)
	}
}

// pos is a position in a document listing: document idx of day.
type pos struct {
	day Date
	idx int
}

// listDocs writes a page of a document collection into e.
func (s *Server) listDocs(w http.ResponseWriter, r *http.Request, rs *reqState, c *collection, wo *world, e *enc, fault string) bool {
	q := r.URL.Query()
	startS, endS := last(q, "start_date"), last(q, "end_date")
	end := wo.until
	if endS != "" {
		d, why := parseDateParam(endS)
		if why != "" {
			s.unprocessable(w, r, rs, dateParseErrors("end_date", endS, why))
			return false
		}
		end = d
	}
	start := end - 1
	if startS != "" {
		d, why := parseDateParam(startS)
		if why != "" {
			s.unprocessable(w, r, rs, dateParseErrors("start_date", startS, why))
			return false
		}
		start = d
	}
	if start > end {
		s.unprocessable(w, r, rs, []validationError{{typ: "value_error", loc: []string{"query", "start_date"},
			msg: "Start date must be before end date", input: startS}})
		return false
	}
	if s.cfg.semantics[c.name] == Exclusive {
		end--
	}
	from, to := max(start, wo.t.since), min(end, wo.until)
	cq := canon(r, wo.user, "start_date", "end_date", "fields")
	at := pos{day: from}
	if nt := last(q, "next_token"); nt != "" {
		a, b, ok := s.readToken(cq, nt)
		if !ok || b < 0 || b > 255 || a < int64(from) || a > int64(to)+1 {
			s.detail(w, r, rs, http.StatusBadRequest, msgBadToken)
			return false
		}
		at = pos{day: Date(a), idx: int(b)}
	}
	e.obj()
	e.key("data")
	e.arrOpen()
	page := s.cfg.docPage
	positions := make([]pos, 0, min(page, 1024))
	var next *pos
	n := 0
scan:
	for d := at.day; d <= to; d++ {
		dd := wo.day(d)
		cnt := c.count(wo, dd)
		i0 := 0
		if d == at.day {
			i0 = at.idx
		}
		for i := i0; i < cnt; i++ {
			if n == page {
				next = &pos{d, i}
				break scan
			}
			if s.masked(idKey{c.code, wo.user, d, i}) {
				continue
			}
			if fault == FaultDuplicate && len(positions) < cap(positions) {
				positions = append(positions, pos{d, i})
			}
			s.writeDoc(e, c, wo, dd, i)
			n++
		}
	}
	e.arrEnd()
	rs.docs += int64(n)
	e.key("next_token")
	if next == nil {
		e.null()
	} else {
		np := *next
		switch {
		case fault == FaultLoop:
			rs.fault = fault
			np = pos{day: from}
		case fault == FaultDuplicate && n > 1:
			rs.fault = fault
			np = positions[n-min(3, n/2)] // the next page repeats up to 3 documents
		}
		e.str(s.makeToken(cq, int64(np.day), int64(np.idx)))
	}
	e.objEnd()
	return true
}

// listRings writes ring_configuration (two rings, paged like the rest).
func (s *Server) listRings(w http.ResponseWriter, r *http.Request, rs *reqState, wo *world, e *enc, fault string) bool {
	q := r.URL.Query()
	cq := canon(r, wo.user, "fields")
	at := 0
	if nt := last(q, "next_token"); nt != "" {
		a, b, ok := s.readToken(cq, nt)
		if !ok || a != 0 || b < 0 || b > 2 {
			s.detail(w, r, rs, http.StatusBadRequest, msgBadToken)
			return false
		}
		at = int(b)
	}
	e.obj()
	e.key("data")
	e.arrOpen()
	n := 0
	next := -1
	for i := at; i < 2; i++ {
		if n == s.cfg.docPage {
			next = i
			break
		}
		if s.masked(idKey{coll: 13, user: wo.user, idx: i}) {
			continue
		}
		writeRing(e, wo, i)
		s.extraFields(e, collectionByName("ring_configuration").code, wo, 0, int64(i))
		n++
	}
	e.arrEnd()
	rs.docs += int64(n)
	e.key("next_token")
	if next < 0 {
		e.null()
	} else {
		if fault == FaultLoop {
			rs.fault, next = fault, 0
		}
		e.str(s.makeToken(cq, 0, int64(next)))
	}
	e.objEnd()
	return true
}

// dayAt returns the day whose window holds the instant t (unix seconds).
func (w *world) dayAt(t int64) Date {
	d := Date(floorDiv64(t, 86400)) - 2
	for w.planOf(d).w1 <= t {
		d++
	}
	return d
}

// listSeries serves heartrate and ring_battery_level: rows with
// start <= timestamp < end, at most the window limit apart.
func (s *Server) listSeries(w http.ResponseWriter, r *http.Request, rs *reqState, c *collection, wo *world, e *enc, fault string) {
	q := r.URL.Query()
	startS, endS := last(q, "start_datetime"), last(q, "end_datetime")
	histEnd := wo.historyEnd() * 1000
	endMs := histEnd
	if endS != "" {
		v, why := parseInstantParam(endS)
		if why != "" {
			s.unprocessable(w, r, rs, instantParseErrors("end_datetime", endS, why))
			return
		}
		endMs = v
	}
	startMs := endMs - 24*3600*1000
	if startS != "" {
		v, why := parseInstantParam(startS)
		if why != "" {
			s.unprocessable(w, r, rs, instantParseErrors("start_datetime", startS, why))
			return
		}
		startMs = v
	}
	latest := false
	if ls := last(q, "latest"); ls != "" && !strings.HasPrefix(r.URL.Path, "/v2/sandbox/") {
		v, ok := parseBool(ls)
		if !ok {
			s.unprocessable(w, r, rs, []validationError{{typ: "bool_parsing", loc: []string{"query", "latest"},
				msg: "Input should be a valid boolean, unable to interpret input", input: ls}})
			return
		}
		latest = v
	}
	if startMs > endMs {
		s.unprocessable(w, r, rs, []validationError{{typ: "value_error", loc: []string{"query", "start_datetime"},
			msg: "Start datetime must be before end datetime", input: startS}})
		return
	}
	if !latest && endMs-startMs > s.cfg.MaxWindow.Milliseconds() { // in ms: no overflow for far-apart dates
		s.detail(w, r, rs, http.StatusBadRequest, "The time range from start_datetime to end_datetime is longer than "+
			windowText(s.cfg.MaxWindow)+"; request at most "+windowText(s.cfg.MaxWindow)+" per call.")
		return
	}
	if startS == "" && latest {
		startMs = int64(wo.planOf(wo.t.since).w0) * 1000
	}
	cq := canon(r, wo.user, "start_datetime", "end_datetime", "latest", "fields")
	at := startMs
	if nt := last(q, "next_token"); nt != "" {
		a, b, ok := s.readToken(cq, nt)
		if !ok || b != 1 || a < startMs || a > endMs {
			s.detail(w, r, rs, http.StatusBadRequest, msgBadToken)
			return
		}
		at = a
	}
	endMs = min(endMs, histEnd)
	e.obj()
	e.key("data")
	e.arrOpen()
	var next int64 = -1
	n := 0
	if latest {
		n = s.latestRow(c, wo, e, startMs, endMs)
	} else if at < endMs {
		page := s.cfg.seriesPage
		var firstMs int64 = -1
		var ring []int64
		if fault == FaultDuplicate {
			ring = make([]int64, 0, 3) // the next page repeats the last 3 rows
		}
	scan:
		for d := max(wo.dayAt(floorDiv64(at, 1000)), wo.t.since); d <= wo.until; d++ {
			p := wo.planOf(d)
			if p.w0*1000 >= endMs {
				break
			}
			rows := c.series(wo, wo.day(d))
			for i := 0; i < rows.len(); i++ {
				ms := rows.ms(i)
				if ms < at {
					continue
				}
				if ms >= endMs {
					break scan
				}
				if n == page {
					next = ms
					break scan
				}
				if firstMs < 0 {
					firstMs = ms
				}
				if ring != nil {
					if len(ring) == 3 {
						ring = ring[1:]
					}
					ring = append(ring, ms)
				}
				s.writeRow(e, c, wo, rows, i)
				n++
			}
		}
		if next >= 0 {
			switch {
			case fault == FaultLoop:
				rs.fault, next = fault, startMs
			case fault == FaultDuplicate && len(ring) > 1:
				rs.fault, next = fault, ring[0]
			}
		}
	}
	e.arrEnd()
	rs.docs += int64(n)
	e.key("next_token")
	if next < 0 {
		e.null()
	} else {
		e.str(s.makeToken(cq, next, 1))
	}
	e.objEnd()
	s.send(w, r, rs, http.StatusOK, ctypeJSON, e.b, fault)
}

// latestRow writes the most recent row in [startMs, endMs), if any.
func (s *Server) latestRow(c *collection, wo *world, e *enc, startMs, endMs int64) int {
	if endMs <= startMs {
		return 0
	}
	lo := max(wo.dayAt(floorDiv64(startMs, 1000)), wo.t.since)
	for d := min(wo.dayAt(floorDiv64(endMs-1, 1000)), wo.until); d >= lo; d-- {
		rows := c.series(wo, wo.day(d))
		for i := rows.len() - 1; i >= 0; i-- {
			if ms := rows.ms(i); ms < endMs && ms >= startMs {
				s.writeRow(e, c, wo, rows, i)
				return 1
			}
		}
	}
	return 0
}
