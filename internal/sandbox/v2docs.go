package sandbox

// Encoders of the v2 documents, in the field order of the published models.
// Every field of every model is written, null where nullable and unknown.

func writeDailyActivity(e *enc, w *world, dd *dayData, _ int) {
	a := w.activityOf(dd)
	sc := w.activityScoreOf(dd)
	e.obj()
	e.id(w, 1, dd.day, 0)
	e.keyInt("active_calories", a.active)
	if e.key("average_met_minutes") {
		e.dec(a.avgMET, 3)
	}
	if e.key("class_5_min") {
		e.rawString(a.class[:])
	}
	if e.key("contributors") {
		e.obj()
		e.keyScore("meet_daily_targets", sc.meetTarget)
		e.keyScore("move_every_hour", sc.moveEveryHour)
		e.keyScore("recovery_time", sc.recovery)
		e.keyScore("stay_active", sc.stayActive)
		e.keyScore("training_frequency", sc.trainFreq)
		e.keyScore("training_volume", sc.trainVolume)
		e.objEnd()
	}
	e.keyDate("day", dd.day)
	e.keyInt("equivalent_walking_distance", a.ewd)
	e.keyInt("high_activity_met_minutes", a.metMin[5])
	e.keyInt("high_activity_time", a.times[5])
	e.keyInt("inactivity_alerts", a.alerts)
	e.keyInt("low_activity_met_minutes", a.metMin[3])
	e.keyInt("low_activity_time", a.times[3])
	e.keyInt("medium_activity_met_minutes", a.metMin[4])
	e.keyInt("medium_activity_time", a.times[4])
	if e.key("met") {
		e.obj()
		e.key("interval")
		e.dec(600, 1)
		e.key("items")
		e.arrOpen()
		for _, m := range a.met {
			e.dec(int64(m), 1)
		}
		e.arrEnd()
		e.key("timestamp")
		e.localTime(a.start, a.offset, true)
		e.objEnd()
	}
	e.keyInt("meters_to_target", a.targetM-a.ewd)
	e.keyInt("non_wear_time", a.times[0])
	e.keyInt("resting_time", a.times[1])
	if sc.ok {
		e.keyInt("score", sc.score)
	} else {
		e.keyIntOrNull("score", -1)
	}
	e.keyInt("sedentary_met_minutes", a.metMin[2])
	e.keyInt("sedentary_time", a.times[2])
	e.keyInt("steps", a.steps)
	e.keyInt("target_calories", a.target)
	e.keyInt("target_meters", a.targetM)
	e.keyTime("timestamp", a.start, a.offset)
	e.keyInt("total_calories", a.total)
	e.objEnd()
}

func writeCVA(e *enc, w *world, dd *dayData, _ int) {
	v := w.valuesOf(dd)
	va, pwv := w.vascular(dd.day, v)
	e.obj()
	e.id(w, 2, dd.day, 0)
	e.keyDate("day", dd.day)
	if e.key("pulse_wave_velocity") {
		e.dec(int64(pwv), 1)
	}
	e.keyInt("vascular_age", va)
	e.objEnd()
}

// vascular returns the vascular age and the pulse wave velocity (tenths of m/s).
func (w *world) vascular(d Date, v *dayValues) (int, int) {
	va := clampI(int(float64(w.p.ageOn(d, w.t.base))+w.p.cvOffset+2*w.drift(d, 500, 4)+v.cvNoise+0.5), 18, 100)
	pwv := int(roundScaled(4.2+0.08*float64(va-18)+v.cvNoise/4, 1))
	return va, pwv
}

func (e *enc) readinessBody(rd *readiness) {
	if e.key("contributors") {
		c := rd.c
		e.obj()
		e.keyScore("activity_balance", c.activityBalance)
		e.keyScore("body_temperature", c.bodyTemp)
		e.keyScore("hrv_balance", c.hrvBalance)
		e.keyScore("previous_day_activity", c.prevDayActivity)
		e.keyScore("previous_night", c.prevNight)
		e.keyScore("recovery_index", c.recoveryIndex)
		e.keyScore("resting_heart_rate", c.restingHR)
		e.keyScore("sleep_balance", c.sleepBalance)
		e.keyScore("sleep_regularity", c.sleepRegularity)
		e.objEnd()
	}
}

func writeDailyReadiness(e *enc, w *world, dd *dayData, _ int) {
	rd := w.readinessOf(dd)
	e.obj()
	e.id(w, 3, dd.day, 0)
	e.readinessBody(rd)
	e.keyDate("day", dd.day)
	e.keyScore("score", rd.score)
	if e.key("temperature_deviation") {
		e.float(rd.tempDev, 2)
	}
	if e.key("temperature_trend_deviation") {
		e.float(rd.tempTrend, 2)
	}
	e.keyMidnightUTC("timestamp", dd.day)
	e.objEnd()
}

func writeResilience(e *enc, w *world, dd *dayData, _ int) {
	r := w.resilienceOf(dd)
	e.obj()
	e.id(w, 4, dd.day, 0)
	e.keyDate("day", dd.day)
	if e.key("contributors") {
		e.obj()
		e.key("sleep_recovery")
		e.dec(int64(r.sleepRecovery), 1)
		e.key("daytime_recovery")
		e.dec(int64(r.daytimeRecovery), 1)
		e.key("stress")
		e.dec(int64(r.stress), 1)
		e.objEnd()
	}
	e.keyStr("level", r.level)
	e.objEnd()
}

func (e *enc) sleepContributors(c sleepContrib) {
	e.obj()
	e.keyScore("deep_sleep", c.deep)
	e.keyScore("efficiency", c.efficiency)
	e.keyScore("latency", c.latency)
	e.keyScore("rem_sleep", c.rem)
	e.keyScore("restfulness", c.restfulness)
	e.keyScore("timing", c.timing)
	e.keyScore("total_sleep", c.total)
	e.objEnd()
}

func writeDailySleep(e *enc, w *world, dd *dayData, _ int) {
	ds := w.dailySleep(dd)
	e.obj()
	e.id(w, 5, dd.day, 0)
	if e.key("contributors") {
		e.sleepContributors(ds.contrib)
	}
	e.keyDate("day", dd.day)
	e.keyScore("score", ds.score)
	e.keyMidnightUTC("timestamp", dd.day)
	e.objEnd()
}

func writeSpO2(e *enc, w *world, dd *dayData, _ int) {
	v := w.valuesOf(dd)
	measured := w.p.ringOn(dd.day).spo2 && !v.spo2Null
	e.obj()
	e.id(w, 6, dd.day, 0)
	if measured {
		e.keyInt("breathing_disturbance_index", v.bdi)
	} else {
		e.keyIntOrNull("breathing_disturbance_index", -1)
	}
	e.keyDate("day", dd.day)
	if e.key("spo2_percentage") {
		if measured {
			e.obj()
			e.key("average")
			e.float(v.spo2, 3)
			e.objEnd()
		} else {
			e.null()
		}
	}
	e.objEnd()
}

func writeStress(e *enc, w *world, dd *dayData, _ int) {
	st := w.stressOf(dd)
	e.obj()
	e.id(w, 7, dd.day, 0)
	e.keyDate("day", dd.day)
	e.keyStr("day_summary", st.summary)
	if st.valid {
		e.keyInt("recovery_high", st.recoveryHigh)
		e.keyInt("stress_high", st.stressHigh)
	} else {
		e.keyIntOrNull("recovery_high", -1)
		e.keyIntOrNull("stress_high", -1)
	}
	e.objEnd()
}

func writeEnhancedTag(e *enc, w *world, dd *dayData, i int) {
	p := w.planFor(dd)
	t := &p.etags[i]
	e.obj()
	e.id(w, 8, dd.day, i)
	e.keyStr("tag_type_code", t.code)
	e.keyTime("start_time", t.start, p.offset(t.start))
	if t.end != 0 {
		e.keyTime("end_time", t.end, p.offset(t.end))
	} else {
		e.keyStr("end_time", "")
	}
	e.keyDate("start_day", dd.day)
	if t.end != 0 {
		e.keyDate("end_day", Date(floorDiv64(t.end+int64(p.offset(t.end)), 86400)))
	} else {
		e.keyStr("end_day", "")
	}
	e.keyStr("comment", t.comment)
	e.keyStr("custom_name", t.custom)
	e.objEnd()
}

func writeRestMode(e *enc, w *world, dd *dayData, _ int) {
	p := w.planFor(dd)
	ri := p.rest
	e.obj()
	e.id(w, 11, dd.day, 0)
	// A rest mode period still running at the end of the history has no end yet.
	ongoing := ri.end > w.until
	if ongoing {
		e.keyStr("end_day", "")
		e.keyStr("end_time", "")
	} else {
		e.keyDate("end_day", ri.end)
		e.keyTime("end_time", ri.endAt, offsetAt(w.loc(ri.end), ri.endAt))
	}
	if e.key("episodes") {
		e.arrOpen()
		for _, ep := range w.restEpisodes(ri) {
			if ongoing && ep.at > w.historyEnd() {
				continue
			}
			e.obj()
			e.key("tags")
			e.arrOpen()
			for _, t := range ep.tags {
				e.str(t)
			}
			e.arrEnd()
			e.key("timestamp")
			e.localTime(ep.at, p.offset(ep.at), true)
			e.objEnd()
		}
		e.arrEnd()
	}
	e.keyDate("start_day", ri.start)
	e.keyTime("start_time", ri.startAt, p.offset(ri.startAt))
	e.objEnd()
}

type restEpisode struct {
	at   int64
	tags []string
}

// restEpisodes draws the tagged episodes of a rest mode period.
func (w *world) restEpisodes(ri restInfo) []restEpisode {
	r := newRNG(streamKey(w.t.seed, w.user, tagRestMode, ri.start, 1))
	n := r.intn(4)
	out := make([]restEpisode, 0, n)
	span := ri.endAt - ri.startAt
	for k := 0; k < n; k++ {
		ep := restEpisode{at: ri.startAt + span*int64(k+1)/int64(n+1)}
		ep.tags = append(ep.tags, r.pick(restTags))
		if r.chance(0.4) {
			if t := r.pick(restTags); t != ep.tags[0] {
				ep.tags = append(ep.tags, t)
			}
		}
		out = append(out, ep)
	}
	return out
}

func writeSession(e *enc, w *world, dd *dayData, i int) {
	p := w.planFor(dd)
	se := &p.sessions[i]
	sd := &w.sessionsOf(dd)[i]
	off := p.offset(se.start)
	e.obj()
	e.id(w, 14, dd.day, i)
	e.keyDate("day", dd.day)
	e.keyTime("end_datetime", se.end, p.offset(se.end))
	if e.key("heart_rate") {
		e.sampleInts(hrDense, sd.hr, se.start, off)
	}
	if e.key("heart_rate_variability") {
		e.sampleInts(hrDense, sd.hrv, se.start, off)
	}
	e.keyStr("mood", sd.mood)
	if e.key("motion_count") {
		e.sampleInts(hrDense, sd.motion, se.start, off)
	}
	e.keyTime("start_datetime", se.start, off)
	e.keyStr("type", se.typ)
	e.objEnd()
}

func writeSleep(e *enc, w *world, dd *dayData, i int) {
	p := w.planFor(dd)
	s := &w.sleeps(dd)[i]
	per := s.per
	off := p.offset(per.start)
	null := s.deleted
	intOr := func(k string, v int) {
		if null {
			v = -1
		}
		e.keyIntOrNull(k, v)
	}
	strOr := func(k string, b []byte) {
		if e.key(k) {
			if null || b == nil {
				e.null()
			} else {
				e.rawString(b)
			}
		}
	}
	e.obj()
	e.id(w, 15, dd.day, i)
	if e.key("average_breath") {
		if null {
			e.null()
		} else {
			e.dec(s.breath, 3)
		}
	}
	if e.key("average_heart_rate") {
		if null || s.avgHR < 0 {
			e.null()
		} else {
			e.dec(s.avgHR, 3)
		}
	}
	intOr("average_hrv", s.avgHRV)
	intOr("awake_time", s.awake)
	e.keyTime("bedtime_end", per.end, p.offset(per.end))
	e.keyTime("bedtime_start", per.start, off)
	e.keyDate("day", dd.day)
	intOr("deep_sleep_duration", s.deep)
	intOr("efficiency", s.efficiency)
	if e.key("heart_rate") {
		if null {
			e.null()
		} else {
			e.sampleInts(hrGrid, s.hr, per.start, off)
		}
	}
	if e.key("hrv") {
		if null {
			e.null()
		} else {
			e.sampleInts(hrGrid, s.hrv, per.start, off)
		}
	}
	intOr("latency", s.latency)
	intOr("light_sleep_duration", s.light)
	if e.key("low_battery_alert") {
		e.boolean(s.lowBattery)
	}
	intOr("lowest_heart_rate", s.lowHR)
	strOr("movement_30_sec", s.mv)
	e.keyInt("period", per.num)
	if e.key("readiness") {
		if rd := w.readinessOf(dd); per.typ == stLong && rd != nil {
			e.obj()
			e.readinessBody(rd)
			e.keyScore("score", rd.score)
			e.key("temperature_deviation")
			e.float(rd.tempDev, 2)
			e.key("temperature_trend_deviation")
			e.float(rd.tempTrend, 2)
			e.objEnd()
		} else {
			e.null()
		}
	}
	e.keyIntOrNull("readiness_score_delta", s.readyDelta)
	intOr("rem_sleep_duration", s.rem)
	intOr("restless_periods", s.restlessPeriods)
	e.keyStr("sleep_algorithm_version", s.algo)
	e.keyStr("sleep_analysis_reason", s.reason)
	strOr("sleep_phase_30_sec", s.s30)
	strOr("sleep_phase_5_min", s.s5)
	e.keyIntOrNull("sleep_score_delta", s.sleepDelta)
	e.keyInt("time_in_bed", int(per.end-per.start))
	intOr("total_sleep_duration", s.total)
	e.keyStr("type", sleepTypeNames[per.typ])
	e.keyStr("ring_id", w.p.ringOn(dd.day).hexID)
	strOr("app_sleep_phase_5_min", s.s5)
	e.objEnd()
}

func writeSleepTime(e *enc, w *world, dd *dayData, _ int) {
	st := w.sleepTimeOf(dd)
	e.obj()
	e.id(w, 16, dd.day, 0)
	e.keyDate("day", dd.day)
	if e.key("optimal_bedtime") {
		if st.window {
			e.obj()
			e.keyInt("day_tz", st.dayTZ)
			e.keyInt("end_offset", st.end)
			e.keyInt("start_offset", st.start)
			e.objEnd()
		} else {
			e.null()
		}
	}
	e.keyStr("recommendation", st.recommendation)
	e.keyStr("status", st.status)
	e.objEnd()
}

func writeTag(e *enc, w *world, dd *dayData, i int) {
	p := w.planFor(dd)
	t := &p.tags[i]
	e.obj()
	e.id(w, 17, dd.day, i)
	e.keyDate("day", dd.day)
	e.keyStr("text", t.text)
	e.keyTime("timestamp", t.at, p.offset(t.at))
	if e.key("tags") {
		e.arrOpen()
		for _, s := range t.tags {
			e.str(s)
		}
		e.arrEnd()
	}
	e.objEnd()
}

func writeVO2(e *enc, w *world, dd *dayData, _ int) {
	p := w.planFor(dd)
	v := w.valuesOf(dd)
	age := w.p.ageOn(dd.day, w.t.base)
	vo2 := clampI(int(w.p.vo2-0.25*float64(age-w.p.age)+2*w.drift(dd.day, 365, 5)+v.vo2Noise+0.5), 15, 80)
	e.obj()
	e.id(w, 18, dd.day, 0)
	e.keyDate("day", dd.day)
	e.keyTime("timestamp", p.vo2At, p.offset(p.vo2At))
	e.keyInt("vo2_max", vo2)
	e.objEnd()
}

func writeWorkout(e *enc, w *world, dd *dayData, i int) {
	p := w.planFor(dd)
	wo := &p.workouts[i]
	r := newRNG(streamKey(w.t.seed, w.user, tagWorkoutVal, dd.day, uint64(dd.rev)<<8|uint64(i)))
	hours := float64(wo.end-wo.start) / 3600
	met := float64(wo.met)/10 + 0.3*r.norm()
	e.obj()
	e.id(w, 19, dd.day, i)
	e.keyStr("activity", wo.activity)
	if e.key("calories") {
		e.float(clampF((met-1)*w.p.weight*hours, 10, 5000), 3)
	}
	e.keyDate("day", dd.day)
	if e.key("distance") {
		if wo.speed > 0 {
			e.float(wo.speed*(1+0.05*r.norm())*hours*3600, 1)
		} else {
			e.null()
		}
	}
	e.keyTime("end_datetime", wo.end, p.offset(wo.end))
	intensity := "easy"
	switch {
	case wo.met >= 70:
		intensity = "hard"
	case wo.met >= 45:
		intensity = "moderate"
	}
	e.keyStr("intensity", intensity)
	e.keyStr("label", wo.label)
	e.keyStr("source", wo.source)
	e.keyTime("start_datetime", wo.start, p.offset(wo.start))
	e.objEnd()
}

// writeRing writes ring_configuration document i (0 the old ring, 1 the new).
func writeRing(e *enc, w *world, i int) {
	r := &w.p.rings[i]
	e.obj()
	e.id(w, 13, 0, i)
	e.keyStr("color", r.color)
	e.keyStr("design", r.design)
	e.keyStr("firmware_version", r.firmware)
	e.keyStr("hardware_type", r.hardware)
	e.keyTime("set_up_at", r.setUpAt, 0)
	e.keyInt("size", r.size)
	e.objEnd()
}

// writePersonal writes personal_info; the email needs the email scope and
// the other fields the personal scope (null without them).
func writePersonal(e *enc, w *world, sc scopeSet) {
	p := w.p
	personal := sc.has("personal")
	e.obj()
	e.id(w, 10, 0, 0)
	if personal {
		e.keyInt("age", p.age)
		if e.key("weight") {
			e.float(p.weight, 1)
		}
		if e.key("height") {
			e.float(p.height, 2)
		}
		e.keyStr("biological_sex", p.sex)
	} else {
		e.keyIntOrNull("age", -1)
		e.keyStr("weight", "")
		e.keyStr("height", "")
		e.keyStr("biological_sex", "")
	}
	if sc.has("email") {
		e.keyStr("email", p.email)
	} else {
		e.keyStr("email", "")
	}
	e.objEnd()
}
