package sandbox

import (
	"math"
)

// truth is the immutable part of the synthetic world: seed, history start,
// users and their zones. The mutable parts (history end, revisions) live on
// the Server and are snapshotted into each world.
type truth struct {
	seed     uint64
	since    Date
	base     Date // the history end when the server was made: ages and ring dates hang off it
	zones    zoneTable
	profiles []profile
	ids      idCodec
}

// cacheSlots bounds the days a world keeps: enough for the longest look-back
// (two weeks of balances plus a battery charge cycle) and a few days ahead.
const cacheSlots = 64

// world computes one user's days on demand for one request (or one
// Documents walk), memoising each day at most once while it is in reach.
// Memory is bounded by cacheSlots days, whatever the history length.
type world struct {
	t       *truth
	p       *profile
	user    int
	until   Date
	rev     func(Date) int // the revision of a day (0 = original)
	slots   [cacheSlots]*dayData
	revised map[Date]*dayData
}

func newWorld(t *truth, user int, until Date, rev func(Date) int) *world {
	if rev == nil {
		rev = func(Date) int { return 0 }
	}
	return &world{t: t, p: &t.profiles[user-1], user: user, until: until, rev: rev}
}

// dayData is everything computed about one day at one revision.
type dayData struct {
	day  Date
	rev  int
	plan *plan
	vals *dayValues

	sleeps  []sleepDetail
	sleepOK bool
	ds      *dailySleep
	dsOK    bool
	act     *activity
	ascore  *activityScore
	rd      *readiness
	rdOK    bool
	stress  *stress
	stOK    bool
	hr      []hrRow
	hrOK    bool
	sess    []sessionDetail
	sessOK  bool
}

// base returns the original (revision 0) data of day d; look-backs use it so
// that revising a day changes that day's documents only.
func (w *world) base(d Date) *dayData {
	i := floorMod(int(d), cacheSlots)
	if dd := w.slots[i]; dd != nil && dd.day == d {
		return dd
	}
	dd := &dayData{day: d}
	w.slots[i] = dd
	return dd
}

// day returns the data of day d at its current revision.
func (w *world) day(d Date) *dayData {
	rev := w.rev(d)
	if rev == 0 {
		return w.base(d)
	}
	if dd, ok := w.revised[d]; ok && dd.rev == rev {
		return dd
	}
	if w.revised == nil {
		w.revised = map[Date]*dayData{}
	}
	dd := &dayData{day: d, rev: rev}
	w.revised[d] = dd
	return dd
}

// planOf returns the structure of day d (shared by all revisions).
func (w *world) planOf(d Date) *plan {
	b := w.base(d)
	if b.plan == nil {
		b.plan = w.buildPlan(d)
	}
	return b.plan
}

func (w *world) planFor(dd *dayData) *plan {
	if dd.plan == nil {
		dd.plan = w.planOf(dd.day)
	}
	return dd.plan
}

// inHistory reports whether day d is served.
func (w *world) inHistory(d Date) bool { return d >= w.t.since && d <= w.until }

// dayValues are a day's scalar values: they change with revisions.
type dayValues struct {
	tempDev   float64 // °C
	hrShift   float64 // bpm added to the night's heart rate
	hrvFactor float64
	breath    float64
	stress    float64 // share of awake time in high stress
	recovery  float64 // share of awake time in high recovery
	spo2      float64
	bdi       int
	spo2Null  bool
	cvNoise   float64
	vo2Noise  float64
	actLevel  float64
}

// drift is a slow deterministic wave in [-1, 1] (seasons, fitness phases).
func (w *world) drift(d Date, period float64, phaseTag uint64) float64 {
	r := newRNG(streamKey(w.t.seed, w.user, tagDrift, 0, phaseTag))
	ph := r.uniform(0, 2*math.Pi)
	return math.Sin(2*math.Pi*float64(d)/period + ph)
}

func (w *world) valuesOf(dd *dayData) *dayValues {
	if dd.vals != nil {
		return dd.vals
	}
	d := dd.day
	r := newRNG(streamKey(w.t.seed, w.user, tagDayVal, d, uint64(dd.rev)))
	p := w.planFor(dd)
	v := &dayValues{}
	v.tempDev = 0.12*r.norm() + 0.08*w.drift(d, 41, 1)
	if w.p.sex == "female" {
		v.tempDev += 0.25 * math.Sin(2*math.Pi*float64(d)/28.5)
	}
	v.hrShift = 0.9*r.norm() + 2*w.drift(d, 365, 2)
	v.hrvFactor = (1 + 0.1*r.norm()) * (1 + 0.08*w.drift(d, 365, 3))
	if st := p.rest.state; st >= 1 && st <= 3 {
		v.tempDev += 0.7 + 0.2*r.float()
		v.hrShift += 4
		v.hrvFactor *= 0.75
	}
	v.tempDev = math.Round(v.tempDev*100) / 100
	v.breath = math.Round((w.p.breath+0.35*r.norm())*8) / 8
	v.stress = clampF(0.14+0.08*r.norm(), 0.01, 0.5)
	v.recovery = clampF(0.18+0.09*r.norm(), 0.01, 0.6)
	v.spo2 = math.Round(clampF(96.6+0.9*r.norm(), 90, 99.9)*1000) / 1000
	v.bdi = clampI(int(math.Round(math.Exp(1.8+0.7*r.norm()))), 0, 60)
	v.spo2Null = r.chance(0.04)
	v.cvNoise = 0.4 * r.norm()
	v.vo2Noise = 0.8 * r.norm()
	v.actLevel = clampF(w.p.level*(1+0.25*r.norm()), 0.3, 2)
	dd.vals = v
	return v
}
