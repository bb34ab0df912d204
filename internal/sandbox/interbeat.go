package sandbox

import "math"

// interbeat_interval: the research-only time series of openapi-1.29
// (PublicInterbeatIntervalRow: timestamp, timestamp_unix, ibi, validity).
// The ring measures beat to beat in bursts: during the night's long sleep,
// a burst of half a minute every two hours, each interval the reciprocal of
// the sleep's 5-minute heart rate at that time with a beat-to-beat
// variation; validity is 1, or 0 for the few intervals an artefact spoilt
// (a guess: Oura does not document its codes). Timestamps are UTC with
// milliseconds. A revision redraws the intervals, not the bursts.

const (
	ibiBurstEvery = 24 // 5-minute blocks between bursts
	ibiBurstFirst = 6  // the first burst's block
)

// ibiRow is one interbeat interval.
type ibiRow struct {
	ms    int64 // unix milliseconds of the beat that ends the interval
	ibi   uint16
	valid uint8
}

type ibiRowSet struct{ rows []ibiRow }

func interbeatSeries(w *world, dd *dayData) rowSet { return ibiRowSet{w.interbeatRows(dd)} }

// interbeatRows returns day dd's intervals, ordered by time, all inside
// the long sleep (hence inside the day's window).
func (w *world) interbeatRows(dd *dayData) []ibiRow {
	p := w.planFor(dd)
	if p.long < 0 {
		return nil
	}
	s := &w.sleeps(dd)[p.long]
	if s.deleted {
		return nil
	}
	tr := newRNG(streamKey(w.t.seed, w.user, tagInterbeat, dd.day, 0))
	vr := newRNG(streamKey(w.t.seed, w.user, tagInterbeat, dd.day, 1+uint64(dd.rev)))
	var rows []ibiRow
	for k := ibiBurstFirst; k+1 < len(s.hr); k += ibiBurstEvery {
		if s.hr[k] <= 0 {
			continue // no heart rate there: no burst
		}
		beats := tr.between(30, 40)
		t := (s.per.start+int64(hrGrid*k))*1000 + int64(tr.intn(30000))
		mean := 60000 / float64(s.hr[k])
		for range beats {
			ibi := math.Round(clampF(mean*(1+0.05*vr.norm()), 300, 2000))
			t += int64(ibi)
			valid := uint8(1)
			if vr.chance(0.03) {
				valid = 0
			}
			rows = append(rows, ibiRow{ms: t, ibi: uint16(ibi), valid: valid})
		}
	}
	return rows
}

func (s ibiRowSet) len() int { return len(s.rows) }

func (s ibiRowSet) ms(i int) int64 { return s.rows[i].ms }

func (s ibiRowSet) write(e *enc, i int) {
	r := &s.rows[i]
	e.obj()
	if e.key("timestamp") {
		e.pre()
		e.b = append(e.b, '"')
		e.b = appendMillisUTC(e.b, r.ms)
		e.b = append(e.b, '"')
	}
	if e.key("timestamp_unix") {
		e.int(r.ms)
	}
	if e.key("ibi") {
		e.int(int64(r.ibi))
	}
	if e.key("validity") {
		e.int(int64(r.valid))
	}
	e.objEnd()
}

// appendMillisUTC appends the instant ms (unix milliseconds) as
// 2024-01-02T03:04:05.678+00:00.
func appendMillisUTC(b []byte, ms int64) []byte {
	sec := floorDiv64(ms, 1000)
	frac := ms - sec*1000
	b = appendLocal(b, sec, 0, false)
	b = b[:len(b)-len("+00:00")]
	b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	return appendOffset(b, 0)
}
