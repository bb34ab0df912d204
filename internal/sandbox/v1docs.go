package sandbox

import "math"

// v1kind is one /v1 summary route. Its records are projected from the same
// truth as v2: sleep and readiness records carry summary_date = v2 day - 1
// ("one day prior to the date when the sleep period ended"), activity and
// bedtime the same date.
type v1kind struct {
	name     string
	envelope string
	shift    int // v2 day = summary_date + shift
	count    func(w *world, dd *dayData) int
	write    func(e *enc, w *world, dd *dayData, i int)
}

var v1kinds = []*v1kind{
	{name: "sleep", envelope: "sleep", shift: 1, count: countV1Sleep, write: writeV1Sleep},
	{name: "activity", envelope: "activity", count: countDailyActivity, write: writeV1Activity},
	{name: "readiness", envelope: "readiness", shift: 1, count: countLong, write: writeV1Readiness},
	{name: "bedtime", envelope: "ideal_bedtimes", count: countEveryDay, write: writeV1Bedtime},
}

// V1Kinds returns the names of the /v1 routes (besides userinfo).
func V1Kinds() []string {
	out := make([]string, len(v1kinds))
	for i, k := range v1kinds {
		out[i] = k.name
	}
	return out
}

func v1KindByName(name string) *v1kind {
	for _, k := range v1kinds {
		if k.name == name {
			return k
		}
	}
	return nil
}

// countV1Sleep counts the periods v1 shows (long sleeps, naps, late naps);
// v1 had no rest or deleted periods.
func countV1Sleep(w *world, dd *dayData) int {
	n := 0
	for i := range w.planFor(dd).periods {
		if w.planFor(dd).periods[i].typ.counted() {
			n++
		}
	}
	return n
}

// v1SleepIndex maps the i-th v1 record of a day to its period index.
func v1SleepIndex(p *plan, i int) int {
	for k := range p.periods {
		if p.periods[k].typ.counted() {
			if i == 0 {
				return k
			}
			i--
		}
	}
	return -1
}

func (e *enc) keyDec(k string, v int64, scale int) {
	if e.key(k) {
		e.dec(v, scale)
	}
}

func (e *enc) keyFloat(k string, v float64, prec int) {
	if e.key(k) {
		e.float(v, prec)
	}
}

// zeroIfNull maps the v2 null marker (-1) to v1's 0.
func zeroIfNull(v int) int { return max(v, 0) }

func writeV1Sleep(e *enc, w *world, dd *dayData, i int) {
	p := w.planFor(dd)
	ss := w.sleeps(dd)
	k := v1SleepIndex(p, i)
	s := &ss[k]
	per := s.per
	v := w.valuesOf(dd)
	off := p.offset(per.start)
	midnight := int64(dd.day) * 86400
	delta := func(t int64) int { return int(t + int64(p.offset(t)) - midnight) }
	c, sc := s.contrib, s.score
	isLongest := 0
	if mainPeriod(ss) == k {
		isLongest = 1
		if ds := w.dailySleep(dd); ds != nil {
			c, sc = ds.contrib, ds.score
		}
	}
	trend := v.tempDev
	if rd := w.readinessOf(dd); rd != nil {
		trend = rd.tempTrend
	}
	e.obj()
	e.keyInt("awake", s.awake)
	e.keyTime("bedtime_end", per.end, p.offset(per.end))
	e.keyInt("bedtime_end_delta", delta(per.end))
	e.keyTime("bedtime_start", per.start, off)
	e.keyInt("bedtime_start_delta", delta(per.start))
	e.keyDec("breath_average", s.breath, 3)
	e.keyInt("deep", s.deep)
	e.keyInt("duration", int(per.end-per.start))
	e.keyInt("efficiency", s.efficiency)
	if e.key("hr_5min") {
		e.arrOpen()
		for _, h := range s.hr {
			e.int(int64(max(h, 0)))
		}
		e.arrEnd()
	}
	e.keyDec("hr_average", max(s.avgHR, 0), 3)
	e.keyInt("hr_lowest", zeroIfNull(s.lowHR))
	if e.key("hypnogram_5min") {
		e.rawString(s.s5)
	}
	e.keyInt("is_longest", isLongest)
	e.keyInt("light", s.light)
	e.keyInt("midpoint_at_delta", delta(per.start)+s.midpoint)
	e.keyInt("midpoint_time", s.midpoint)
	e.keyInt("onset_latency", s.latency)
	e.keyInt("period_id", per.num)
	e.keyInt("rem", s.rem)
	e.keyInt("restless", s.restlessPct)
	e.keyInt("rmssd", zeroIfNull(s.avgHRV))
	if e.key("rmssd_5min") {
		e.arrOpen()
		for _, h := range s.hrv {
			e.int(int64(max(h, 0)))
		}
		e.arrEnd()
	}
	e.keyInt("score", sc)
	e.keyInt("score_alignment", c.timing)
	e.keyInt("score_deep", c.deep)
	e.keyInt("score_disturbances", c.restfulness)
	e.keyInt("score_efficiency", c.efficiency)
	e.keyInt("score_latency", c.latency)
	e.keyInt("score_rem", c.rem)
	e.keyInt("score_total", c.total)
	e.keyDate("summary_date", dd.day-1)
	e.keyFloat("temperature_delta", v.tempDev, 2)
	e.keyFloat("temperature_deviation", v.tempDev, 2)
	e.keyFloat("temperature_trend_deviation", trend, 2)
	e.keyInt("timezone", off/60)
	e.keyInt("total", s.total)
	e.objEnd()
}

func writeV1Activity(e *enc, w *world, dd *dayData, _ int) {
	a := w.activityOf(dd)
	sc := w.activityScoreOf(dd)
	loc := w.loc(dd.day)
	endAt := a.start + 86399
	minutes := func(k string, sec int) { e.keyInt(k, sec/60) }
	e.obj()
	e.keyDec("average_met", a.avgMET, 3)
	e.keyInt("cal_active", a.active)
	e.keyInt("cal_total", a.total)
	if e.key("class_5min") {
		e.rawString(a.class[:])
	}
	e.keyInt("daily_movement", a.ewd)
	e.keyTime("day_end", endAt, offsetAt(loc, endAt))
	e.keyTime("day_start", a.start, a.offset)
	minutes("high", a.times[5])
	minutes("inactive", a.times[2])
	e.keyInt("inactivity_alerts", a.alerts)
	minutes("low", a.times[3])
	minutes("medium", a.times[4])
	if e.key("met_1min") {
		e.arrOpen()
		for _, m := range a.met {
			e.dec(int64(m), 1)
		}
		e.arrEnd()
	}
	e.keyInt("met_min_high", a.metMin[5])
	e.keyInt("met_min_inactive", a.metMin[2])
	e.keyInt("met_min_low", a.metMin[3])
	e.keyInt("met_min_medium", a.metMin[4])
	e.keyInt("met_min_medium_plus", a.metMin[4]+a.metMin[5])
	minutes("non_wear", a.times[0])
	minutes("rest", a.times[1])
	e.keyInt("rest_mode_state", w.planFor(dd).rest.state)
	e.keyInt("score", sc.score)
	e.keyInt("score_meet_daily_targets", sc.meetTarget)
	e.keyInt("score_move_every_hour", sc.moveEveryHour)
	e.keyInt("score_recovery_time", sc.recovery)
	e.keyInt("score_stay_active", sc.stayActive)
	e.keyInt("score_training_frequency", sc.trainFreq)
	e.keyInt("score_training_volume", sc.trainVolume)
	e.keyInt("steps", a.steps)
	e.keyDate("summary_date", dd.day)
	e.keyInt("target_calories", a.target)
	e.keyDec("target_km", int64(a.targetM), 3)
	e.keyFloat("target_miles", float64(a.targetM)/1609.344, 3)
	e.keyInt("timezone", a.offset/60)
	e.keyDec("to_target_km", int64(a.targetM-a.ewd), 3)
	e.keyFloat("to_target_miles", float64(a.targetM-a.ewd)/1609.344, 3)
	minutes("total", a.times[3]+a.times[4]+a.times[5])
	e.objEnd()
}

func writeV1Readiness(e *enc, w *world, dd *dayData, _ int) {
	p := w.planFor(dd)
	rd := w.readinessOf(dd)
	c := rd.c
	e.obj()
	e.keyInt("period_id", p.periods[p.long].num)
	e.keyInt("rest_mode_state", p.rest.state)
	e.keyInt("score", zeroIfNull(rd.score))
	e.keyInt("score_activity_balance", zeroIfNull(c.activityBalance))
	e.keyInt("score_hrv_balance", zeroIfNull(c.hrvBalance))
	e.keyInt("score_previous_day", zeroIfNull(c.prevDayActivity))
	e.keyInt("score_previous_night", zeroIfNull(c.prevNight))
	e.keyInt("score_recovery_index", zeroIfNull(c.recoveryIndex))
	e.keyInt("score_resting_hr", zeroIfNull(c.restingHR))
	e.keyInt("score_sleep_balance", zeroIfNull(c.sleepBalance))
	e.keyInt("score_temperature", zeroIfNull(c.bodyTemp))
	e.keyDate("summary_date", dd.day-1)
	e.objEnd()
}

// v1BedtimeStatus maps the v2 sleep_time status to v1's.
func v1BedtimeStatus(s string) string {
	switch s {
	case "optimal_found", "only_recommended_found":
		return "IDEAL_BEDTIME_AVAILABLE"
	case "bad_sleep_quality":
		return "LOW_SLEEP_SCORES"
	}
	return "NOT_ENOUGH_DATA"
}

func writeV1Bedtime(e *enc, w *world, dd *dayData, _ int) {
	st := w.sleepTimeOf(dd)
	e.obj()
	if e.key("bedtime_window") {
		e.obj()
		if st.window {
			e.keyInt("end", st.end)
			e.keyInt("start", st.start)
		} else {
			e.keyIntOrNull("end", -1)
			e.keyIntOrNull("start", -1)
		}
		e.objEnd()
	}
	e.keyDate("date", dd.day)
	e.keyStr("status", v1BedtimeStatus(st.status))
	e.objEnd()
}

// writeV1UserInfo writes /v1/userinfo (weight kg, height cm).
func writeV1UserInfo(e *enc, w *world, sc scopeSet) {
	p := w.p
	e.obj()
	if sc.has("personal") {
		e.keyInt("age", p.age)
	} else {
		e.keyIntOrNull("age", -1)
	}
	if sc.has("email") {
		e.keyStr("email", p.email)
	} else {
		e.keyStr("email", "")
	}
	if sc.has("personal") {
		e.keyStr("gender", p.sex)
		e.keyInt("height", int(math.Round(p.height*100)))
	} else {
		e.keyStr("gender", "")
		e.keyIntOrNull("height", -1)
	}
	e.keyStr("user_id", p.v1ID)
	if sc.has("personal") {
		e.keyFloat("weight", p.weight, 1)
	} else {
		e.keyStr("weight", "")
	}
	e.objEnd()
}
