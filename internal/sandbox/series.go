package sandbox

import (
	"math"
)

// Heart-rate sources, as PublicHeartRateSource spells them.
const (
	srcAwake uint8 = iota
	srcWorkout
	srcRest
	srcSleep
	srcLive
	srcSession
)

var hrSources = [...]string{"awake", "workout", "rest", "sleep", "live", "session"}

// hrRow is one heart-rate sample.
type hrRow struct {
	ms  int64 // unix milliseconds
	bpm uint8
	src uint8
}

// batteryRow is one ring battery sample; flags is -1 (null), 0 or 1 per bit.
type batteryRow struct {
	ms        int64
	level     uint8
	charging  int8 // -1 null, 0 false, 1 true
	inCharger int8
}

// Sampling: every 5 minutes while worn (awake, rest, sleep; the sleep
// samples are exactly the sleep document's heart_rate items), every 10
// seconds in workouts, every 5 seconds in sessions (exactly the session's
// heart_rate items), every 2 seconds in a live check, none while the ring
// is off the finger.
const (
	hrGrid      = 300
	hrWorkout   = 10
	hrDense     = 5
	hrLive      = 2
	batteryGrid = 900
)

// heartRows returns day dd's heart-rate samples, ordered by time, all in
// the day's window [w0, w1).
func (w *world) heartRows(dd *dayData) []hrRow {
	if dd.hrOK {
		return dd.hr
	}
	p := w.planFor(dd)
	v := w.valuesOf(dd)
	tr := newRNG(streamKey(w.t.seed, w.user, tagSeriesVal, dd.day, 0))
	vr := newRNG(streamKey(w.t.seed, w.user, tagSeriesVal, dd.day, 1+uint64(dd.rev)))
	rest := w.p.restHR + v.hrShift
	rows := make([]hrRow, 0, 700)
	anchor := p.w0 + int64(tr.intn(hrGrid))
	grid := func(a, b int64) {
		t := anchor
		if t < a {
			t += (a - t + hrGrid - 1) / hrGrid * hrGrid
		}
		for ; t < b; t += hrGrid {
			if tr.chance(0.03) {
				continue
			}
			bpm := rest + 17 + 4*vr.norm()
			if vr.chance(0.04) {
				bpm += 15 + 10*vr.float()
			}
			rows = append(rows, hrRow{ms: t * 1000, bpm: bpmOf(bpm), src: srcAwake})
		}
	}
	cur := p.w0
	var sleeps []sleepDetail
	var sess []sessionDetail
	for i := range p.events {
		e := &p.events[i]
		grid(cur, e.start)
		cur = e.end
		switch e.kind {
		case evSleep:
			if sleeps == nil {
				sleeps = w.sleeps(dd)
			}
			s := &sleeps[e.idx]
			if s.deleted {
				grid(e.start, e.end)
				continue
			}
			src := srcSleep
			if s.per.typ == stRest {
				src = srcRest
			}
			for k, h := range s.hr {
				if h >= 0 {
					rows = append(rows, hrRow{ms: (e.start + int64(hrGrid*k)) * 1000, bpm: uint8(h), src: src})
				}
			}
		case evWorkout:
			wo := &p.workouts[e.idx]
			target := clampF(rest+25+float64(wo.met)/10*9, 90, 188)
			for t := e.start; t < e.end; t += hrWorkout {
				if tr.chance(0.02) {
					continue
				}
				f := math.Min(1, float64(t-e.start)/240)
				bpm := rest + 20 + (target-rest-20)*f + 3*vr.norm()
				rows = append(rows, hrRow{ms: t * 1000, bpm: bpmOf(bpm), src: srcWorkout})
			}
		case evSession:
			if sess == nil {
				sess = w.sessionsOf(dd)
			}
			sd := &sess[e.idx]
			for k, h := range sd.hr {
				if h >= 0 {
					rows = append(rows, hrRow{ms: (e.start + int64(hrDense*k)) * 1000, bpm: uint8(h), src: srcSession})
				}
			}
		case evLive:
			for t := e.start; t < e.end; t += hrLive {
				rows = append(rows, hrRow{ms: t * 1000, bpm: bpmOf(rest + 20 + 3*vr.norm()), src: srcLive})
			}
		}
	}
	grid(cur, p.w1)
	dd.hr, dd.hrOK = rows, true
	return rows
}

func bpmOf(x float64) uint8 { return uint8(clampF(math.Round(x), 35, 200)) }

// sessionDetail holds a session's samples (5 s apart) and mood.
type sessionDetail struct {
	hr, hrv, motion []int16 // -1 = null
	mood            string
}

var moods = []string{"", "", "bad", "worse", "same", "good", "good", "great", "great"}

func (w *world) sessionsOf(dd *dayData) []sessionDetail {
	if dd.sessOK {
		return dd.sess
	}
	p := w.planFor(dd)
	v := w.valuesOf(dd)
	rest := w.p.restHR + v.hrShift
	out := make([]sessionDetail, len(p.sessions))
	for i := range p.sessions {
		se := &p.sessions[i]
		r := newRNG(streamKey(w.t.seed, w.user, tagSessionVal, dd.day, uint64(dd.rev)<<8|uint64(i)))
		gr := newRNG(streamKey(w.t.seed, w.user, tagSessionVal, dd.day, 1<<32|uint64(i))) // gaps: structure
		n := int(se.end-se.start) / hrDense
		sd := &out[i]
		sd.mood = r.pick(moods)
		sd.hr, sd.hrv, sd.motion = make([]int16, n), make([]int16, n), make([]int16, n)
		for k := 0; k < n; k++ {
			f := float64(k) / float64(n)
			sd.hr[k] = int16(bpmOf(rest + 12 - 7*f + 1.5*r.norm()))
			sd.hrv[k] = int16(clampF(math.Round(w.p.hrv*v.hrvFactor*(0.85+0.3*f)*(1+0.1*r.norm())), 5, 250))
			sd.motion[k] = int16([...]int{0, 0, 0, 0, 1, 1, 2, 3}[r.intn(8)])
			if gr.chance(0.02) {
				sd.hr[k], sd.hrv[k] = -1, -1
			}
			if gr.chance(0.01) {
				sd.motion[k] = -1
			}
		}
	}
	dd.sess, dd.sessOK = out, true
	return out
}

// lastCharge returns the most recent charge that started at or before t.
func (w *world) lastCharge(t int64) (start, end int64, ok bool) {
	d0 := Date(floorDiv64(t+12*3600, 86400))
	for d := d0 + 1; d >= d0-16; d-- {
		if !w.chargeDay(d) {
			continue
		}
		p := w.planOf(d)
		if p.chargeEnd != 0 && p.chargeAt <= t {
			return p.chargeAt, p.chargeEnd, true
		}
	}
	return 0, 0, false
}

// battery returns the ring's battery state at t: it drains linearly from
// 100% after each charge and fills up during a charge.
func (w *world) battery(t int64) (level int, charging, inCharger bool) {
	cs, ce, ok := w.lastCharge(t)
	if !ok {
		return 50, false, false
	}
	if t >= ce {
		return clampI(int(100-w.p.drain*float64(t-ce)/86400), 1, 100), false, false
	}
	l0 := 40.0
	if _, pe, ok := w.lastCharge(cs - 1); ok {
		l0 = clampF(100-w.p.drain*float64(cs-pe)/86400, 1, 100)
	}
	f := float64(t-cs) / (0.85 * float64(ce-cs))
	if f >= 1 {
		return 100, false, true
	}
	return clampI(int(l0+(100-l0)*f), 1, 100), true, true
}

func (w *world) batteryAt(t int64) int {
	l, _, _ := w.battery(t)
	return l
}

// batteryRows returns day dd's battery samples (about every 15 minutes,
// worn or not). The old ring did not report charging flags (null).
func (w *world) batteryRows(dd *dayData) []batteryRow {
	p := w.planFor(dd)
	tr := newRNG(streamKey(w.t.seed, w.user, tagSeriesVal, dd.day, 1<<40))
	rows := make([]batteryRow, 0, 100)
	flags := dd.day >= w.p.switchDay
	for t := p.w0 + int64(tr.intn(batteryGrid)); t < p.w1; t += batteryGrid {
		ts := t + int64(tr.between(-60, 60))
		if ts < p.w0 || ts >= p.w1 {
			continue
		}
		l, ch, in := w.battery(ts)
		row := batteryRow{ms: ts * 1000, level: uint8(l), charging: -1, inCharger: -1}
		if flags {
			row.charging, row.inCharger = b2i(ch), b2i(in)
		}
		rows = append(rows, row)
	}
	return rows
}

func b2i(b bool) int8 {
	if b {
		return 1
	}
	return 0
}
