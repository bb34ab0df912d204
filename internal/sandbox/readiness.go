package sandbox

import (
	"math"
	"sort"
)

// readiness is a day's readiness (daily_readiness, the readiness nested in
// the long sleep, v1 readiness). Contributors are -1 when unknown (null);
// the score is the weighted mean of the known ones.
type readiness struct {
	c                  readyContrib
	score              int
	tempDev, tempTrend float64
}

type readyContrib struct {
	activityBalance, bodyTemp, hrvBalance, prevDayActivity, prevNight int
	recoveryIndex, restingHR, sleepBalance, sleepRegularity           int
}

var readyWeights = readyContrib{activityBalance: 10, bodyTemp: 10, hrvBalance: 15, prevDayActivity: 10,
	prevNight: 15, recoveryIndex: 10, restingHR: 15, sleepBalance: 15, sleepRegularity: 5}

func (c readyContrib) score() int {
	vals := [...][2]int{{c.activityBalance, readyWeights.activityBalance}, {c.bodyTemp, readyWeights.bodyTemp},
		{c.hrvBalance, readyWeights.hrvBalance}, {c.prevDayActivity, readyWeights.prevDayActivity},
		{c.prevNight, readyWeights.prevNight}, {c.recoveryIndex, readyWeights.recoveryIndex},
		{c.restingHR, readyWeights.restingHR}, {c.sleepBalance, readyWeights.sleepBalance},
		{c.sleepRegularity, readyWeights.sleepRegularity}}
	sum, wsum := 0, 0
	for _, v := range vals {
		if v[0] > 0 {
			sum += v[0] * v[1]
			wsum += v[1]
		}
	}
	if wsum == 0 {
		return -1
	}
	return score(float64(sum) / float64(wsum))
}

func prevNightContrib(sleepScore int) int { return score(lin(float64(sleepScore), 40, 1, 95, 100)) }

// readinessOf returns day dd's readiness, nil when the day has no long sleep.
func (w *world) readinessOf(dd *dayData) *readiness {
	if dd.rdOK {
		return dd.rd
	}
	dd.rdOK = true
	p := w.planFor(dd)
	if p.long < 0 {
		return nil
	}
	ss := w.sleeps(dd)
	ds := w.dailySleep(dd)
	main := &ss[p.long]
	v := w.valuesOf(dd)
	d := dd.day
	rd := &readiness{}
	c := &rd.c
	c.prevNight = prevNightContrib(ds.score)

	// Two weeks of nights and days, at their original values.
	var sleepSum, sleepN, hrvSum, hrvN int
	var mids []float64
	for k := 0; k < 14; k++ {
		dk := d - Date(k)
		if dk < w.t.since {
			break
		}
		b := dd
		if k > 0 {
			b = w.base(dk)
		}
		if pk := w.planFor(b); pk.hasCounted() {
			dsk := w.dailySleep(b)
			sleepSum += dsk.total
			sleepN++
			if pk.long >= 0 {
				s := &w.sleeps(b)[pk.long]
				if s.avgHRV > 0 {
					hrvSum += s.avgHRV
					hrvN++
				}
				mids = append(mids, float64(w.midLocal(b, s)))
			}
		}
	}
	c.sleepBalance = -1
	if sleepN >= 3 {
		c.sleepBalance = score(lin(float64(sleepSum)/float64(sleepN)/float64(w.p.sleepNeed), 0.7, 1, 1.0, 100))
	}
	c.hrvBalance = -1
	if d-w.t.since >= 14 && hrvN >= 3 {
		// The long-term mean of the nightly average (the 5-minute HRV runs
		// about 13% under the baseline across sleep phases).
		base := 0.87 * w.p.hrv * (1 + 0.08*w.drift(d, 365, 3))
		c.hrvBalance = score(lin(float64(hrvSum)/float64(hrvN)/base, 0.8, 1, 1.02, 100))
	}
	c.sleepRegularity = -1
	if len(mids) >= 5 {
		c.sleepRegularity = score(lin(stddev(mids)/60, 120, 1, 20, 100))
	}
	c.prevDayActivity, c.activityBalance = -1, -1
	if d-1 >= w.t.since {
		if a := w.activityOf(w.base(d - 1)); a.worn {
			c.prevDayActivity = score(activityRatioScore(float64(a.active) / float64(max(a.target, 1))))
		}
		var actSum, targetSum, n int
		for k := 1; k <= 14 && d-Date(k) >= w.t.since; k++ {
			if a := w.activityOf(w.base(d - Date(k))); a.worn {
				actSum += a.active
				targetSum += a.target
				n++
			}
		}
		if n >= 3 {
			c.activityBalance = score(balanceScore(float64(actSum) / float64(max(targetSum, 1))))
		}
	}
	c.restingHR = -1
	if main.lowHR > 0 {
		base := w.p.restHR + 2*w.drift(d, 365, 2)
		c.restingHR = score(lin(float64(main.lowHR)-base, 8, 1, -2, 100))
	}
	c.recoveryIndex = -1
	if main.lowIdx >= 0 {
		c.recoveryIndex = score(lin(float64(main.lowIdx)/float64(len(main.hr)), 0.85, 1, 0.3, 100))
	}
	rd.tempDev = v.tempDev
	c.bodyTemp = score(lin(math.Abs(v.tempDev), 1.2, 1, 0.1, 100))
	var trend float64
	var tn int
	for k := 0; k < 3 && d-Date(k) >= w.t.since; k++ {
		b := dd
		if k > 0 {
			b = w.base(d - Date(k))
		}
		trend += w.valuesOf(b).tempDev
		tn++
	}
	rd.tempTrend = math.Round(trend/float64(tn)*100) / 100
	rd.score = c.score()
	dd.rd = rd
	return rd
}

// activityRatioScore maps active calories / target to a contributor value:
// best between 1x and 2.5x, less for too little or far too much.
func activityRatioScore(r float64) float64 {
	if r <= 1 {
		return lin(r, 0.2, 1, 1, 100)
	}
	return lin(r, 2.5, 100, 5, 40)
}

// balanceScore maps the two-week ratio of active calories to targets: best
// from 0.95x to 1.4x.
func balanceScore(r float64) float64 {
	if r <= 1.4 {
		return lin(r, 0.4, 1, 0.95, 100)
	}
	return lin(r, 1.4, 100, 3, 45)
}

func stddev(x []float64) float64 {
	var m float64
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	var s float64
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return math.Sqrt(s / float64(len(x)))
}

// stress is a day's daily_stress; valid is false when the ring was worn
// too little for a summary (values null).
type stress struct {
	valid                    bool
	stressHigh, recoveryHigh int
	summary                  string
	awake                    int // seconds of awake wear the values are shares of
}

func (w *world) stressOf(dd *dayData) *stress {
	if dd.stOK {
		return dd.stress
	}
	dd.stOK = true
	a := w.activityOf(dd)
	v := w.valuesOf(dd)
	st := &stress{awake: a.times[2] + a.times[3]}
	dd.stress = st
	if st.awake < 2*3600 {
		return st
	}
	st.valid = true
	p := w.planFor(dd)
	calm := 0
	for i := range p.sessions {
		calm += int(p.sessions[i].end - p.sessions[i].start)
	}
	st.stressHigh = int(math.Round(float64(st.awake)*v.stress/900)) * 900
	st.recoveryHigh = int(math.Round((float64(st.awake)*v.recovery+float64(calm))/900)) * 900
	switch {
	case st.recoveryHigh >= st.stressHigh*3/2 && st.recoveryHigh > 0:
		st.summary = "restored"
	case st.stressHigh >= 2*st.recoveryHigh && st.stressHigh > 0:
		st.summary = "stressful"
	default:
		st.summary = "normal"
	}
	return st
}

// resilience is a day's daily_resilience (contributors in tenths).
type resilience struct {
	sleepRecovery, daytimeRecovery, stress int
	level                                  string
}

func (w *world) resilienceOf(dd *dayData) *resilience {
	d := dd.day
	var sleepSum, sleepN int
	var dayRec, stressShare float64
	var dayN int
	for k := 0; k < 7 && d-Date(k) >= w.t.since; k++ {
		b := dd
		if k > 0 {
			b = w.base(d - Date(k))
		}
		if ds := w.dailySleep(b); ds != nil {
			sleepSum += ds.score
			sleepN++
		}
		if st := w.stressOf(b); st.valid {
			dayRec += float64(st.recoveryHigh) / float64(st.awake)
			stressShare += float64(st.stressHigh) / float64(st.awake)
			dayN++
		}
	}
	r := &resilience{}
	// Long-term phases (training blocks, busy seasons) move all three.
	phase := 12 * w.drift(d, 150, 6)
	sr := 50.0
	if sleepN > 0 {
		sr = (float64(sleepSum)/float64(sleepN) - 62) * 2.4
	}
	dr, sv := 45.0, 40.0
	if dayN > 0 {
		dr = dayRec / float64(dayN) * 230
		sv = 100 - stressShare/float64(dayN)*280
	}
	sr, dr, sv = clampF(sr+phase, 0, 100), clampF(dr+phase, 0, 100), clampF(sv+phase, 0, 100)
	r.sleepRecovery = int(math.Round(sr * 10))
	r.daytimeRecovery = int(math.Round(dr * 10))
	r.stress = int(math.Round(sv * 10))
	m := 0.4*sr + 0.3*dr + 0.3*sv
	switch {
	case m < 25:
		r.level = "limited"
	case m < 40:
		r.level = "adequate"
	case m < 55:
		r.level = "solid"
	case m < 70:
		r.level = "strong"
	default:
		r.level = "exceptional"
	}
	return r
}

// sleepTime is a day's sleep_time (and v1 bedtime) recommendation.
type sleepTime struct {
	status, recommendation string // "" = null
	window                 bool
	start, end             int // seconds from midnight
	dayTZ                  int
}

// sleepTimeOf derives the bedtime recommendation for the night after day d
// from the two weeks of nights before.
func (w *world) sleepTimeOf(dd *dayData) *sleepTime {
	d := dd.day
	p := w.planFor(dd)
	st := &sleepTime{dayTZ: offsetAt(p.zone, d.at(p.zone, 12*3600))}
	var good, all, recent []int
	var wakes []int
	var scoreSum, eff int
	for k := 0; k < 14 && d-Date(k) >= w.t.since; k++ {
		b := dd
		if k > 0 {
			b = w.base(d - Date(k))
		}
		pk := w.planFor(b)
		if pk.long < 0 {
			continue
		}
		s := &w.sleeps(b)[pk.long]
		ds := w.dailySleep(b)
		off := offsetAt(pk.zone, s.per.start)
		bed := int(s.per.start + int64(off) - int64(b.day)*86400)
		wake := int(s.per.end + int64(off) - int64(b.day)*86400)
		all = append(all, bed)
		wakes = append(wakes, wake)
		scoreSum += ds.score
		if k < 7 {
			recent = append(recent, bed)
		}
		if ds.score >= 82 {
			good = append(good, bed)
		}
		if k == 0 {
			eff = s.efficiency
		}
	}
	switch {
	case d-w.t.since < 13 || len(all) < 5:
		st.status = "not_enough_nights"
		return st
	case len(recent) < 3:
		st.status = "not_enough_recent_nights"
		return st
	case scoreSum/len(all) < 68:
		st.status = "bad_sleep_quality"
		st.recommendation = "improve_efficiency"
		return st
	case len(good) < 5:
		st.status = "only_recommended_found"
		good = all
	default:
		st.status = "optimal_found"
	}
	m := median(good)
	st.window = true
	st.start = (m - 1800) / 900 * 900
	st.end = st.start + 3600
	last := all[0]
	switch {
	case eff > 0 && eff < 80:
		st.recommendation = "improve_efficiency"
	case last > st.end+1800:
		st.recommendation = "earlier_bedtime"
	case last < st.start-1800:
		st.recommendation = "later_bedtime"
	case wakes[0] > median(wakes)+3600:
		st.recommendation = "earlier_wake_up_time"
	case wakes[0] < median(wakes)-3600:
		st.recommendation = "later_wake_up_time"
	default:
		st.recommendation = "follow_optimal_bedtime"
	}
	return st
}

func median(x []int) int {
	s := append([]int(nil), x...)
	sort.Ints(s)
	return s[len(s)/2]
}
