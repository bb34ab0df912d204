package sandbox

import (
	"fmt"
	"math"
	"time"
	_ "time/tzdata" // users live in IANA zones on machines without a zone database too
)

// homeZones are the users' home time zones, user n getting entry (n-1) mod
// len: DST in both hemispheres, half-hour offsets, zones without DST.
var homeZones = []string{
	"Europe/Helsinki", "America/Los_Angeles", "Asia/Kolkata", "Europe/Berlin", "America/New_York",
	"Australia/Sydney", "Asia/Tokyo", "Europe/London", "America/Chicago", "America/Sao_Paulo",
	"Europe/Madrid", "America/Denver", "Pacific/Auckland", "Asia/Singapore", "Africa/Johannesburg",
	"America/Toronto", "Europe/Stockholm", "Asia/Dubai", "Europe/Paris", "America/Phoenix",
}

// zoneTable holds the loaded locations, indexed like homeZones.
type zoneTable []*time.Location

func loadZones() (zoneTable, error) {
	t := make(zoneTable, len(homeZones))
	for i, name := range homeZones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			return nil, fmt.Errorf("load time zone %s: %w", name, err)
		}
		t[i] = loc
	}
	return t, nil
}

// ring is one ring of a user's ring_configuration.
type ring struct {
	color, design, hardware, firmware string
	size                              int
	setUpAt                           int64 // unix seconds
	hexID                             string
	spo2                              bool // the hardware measures SpO2
}

// profile is one user's constant traits.
type profile struct {
	user      int
	home      int // index into homeZones
	sex       string
	age       int     // at the end of the history
	weight    float64 // kg, one decimal
	height    float64 // m, two decimals
	email     string
	v1ID      string
	restHR    float64 // lowest night heart rate baseline
	hrv       float64 // night HRV baseline (ms)
	breath    float64 // breaths per minute
	sleepNeed int     // seconds
	bedtime   int     // mean bedtime, seconds from midnight (negative: the evening before)
	bedSD     float64 // seconds
	level     float64 // activity level, ~1
	targetCal int
	vo2       float64
	cvOffset  float64 // vascular age minus age
	stepLen   float64 // metres
	bmr       float64 // kcal per day
	drain     float64 // battery percent per day
	nonwear   float64 // chance of a day without wear
	travel    float64 // chance of a trip per 45-day block
	workouts  []string
	rings     [2]ring
	switchDay Date // ring 2 is worn from this day on
}

var (
	ringColors  = []string{"brushed_silver", "glossy_black", "glossy_gold", "glossy_white", "matt_gold", "rose", "silver", "stealth_black", "titanium"}
	ringColors4 = []string{"brushed_silver", "stealth_black", "silver", "rose", "titanium", "cloud", "petal", "midnight", "tide", "deep_rose"}
	workoutSets = [][]string{
		{"walking", "running", "cycling", "strength_training"},
		{"walking", "yoga", "swimming", "hiking"},
		{"walking", "running", "tennis", "cycling"},
		{"walking", "cycling", "strength_training", "hiking", "dancing"},
	}
)

func newProfile(seed uint64, user int, since, until Date) profile {
	r := newRNG(streamKey(seed, user, tagProfile, 0, 0))
	p := profile{user: user, home: (user - 1) % len(homeZones)}
	if r.chance(0.5) {
		p.sex = "female"
		p.weight = math.Round(r.uniform(50, 85)*10) / 10
		p.height = math.Round(r.uniform(1.55, 1.78)*100) / 100
		p.restHR = r.uniform(48, 62)
	} else {
		p.sex = "male"
		p.weight = math.Round(r.uniform(65, 105)*10) / 10
		p.height = math.Round(r.uniform(1.68, 1.95)*100) / 100
		p.restHR = r.uniform(44, 60)
	}
	p.age = r.between(24, 68)
	p.email = fmt.Sprintf("sandbox-user-%d@example.com", user)
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	id := make([]byte, 11)
	for i := range id {
		id[i] = alnum[r.intn(len(alnum))]
	}
	p.v1ID = string(id)
	p.hrv = r.uniform(25, 85) * (1 - float64(p.age-24)/120)
	p.breath = r.uniform(12.5, 16.5)
	p.sleepNeed = 300 * r.between(84, 102) // 7 h to 8.5 h
	p.bedtime = r.between(-5400, 1800)     // 22:30 to 00:30
	p.bedSD = r.uniform(1500, 3000)
	p.level = r.uniform(0.7, 1.35)
	p.targetCal = 50 * r.between(6, 13)
	p.vo2 = r.uniform(32, 52) - float64(p.age-30)*0.2
	p.cvOffset = r.uniform(-8, 6)
	p.stepLen = p.height * 0.415
	if p.sex == "female" {
		p.bmr = 10*p.weight + 625*p.height - 5*float64(p.age) - 161
	} else {
		p.bmr = 10*p.weight + 625*p.height - 5*float64(p.age) + 5
	}
	p.drain = r.uniform(12, 15.5)
	p.nonwear = r.uniform(0.008, 0.03)
	p.travel = r.uniform(0.25, 0.6)
	p.workouts = workoutSets[r.intn(len(workoutSets))]

	// Two rings: an old one (set up at the start of the history, or with the
	// 1970 set_up_at real responses show) and a newer one set up 60% of the
	// way through the history.
	span := int(until - since)
	p.switchDay = since + Date(span*6/10)
	old := ring{design: "heritage", size: r.between(6, 13), color: r.pick(ringColors), hardware: "gen3", firmware: "2.9.32", spo2: true}
	if r.chance(0.3) {
		old.hardware, old.firmware, old.spo2 = "gen2", "1.21.0", false
	}
	if r.chance(0.5) {
		old.setUpAt = 0
	} else {
		old.setUpAt = int64(since-1)*86400 + int64(r.between(8*3600, 20*3600))
	}
	nu := ring{design: r.pick([]string{"heritage", "horizon", "balance"}), size: old.size, color: r.pick(ringColors4),
		hardware: "gen4", firmware: "3.0.3", spo2: true}
	if r.chance(0.2) {
		nu.hardware, nu.design, nu.firmware = "gen3", "horizon", "2.11.4"
	}
	if r.chance(0.15) {
		nu.hardware, nu.firmware = "or5", "4.1.2"
	}
	if nu.design == "balance" && r.chance(0.3) {
		nu.design = "balance_diamond"
	}
	nu.setUpAt = int64(p.switchDay)*86400 + int64(r.between(7*3600, 19*3600))
	old.hexID = fmt.Sprintf("%016x%08x", r.u64(), uint32(r.u64()))
	nu.hexID = fmt.Sprintf("%016x%08x", r.u64(), uint32(r.u64()))
	p.rings = [2]ring{old, nu}
	return p
}

// ringOn returns the ring worn on day d.
func (p *profile) ringOn(d Date) *ring {
	if d >= p.switchDay {
		return &p.rings[1]
	}
	return &p.rings[0]
}

// ageOn returns the user's age on day d, given the age at until.
func (p *profile) ageOn(d, until Date) int {
	return p.age - int((until-d)/365)
}
