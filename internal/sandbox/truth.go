package sandbox

import (
	"encoding/json"
	"fmt"
	"iter"
	"time"
)

// Documents yields exactly the documents the API serves for user (1-based)
// in collection, in the wire format (each as the list route puts it in
// "data"), in the order the API pages them. For day collections the range
// is by day: from <= day < to, using the calendar dates of from and to as
// written (start_day for enhanced_tag and rest_mode_period). For heartrate
// and ring_battery_level it is by instant, [from, to). ring_configuration
// and personal_info ignore the range. Each yielded slice is the caller's.
// Memory stays bounded however long the range: days are generated one at a
// time and forgotten. Deleted documents (Delete) and those the late
// document fault hides right now are left out, as the API leaves them out.
func (s *Server) Documents(user int, collection string, from, to time.Time) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		c := s.lookup(collection)
		switch {
		case user < 1 || user > s.cfg.Users:
			yield(nil, fmt.Errorf("documents: no user %d (users 1..%d)", user, s.cfg.Users))
			return
		case c == nil:
			yield(nil, fmt.Errorf("documents: unknown collection %q", collection))
			return
		}
		wo := s.newWorld(user)
		e := getEnc()
		defer putEnc(e)
		emit := func() bool {
			doc := make(json.RawMessage, len(e.b))
			copy(doc, e.b)
			e.reset()
			return yield(doc, nil)
		}
		switch c.kind {
		case kindPersonal:
			writePersonal(e, wo, allScopes)
			s.extraFields(e, c.code, wo, 0, 0)
			emit()
		case kindStatic:
			for i := 0; i < 2; i++ {
				if s.masked(idKey{coll: c.code, user: user, idx: i}) {
					continue
				}
				writeRing(e, wo, i)
				s.extraFields(e, c.code, wo, 0, int64(i))
				if !emit() {
					return
				}
			}
		case kindSeries:
			fromMs, toMs := from.UnixMilli(), min(to.UnixMilli(), wo.historyEnd()*1000)
			if fromMs >= toMs {
				return
			}
			for d := max(wo.dayAt(floorDiv64(fromMs, 1000)), wo.t.since); d <= wo.until; d++ {
				if wo.planOf(d).w0*1000 >= toMs {
					return
				}
				rows := c.series(wo, wo.day(d))
				for i := 0; i < rows.len(); i++ {
					if ms := rows.ms(i); ms >= fromMs && ms < toMs {
						s.writeRow(e, c, wo, rows, i)
						if !emit() {
							return
						}
					}
				}
			}
		default:
			lo, hi := max(DateOf(from), wo.t.since), min(DateOf(to)-1, wo.until)
			for d := lo; d <= hi; d++ {
				dd := wo.day(d)
				for i, n := 0, c.count(wo, dd); i < n; i++ {
					if s.masked(idKey{c.code, user, d, i}) {
						continue
					}
					s.writeDoc(e, c, wo, dd, i)
					if !emit() {
						return
					}
				}
			}
		}
	}
}

// V1Documents is Documents for the v1 view: kind is sleep, activity,
// readiness or bedtime (by summary_date or date, from <= date < to), or
// userinfo (the range is ignored).
func (s *Server) V1Documents(user int, kind string, from, to time.Time) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		k := v1KindByName(kind)
		switch {
		case user < 1 || user > s.cfg.Users:
			yield(nil, fmt.Errorf("v1 documents: no user %d (users 1..%d)", user, s.cfg.Users))
			return
		case k == nil && kind != "userinfo":
			yield(nil, fmt.Errorf("v1 documents: unknown kind %q", kind))
			return
		}
		wo := s.newWorld(user)
		e := getEnc()
		defer putEnc(e)
		emit := func() bool {
			doc := make(json.RawMessage, len(e.b))
			copy(doc, e.b)
			e.reset()
			return yield(doc, nil)
		}
		if k == nil {
			writeV1UserInfo(e, wo, allScopes)
			emit()
			return
		}
		lo := max(DateOf(from)+Date(k.shift), wo.t.since)
		hi := min(DateOf(to)-1+Date(k.shift), wo.until)
		for d := lo; d <= hi; d++ {
			dd := wo.day(d)
			for i, n := 0, k.count(wo, dd); i < n; i++ {
				k.write(e, wo, dd, i)
				if !emit() {
					return
				}
			}
		}
	}
}
