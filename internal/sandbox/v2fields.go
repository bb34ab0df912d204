package sandbox

func (e *enc) id(w *world, c uint8, d Date, i int) {
	if e.key("id") {
		b := w.t.ids.encode(idKey{coll: c, user: w.user, day: d, idx: i})
		e.rawString(b[:])
	}
}

func (e *enc) keyInt(k string, v int) {
	if e.key(k) {
		e.int(int64(v))
	}
}

// keyIntOrNull writes v, or null when v < 0.
func (e *enc) keyIntOrNull(k string, v int) {
	if e.key(k) {
		if v < 0 {
			e.null()
		} else {
			e.int(int64(v))
		}
	}
}

// keyScore writes a 1..100 contributor, or null when it is not positive.
func (e *enc) keyScore(k string, v int) {
	if e.key(k) {
		if v <= 0 {
			e.null()
		} else {
			e.int(int64(v))
		}
	}
}

func (e *enc) keyStr(k, v string) {
	if e.key(k) {
		e.strOrNull(v)
	}
}

func (e *enc) keyDate(k string, d Date) {
	if e.key(k) {
		e.date(d)
	}
}

func (e *enc) keyTime(k string, unix int64, offset int) {
	if e.key(k) {
		e.localTime(unix, offset, false)
	}
}

// midnightUTC writes day d at 00:00+00:00, as daily_sleep and
// daily_readiness timestamps are stamped.
func (e *enc) keyMidnightUTC(k string, d Date) {
	if e.key(k) {
		e.localTime(int64(d)*86400, 0, false)
	}
}

// sample writes a PublicSample whose items are integers (-1 = null),
// printed as floats the way Oura prints them.
func (e *enc) sampleInts(interval int, items []int16, start int64, offset int) {
	e.obj()
	e.key("interval")
	e.dec(int64(interval)*10, 1)
	e.key("items")
	e.arrOpen()
	for _, v := range items {
		if v < 0 {
			e.null()
		} else {
			e.dec(int64(v)*10, 1)
		}
	}
	e.arrEnd()
	e.key("timestamp")
	e.localTime(start, offset, true)
	e.objEnd()
}
