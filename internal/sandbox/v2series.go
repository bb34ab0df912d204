package sandbox

type heartRowSet struct{ rows []hrRow }

func heartSeries(w *world, dd *dayData) rowSet { return heartRowSet{w.heartRows(dd)} }

func (s heartRowSet) len() int { return len(s.rows) }

func (s heartRowSet) ms(i int) int64 { return s.rows[i].ms }

func (s heartRowSet) write(e *enc, i int) {
	r := &s.rows[i]
	e.obj()
	if e.key("timestamp") {
		e.localTime(r.ms/1000, 0, false)
	}
	if e.key("timestamp_unix") {
		e.int(r.ms)
	}
	if e.key("bpm") {
		e.int(int64(r.bpm))
	}
	if e.key("source") {
		e.pre()
		e.b = append(e.b, '"')
		e.b = append(e.b, hrSources[r.src]...)
		e.b = append(e.b, '"')
	}
	e.objEnd()
}

type batteryRowSet struct{ rows []batteryRow }

func batterySeries(w *world, dd *dayData) rowSet { return batteryRowSet{w.batteryRows(dd)} }

func (s batteryRowSet) len() int { return len(s.rows) }

func (s batteryRowSet) ms(i int) int64 { return s.rows[i].ms }

func (s batteryRowSet) write(e *enc, i int) {
	r := &s.rows[i]
	flag := func(k string, v int8) {
		if e.key(k) {
			if v < 0 {
				e.null()
			} else {
				e.boolean(v == 1)
			}
		}
	}
	e.obj()
	if e.key("timestamp") {
		e.localTime(r.ms/1000, 0, false)
	}
	if e.key("timestamp_unix") {
		e.int(r.ms)
	}
	flag("charging", r.charging)
	flag("in_charger", r.inCharger)
	if e.key("level") {
		e.int(int64(r.level))
	}
	e.objEnd()
}
