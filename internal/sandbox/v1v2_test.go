package sandbox

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"
)

type v1Sleep struct {
	SummaryDate  string  `json:"summary_date"`
	PeriodID     int     `json:"period_id"`
	IsLongest    int     `json:"is_longest"`
	Timezone     int     `json:"timezone"`
	BedtimeStart string  `json:"bedtime_start"`
	BedtimeEnd   string  `json:"bedtime_end"`
	Score        int     `json:"score"`
	ScoreTotal   int     `json:"score_total"`
	ScoreDist    int     `json:"score_disturbances"`
	ScoreEff     int     `json:"score_efficiency"`
	ScoreLatency int     `json:"score_latency"`
	ScoreREM     int     `json:"score_rem"`
	ScoreDeep    int     `json:"score_deep"`
	ScoreAlign   int     `json:"score_alignment"`
	Total        int     `json:"total"`
	Duration     int     `json:"duration"`
	Awake        int     `json:"awake"`
	Light        int     `json:"light"`
	REM          int     `json:"rem"`
	Deep         int     `json:"deep"`
	OnsetLatency int     `json:"onset_latency"`
	Efficiency   int     `json:"efficiency"`
	HRLowest     int     `json:"hr_lowest"`
	HRAverage    float64 `json:"hr_average"`
	RMSSD        int     `json:"rmssd"`
	Breath       float64 `json:"breath_average"`
	Hypnogram    string  `json:"hypnogram_5min"`
	HR5          []int   `json:"hr_5min"`
	RMSSD5       []int   `json:"rmssd_5min"`
	StartDelta   int     `json:"bedtime_start_delta"`
	MidpointTime int     `json:"midpoint_time"`
	MidAtDelta   int     `json:"midpoint_at_delta"`
}

type v1Activity struct {
	SummaryDate   string    `json:"summary_date"`
	DayStart      string    `json:"day_start"`
	Timezone      int       `json:"timezone"`
	Score         int       `json:"score"`
	StayActive    int       `json:"score_stay_active"`
	MoveEveryHour int       `json:"score_move_every_hour"`
	MeetTargets   int       `json:"score_meet_daily_targets"`
	TrainFreq     int       `json:"score_training_frequency"`
	TrainVolume   int       `json:"score_training_volume"`
	Recovery      int       `json:"score_recovery_time"`
	DailyMovement int       `json:"daily_movement"`
	NonWear       int       `json:"non_wear"`
	Rest          int       `json:"rest"`
	Inactive      int       `json:"inactive"`
	Low           int       `json:"low"`
	Medium        int       `json:"medium"`
	High          int       `json:"high"`
	Alerts        int       `json:"inactivity_alerts"`
	Steps         int       `json:"steps"`
	CalTotal      int       `json:"cal_total"`
	CalActive     int       `json:"cal_active"`
	MetMinLow     int       `json:"met_min_low"`
	MetMinMedPlus int       `json:"met_min_medium_plus"`
	MetMinMedium  int       `json:"met_min_medium"`
	MetMinHigh    int       `json:"met_min_high"`
	MetMinInact   int       `json:"met_min_inactive"`
	AverageMET    float64   `json:"average_met"`
	Class5        string    `json:"class_5min"`
	Met1          []float64 `json:"met_1min"`
	TargetCal     int       `json:"target_calories"`
}

type v1Readiness struct {
	SummaryDate     string `json:"summary_date"`
	PeriodID        int    `json:"period_id"`
	Score           int    `json:"score"`
	PreviousNight   int    `json:"score_previous_night"`
	SleepBalance    int    `json:"score_sleep_balance"`
	PreviousDay     int    `json:"score_previous_day"`
	ActivityBalance int    `json:"score_activity_balance"`
	RestingHR       int    `json:"score_resting_hr"`
	HRVBalance      int    `json:"score_hrv_balance"`
	RecoveryIndex   int    `json:"score_recovery_index"`
	Temperature     int    `json:"score_temperature"`
}

type v1Bedtime struct {
	Date   string `json:"date"`
	Window struct {
		Start *int `json:"start"`
		End   *int `json:"end"`
	} `json:"bedtime_window"`
	Status string `json:"status"`
}

// getV1 fetches a /v1 route with the token in the access_token parameter.
func getV1[T any](t *testing.T, base, route string, from, to Date) []T {
	t.Helper()
	resp := get(t, base, fmt.Sprintf("/v1/%s?start=%s&end=%s&access_token=sandbox-token-1", route, from, to), 0)
	if resp.status != 200 {
		t.Fatalf("v1 %s: %d %s", route, resp.status, resp.body)
	}
	env := map[string][]T{}
	if err := json.Unmarshal(resp.body, &env); err != nil {
		t.Fatalf("v1 %s: %v", route, err)
	}
	if len(env) != 1 {
		t.Fatalf("v1 %s: envelope %v", route, env)
	}
	for _, v := range env {
		return v
	}
	return nil
}

func getV2[T any](t *testing.T, base, coll string, from, to Date, extra ...string) []T {
	t.Helper()
	var out []T
	q := fmt.Sprintf("/v2/usercollection/%s?start_date=%s&end_date=%s", coll, from, to)
	for _, e := range extra {
		q += e
	}
	for _, raw := range walk(t, base, q, 1) {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func orZero(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// TestV1AndV2Agree reads a year of one user through both APIs and checks
// that they tell the same story night by night and day by day.
func TestV1AndV2Agree(t *testing.T) {
	since, until := dateFromCivil(2023, 4, 1), dateFromCivil(2024, 3, 31)
	_, base := newTestServer(t, Options{Since: since, Until: until, PageSize: 1000})
	from, to := since+1, until-1
	type sleepKey struct {
		day    string
		period int
	}
	t.Run("sleep", func(t *testing.T) {
		t.Parallel()
		// Sleep: v1 summary_date = v2 day - 1, period_id = period.
		v2sleep := map[sleepKey]sleepDoc{}
		for _, d := range getV2[sleepDoc](t, base, "sleep", from+1, to+2) { // sleep's end_date is exclusive
			if d.Type != "rest" && d.Type != "deleted" {
				v2sleep[sleepKey{d.Day, d.Period}] = d
			}
		}
		dailySleep := map[string]scoredDoc{}
		for _, d := range getV2[scoredDoc](t, base, "daily_sleep", from+1, to+1) {
			dailySleep[d.Day] = d
		}
		v1sleep := getV1[v1Sleep](t, base, "sleep", from, to)
		if len(v1sleep) != len(v2sleep) || len(v1sleep) < 300 {
			t.Fatalf("%d v1 sleep periods, %d v2 (long sleeps, naps, late naps)", len(v1sleep), len(v2sleep))
		}
		for _, a := range v1sleep {
			day := dayAfter(t, a.SummaryDate)
			b, ok := v2sleep[sleepKey{day, a.PeriodID}]
			if !ok {
				t.Fatalf("v1 sleep %s/%d has no v2 period on %s", a.SummaryDate, a.PeriodID, day)
			}
			if a.BedtimeStart != b.BedtimeStart || a.BedtimeEnd != b.BedtimeEnd || a.Duration != b.TimeInBed ||
				a.Total != *b.Total || a.Awake != *b.Awake || a.Light != *b.Light || a.REM != *b.REM || a.Deep != *b.Deep ||
				a.OnsetLatency != *b.Latency || a.Efficiency != *b.Efficiency || a.Hypnogram != *b.Phase5 ||
				a.HRLowest != orZero(b.LowHR) || a.RMSSD != orZero(b.AvgHRV) || a.Breath != *b.AvgBreath {
				t.Fatalf("v1 sleep %s/%d differs from v2 %s:\n%+v\n%+v", a.SummaryDate, a.PeriodID, b.ID, a, b)
			}
			if b.AvgHR != nil && math.Abs(a.HRAverage-*b.AvgHR) > 1e-9 {
				t.Fatalf("%s: hr_average %v, average_heart_rate %v", day, a.HRAverage, *b.AvgHR)
			}
			for i, x := range b.HeartRate.Items {
				if want := 0; x != nil && a.HR5[i] != int(*x) || x == nil && a.HR5[i] != want {
					t.Fatalf("%s: hr_5min[%d] = %d, heart_rate item %v", day, i, a.HR5[i], x)
				}
			}
			for i, x := range b.HRV.Items {
				if x != nil && a.RMSSD5[i] != int(*x) || x == nil && a.RMSSD5[i] != 0 {
					t.Fatalf("%s: rmssd_5min[%d] = %d, hrv item %v", day, i, a.RMSSD5[i], x)
				}
			}
			_, off := mustTime(t, b.BedtimeStart).Zone()
			if a.Timezone != off/60 {
				t.Errorf("%s: timezone %d, offset %d s", day, a.Timezone, off)
			}
			if a.MidAtDelta != a.StartDelta+a.MidpointTime {
				t.Errorf("%s: midpoint deltas inconsistent", day)
			}
			if (a.IsLongest == 1) != (b.Type == "long_sleep") && b.Type == "long_sleep" {
				t.Errorf("%s: the long sleep is not is_longest", day)
			}
			if a.IsLongest == 1 {
				ds := dailySleep[day]
				c := ds.Contributors
				if a.Score != *ds.Score || a.ScoreTotal != *c["total_sleep"] || a.ScoreDist != *c["restfulness"] ||
					a.ScoreEff != *c["efficiency"] || a.ScoreLatency != *c["latency"] || a.ScoreREM != *c["rem_sleep"] ||
					a.ScoreDeep != *c["deep_sleep"] || a.ScoreAlign != *c["timing"] {
					t.Errorf("%s: v1 sleep scores %+v, daily_sleep %v %v", day, a, *ds.Score, c)
				}
			}
		}

	})
	t.Run("activity", func(t *testing.T) {
		t.Parallel()
		// Activity: same date, minutes vs seconds.
		v2act := map[string]activityDoc{}
		for _, d := range getV2[activityDoc](t, base, "daily_activity", from, to+1) { // end_date exclusive
			v2act[d.Day] = d
		}
		v1act := getV1[v1Activity](t, base, "activity", from, to)
		if len(v1act) != len(v2act) || len(v1act) != int(to-from)+1 {
			t.Fatalf("%d v1 activity days, %d v2, want %d", len(v1act), len(v2act), to-from+1)
		}
		for _, a := range v1act {
			b := v2act[a.SummaryDate]
			c := b.Contributors
			if a.DayStart != b.Timestamp || a.Class5 != b.Class || a.NonWear*60 != b.NonWear || a.Rest*60 != b.Resting ||
				a.Inactive*60 != b.Sedentary || a.Low*60 != b.Low || a.Medium*60 != b.Medium || a.High*60 != b.High ||
				a.Steps != b.Steps || a.CalActive != b.Active || a.CalTotal != b.Total || a.DailyMovement != b.EWD ||
				a.MetMinLow != b.LowMET || a.MetMinMedium != b.MediumMET || a.MetMinHigh != b.HighMET ||
				a.MetMinInact != b.SedMET || a.MetMinMedPlus != b.MediumMET+b.HighMET || a.AverageMET != b.AvgMET ||
				a.Alerts != b.Alerts || a.TargetCal != b.TargetCal || a.Score != orZero(b.Score) ||
				a.StayActive != orZero(c["stay_active"]) || a.MoveEveryHour != orZero(c["move_every_hour"]) ||
				a.MeetTargets != orZero(c["meet_daily_targets"]) || a.TrainFreq != orZero(c["training_frequency"]) ||
				a.TrainVolume != orZero(c["training_volume"]) || a.Recovery != orZero(c["recovery_time"]) {
				t.Fatalf("v1 activity %s differs from v2:\n%+v\n%+v", a.SummaryDate, a, b)
			}
			for i, m := range a.Met1 {
				if m != *b.Met.Items[i] {
					t.Fatalf("%s: met_1min[%d] %v, met item %v", a.SummaryDate, i, m, *b.Met.Items[i])
				}
			}
			_, off := mustTime(t, b.Timestamp).Zone()
			if a.Timezone != off/60 {
				t.Errorf("%s: activity timezone %d, offset %d", a.SummaryDate, a.Timezone, off)
			}
		}

	})
	t.Run("readiness", func(t *testing.T) {
		t.Parallel()
		// Readiness: summary_date = day - 1, 0 for missing contributors.
		v2sleep := map[sleepKey]sleepDoc{}
		for _, d := range getV2[sleepDoc](t, base, "sleep", from+1, to+2, "&fields=day,period,type") {
			v2sleep[sleepKey{d.Day, d.Period}] = d
		}
		v2ready := map[string]scoredDoc{}
		for _, d := range getV2[scoredDoc](t, base, "daily_readiness", from+1, to+1) {
			v2ready[d.Day] = d
		}
		v1ready := getV1[v1Readiness](t, base, "readiness", from, to)
		if len(v1ready) != len(v2ready) {
			t.Fatalf("%d v1 readiness records, %d v2", len(v1ready), len(v2ready))
		}
		for _, a := range v1ready {
			day := dayAfter(t, a.SummaryDate)
			b, ok := v2ready[day]
			if !ok {
				t.Fatalf("v1 readiness %s has no v2 day %s", a.SummaryDate, day)
			}
			c := b.Contributors
			if a.Score != orZero(b.Score) || a.PreviousNight != orZero(c["previous_night"]) || a.SleepBalance != orZero(c["sleep_balance"]) ||
				a.PreviousDay != orZero(c["previous_day_activity"]) || a.ActivityBalance != orZero(c["activity_balance"]) ||
				a.RestingHR != orZero(c["resting_heart_rate"]) || a.HRVBalance != orZero(c["hrv_balance"]) ||
				a.RecoveryIndex != orZero(c["recovery_index"]) || a.Temperature != orZero(c["body_temperature"]) {
				t.Fatalf("v1 readiness %s differs from v2 %s:\n%+v\n%v", a.SummaryDate, day, a, c)
			}
			long, ok := findLong(v2sleep, day)
			if !ok || long.Period != a.PeriodID {
				t.Errorf("v1 readiness %s: period %d, long sleep %+v", a.SummaryDate, a.PeriodID, long.Period)
			}
		}

	})
	t.Run("bedtime and userinfo", func(t *testing.T) {
		t.Parallel()
		// Bedtime: the same days as sleep_time.
		type sleepTimeDoc struct {
			Day     string `json:"day"`
			Status  *string
			Optimal *struct {
				Start int `json:"start_offset"`
				End   int `json:"end_offset"`
			} `json:"optimal_bedtime"`
		}
		v2bed := map[string]sleepTimeDoc{}
		for _, d := range getV2[sleepTimeDoc](t, base, "sleep_time", from, to) {
			v2bed[d.Day] = d
		}
		for _, a := range getV1[v1Bedtime](t, base, "bedtime", from, to) {
			b, ok := v2bed[a.Date]
			if !ok {
				t.Fatalf("v1 bedtime %s has no sleep_time", a.Date)
			}
			if (a.Window.Start != nil) != (b.Optimal != nil) || b.Optimal != nil && (*a.Window.Start != b.Optimal.Start || *a.Window.End != b.Optimal.End) {
				t.Fatalf("v1 bedtime %s: window %v, sleep_time %+v", a.Date, a.Window, b.Optimal)
			}
			if want := v1BedtimeStatus(*b.Status); a.Status != want {
				t.Errorf("v1 bedtime %s: status %s, want %s", a.Date, a.Status, want)
			}
		}

		// User info and personal info.
		var ui struct {
			Age    int     `json:"age"`
			Weight float64 `json:"weight"`
			Height int     `json:"height"`
			Gender string  `json:"gender"`
			Email  string  `json:"email"`
		}
		var pi struct {
			Age    int     `json:"age"`
			Weight float64 `json:"weight"`
			Height float64 `json:"height"`
			Sex    string  `json:"biological_sex"`
			Email  string  `json:"email"`
		}
		if err := json.Unmarshal(get(t, base, "/v1/userinfo", 1).body, &ui); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(get(t, base, "/v2/usercollection/personal_info", 1).body, &pi); err != nil {
			t.Fatal(err)
		}
		if ui.Age != pi.Age || ui.Weight != pi.Weight || ui.Height != int(math.Round(pi.Height*100)) || ui.Gender != pi.Sex || ui.Email != pi.Email {
			t.Errorf("userinfo %+v, personal_info %+v", ui, pi)
		}
	})
}

func dayAfter(t *testing.T, s string) string {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d.AddDate(0, 0, 1).Format(time.DateOnly)
}

func findLong[K comparable](m map[K]sleepDoc, day string) (sleepDoc, bool) {
	for _, d := range m {
		if d.Day == day && d.Type == "long_sleep" {
			return d, true
		}
	}
	return sleepDoc{}, false
}
