package sandbox

import (
	"math"
)

// sleepDetail is one sleep period with everything derived from its
// hypnogram and samples. Durations are the counts of the 30-second phase
// characters times 30 s; the 5-minute string is the majority phase of each
// block of ten, and the 30-second string differs from its expansion only by
// swaps between blocks, so counting either string gives the same durations.
type sleepDetail struct {
	per                   *period
	deleted               bool // metrics are null
	s5, s30, mv           []byte
	hr, hrv               []int16 // per 5-minute block, -1 = no data
	deep, light, rem      int     // seconds
	awake, total, latency int
	efficiency            int
	restlessPeriods       int
	restlessPct           int   // v1 "restless": % of sleep epochs with movement
	avgHR                 int64 // thousandths of bpm, -1 = null
	lowHR                 int   // -1 = null
	lowIdx                int   // block of the lowest heart rate
	avgHRV                int   // -1 = null
	breath                int64 // thousandths of breaths per minute
	midpoint              int   // seconds from bedtime_start to the middle of the sleep
	lowBattery            bool
	algo, reason          string
	sleepDelta            int // -1 = null
	readyDelta            int // -1 = null
	contrib               sleepContrib
	score                 int
}

// sleepContrib are the sleep score contributors, each 1..100.
type sleepContrib struct {
	deep, efficiency, latency, rem, restfulness, timing, total int
}

// Sleep score weights (as Oura's v1 documentation gives them).
func (c sleepContrib) score() int {
	return score(0.35*float64(c.total) + 0.15*float64(c.restfulness) + 0.10*float64(c.efficiency+c.latency+c.rem+c.deep+c.timing))
}

// dailySleep is the day's sleep summary (daily_sleep).
type dailySleep struct {
	main    int // index of the main period in the day's details
	total   int // total sleep of all counted periods, seconds
	contrib sleepContrib
	score   int
}

// phaseHRV scales HRV by sleep phase (index: phase character - '0').
var phaseHRV = [5]float64{1, 1.15, 1, 0.95, 0.75}

var algoV2Day = dateFromCivil(2022, 11, 1)
var reasonDay = dateFromCivil(2021, 6, 1)

// sleeps returns the details of day dd's periods (same order as the plan's).
func (w *world) sleeps(dd *dayData) []sleepDetail {
	if dd.sleepOK {
		return dd.sleeps
	}
	p := w.planFor(dd)
	v := w.valuesOf(dd)
	dd.sleeps = make([]sleepDetail, len(p.periods))
	for i := range p.periods {
		w.makeSleep(dd, v, &p.periods[i], i, &dd.sleeps[i])
	}
	dd.sleepOK = true
	// Deltas of naps: the daily score with and without them.
	if ds := w.dailySleep(dd); ds != nil {
		for i := range dd.sleeps {
			s := &dd.sleeps[i]
			if s.per.typ == stLong || !s.per.typ.counted() {
				continue
			}
			without := w.sleepContribOf(dd, ds.total-s.total).score()
			s.sleepDelta = max(0, ds.score-without)
			s.readyDelta = (s.sleepDelta + 1) / 3
		}
	}
	return dd.sleeps
}

func (w *world) makeSleep(dd *dayData, v *dayValues, per *period, i int, s *sleepDetail) {
	d := dd.day
	s.per = per
	s.sleepDelta, s.readyDelta = -1, -1
	s.avgHR, s.lowHR, s.avgHRV = -1, -1, -1
	r := newRNG(streamKey(w.t.seed, w.user, tagSleepVal, d, uint64(dd.rev)<<8|uint64(i)))
	s.algo = "v2"
	if d < algoV2Day {
		s.algo = "v1"
	}
	if d >= reasonDay {
		switch {
		case dd.rev > 0:
			s.reason = "background_created_foreground_updated"
		case r.chance(0.8):
			s.reason = "foreground_sleep_analysis"
		default:
			s.reason = "background_sleep_analysis"
		}
	}
	s.lowBattery = w.batteryAt(per.start) < 15
	if per.typ == stDeleted {
		s.deleted = true
		return
	}
	n := int(per.end-per.start) / 300
	s.s5 = hypnogram(&r, per.typ, n)
	s.s30 = make([]byte, 10*n)
	for b := 0; b < n; b++ {
		for k := 0; k < 10; k++ {
			s.s30[10*b+k] = s.s5[b]
		}
	}
	// Texture at 30-second resolution: swap epochs between blocks of
	// different phases, at most two changes per block, which keeps both the
	// per-phase counts and every block's majority.
	changed := make([]uint8, n)
	for k := 0; k < n/6; k++ {
		bi, bj := r.intn(n), r.intn(n)
		if s.s5[bi] == s.s5[bj] || changed[bi] >= 2 || changed[bj] >= 2 {
			continue
		}
		pi, pj := 10*bi+r.intn(10), 10*bj+r.intn(10)
		s.s30[pi], s.s30[pj] = s.s30[pj], s.s30[pi]
		changed[bi]++
		changed[bj]++
	}
	var cnt [5]int
	for _, c := range s.s30 {
		cnt[c-'0']++
	}
	s.deep, s.light, s.rem, s.awake = 30*cnt[1], 30*cnt[2], 30*cnt[3], 30*cnt[4]
	s.total = s.deep + s.light + s.rem
	s.efficiency = clampI(int(math.Round(100*float64(s.total)/float64(30*len(s.s30)))), 1, 100)
	for s.latency < len(s.s30) && s.s30[s.latency] == '4' {
		s.latency++
	}
	s.latency *= 30
	// Midpoint: where half of the sleep epochs have passed.
	half, seen := cnt[1]+cnt[2]+cnt[3], 0
	for k, c := range s.s30 {
		if c != '4' {
			seen++
			if 2*seen >= half {
				s.midpoint = 30 * (k + 1)
				break
			}
		}
	}
	// Movement (eight draws per random word).
	s.mv = make([]byte, len(s.s30))
	moving, sleepEpochs, inRun := 0, 0, false
	var bits uint64
	for k, c := range s.s30 {
		if k%8 == 0 {
			bits = r.u64()
		}
		x := float64(bits&0xff) / 256
		bits >>= 8
		var m byte = '1'
		switch c {
		case '4':
			m = "2334"[int(x*4)]
		case '2':
			if x < 0.2 {
				m = '2'
			} else if x < 0.25 {
				m = '3'
			}
		case '3':
			if x < 0.12 {
				m = '2'
			}
		}
		s.mv[k] = m
		if c != '4' {
			sleepEpochs++
			if m >= '2' {
				moving++
			}
		}
		if m >= '3' && !inRun {
			s.restlessPeriods++
		}
		inRun = m >= '3'
	}
	if sleepEpochs > 0 {
		s.restlessPct = int(math.Round(100 * float64(moving) / float64(sleepEpochs)))
	}
	// Heart rate and HRV per 5-minute block, with gaps.
	s.hr = make([]int16, n)
	s.hrv = make([]int16, n)
	rest := w.p.restHR + v.hrShift
	hrvBase := w.p.hrv * v.hrvFactor
	// Where the samples have gaps is structure (it does not change with a
	// revision), so a revision keeps the heart-rate rows and changes values.
	gr := newRNG(streamKey(w.t.seed, w.user, tagSleepVal, d, 1<<32|uint64(i)))
	gapAt, gapLen := -1, 0
	if gr.chance(0.15) && n > 12 {
		gapAt, gapLen = gr.intn(n-8), gr.between(3, 8)
	}
	var sum, cntHR, sumV, cntV int
	s.lowIdx = -1
	for b := 0; b < n; b++ {
		f := float64(b) / float64(n)
		x := rest + 7*(1-f/0.4)
		if f >= 0.4 {
			x = rest + 5*(f-0.4)/0.6
		}
		if per.typ != stLong {
			x = rest + 6
		}
		switch s.s5[b] {
		case '4':
			x += 7
		case '3':
			x += 3
		case '1':
			x -= 1.5
		}
		hr := int16(math.Round(x + 1.3*r.norm()))
		hrv := int16(math.Round(clampF(hrvBase*(1+0.035*(rest-float64(hr)))*(1+0.12*r.norm())*phaseHRV[s.s5[b]-'0'], 5, 250)))
		null := gr.chance(0.03) || (b >= gapAt && b < gapAt+gapLen) || (b == 0 && gr.chance(0.5))
		if null {
			hr, hrv = -1, -1
		} else if gr.chance(0.03) {
			hrv = -1
		}
		s.hr[b], s.hrv[b] = hr, hrv
		if hr >= 0 {
			sum += int(hr)
			cntHR++
			if s.lowHR < 0 || int(hr) < s.lowHR {
				s.lowHR, s.lowIdx = int(hr), b
			}
		}
		if hrv >= 0 {
			sumV += int(hrv)
			cntV++
		}
	}
	if cntHR > 0 {
		s.avgHR = int64(math.Round(1000 * float64(sum) / float64(cntHR)))
	}
	if cntV > 0 {
		s.avgHRV = int(math.Round(float64(sumV) / float64(cntV)))
	}
	s.breath = int64(math.Round(v.breath * 1000))
	s.contrib = sleepContribFor(s, s.total, w.p.sleepNeed, w.midLocal(dd, s))
	s.score = s.contrib.score()
}

// midLocal returns the sleep midpoint as seconds from local midnight of the
// period's day (negative before midnight).
func (w *world) midLocal(dd *dayData, s *sleepDetail) int {
	t := s.per.start + int64(s.midpoint)
	off := offsetAt(w.planFor(dd).zone, t)
	return int(t + int64(off) - int64(dd.day)*86400)
}

// hypnogram draws n 5-minute phases for a period of type t.
func hypnogram(r *rng, t sleepType, n int) []byte {
	s := make([]byte, 0, n+40)
	add := func(c byte, k int) {
		for ; k > 0; k-- {
			s = append(s, c)
		}
	}
	switch t {
	case stRest:
		for len(s) < n {
			add('4', r.between(1, 4))
			add('2', r.between(1, 3))
		}
	case stSleep, stLateNap:
		add('4', r.between(0, 2))
		for len(s) < n {
			add('2', r.between(2, 5))
			if n > 8 {
				add('1', r.between(1, 4))
			}
			if n > 12 && r.chance(0.5) {
				add('3', r.between(1, 3))
			}
		}
	default:
		lat := r.between(2, 5)
		if x := r.float(); x < 0.05 {
			lat = 0
		} else if x < 0.15 {
			lat = r.between(5, 9)
		}
		add('4', lat)
		deep := [...]int{7, 5, 3, 1, 0}
		rem := [...]int{2, 4, 5, 6, 7}
		for c := 0; len(s) < n; c++ {
			k := min(c, 4)
			dp := max(0, deep[k]+r.between(-2, 2))
			rm := max(1, rem[k]+r.between(-1, 2))
			lt := max(2, r.between(15, 21)-dp-rm)
			add('2', lt/2)
			add('1', dp)
			add('2', lt-lt/2)
			add('3', rm)
			if r.chance(0.35) {
				add('4', r.between(1, 2))
			}
		}
	}
	s = s[:n]
	if t == stLong && n > 4 && r.chance(0.6) {
		for k := n - r.between(1, 3); k < n; k++ {
			s[k] = '4'
		}
	}
	if t != stRest && n > 2 {
		s[n-1] = '4'
	}
	return s
}

// sleepContribFor computes the contributors for a main period whose day
// totals total seconds of sleep; midLocal is the sleep midpoint in seconds
// from local midnight.
func sleepContribFor(s *sleepDetail, total, need, midLocal int) sleepContrib {
	var c sleepContrib
	c.total = score(lin(float64(total), 3*3600, 1, float64(need+1800), 100))
	c.efficiency = score(lin(float64(s.efficiency), 70, 1, 98, 100))
	c.restfulness = score(lin(float64(s.restlessPct), 45, 1, 8, 100))
	lat := float64(s.latency) / 60
	if lat < 10 {
		c.latency = score(lin(lat, 0, 60, 10, 100))
	} else {
		c.latency = score(lin(lat, 20, 100, 60, 1))
	}
	var dist float64
	switch {
	case midLocal < 0:
		dist = float64(-midLocal)
	case midLocal > 3*3600:
		dist = float64(midLocal - 3*3600)
	}
	c.timing = score(lin(dist, 0, 100, 4*3600, 1))
	c.deep = score(lin(float64(s.deep)/60, 0, 1, 110, 100))
	c.rem = score(lin(float64(s.rem)/60, 0, 1, 130, 100))
	return c
}

// sleepContribOf computes the day's contributors from its main period and
// the given total sleep of the day.
func (w *world) sleepContribOf(dd *dayData, total int) sleepContrib {
	if !dd.sleepOK {
		return sleepContrib{}
	}
	m := mainPeriod(dd.sleeps)
	if m < 0 {
		return sleepContrib{}
	}
	s := &dd.sleeps[m]
	return sleepContribFor(s, total, w.p.sleepNeed, w.midLocal(dd, s))
}

// mainPeriod returns the index of the long sleep, or else of the longest
// counted period, or -1.
func mainPeriod(ss []sleepDetail) int {
	best := -1
	for i := range ss {
		s := &ss[i]
		if !s.per.typ.counted() || s.deleted {
			continue
		}
		if s.per.typ == stLong {
			return i
		}
		if best < 0 || s.total > ss[best].total {
			best = i
		}
	}
	return best
}

// dailySleep returns the day's daily_sleep summary, nil when no period counts.
func (w *world) dailySleep(dd *dayData) *dailySleep {
	if dd.dsOK {
		return dd.ds
	}
	if !dd.sleepOK {
		w.sleeps(dd)
		if dd.dsOK {
			return dd.ds
		}
	}
	dd.dsOK = true
	m := mainPeriod(dd.sleeps)
	if m < 0 {
		return nil
	}
	ds := &dailySleep{main: m}
	for i := range dd.sleeps {
		if dd.sleeps[i].per.typ.counted() {
			ds.total += dd.sleeps[i].total
		}
	}
	ds.contrib = w.sleepContribOf(dd, ds.total)
	ds.score = ds.contrib.score()
	dd.ds = ds
	return ds
}
