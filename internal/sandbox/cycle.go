package sandbox

// daily_cycle_phases: one document a day, {id, day, phase}, for the users
// whose cycle Oura's Cycle Insights follows (women under 52), on the days
// the ring was worn. Oura does not publish the model; the phase names are
// those third-party clients read (menstrual, follicular, ovulatory,
// luteal). The cycle is drawn once per user from a stream of its own, so
// it changes no other document, and a revision leaves it as it is (Oura
// estimates the phases from the temperature trend, not from one day).

var cyclePhases = [...]string{"menstrual", "follicular", "ovulatory", "luteal"}

// cycle is a user's menstrual cycle: its length in days and the day one of
// its cycles started.
type cycle struct {
	length int
	start  Date
}

// cycleOf returns the user's cycle; ok is false for users without one.
func (w *world) cycleOf() (cycle, bool) {
	if w.p.sex != "female" || w.p.age >= 52 {
		return cycle{}, false
	}
	r := newRNG(streamKey(w.t.seed, w.user, tagCycle, 0, 0))
	c := cycle{length: r.between(26, 32)}
	c.start = w.t.since - Date(r.intn(c.length))
	return c, true
}

// phaseOn returns the phase of day d: five days of menstruation, the
// follicular phase up to the three ovulatory days around day length-14,
// then the luteal phase.
func (c cycle) phaseOn(d Date) string {
	i := floorMod(int(d-c.start), c.length)
	ovulation := c.length - 14
	switch {
	case i < 5:
		return cyclePhases[0]
	case i < ovulation-1:
		return cyclePhases[1]
	case i <= ovulation+1:
		return cyclePhases[2]
	}
	return cyclePhases[3]
}

func countCyclePhases(w *world, dd *dayData) int {
	if _, ok := w.cycleOf(); !ok || w.planFor(dd).nonwearDay {
		return 0
	}
	return 1
}

func writeCyclePhases(e *enc, w *world, dd *dayData, _ int) {
	c, _ := w.cycleOf()
	e.obj()
	e.id(w, 20, dd.day, 0)
	e.keyDate("day", dd.day)
	e.keyStr("phase", c.phaseOn(dd.day))
	e.objEnd()
}
