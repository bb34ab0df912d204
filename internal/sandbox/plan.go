package sandbox

import (
	"time"
)

// A plan is the structure of one day of one user: which sleep periods,
// workouts, sessions, wear gaps and charging happen when. It depends on
// (seed, user, day) only, never on a revision, so document counts and ids
// stay stable when values are revised.
//
// Day d owns the instants [w0, w1): from 18:00 local on d-1 (in d's zone) to
// 18:00 local on d (in d+1's zone). These windows tile time without gaps or
// overlaps even when the user travels across zones, so the wear timeline is
// a pure function of the instant. Day d's events are its night (a late nap
// on the evening of d-1, the long sleep ending on d) and its daytime.

type evKind uint8

const (
	evSleep   evKind = iota + 1 // a sleep period of any type
	evWorkout                   // a workout
	evSession                   // a guided or unguided session
	evNonwear                   // the ring is off the finger
	evCharge                    // the ring is on the charger (also off the finger)
	evLive                      // a live heart-rate check in the app
)

// event is one span of the wear timeline; idx indexes the plan's periods,
// workouts or sessions.
type event struct {
	kind       evKind
	start, end int64
	idx        int
}

// Sleep period types, as PublicSleepType spells them.
type sleepType uint8

const (
	stLong sleepType = iota + 1
	stSleep
	stLateNap
	stRest
	stDeleted
)

var sleepTypeNames = [...]string{stLong: "long_sleep", stSleep: "sleep", stLateNap: "late_nap", stRest: "rest", stDeleted: "deleted"}

// counted reports whether the type counts towards the daily sleep score
// (and appears in v1 /sleep).
func (t sleepType) counted() bool { return t == stLong || t == stSleep || t == stLateNap }

type period struct {
	typ        sleepType
	start, end int64 // time_in_bed = end - start, a multiple of 300 s
	num        int   // the v2 "period" (v1 period_id)
}

type workout struct {
	activity   string
	met        int // tenths of a MET
	start, end int64
	source     string
	label      string
	stepsPerM  int     // steps per minute
	speed      float64 // metres per second, 0 when distance is not measured
}

type session struct {
	typ        string
	start, end int64
}

type tagNote struct {
	at   int64
	text string
	tags []string
}

type enhancedTag struct {
	code, custom, comment string // "" = null
	start, end            int64  // end 0 = no duration
}

type restInfo struct {
	state      int  // v1 rest_mode_state: 0 off, 1 entering, 2 rest mode, 3 entering recovery, 4 recovering
	starts     bool // a rest mode period starts on this day
	start, end Date
	startAt    int64
	endAt      int64
}

type plan struct {
	day        Date
	zone       *time.Location
	w0, w1     int64
	nonwearDay bool // no wear at all in [w0, w1)
	nightLost  bool // the previous day was not worn, nor was this day's night
	events     []event
	periods    []period
	workouts   []workout
	sessions   []session
	long       int // index of the long sleep in periods, -1 if none
	chargeAt   int64
	chargeEnd  int64 // 0 when this is not a charge day
	rest       restInfo
	tags       []tagNote
	etags      []enhancedTag
	vo2At      int64 // 0 = no vO2_max estimate on this day
	cva        bool
}

// offset returns the UTC offset (seconds) of the plan's zone at unix.
func (p *plan) offset(unix int64) int { return offsetAt(p.zone, unix) }

// hasCounted reports whether the day has a sleep period counting towards
// daily_sleep.
func (p *plan) hasCounted() bool {
	for i := range p.periods {
		if p.periods[i].typ.counted() {
			return true
		}
	}
	return false
}

// Workout catalogue: MET range (tenths), minutes, steps per minute, speed (m/s).
type workoutKind struct {
	met0, met1, min0, min1, steps int
	speed0, speed1                float64
	labels                        []string
}

var workoutKinds = map[string]workoutKind{
	"walking":           {35, 48, 20, 75, 112, 1.2, 1.6, []string{"Lunch walk", "Dog walk"}},
	"running":           {85, 118, 20, 70, 162, 2.6, 3.8, []string{"Morning run", "Intervals"}},
	"cycling":           {60, 90, 30, 110, 0, 5.5, 8.0, []string{"Commute", "Evening ride"}},
	"strength_training": {40, 62, 30, 70, 6, 0, 0, []string{"Gym"}},
	"yoga":              {30, 38, 30, 75, 2, 0, 0, []string{"Vinyasa"}},
	"swimming":          {60, 88, 25, 60, 0, 0.5, 0.8, []string{"Pool"}},
	"hiking":            {50, 70, 60, 180, 98, 0.9, 1.3, []string{"Trail"}},
	"tennis":            {60, 80, 45, 90, 60, 0, 0, []string{"Doubles"}},
	"dancing":           {45, 65, 30, 60, 70, 0, 0, []string{"Salsa"}},
}

var (
	sessionTypes = []string{"meditation", "meditation", "breathing", "breathing", "relaxation", "body_status", "rest", "nap"}
	noteTags     = []string{"tag_generic_late_meal", "tag_generic_alcohol", "tag_generic_caffeine", "tag_generic_stress", "tag_generic_sauna", "tag_generic_nocaffeine"}
	noteTexts    = []string{"", "", "Late dinner with friends", "Long day at work", "Felt great"}
	etagCodes    = []string{"tag_generic_alcohol", "tag_generic_caffeine", "tag_generic_late_meal", "tag_generic_sauna", "tag_generic_stress", "tag_generic_meditation", "tag_generic_travel", "tag_generic_nap"}
	etagSpans    = []string{"tag_generic_sick", "tag_generic_headache", "tag_sleep_aid_melatonin", "tag_generic_menstruation"}
	etagCustom   = []string{"Cold plunge", "Late screen time", "Magnesium", "Hot bath"}
	etagComments = []string{"", "", "", "two glasses", "after dinner", "felt off"}
	restTags     = []string{"tag_generic_sick", "tag_generic_fatigue", "tag_generic_headache", "tag_generic_sore_throat", "tag_generic_fever"}
)

// zoneOf returns the index of the zone the user lives in on day d: home,
// or the destination of a trip (trips are drawn per 45-day block).
func (w *world) zoneOf(d Date) int {
	b := floorDiv(int(d), 45)
	r := newRNG(streamKey(w.t.seed, w.user, tagTrip, Date(b), 0))
	if r.chance(w.p.travel) {
		start := r.between(2, 34)
		n := r.between(3, 9)
		dest := r.intn(len(homeZones) - 1)
		if dest >= w.p.home {
			dest++
		}
		if off := int(d) - b*45; off >= start && off < start+n {
			return dest
		}
	}
	return w.p.home
}

// nonwearDay reports whether the ring was not worn on day d: single days
// now and then, and runs of a few days (the ring left at home).
func (w *world) nonwearDay(d Date) bool {
	r := newRNG(streamKey(w.t.seed, w.user, tagNonwear, d, 0))
	if r.chance(w.p.nonwear) {
		return true
	}
	b := floorDiv(int(d), 100)
	rr := newRNG(streamKey(w.t.seed, w.user, tagNonwearRun, Date(b), 0))
	if rr.chance(0.2) {
		start, n := rr.between(0, 94), rr.between(2, 5)
		off := int(d) - b*100
		return off >= start && off < start+n
	}
	return false
}

// chargeDay reports whether the ring is charged on day d (one day in every
// aligned block of four).
func (w *world) chargeDay(d Date) bool {
	b := floorDiv(int(d), 4)
	r := newRNG(streamKey(w.t.seed, w.user, tagCharge, Date(b), 0))
	return int(d)-b*4 == r.intn(4)
}

// restBlock is the length of the blocks rest mode periods are drawn in.
const restBlock = 60

// restPeriodIn returns the rest mode period of block b, if any.
func (w *world) restPeriodIn(b int) (start, end Date, startSec, endSec int, ok bool) {
	r := newRNG(streamKey(w.t.seed, w.user, tagRestMode, Date(b), 0))
	if !r.chance(0.33) {
		return 0, 0, 0, 0, false
	}
	start = Date(b*restBlock + r.between(3, restBlock-12))
	end = start + Date(r.between(0, 6))
	startSec = r.between(8*3600, 21*3600)
	endSec = r.between(7*3600, 20*3600)
	if end == start && endSec <= startSec {
		endSec = startSec + r.between(1800, 4*3600)
	}
	return start, end, startSec, endSec, true
}

// restMode returns day d's rest mode state.
func (w *world) restMode(d Date) restInfo {
	b := floorDiv(int(d), restBlock)
	for _, bb := range [2]int{b, b - 1} {
		start, end, ss, es, ok := w.restPeriodIn(bb)
		if !ok || d < start || d > end+2 {
			continue
		}
		ri := restInfo{start: start, end: end, starts: d == start}
		ri.startAt = start.at(w.loc(start), ss)
		ri.endAt = end.at(w.loc(end), es)
		switch {
		case d == start:
			ri.state = 1
		case d < end:
			ri.state = 2
		case d == end:
			ri.state = 3
		default:
			ri.state = 4
		}
		return ri
	}
	return restInfo{}
}

// loc returns the location of day d.
func (w *world) loc(d Date) *time.Location { return w.t.zones[w.zoneOf(d)] }

// buildPlan draws the structure of day d.
func (w *world) buildPlan(d Date) *plan {
	p := &plan{day: d, long: -1}
	p.zone = w.loc(d)
	p.w0 = d.at(p.zone, -6*3600)
	p.w1 = (d + 1).at(w.loc(d+1), -6*3600)
	r := newRNG(streamKey(w.t.seed, w.user, tagPlan, d, 0))
	pr := w.p
	at := func(sec int) int64 { return d.at(p.zone, sec) }
	p.rest = w.restMode(d)
	resting := p.rest.state == 1 || p.rest.state == 2 || p.rest.state == 3
	p.nonwearDay = w.nonwearDay(d)
	p.nightLost = !p.nonwearDay && w.nonwearDay(d-1)
	charge := w.chargeDay(d)

	// Draws that do not depend on the branch taken below come first, so the
	// other draws stay put when a neighbouring day's wear changes.
	bedJitter, durJitter, secJitter := r.norm(), r.norm(), r.intn(60)
	lateNap, lateNapAt, lateNapLen := r.chance(0.03), r.intn(3600), r.between(4, 12)
	tagDraw := r.float()

	if p.nonwearDay {
		p.events = append(p.events, event{kind: evNonwear, start: p.w0, end: p.w1})
		if charge {
			p.chargeAt = at(9*3600 + r.intn(7200))
			p.chargeEnd = p.chargeAt + int64(300*r.between(10, 18))
		}
		w.addNotes(p, &r, tagDraw)
		return p
	}

	var wake int64
	if p.nightLost {
		wake = min(at(7*3600+r.intn(7200)), p.w1)
		p.events = append(p.events, event{kind: evNonwear, start: p.w0, end: wake})
	} else {
		weekend := 0
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			weekend = 1
		}
		bt := pr.bedtime + int(bedJitter*pr.bedSD) + weekend*2400
		bt = clampI(bt, -3*3600, 9000)
		dur := pr.sleepNeed + int(durJitter*2400) - 900 + weekend*2700
		if resting {
			dur += 3600
		}
		dur = clampI(dur, 4*3600, 11*3600) / 300 * 300
		start := at(bt) + int64(secJitter)
		end := start + int64(dur)
		if latest := at(11 * 3600); end > latest {
			end = start + (latest-start)/300*300
		}
		if lateNap {
			ns := at(-5*3600-1800+lateNapAt) + int64(secJitter)
			ne := ns + int64(300*lateNapLen)
			if ne+45*60 <= start {
				w.addPeriod(p, stLateNap, ns, ne)
			}
		}
		p.long = len(p.periods)
		if !w.addPeriod(p, stLong, start, end) {
			p.long = -1
		}
		wake = end
	}

	cur := max(wake+int64(300*r.between(3, 9)), p.w0)
	if charge {
		p.chargeAt = cur
		p.chargeEnd = cur + int64(300*r.between(10, 18))
		cur = p.chargeEnd + int64(300*r.between(1, 6))
	}
	lim := p.w1 - 60
	if charge && p.chargeEnd <= lim {
		p.events = append(p.events, event{kind: evCharge, start: p.chargeAt, end: p.chargeEnd})
	}

	// Morning: a workout or a session.
	switch m := r.float(); {
	case !resting && m < 0.22*pr.level:
		cur = w.addWorkout(p, &r, cur+int64(r.intn(3600)), lim)
	case m < 0.36:
		cur = w.addSession(p, &r, cur+int64(r.intn(3600)), lim)
	}
	// The ring off the finger for a while (shower, dishes, sports).
	if r.chance(0.25) {
		s := cur + int64(r.between(600, 7200))
		e := s + int64(r.between(900, 5400))
		if e <= lim {
			p.events = append(p.events, event{kind: evNonwear, start: s, end: e})
			cur = e
		}
	}
	// Midday: a nap, a rest period, or a period the user deleted.
	var midType sleepType
	switch m := r.float(); {
	case m < 0.07 || (resting && m < 0.3):
		midType = stSleep
	case m < 0.105:
		midType = stRest
	case m < 0.117:
		midType = stDeleted
	}
	if midType != 0 {
		s := max(cur, at(13*3600)) + int64(r.intn(5400))
		blocks := r.between(4, 18) // a nap: 20 to 90 minutes
		switch midType {
		case stRest:
			blocks = r.between(6, 12)
		case stDeleted:
			blocks = r.between(3, 8)
		}
		e := s + int64(300*blocks)
		if e <= lim && w.addPeriod(p, midType, s, e) {
			cur = e + 900
		}
	}
	// A live heart-rate check.
	if r.chance(0.08) {
		s := cur + int64(r.between(300, 3600))
		e := s + int64(r.between(60, 180))
		if e <= lim {
			p.events = append(p.events, event{kind: evLive, start: s, end: e})
			cur = e
		}
	}
	// Afternoon: a workout, then maybe a session.
	if !resting && r.chance(0.32*pr.level) {
		cur = w.addWorkout(p, &r, max(cur, at(16*3600))+int64(r.intn(2700)), lim)
	}
	if r.chance(0.12) {
		w.addSession(p, &r, cur+int64(r.between(600, 3600)), lim)
	}

	p.cva = r.chance(0.85)
	for i := range p.workouts {
		if a := p.workouts[i].activity; (a == "walking" || a == "running" || a == "hiking") && r.chance(0.3) {
			p.vo2At = p.workouts[i].end + int64(r.between(300, 1800))
			break
		}
	}
	w.addNotes(p, &r, tagDraw)
	w.numberPeriods(p)
	return p
}

// addPeriod adds a sleep period if it lies inside the day's window.
func (w *world) addPeriod(p *plan, t sleepType, start, end int64) bool {
	if start < p.w0 || end > p.w1 || end-start < 300 {
		return false
	}
	p.events = append(p.events, event{kind: evSleep, start: start, end: end, idx: len(p.periods)})
	p.periods = append(p.periods, period{typ: t, start: start, end: end})
	return true
}

// addWorkout adds a workout starting at s if it fits before lim and returns
// the new cursor.
func (w *world) addWorkout(p *plan, r *rng, s, lim int64) int64 {
	act := r.pick(w.p.workouts)
	if r.chance(0.35) {
		act = "walking"
	}
	k := workoutKinds[act]
	wo := workout{activity: act, met: r.between(k.met0, k.met1), stepsPerM: k.steps, start: s}
	wo.end = s + int64(60*r.between(k.min0, k.min1)) + int64(r.intn(60))
	if k.speed1 > 0 {
		wo.speed = r.uniform(k.speed0, k.speed1)
	}
	switch x := r.float(); {
	case act == "walking" && x < 0.6, act != "walking" && x < 0.2:
		wo.source = "autodetected"
	case x < 0.75:
		wo.source = "confirmed"
	case x < 0.9:
		wo.source = "manual"
	default:
		wo.source = "workout_heart_rate"
	}
	if r.chance(0.1) {
		wo.label = r.pick(k.labels)
	}
	if wo.end > lim {
		wo.end = lim
		if wo.end-wo.start < 15*60 {
			return s
		}
	}
	if s < p.w0 {
		return s
	}
	p.events = append(p.events, event{kind: evWorkout, start: wo.start, end: wo.end, idx: len(p.workouts)})
	p.workouts = append(p.workouts, wo)
	return wo.end + int64(r.between(900, 2700))
}

// addSession adds a session starting at s if it fits before lim.
func (w *world) addSession(p *plan, r *rng, s, lim int64) int64 {
	se := session{typ: r.pick(sessionTypes), start: s}
	se.end = s + int64(60*r.between(5, 25))
	if se.typ == "nap" {
		se.end = s + int64(60*r.between(15, 30))
	}
	if se.end > lim || s < p.w0 {
		return s
	}
	p.events = append(p.events, event{kind: evSession, start: se.start, end: se.end, idx: len(p.sessions)})
	p.sessions = append(p.sessions, se)
	return se.end + int64(r.between(600, 1800))
}

// numberPeriods assigns the v2 "period" numbers: the periods that count
// (long sleep, naps, late naps) first in chronological order, then rest and
// deleted ones, so v1's period_id (which only saw counted periods) equals it.
func (w *world) numberPeriods(p *plan) {
	n := 0
	for pass := 0; pass < 2; pass++ {
		for i := range p.periods {
			if p.periods[i].typ.counted() == (pass == 0) {
				p.periods[i].num = n
				n++
			}
		}
	}
}

// addNotes draws the day's tags and enhanced tags.
func (w *world) addNotes(p *plan, r *rng, draw float64) {
	d := p.day
	at := func(sec int) int64 { return d.at(p.zone, sec) }
	if draw < 0.06 {
		n := tagNote{at: at(r.between(19*3600, 22*3600)), text: r.pick(noteTexts)}
		n.tags = append(n.tags, r.pick(noteTags))
		if r.chance(0.3) {
			if t := r.pick(noteTags); t != n.tags[0] {
				n.tags = append(n.tags, t)
			}
		}
		p.tags = append(p.tags, n)
	}
	if r.chance(0.22) {
		k := 1 + r.intn(2)
		var last int64
		for i := 0; i < k; i++ {
			t := enhancedTag{start: at(r.between(8*3600, 22*3600))}
			if t.start <= last {
				t.start = last + 60
			}
			switch x := r.float(); {
			case x < 0.6:
				t.code = r.pick(etagCodes)
			case x < 0.8:
				t.code = r.pick(etagSpans)
				t.end = t.start + int64(r.between(1800, 30*3600))
			case x < 0.92:
				t.code, t.custom = "custom", r.pick(etagCustom)
			default:
				t.comment = "Notes: " + r.pick([]string{"slept badly", "big meeting", "travel day"})
			}
			if t.comment == "" {
				t.comment = r.pick(etagComments)
			}
			last = t.start
			p.etags = append(p.etags, t)
		}
	}
}
