package sandbox

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// Test-side views of the documents (the sandbox itself has no wire types).
type sampleDoc struct {
	Interval  float64    `json:"interval"`
	Items     []*float64 `json:"items"`
	Timestamp string     `json:"timestamp"`
}

type sleepDoc struct {
	ID           string     `json:"id"`
	Day          string     `json:"day"`
	Type         string     `json:"type"`
	Period       int        `json:"period"`
	BedtimeStart string     `json:"bedtime_start"`
	BedtimeEnd   string     `json:"bedtime_end"`
	TimeInBed    int        `json:"time_in_bed"`
	Total        *int       `json:"total_sleep_duration"`
	Awake        *int       `json:"awake_time"`
	Deep         *int       `json:"deep_sleep_duration"`
	Light        *int       `json:"light_sleep_duration"`
	REM          *int       `json:"rem_sleep_duration"`
	Latency      *int       `json:"latency"`
	Efficiency   *int       `json:"efficiency"`
	Phase5       *string    `json:"sleep_phase_5_min"`
	Phase30      *string    `json:"sleep_phase_30_sec"`
	App5         *string    `json:"app_sleep_phase_5_min"`
	Movement     *string    `json:"movement_30_sec"`
	HeartRate    *sampleDoc `json:"heart_rate"`
	HRV          *sampleDoc `json:"hrv"`
	AvgHR        *float64   `json:"average_heart_rate"`
	LowHR        *int       `json:"lowest_heart_rate"`
	AvgHRV       *int       `json:"average_hrv"`
	AvgBreath    *float64   `json:"average_breath"`
	Readiness    *struct {
		Score *int `json:"score"`
	} `json:"readiness"`
	RingID string `json:"ring_id"`
}

type activityDoc struct {
	ID           string          `json:"id"`
	Day          string          `json:"day"`
	Class        string          `json:"class_5_min"`
	Met          sampleDoc       `json:"met"`
	Score        *int            `json:"score"`
	Contributors map[string]*int `json:"contributors"`
	NonWear      int             `json:"non_wear_time"`
	Resting      int             `json:"resting_time"`
	Sedentary    int             `json:"sedentary_time"`
	Low          int             `json:"low_activity_time"`
	Medium       int             `json:"medium_activity_time"`
	High         int             `json:"high_activity_time"`
	SedMET       int             `json:"sedentary_met_minutes"`
	LowMET       int             `json:"low_activity_met_minutes"`
	MediumMET    int             `json:"medium_activity_met_minutes"`
	HighMET      int             `json:"high_activity_met_minutes"`
	AvgMET       float64         `json:"average_met_minutes"`
	Timestamp    string          `json:"timestamp"`
	Steps        int             `json:"steps"`
	Active       int             `json:"active_calories"`
	Total        int             `json:"total_calories"`
	TargetM      int             `json:"target_meters"`
	ToTarget     int             `json:"meters_to_target"`
	EWD          int             `json:"equivalent_walking_distance"`
	Alerts       int             `json:"inactivity_alerts"`
	TargetCal    int             `json:"target_calories"`
}

type scoredDoc struct {
	ID           string          `json:"id"`
	Day          string          `json:"day"`
	Score        *int            `json:"score"`
	Contributors map[string]*int `json:"contributors"`
	Timestamp    string          `json:"timestamp"`
	TempDev      *float64        `json:"temperature_deviation"`
	TempTrend    *float64        `json:"temperature_trend_deviation"`
}

type hrDoc struct {
	Timestamp string `json:"timestamp"`
	Unix      int64  `json:"timestamp_unix"`
	BPM       int    `json:"bpm"`
	Source    string `json:"source"`
}

// docs decodes every document of a collection of user over the days
// [from, to] into T.
func docs[T any](t testing.TB, s *Server, user int, coll string, from, to Date) []T {
	t.Helper()
	var out []T
	for raw, err := range s.Documents(user, coll, dayTime(from), dayTime(to+1)) {
		if err != nil {
			t.Fatal(err)
		}
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v: %.300s", coll, err, raw)
		}
		out = append(out, v)
	}
	return out
}

func dayTime(d Date) time.Time {
	y, m, dd := d.civil()
	return time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC)
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

func count(s string, c byte) int { return strings.Count(s, string(c)) }

// TestSleepDocumentsAreConsistent checks that every sleep document follows
// from its own hypnogram and samples.
func TestSleepDocumentsAreConsistent(t *testing.T) {
	s := mustNew(t, Options{Since: testSince, Until: testUntil})
	types := map[string]int{}
	for user := 1; user <= s.Users(); user++ {
		periods := map[string]map[int]bool{}
		for _, d := range docs[sleepDoc](t, s, user, "sleep", testSince, testUntil) {
			types[d.Type]++
			start, end := mustTime(t, d.BedtimeStart), mustTime(t, d.BedtimeEnd)
			if got := int(end.Sub(start) / time.Second); got != d.TimeInBed {
				t.Fatalf("%s: time_in_bed %d, bedtimes %d apart", d.ID, d.TimeInBed, got)
			}
			if periods[d.Day] == nil {
				periods[d.Day] = map[int]bool{}
			}
			if periods[d.Day][d.Period] {
				t.Fatalf("%s: period %d twice on %s", d.ID, d.Period, d.Day)
			}
			periods[d.Day][d.Period] = true
			if (d.Readiness != nil) != (d.Type == "long_sleep") {
				t.Errorf("%s: %s with readiness %v", d.ID, d.Type, d.Readiness != nil)
			}
			if d.Type == "long_sleep" && end.Format(time.DateOnly) != d.Day {
				t.Errorf("%s: long sleep ending %s has day %s", d.ID, d.BedtimeEnd, d.Day)
			}
			if d.Type == "deleted" {
				if d.Phase5 != nil || d.Total != nil || d.HeartRate != nil {
					t.Errorf("%s: deleted period with metrics", d.ID)
				}
				continue
			}
			p5, p30, mv := *d.Phase5, *d.Phase30, *d.Movement
			if len(p5)*300 != d.TimeInBed || len(p30) != 10*len(p5) || len(mv) != len(p30) || *d.App5 != p5 {
				t.Fatalf("%s: string lengths %d/%d/%d for %d s", d.ID, len(p5), len(p30), len(mv), d.TimeInBed)
			}
			for i, want := range map[byte]*int{'1': d.Deep, '2': d.Light, '3': d.REM, '4': d.Awake} {
				if c30, c5 := count(p30, i)*30, count(p5, i)*300; c30 != *want || c5 != *want {
					t.Fatalf("%s: phase %c: %d s, 30-s string %d s, 5-min string %d s", d.ID, i, *want, c30, c5)
				}
			}
			if *d.Total != *d.Deep+*d.Light+*d.REM || *d.Total+*d.Awake != d.TimeInBed {
				t.Fatalf("%s: durations do not add up", d.ID)
			}
			if want := int(math.Round(100 * float64(*d.Total) / float64(d.TimeInBed))); max(want, 1) != *d.Efficiency {
				t.Errorf("%s: efficiency %d, want %d", d.ID, *d.Efficiency, want)
			}
			if lead := len(p30) - len(strings.TrimLeft(p30, "4")); lead*30 != *d.Latency {
				t.Errorf("%s: latency %d, leading awake %d s", d.ID, *d.Latency, lead*30)
			}
			hr := d.HeartRate
			if hr.Interval != 300 || len(hr.Items) != len(p5) || len(d.HRV.Items) != len(p5) || hr.Timestamp[:19] != d.BedtimeStart[:19] {
				t.Fatalf("%s: heart rate sample %v/%d items/%s", d.ID, hr.Interval, len(hr.Items), hr.Timestamp)
			}
			var sum, n float64
			low := math.Inf(1)
			for _, x := range hr.Items {
				if x != nil {
					sum += *x
					n++
					low = math.Min(low, *x)
				}
			}
			if n > 0 && (math.Abs(sum/n-*d.AvgHR) > 0.001 || int(low) != *d.LowHR) {
				t.Errorf("%s: average %v lowest %v, items say %v and %v", d.ID, *d.AvgHR, *d.LowHR, sum/n, low)
			}
		}
	}
	for _, typ := range []string{"long_sleep", "sleep", "late_nap", "rest", "deleted"} {
		if types[typ] == 0 && typ != "deleted" && typ != "late_nap" {
			t.Errorf("no %s periods in the test history (types %v)", typ, types)
		}
	}
}

func mustNew(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// metRange are the MET bounds (tenths) of each activity class.
var metRange = map[byte][2]int{'0': {9, 9}, '1': {9, 10}, '2': {11, 19}, '3': {20, 29}, '4': {30, 59}, '5': {60, 160}}

// TestActivityIsConsistent checks the class string, the MET series and the
// totals of daily_activity against each other, and the score against its
// contributors.
func TestActivityIsConsistent(t *testing.T) {
	s := mustNew(t, Options{Since: testSince, Until: testUntil})
	nonWear := 0
	for user := 1; user <= s.Users(); user++ {
		for _, d := range docs[activityDoc](t, s, user, "daily_activity", testSince, testUntil) {
			if len(d.Class) != 288 || len(d.Met.Items) != 1440 || d.Met.Interval != 60 {
				t.Fatalf("%s: %d classes, %d METs", d.Day, len(d.Class), len(d.Met.Items))
			}
			if !strings.HasPrefix(d.Timestamp, d.Day+"T04:00:00") || !strings.HasPrefix(d.Met.Timestamp, d.Day+"T04:00:00.000") {
				t.Errorf("%s: timestamps %s %s", d.Day, d.Timestamp, d.Met.Timestamp)
			}
			var metSum [6]int // tenths
			var all float64
			for i, x := range d.Met.Items {
				c := d.Class[i/5]
				v := int(math.Round(*x * 10))
				if r := metRange[c]; v < r[0] || v > r[1] {
					t.Fatalf("%s: minute %d MET %v outside class %c", d.Day, i, *x, c)
				}
				metSum[c-'0'] += v
				all += *x
			}
			times := [6]int{d.NonWear, d.Resting, d.Sedentary, d.Low, d.Medium, d.High}
			sum := 0
			for c := 0; c < 6; c++ {
				if times[c] != count(d.Class, byte('0'+c))*300 {
					t.Fatalf("%s: class %d time %d, string says %d", d.Day, c, times[c], count(d.Class, byte('0'+c))*300)
				}
				sum += times[c]
			}
			if sum != 86400 {
				t.Fatalf("%s: times add up to %d", d.Day, sum)
			}
			for c, got := range map[int]int{2: d.SedMET, 3: d.LowMET, 4: d.MediumMET, 5: d.HighMET} {
				if want := int(math.Round(float64(metSum[c]) / 10)); got != want {
					t.Fatalf("%s: class %d MET-minutes %d, series says %d", d.Day, c, got, want)
				}
			}
			if math.Abs(all/1440-d.AvgMET) > 0.001 {
				t.Errorf("%s: average MET %v, series says %v", d.Day, d.AvgMET, all/1440)
			}
			if d.ToTarget != d.TargetM-d.EWD || d.Total < d.Active {
				t.Errorf("%s: targets or calories inconsistent", d.Day)
			}
			if d.NonWear == 86400 {
				nonWear++
				if d.Score != nil || d.Contributors["stay_active"] != nil {
					t.Errorf("%s: a day without wear has a score", d.Day)
				}
				continue
			}
			c := d.Contributors
			want := score(0.15*float64(*c["stay_active"]) + 0.10*float64(*c["move_every_hour"]) + 0.25*float64(*c["meet_daily_targets"]) +
				0.10*float64(*c["training_frequency"]) + 0.15*float64(*c["training_volume"]) + 0.25*float64(*c["recovery_time"]))
			if d.Score == nil || *d.Score != want {
				t.Errorf("%s: activity score %v, contributors give %d", d.Day, d.Score, want)
			}
		}
	}
	if nonWear == 0 {
		t.Error("no day without wear in the test history")
	}
}

// TestScoresFollowContributors checks daily_sleep and daily_readiness
// scores against their contributors.
func TestScoresFollowContributors(t *testing.T) {
	s := mustNew(t, Options{Since: testSince, Until: testUntil})
	weights := map[string]float64{"activity_balance": 10, "body_temperature": 10, "hrv_balance": 15, "previous_day_activity": 10,
		"previous_night": 15, "recovery_index": 10, "resting_heart_rate": 15, "sleep_balance": 15, "sleep_regularity": 5}
	for user := 1; user <= s.Users(); user++ {
		for _, d := range docs[scoredDoc](t, s, user, "daily_sleep", testSince, testUntil) {
			c := d.Contributors
			want := score(0.35*float64(*c["total_sleep"]) + 0.15*float64(*c["restfulness"]) + 0.10*float64(*c["efficiency"]+*c["latency"]+*c["rem_sleep"]+*c["deep_sleep"]+*c["timing"]))
			if d.Score == nil || *d.Score != want {
				t.Errorf("daily_sleep %s: score %v, contributors give %d", d.Day, d.Score, want)
			}
			if d.Timestamp != d.Day+"T00:00:00+00:00" {
				t.Errorf("daily_sleep %s: timestamp %s", d.Day, d.Timestamp)
			}
		}
		for _, d := range docs[scoredDoc](t, s, user, "daily_readiness", testSince, testUntil) {
			var sum, wsum float64
			for k, w := range weights {
				if v := d.Contributors[k]; v != nil {
					sum += w * float64(*v)
					wsum += w
				}
			}
			if want := score(sum / wsum); d.Score == nil || *d.Score != want {
				t.Errorf("daily_readiness %s: score %v, contributors give %d", d.Day, d.Score, want)
			}
		}
	}
}

// TestHeartRateRows checks the time series: ordered, UTC, in range, no
// samples while the ring was off, and the sleep samples equal to the sleep
// documents' heart_rate items.
func TestHeartRateRows(t *testing.T) {
	s := mustNew(t, Options{Since: testSince, Until: testUntil})
	from, to := dateFromCivil(2024, 2, 1), dateFromCivil(2024, 2, 29)
	for user := 1; user <= s.Users(); user++ {
		rows := docs[hrDoc](t, s, user, "heartrate", from, to)
		byTime := map[int64]hrDoc{}
		sources := map[string]int{}
		var last int64
		for _, r := range rows {
			if r.Unix <= last {
				t.Fatalf("rows not strictly increasing at %s", r.Timestamp)
			}
			last = r.Unix
			if !strings.HasSuffix(r.Timestamp, "+00:00") || mustTime(t, r.Timestamp).UnixMilli() != r.Unix {
				t.Fatalf("row %s / %d", r.Timestamp, r.Unix)
			}
			if r.BPM < 30 || r.BPM > 220 {
				t.Fatalf("bpm %d", r.BPM)
			}
			sources[r.Source]++
			byTime[r.Unix] = r
		}
		for _, src := range []string{"awake", "sleep", "workout"} {
			if sources[src] == 0 {
				t.Errorf("user %d: no %s samples (%v)", user, src, sources)
			}
		}
		if first := mustTime(t, rows[0].Timestamp); first.Before(dayTime(from)) || first.After(dayTime(from).Add(time.Hour)) {
			t.Errorf("first row %s, range starts %s", rows[0].Timestamp, from)
		}
		// Sleep samples are the sleep documents' 5-minute items.
		for _, d := range docs[sleepDoc](t, s, user, "sleep", from+1, to-1) {
			if d.HeartRate == nil {
				continue
			}
			start := mustTime(t, d.BedtimeStart)
			for i, x := range d.HeartRate.Items {
				ms := start.Add(time.Duration(i) * 5 * time.Minute).UnixMilli()
				r, ok := byTime[ms]
				switch {
				case x == nil && ok:
					t.Fatalf("%s item %d is null but a sample exists", d.ID, i)
				case x != nil && (!ok || r.BPM != int(*x) || (r.Source != "sleep" && r.Source != "rest")):
					t.Fatalf("%s item %d = %v, row %+v", d.ID, i, *x, r)
				}
			}
		}
		// No samples on days without wear.
		for _, a := range docs[activityDoc](t, s, user, "daily_activity", from+1, to-1) {
			if a.NonWear != 86400 {
				continue
			}
			start := mustTime(t, a.Timestamp)
			for ms := range byTime {
				if ms >= start.UnixMilli() && ms < start.Add(24*time.Hour).UnixMilli() {
					t.Fatalf("%s: a heart-rate sample on a day without wear", a.Day)
				}
			}
		}
	}
}

// TestTimeZonesAndDST checks that local timestamps carry the user's offset,
// which changes with daylight saving time and while travelling.
func TestTimeZonesAndDST(t *testing.T) {
	s, base := newTestServer(t, Options{Since: dateFromCivil(2023, 1, 1), Until: dateFromCivil(2023, 12, 31), PageSize: 1000})
	stamps := func(user int) []activityDoc {
		var out []activityDoc
		for _, raw := range walk(t, base, "/v2/usercollection/daily_activity?start_date=2023-01-01&end_date=2024-01-01&fields=day,timestamp", user) {
			var d activityDoc
			if err := json.Unmarshal(raw, &d); err != nil {
				t.Fatal(err)
			}
			out = append(out, d)
		}
		return out
	}
	offsets := map[string]map[string]int{}
	for _, d := range stamps(1) {
		month := d.Day[:7]
		if offsets[month] == nil {
			offsets[month] = map[string]int{}
		}
		offsets[month][d.Timestamp[19:]]++
	}
	// User 1 lives in Europe/Helsinki: +02:00 in winter, +03:00 in summer,
	// other offsets only on trips.
	if offsets["2023-01"]["+02:00"] < 20 || offsets["2023-07"]["+03:00"] < 20 {
		t.Errorf("offsets by month: %v", offsets)
	}
	// Trips: some days of some user carry an offset their home zone never has.
	home := map[int][]string{1: {"+02:00", "+03:00"}, 2: {"-08:00", "-07:00"}, 3: {"+05:30"}}
	trips := 0
	for user := 1; user <= 3; user++ {
		for _, d := range stamps(user) {
			if !slices.Contains(home[user], d.Timestamp[19:]) {
				trips++
			}
		}
	}
	if trips == 0 {
		t.Error("no travel in a year by any of three users")
	}
	// The DST night: the sleep starts at +02:00 and ends at +03:00.
	for _, d := range docs[sleepDoc](t, s, 1, "sleep", dateFromCivil(2023, 3, 26), dateFromCivil(2023, 3, 26)) {
		if d.Type == "long_sleep" && !(strings.HasSuffix(d.BedtimeStart, "+02:00") && strings.HasSuffix(d.BedtimeEnd, "+03:00")) {
			t.Errorf("DST night %s .. %s", d.BedtimeStart, d.BedtimeEnd)
		}
	}
}

// TestRingsAndRingIDs checks the two rings and that sleep documents name
// the ring worn at the time.
func TestRingsAndRingIDs(t *testing.T) {
	s := mustNew(t, Options{Since: testSince, Until: testUntil})
	type ringDoc struct {
		ID       string  `json:"id"`
		SetUpAt  *string `json:"set_up_at"`
		Hardware *string `json:"hardware_type"`
	}
	for user := 1; user <= s.Users(); user++ {
		rings := docs[ringDoc](t, s, user, "ring_configuration", 0, 0)
		if len(rings) != 2 || rings[0].ID == rings[1].ID {
			t.Fatalf("user %d: rings %+v", user, rings)
		}
		ids := map[string]bool{}
		for _, d := range docs[sleepDoc](t, s, user, "sleep", testSince, testUntil) {
			ids[d.RingID] = true
		}
		if len(ids) != 2 {
			t.Errorf("user %d: sleep ring ids %v, want the old and the new ring", user, ids)
		}
	}
}

// TestDeterminism: the same seed gives the same bytes; another user or
// seed other ids; ids are unique across users and collections.
func TestDeterminism(t *testing.T) {
	a := mustNew(t, Options{Since: testSince, Until: testUntil})
	b := mustNew(t, Options{Since: testSince, Until: testUntil})
	c := mustNew(t, Options{Since: testSince, Until: testUntil, Seed: 7})
	from, to := dateFromCivil(2024, 3, 1), dateFromCivil(2024, 3, 14)
	ids := map[string]string{}
	for _, coll := range CollectionNames() {
		for user := 1; user <= a.Users(); user++ {
			x := collect(t, a, user, coll, from, to)
			y := collect(t, b, user, coll, from, to)
			if !equalDocs(x, y) {
				t.Fatalf("%s user %d: two servers with the same seed differ", coll, user)
			}
			if coll != "personal_info" && equalDocs(x, collect(t, c, user, coll, from, to)) && len(x) > 0 {
				t.Errorf("%s user %d: seed 7 gives the same documents", coll, user)
			}
			for _, raw := range x {
				var v struct {
					ID string `json:"id"`
				}
				_ = json.Unmarshal(raw, &v)
				if v.ID == "" {
					continue
				}
				where := coll + "/" + itoa(user)
				if prev, dup := ids[v.ID]; dup {
					t.Fatalf("id %s in %s and %s", v.ID, prev, where)
				}
				ids[v.ID] = where
			}
		}
	}
	if len(ids) < 300 {
		t.Errorf("only %d ids", len(ids))
	}
}

func collect(t testing.TB, s *Server, user int, coll string, from, to Date) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	for raw, err := range s.Documents(user, coll, dayTime(from), dayTime(to+1)) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

func equalDocs(a, b []json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestReviseAndAdvance: a revision changes that day's values but not its
// ids, and leaves other days alone; advancing makes new days appear and
// leaves the old ones alone.
func TestReviseAndAdvance(t *testing.T) {
	s := mustNew(t, Options{Since: testSince, Until: testUntil})
	day := dateFromCivil(2024, 3, 20)
	before := map[string][]json.RawMessage{}
	for _, coll := range []string{"sleep", "daily_sleep", "daily_activity", "daily_readiness", "heartrate"} {
		before[coll] = collect(t, s, 1, coll, day-3, day+3)
	}
	if err := s.Revise(1, day); err != nil {
		t.Fatal(err)
	}
	if err := s.Revise(0, day); err == nil {
		t.Error("Revise(0, ...) succeeded")
	}
	for coll, old := range before {
		now := collect(t, s, 1, coll, day-3, day+3)
		if len(now) != len(old) {
			t.Fatalf("%s: %d documents after the revision, %d before", coll, len(now), len(old))
		}
		changed := 0
		for i := range now {
			if bytes.Equal(now[i], old[i]) {
				continue
			}
			changed++
			var a, b struct {
				ID  string `json:"id"`
				Day string `json:"day"`
			}
			_ = json.Unmarshal(now[i], &a)
			_ = json.Unmarshal(old[i], &b)
			if a.ID != b.ID {
				t.Errorf("%s: id changed %s -> %s", coll, b.ID, a.ID)
			}
			if a.Day != "" && a.Day != day.String() {
				t.Errorf("%s: document of %s changed", coll, a.Day)
			}
		}
		if changed == 0 {
			t.Errorf("%s: nothing changed on the revised day", coll)
		}
	}
	// Advance: new days appear, old ones stay.
	old := collect(t, s, 2, "daily_activity", testUntil-5, testUntil+5)
	if until := s.Advance(3); until != testUntil+3 {
		t.Fatalf("Advance returned %s", until)
	}
	now := collect(t, s, 2, "daily_activity", testUntil-5, testUntil+5)
	if len(now) != len(old)+3 || !equalDocs(now[:len(old)], old) {
		t.Errorf("after Advance(3): %d documents (was %d) or old ones changed", len(now), len(old))
	}
}

// TestDocumentsErrors covers the truth API's argument checks.
func TestDocumentsErrors(t *testing.T) {
	s := mustNew(t, Options{Since: testSince, Until: testUntil})
	for _, tc := range []struct {
		user int
		coll string
	}{{0, "sleep"}, {4, "sleep"}, {1, "sleeps"}} {
		for _, err := range s.Documents(tc.user, tc.coll, dayTime(testSince), dayTime(testUntil)) {
			if err == nil {
				t.Errorf("Documents(%d, %q) yielded no error", tc.user, tc.coll)
			}
		}
		for _, err := range s.V1Documents(tc.user, tc.coll, dayTime(testSince), dayTime(testUntil)) {
			if err == nil {
				t.Errorf("V1Documents(%d, %q) yielded no error", tc.user, tc.coll)
			}
		}
	}
}
