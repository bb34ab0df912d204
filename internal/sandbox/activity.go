package sandbox

import (
	"math"
)

// activity is one activity day (daily_activity, v1 activity): 24 hours from
// 04:00 local, 1440 one-minute METs and 288 five-minute classes. Each
// 5-minute block gets its class from the wear timeline (off the finger '0',
// sleep and sessions '1', workouts '4' or '5', awake time a persistent mix of
// '1'..'4'), and each minute's MET lies inside its block's class range, so
// the class string, the MET series and the totals agree exactly:
//
//	'0' non-wear 0.9   '1' rest < 1.05   '2' inactive 1.05-2   '3' low 2-3
//	'4' medium 3-6     '5' high >= 6
//
// Times are 300 s per class character; MET-minutes are the sums of the
// minutes' METs per class; active calories are (MET - 1) x weight / 60 over
// the low, medium and high minutes.
type activity struct {
	start    int64 // 04:00 local
	offset   int   // UTC offset at start
	met      [1440]uint8
	class    [288]byte
	times    [6]int // seconds per class
	metMin   [6]int // MET-minutes per class
	steps    int
	active   int // kcal
	total    int // kcal
	ewd      int // metres
	avgMET   int64
	alerts   int
	worn     bool
	target   int // kcal
	targetM  int // metres
	mediumHi int // medium + high MET-minutes
}

// activityScore holds the daily activity contributors; ok is false on days
// without any wear (score and contributors null).
type activityScore struct {
	ok                                    bool
	stayActive, moveEveryHour, meetTarget int
	trainFreq, trainVolume, recovery      int
	score                                 int
}

// activityOf returns the activity of day dd.
func (w *world) activityOf(dd *dayData) *activity {
	if dd.act != nil {
		return dd.act
	}
	d := dd.day
	loc := w.loc(d)
	a := &activity{start: d.at(loc, 4*3600)}
	a.offset = offsetAt(loc, a.start)
	v := w.valuesOf(dd)
	r := newRNG(streamKey(w.t.seed, w.user, tagActVal, d, uint64(dd.rev)))

	// The events of the days whose windows overlap [start, end).
	var evs [4]*plan
	for i := range evs {
		evs[i] = w.planOf(d - 1 + Date(i))
	}
	pi, ei := 0, 0
	next := func(t int64) *event {
		for pi < len(evs) {
			p := evs[pi]
			for ei < len(p.events) && p.events[ei].end <= t {
				ei++
			}
			if ei < len(p.events) {
				if e := &p.events[ei]; e.start <= t {
					return e
				}
				if p.w1 > t {
					return nil
				}
			} else if p.w1 > t {
				return nil
			}
			pi, ei = pi+1, 0
		}
		return nil
	}

	weight := w.p.weight
	prev := byte('2')
	var sumMET int
	var activeK, sedK float64
	for b := 0; b < 288; b++ {
		t := a.start + int64(300*b+150)
		e := next(t)
		var c byte
		var wo *workout
		switch {
		case e == nil || e.kind == evLive:
			hour := (4 + b/12) % 24
			if r.chance(0.72) && prev != '0' && prev != '5' && !(prev == '4' && r.chance(0.5)) {
				c = prev
			} else {
				x := r.float()
				lvl := v.actLevel
				switch {
				case hour < 7 || hour >= 23:
					c = "1112"[r.intn(4)]
				case x < 0.08:
					c = '1'
				case x < 0.08+0.2*lvl:
					c = '3'
				case x < 0.08+0.2*lvl+0.03*lvl:
					c = '4'
				default:
					c = '2'
				}
			}
		case e.kind == evSleep || e.kind == evSession:
			c = '1'
		case e.kind == evNonwear || e.kind == evCharge:
			c = '0'
		case e.kind == evWorkout:
			wo = &evs[pi].workouts[e.idx]
			c = '4'
			if wo.met >= 60 {
				c = '5'
			}
		}
		if e == nil || e.kind == evLive {
			prev = c
		} else {
			prev = '2'
		}
		a.class[b] = c
		for m := 0; m < 5; m++ {
			var met, steps int
			switch c {
			case '0':
				met = 9
			case '1':
				met = 9 + r.intn(2)
			case '2':
				met = r.between(11, 19)
				steps = r.intn(4)
			case '3':
				met = r.between(20, 29)
				steps = r.between(8, 30)
			case '4':
				if wo != nil {
					met = clampI(wo.met+r.between(-5, 5), 30, 59)
					steps = max(0, wo.stepsPerM+r.between(-8, 8))
				} else {
					met = r.between(30, 45)
					steps = r.between(95, 120)
				}
			case '5':
				met = clampI(wo.met+r.between(-8, 8), 60, 160)
				if wo.stepsPerM > 0 {
					steps = wo.stepsPerM + r.between(-10, 10)
				}
			}
			a.met[5*b+m] = uint8(met)
			sumMET += met
			a.steps += steps
			a.metMin[c-'0'] += met
			switch {
			case c >= '3':
				activeK += float64(met-10) / 10 * weight / 60
			case c == '2':
				sedK += float64(met-10) / 10 * weight / 60
			}
		}
		a.times[c-'0'] += 300
		if c != '0' {
			a.worn = true
		}
	}
	for i := range a.metMin {
		a.metMin[i] = int(math.Round(float64(a.metMin[i]) / 10))
	}
	a.mediumHi = a.metMin[4] + a.metMin[5]
	a.active = int(math.Round(activeK))
	a.total = int(math.Round(w.p.bmr + activeK + sedK))
	a.ewd = int(math.Round(activeK / weight * 1000))
	a.avgMET = int64(math.Round(float64(sumMET) / 1440 * 100))
	// An inactivity alert for each stretch of 80 minutes or more of
	// uninterrupted sitting.
	run := 0
	for b := 0; b <= 288; b++ {
		if b < 288 && a.class[b] == '2' {
			run++
			continue
		}
		if run >= 16 {
			a.alerts++
		}
		run = 0
	}
	a.target = w.p.targetCal
	if st := w.planOf(d).rest.state; st >= 1 && st <= 3 {
		a.target = max(100, a.target/100*50)
	}
	a.targetM = int(math.Round(float64(a.target)/weight*10)) * 100
	dd.act = a
	return a
}

// activityScoreOf returns day dd's activity contributors and score. The
// 7-day contributors look at the six days before (at their original values).
func (w *world) activityScoreOf(dd *dayData) *activityScore {
	if dd.ascore != nil {
		return dd.ascore
	}
	a := w.activityOf(dd)
	sc := &activityScore{}
	dd.ascore = sc
	if !a.worn {
		return sc
	}
	sc.ok = true
	awakeInactive := float64(a.times[2]) / 3600
	sc.stayActive = score(lin(awakeInactive, 16, 1, 7, 100))
	sc.moveEveryHour = score(lin(float64(a.alerts), 5, 1, 0, 100))
	met, freq, vol, easy, days := 0, 0, 0, 0, 0
	for k := 0; k < 7; k++ {
		x := a
		if k > 0 {
			dk := dd.day - Date(k)
			if dk < w.t.since {
				break
			}
			x = w.activityOf(w.base(dk))
		}
		if !x.worn {
			continue
		}
		days++
		if x.active >= x.target {
			met++
		}
		if x.mediumHi >= 150 {
			freq++
		}
		vol += x.mediumHi
		if x.active < x.target*6/10 {
			easy++
		}
	}
	// Scale the counts to a full week when fewer days are known.
	scale := 7 / float64(max(days, 1))
	sc.meetTarget = score(lin(float64(met)*scale, 0, 25, 6, 100))
	sc.trainFreq = score(lin(float64(freq)*scale, 0, 25, 4, 100))
	sc.trainVolume = score(lin(float64(vol)*scale, 0, 20, 2500, 100))
	switch e := float64(easy) * scale; {
	case e >= 2:
		sc.recovery = 100
	case e >= 1:
		sc.recovery = 85
	default:
		sc.recovery = 45
	}
	sc.score = score(0.15*float64(sc.stayActive) + 0.10*float64(sc.moveEveryHour) + 0.25*float64(sc.meetTarget) +
		0.10*float64(sc.trainFreq) + 0.15*float64(sc.trainVolume) + 0.25*float64(sc.recovery))
	return sc
}
