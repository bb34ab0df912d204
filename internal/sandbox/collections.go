package sandbox

// collKind says how a collection is queried.
type collKind uint8

const (
	kindDaily    collKind = iota + 1 // start_date/end_date; documents belong to days
	kindSeries                       // start_datetime/end_datetime; rows are instants
	kindStatic                       // ring_configuration: no dates
	kindPersonal                     // personal_info: one bare object
)

// collection describes one v2 usercollection route.
type collection struct {
	name  string
	code  uint8 // in document ids
	kind  collKind
	scope string // the scope the route needs ("" = any token)
	alt   string // another scope that also grants it
	// count returns the number of documents day d has (kindDaily); write
	// encodes document i of day dd.
	count func(w *world, dd *dayData) int
	write func(e *enc, w *world, dd *dayData, i int)
	// series returns day dd's rows (kindSeries).
	series func(w *world, dd *dayData) rowSet
}

// rowSet is one day of a time series.
type rowSet interface {
	len() int
	ms(i int) int64
	write(e *enc, i int)
}

// collections lists the v2 collections in the order of API-NOTES 2.3, then
// those Oura serves outside openapi-1.35.
var collections = []*collection{
	{name: "daily_activity", code: 1, kind: kindDaily, scope: "daily", count: countDailyActivity, write: writeDailyActivity},
	{name: "daily_cardiovascular_age", code: 2, kind: kindDaily, scope: "heart_health", count: countCVA, write: writeCVA},
	{name: "daily_readiness", code: 3, kind: kindDaily, scope: "daily", count: countLong, write: writeDailyReadiness},
	{name: "daily_resilience", code: 4, kind: kindDaily, scope: "heart_health", count: countLong, write: writeResilience},
	{name: "daily_sleep", code: 5, kind: kindDaily, scope: "daily", count: countDailySleep, write: writeDailySleep},
	{name: "daily_spo2", code: 6, kind: kindDaily, scope: "spo2", count: countLong, write: writeSpO2},
	{name: "daily_stress", code: 7, kind: kindDaily, scope: "stress", count: countWorn, write: writeStress},
	{name: "enhanced_tag", code: 8, kind: kindDaily, scope: "tag", count: countEnhancedTags, write: writeEnhancedTag},
	{name: "heartrate", code: 9, kind: kindSeries, scope: "heartrate", series: heartSeries},
	{name: "personal_info", code: 10, kind: kindPersonal},
	{name: "rest_mode_period", code: 11, kind: kindDaily, scope: "daily", count: countRestMode, write: writeRestMode},
	{name: "ring_battery_level", code: 12, kind: kindSeries, scope: "daily", series: batterySeries},
	{name: "ring_configuration", code: 13, kind: kindStatic, scope: "daily", alt: "ring_configuration"},
	{name: "session", code: 14, kind: kindDaily, scope: "session", count: countSessions, write: writeSession},
	{name: "sleep", code: 15, kind: kindDaily, scope: "daily", count: countSleeps, write: writeSleep},
	{name: "sleep_time", code: 16, kind: kindDaily, scope: "daily", count: countEveryDay, write: writeSleepTime},
	{name: "tag", code: 17, kind: kindDaily, scope: "tag", count: countTags, write: writeTag},
	{name: "vO2_max", code: 18, kind: kindDaily, scope: "heart_health", count: countVO2, write: writeVO2},
	{name: "workout", code: 19, kind: kindDaily, scope: "workout", count: countWorkouts, write: writeWorkout},
	// Served outside openapi-1.35 (cycle.go, interbeat.go).
	{name: "daily_cycle_phases", code: 20, kind: kindDaily, scope: "reproductive_cycle", count: countCyclePhases, write: writeCyclePhases},
	{name: "interbeat_interval", code: 21, kind: kindSeries, scope: "interbeat_interval", series: interbeatSeries},
}

// CollectionNames returns the names of the v2 collections the sandbox serves.
func CollectionNames() []string {
	out := make([]string, len(collections))
	for i, c := range collections {
		out[i] = c.name
	}
	return out
}

// CollectionScopes returns the scopes that grant each v2 collection the
// sandbox serves (any of them does); personal_info, which any token reads,
// has none.
func CollectionScopes() map[string][]string {
	out := map[string][]string{}
	for _, c := range collections {
		var sc []string
		if c.scope != "" {
			sc = append(sc, c.scope)
		}
		if c.alt != "" {
			sc = append(sc, c.alt)
		}
		out[c.name] = sc
	}
	return out
}

func collectionByName(name string) *collection {
	for _, c := range collections {
		if c.name == name {
			return c
		}
	}
	return nil
}

func collectionByCode(code uint8) *collection {
	for _, c := range collections {
		if c.code == code {
			return c
		}
	}
	return nil
}

func countEveryDay(w *world, dd *dayData) int { return 1 }

func countDailyActivity(w *world, dd *dayData) int { return 1 }

func countLong(w *world, dd *dayData) int {
	if w.planFor(dd).long >= 0 {
		return 1
	}
	return 0
}

func countDailySleep(w *world, dd *dayData) int {
	if w.planFor(dd).hasCounted() {
		return 1
	}
	return 0
}

func countWorn(w *world, dd *dayData) int {
	if w.planFor(dd).nonwearDay {
		return 0
	}
	return 1
}

func countCVA(w *world, dd *dayData) int {
	if p := w.planFor(dd); p.cva && !p.nonwearDay {
		return 1
	}
	return 0
}

func countVO2(w *world, dd *dayData) int {
	if w.planFor(dd).vo2At != 0 {
		return 1
	}
	return 0
}

func countRestMode(w *world, dd *dayData) int {
	if w.planFor(dd).rest.starts {
		return 1
	}
	return 0
}

func countSleeps(w *world, dd *dayData) int       { return len(w.planFor(dd).periods) }
func countWorkouts(w *world, dd *dayData) int     { return len(w.planFor(dd).workouts) }
func countSessions(w *world, dd *dayData) int     { return len(w.planFor(dd).sessions) }
func countTags(w *world, dd *dayData) int         { return len(w.planFor(dd).tags) }
func countEnhancedTags(w *world, dd *dayData) int { return len(w.planFor(dd).etags) }
