package sandbox

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	ctypeJSON    = "application/json"
	ctypeProblem = "application/problem+json"
	ctypeHTML    = "text/html; charset=utf-8"
	// gzipMin is the smallest body worth compressing.
	gzipMin = 1024
)

// reqState follows one request for the stats and the log.
type reqState struct {
	route  string
	status int
	bytes  int64
	docs   int64
	fault  string // the fault applied, if any
	done   bool   // recorded in the stats
	// For the request log: when the request arrived, whose it was, and
	// the rate limit tier and Retry-After of a 429.
	arrived    time.Time
	user       int
	client     string
	token      string // a digest of the token, never the token
	tier       string
	retryAfter int
}

var encPool = sync.Pool{New: func() any { return &enc{b: make([]byte, 0, 64<<10)} }}

func getEnc() *enc {
	e := encPool.Get().(*enc)
	e.reset()
	e.filter, e.always, e.docDepth, e.quoteNum = nil, "", 0, 0
	return e
}

func putEnc(e *enc) {
	if cap(e.b) > 8<<20 {
		return // do not keep huge buffers
	}
	encPool.Put(e)
}

var gzPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // BestSpeed is a valid level
	return w
}}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// wantsGzip reports whether the client accepts a gzip body.
func (s *Server) wantsGzip(r *http.Request) bool {
	if s.cfg.NoGzip {
		return false
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.TrimSpace(strings.ReplaceAll(q, " ", "")) != "q=0" {
			return true
		}
	}
	return false
}

// send writes a complete response: gzip when the client asks for it, a
// Content-Length, and the body-level faults (truncate, malformed).
func (s *Server) send(w http.ResponseWriter, r *http.Request, rs *reqState, status int, ctype string, body []byte, fault string) {
	switch fault {
	case FaultTruncate, FaultMalformed, FaultWrongType:
		rs.fault = fault // applied to this body
	}
	h := w.Header()
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	if fault == FaultMalformed && len(body) > 2 {
		body = body[:len(body)/2]
	}
	if len(body) > 0 && ctype != "" {
		h.Add("Vary", "Accept-Encoding")
	}
	if len(body) >= gzipMin && s.wantsGzip(r) {
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		defer bufPool.Put(buf)
		gz := gzPool.Get().(*gzip.Writer)
		gz.Reset(buf)
		_, _ = gz.Write(body) // writes to a bytes.Buffer cannot fail
		_ = gz.Close()
		gzPool.Put(gz)
		body = buf.Bytes()
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rs.status = status
	if fault == FaultTruncate {
		rs.bytes += int64(len(body) / 2)
		if s.writeTruncated(w, rs, status, body) {
			return
		}
		rs.bytes -= int64(len(body) / 2)
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		n, _ := w.Write(body) // a client that went away is not our error
		rs.bytes += int64(n)
	}
}

// writeTruncated sends the status, the headers (with the full
// Content-Length) and half the body, then closes the connection.
func (s *Server) writeTruncated(w http.ResponseWriter, rs *reqState, status int, body []byte) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, bufrw, err := hj.Hijack()
	if err != nil {
		return false
	}
	s.record(rs) // before the client can see the connection close
	defer conn.Close()
	fmt.Fprintf(bufrw, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = w.Header().Write(bufrw) // errors surface on Flush
	fmt.Fprintf(bufrw, "Connection: close\r\n\r\n")
	_, _ = bufrw.Write(body[:len(body)/2])
	_ = bufrw.Flush() // the connection is closed either way
	return true
}

// resetConn drops the connection without a response (a TCP reset where the
// platform allows it).
func (s *Server) resetConn(w http.ResponseWriter, rs *reqState) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	s.record(rs) // before the client can see the reset
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // best effort: a plain close is a reset too for the client's purposes
	}
	_ = conn.Close()
}

// detail answers {"detail": msg}, Oura's v2 error shape.
func (s *Server) detail(w http.ResponseWriter, r *http.Request, rs *reqState, status int, msg string) {
	e := getEnc()
	defer putEnc(e)
	e.obj()
	e.keyStr("detail", msg)
	e.objEnd()
	s.send(w, r, rs, status, ctypeJSON, e.b, "")
}

// sendJSON answers v as JSON with status.
func (s *Server) sendJSON(w http.ResponseWriter, r *http.Request, rs *reqState, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.detail(w, r, rs, http.StatusInternalServerError, "encode: "+err.Error())
		return
	}
	s.send(w, r, rs, status, ctypeJSON, body, "")
}

// problem answers an RFC 7807 error, v1's error shape.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, rs *reqState, status int, title, detail string) {
	e := getEnc()
	defer putEnc(e)
	e.obj()
	e.keyInt("status", status)
	e.keyStr("title", title)
	if detail != "" {
		e.keyStr("detail", detail)
	}
	e.objEnd()
	s.send(w, r, rs, status, ctypeJSON, e.b, "")
}

func (s *Server) unprocessable(w http.ResponseWriter, r *http.Request, rs *reqState, errs []validationError) {
	e := getEnc()
	defer putEnc(e)
	e.validationErrors(errs)
	s.send(w, r, rs, http.StatusUnprocessableEntity, ctypeJSON, e.b, "")
}

// stream writes a body that may be too large to buffer (v1 has no
// pagination): it buffers up to streamChunk bytes, then switches to a
// chunked (and, if asked, gzipped) response.
type stream struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	rs      *reqState
	e       *enc
	fault   string
	started bool
	gz      *gzip.Writer
	chunks  int
}

const streamChunk = 256 << 10

// flush sends what is buffered once it is large enough.
func (st *stream) flush() {
	if len(st.e.b) < streamChunk {
		return
	}
	if !st.started {
		st.started = true
		h := st.w.Header()
		h.Set("Content-Type", ctypeJSON)
		h.Add("Vary", "Accept-Encoding")
		if st.s.wantsGzip(st.r) {
			h.Set("Content-Encoding", "gzip")
			st.gz = gzPool.Get().(*gzip.Writer)
			st.gz.Reset(st.w)
		}
		st.rs.status = http.StatusOK
		st.w.WriteHeader(http.StatusOK)
	}
	st.write(st.e.b)
	st.e.b = st.e.b[:0]
	st.chunks++
	if st.chunks == 1 && (st.fault == FaultTruncate || st.fault == FaultMalformed || st.fault == FaultWrongType) {
		st.rs.fault = st.fault
	}
	if st.chunks == 1 && (st.fault == FaultTruncate || st.fault == FaultMalformed) {
		st.end()
		if st.fault == FaultTruncate {
			panic(http.ErrAbortHandler) // net/http closes the connection mid-body
		}
		st.fault = "done"
	}
}

func (st *stream) write(b []byte) {
	if st.fault == "done" {
		return
	}
	var n int
	if st.gz != nil {
		n, _ = st.gz.Write(b) // the client went away; nothing to do
	} else {
		n, _ = st.w.Write(b)
	}
	st.rs.bytes += int64(n)
}

func (st *stream) end() {
	if st.gz != nil {
		_ = st.gz.Close()
		gzPool.Put(st.gz)
		st.gz = nil
	}
}

// finish sends the rest: as one buffered response when the body stayed small.
func (st *stream) finish() {
	if !st.started {
		st.s.send(st.w, st.r, st.rs, http.StatusOK, ctypeJSON, st.e.b, st.fault)
		return
	}
	st.write(st.e.b)
	st.end()
}
