package sandbox

import (
	"fmt"
	"regexp"
	"strconv"
)

// Drift: what a newer API version serves that no published model has, so
// that tests (and "ouraexport sandbox --extra-fields --extra-collection
// NAME") show an export keeps it.
//
// With Options.ExtraFields every v2 document and row ends with three
// fields of its own: x_drift_level (an integer), x_drift_note (a string)
// and x_drift_detail (an object holding a number, a boolean, null and an
// array). Their values are a pure function of the document's key, so a
// single-document route and the list agree, and the fields filter drops
// them like any other field.
//
// Each of Options.ExtraCollections (at most maxExtra, names like Oura's:
// lower case, digits and '_') is served at /v2/usercollection/<name> and
// its mirror like the date collections: start_date and end_date (end
// inclusive), pages of {"data", "next_token"}, a /{document_id} route, any
// token. It has one document a day the ring was worn: {id, day, score,
// label, detail: {value, flags}}.

const maxExtra = 10

// extraCode is the id code of the first extra collection (ids have 5 bits).
const extraCode = 22

var extraName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// validateDrift checks ExtraCollections.
func (o *Options) validateDrift() []error {
	var errs []error
	if len(o.ExtraCollections) > maxExtra {
		errs = append(errs, fmt.Errorf("%d extra collections: at most %d", len(o.ExtraCollections), maxExtra))
	}
	seen := map[string]bool{}
	for _, n := range o.ExtraCollections {
		switch {
		case !extraName.MatchString(n):
			errs = append(errs, fmt.Errorf("extra collection %q: use lower-case letters, digits and '_', starting with a letter", n))
		case collectionByName(n) != nil || n == "personal_info":
			errs = append(errs, fmt.Errorf("extra collection %q: the sandbox serves it already", n))
		case seen[n]:
			errs = append(errs, fmt.Errorf("extra collection %q is named twice", n))
		}
		seen[n] = true
	}
	return errs
}

// extraCollections returns the collections of names, in order.
func extraCollections(names []string) []*collection {
	out := make([]*collection, len(names))
	for i, n := range names {
		code := uint8(extraCode + i)
		out[i] = &collection{name: n, code: code, kind: kindDaily, count: countWorn,
			write: func(e *enc, w *world, dd *dayData, _ int) { writeExtraDoc(e, w, dd, code) }}
	}
	return out
}

// lookup returns the collection the server serves under name: a v2
// collection, or one of the extra ones; nil if none.
func (s *Server) lookup(name string) *collection {
	if c := collectionByName(name); c != nil {
		return c
	}
	for _, c := range s.extra {
		if c.name == name {
			return c
		}
	}
	return nil
}

func writeExtraDoc(e *enc, w *world, dd *dayData, code uint8) {
	r := newRNG(streamKey(w.t.seed, w.user, tagExtra, dd.day, uint64(dd.rev)<<8|uint64(code)))
	e.obj()
	e.id(w, code, dd.day, 0)
	e.keyDate("day", dd.day)
	e.keyInt("score", r.between(40, 99))
	e.keyStr("label", "drift-"+strconv.Itoa(r.between(1, 9)))
	if e.key("detail") {
		e.obj()
		if e.key("value") {
			e.dec(int64(r.between(0, 99999)), 3)
		}
		if e.key("flags") {
			e.arrOpen()
			e.boolean(r.chance(0.5))
			e.null()
			e.str("x")
			e.arrEnd()
		}
		e.objEnd()
	}
	e.objEnd()
}

// writeDoc writes document i of day dd of c, with the extra fields when asked.
func (s *Server) writeDoc(e *enc, c *collection, wo *world, dd *dayData, i int) {
	c.write(e, wo, dd, i)
	s.extraFields(e, c.code, wo, int64(dd.day), int64(i))
}

// writeRow writes row i of rows of c, with the extra fields when asked.
func (s *Server) writeRow(e *enc, c *collection, wo *world, rows rowSet, i int) {
	rows.write(e, i)
	s.extraFields(e, c.code, wo, rows.ms(i), 0)
}

// extraFields appends the drift fields to the document e has just closed.
func (s *Server) extraFields(e *enc, code uint8, wo *world, k1, k2 int64) {
	if !s.cfg.ExtraFields || len(e.b) == 0 || e.b[len(e.b)-1] != '}' {
		return
	}
	// Reopen the object: its closing brace goes, the depth comes back.
	e.b = e.b[:len(e.b)-1]
	e.d++
	e.has[e.d], e.arr[e.d] = true, false
	r := newRNG(streamKey(wo.t.seed, wo.user, tagExtra, Date(k1), uint64(k2)<<8|uint64(code)))
	e.keyInt("x_drift_level", r.between(0, 9))
	e.keyStr("x_drift_note", "note-"+strconv.Itoa(r.between(100, 999)))
	if e.key("x_drift_detail") {
		e.obj()
		if e.key("ratio") {
			e.dec(int64(r.between(0, 1000)), 2)
		}
		if e.key("flag") {
			e.boolean(r.chance(0.5))
		}
		if e.key("missing") {
			e.null()
		}
		if e.key("items") {
			e.arrOpen()
			for range r.between(1, 3) {
				e.int(int64(r.between(0, 50)))
			}
			e.arrEnd()
		}
		e.objEnd()
	}
	e.objEnd()
}
