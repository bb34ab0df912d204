package v1compat

import (
	"fmt"
	"math"

	"github.com/ouraexport/ouraexport/schema"
)

// Kind is a kind of v1 record: a /v1 route's records, or an array of the
// Oura Cloud JSON download shaped like them.
type Kind string

// The kinds of v1 records.
const (
	Sleep     Kind = "sleep"
	Activity  Kind = "activity"
	Readiness Kind = "readiness"
	Bedtime   Kind = "bedtime"
	UserInfo  Kind = "userinfo"
	// RestfulPeriod is an element of the Oura Cloud JSON download's
	// restful_periods array (no API route served it).
	RestfulPeriod Kind = "restful_period"
)

// Kinds lists every kind of v1 record.
func Kinds() []Kind { return []Kind{UserInfo, Sleep, Activity, Readiness, Bedtime, RestfulPeriod} }

// Tables returns the unified tables records of kind k map into.
func Tables(k Kind) []*schema.Table {
	var names []string
	switch k {
	case Sleep:
		names = []string{"daily_sleep", "sleep", "sleep_heart_rate", "sleep_hrv", "sleep_phase_5_min"}
	case Activity:
		names = []string{"daily_activity", "daily_activity_class_5_min", "daily_activity_met"}
	case Readiness:
		names = []string{"daily_readiness"}
	case Bedtime:
		names = []string{"sleep_time"}
	case UserInfo:
		names = []string{"personal_info"}
	case RestfulPeriod:
		names = []string{"sleep"}
	}
	var out []*schema.Table
	for _, n := range names {
		out = append(out, schema.Lookup(n))
	}
	return out
}

// Alphabets of the encoded strings, as the unified schema labels them.
var (
	sleepPhases     = []string{"", "deep", "light", "rem", "awake"}
	activityClasses = []string{"non_wear", "rest", "inactive", "low", "medium", "high"}
)

// Map writes the rows of one v1 record of kind k (a JSON object as the API
// or the Oura Cloud download gave it) with the given origin:
//
//   - sleep: a sleep row (summary_date + 1 is its day, the wake-up day v2
//     uses; durations in seconds as v2; 0 meaning "not available" becomes
//     null; hr_5min and rmssd_5min become sleep_heart_rate and sleep_hrv
//     rows every 300 s from bedtime_start, 0 a gap; hypnogram_5min becomes
//     sleep_phase_5_min rows), and for the longest period of the day
//     (is_longest 1) the daily_sleep row with the day's score and
//     contributors;
//   - activity: a daily_activity row (minutes become seconds; class_5min and
//     met_1min become child rows from day_start);
//   - readiness: a daily_readiness row (day = summary_date + 1);
//   - bedtime: a sleep_time row;
//   - userinfo: a personal_info row (height in centimetres becomes metres);
//   - restful_period: a sleep row of type "rest".
//
// v1 records have no Oura id: each row gets one derived from its kind, date
// and period (ID), so child rows join their parent and the same record
// read twice has the same id. Fields the schema does not know, and values
// that do not fit their column, go to the row's extra column as they came.
// Map returns an error only for a record that is not a JSON object, or
// when the mapper fails.
func Map(m *schema.Mapper, k Kind, doc []byte, origin schema.Origin) error {
	o, err := parseObject(doc)
	if err != nil {
		return fmt.Errorf("v1 %s record: %w", k, err)
	}
	switch k {
	case Sleep:
		return mapSleep(m, o, origin)
	case Activity:
		return mapActivity(m, o, origin)
	case Readiness:
		return mapReadiness(m, o, origin)
	case Bedtime:
		return mapBedtime(m, o, origin)
	case UserInfo:
		return mapUserInfo(m, o, origin)
	case RestfulPeriod:
		return mapRestful(m, o, origin)
	}
	return fmt.Errorf("v1: unknown kind %q", k)
}

// ID returns the id the unified tables give a v1 record of kind k (its
// table's name for daily_sleep rows made of a sleep record's scores):
// "v1-<kind>-<date>", with "-<period>" when the record has a period_id.
// Example: v1-sleep-2017-11-05-0 (the sleep period 0 of summary_date
// 2017-11-05, whose day is 2017-11-06).
func ID(kind, date string, period *int64) string {
	id := "v1-" + kind + "-" + date
	if period != nil {
		id += fmt.Sprintf("-%d", *period)
	}
	return id
}

func recordID(o *object, kind, dateKey string) string {
	raw, _ := o.get(dateKey)
	o.unuse(dateKey)
	var period *int64
	if raw, ok := o.get("period_id"); ok {
		if v, k := readInt(raw); k == vOK {
			period = &v
		}
		o.unuse("period_id")
	}
	return ID(kind, idPart(raw), period)
}

// sleepScores are the v1 sleep score members and the contributor each is.
var sleepScores = [][2]string{
	{"score_total", "total_sleep"},
	{"score_disturbances", "restfulness"},
	{"score_efficiency", "efficiency"},
	{"score_latency", "latency"},
	{"score_rem", "rem_sleep"},
	{"score_deep", "deep_sleep"},
	{"score_alignment", "timing"},
}

func mapSleep(m *schema.Mapper, o *object, origin schema.Origin) error {
	id := recordID(o, "sleep", "summary_date")
	longest := false
	if raw, ok := o.get("is_longest"); ok {
		v, k := readInt(raw)
		longest = k == vOK && v == 1
		o.unuse("is_longest")
	}
	if longest {
		if err := mapDailySleep(m, o, origin); err != nil {
			return err
		}
	}
	w, err := newRow(m, "sleep", origin, o)
	if err != nil {
		return err
	}
	w.setString(schema.ColID, id)
	w.date("summary_date", "day", 1)
	w.int("period_id", "period", asIs)
	w.flag("is_longest", "is_longest")
	tz := timezone(o)
	start := w.time("bedtime_start", "bedtime_start", tz)
	end := w.time("bedtime_end", "bedtime_end", tz)
	matchTimezone(o, tz, start)
	if !start.ok {
		matchTimezone(o, tz, end)
	}
	w.int("score", "period_score", zeroNull)
	for _, s := range sleepScores {
		w.int(s[0], "period_contributors_"+s[1], zeroNull)
	}
	w.int("total", "total_sleep_duration", asIs)
	w.int("duration", "time_in_bed", asIs)
	w.int("awake", "awake_time", asIs)
	w.int("light", "light_sleep_duration", asIs)
	w.int("rem", "rem_sleep_duration", asIs)
	w.int("deep", "deep_sleep_duration", asIs)
	w.int("onset_latency", "latency", asIs)
	w.int("restless", "restless_percent", asIs)
	w.int("efficiency", "efficiency", asIs)
	w.int("midpoint_time", "midpoint_time", asIs)
	w.int("hr_lowest", "lowest_heart_rate", zeroNull)
	w.float("hr_average", "average_heart_rate", zeroNull)
	w.int("rmssd", "average_hrv", zeroNull)
	w.float("breath_average", "average_breath", zeroNull)
	w.float("temperature_delta", "temperature_delta", asIs)
	w.float("temperature_deviation", "readiness_temperature_deviation", asIs)
	w.float("temperature_trend_deviation", "readiness_temperature_trend_deviation", asIs)
	w.int("bedtime_start_delta", "bedtime_start_delta", asIs)
	w.int("bedtime_end_delta", "bedtime_end_delta", asIs)
	w.int("midpoint_at_delta", "midpoint_at_delta", asIs)
	if s, ok, err := codes(m, o, "hypnogram_5min", "sleep_phase_5_min", id, sleepPhases, start, 300, origin); err != nil {
		return err
	} else if ok {
		w.setString("sleep_phase_5_min", s)
	}
	for _, s := range [][3]string{{"hr_5min", "sleep_heart_rate", "bpm"}, {"rmssd_5min", "sleep_hrv", "hrv"}} {
		ok, err := series(m, o, s[0], s[1], s[2], id, start, 300, true, origin)
		if err != nil {
			return err
		}
		if ok {
			field := map[string]string{"hr_5min": "heart_rate", "rmssd_5min": "hrv"}[s[0]]
			w.setFloat(field+"_interval", 300)
			if start.ok {
				w.setInt(field+"_timestamp", start.us)
				if start.hasOff {
					w.setInt(field+"_timestamp_utc_offset", int64(start.off))
				}
			}
		}
	}
	w.finish()
	return nil
}

// mapDailySleep writes the daily_sleep row of the longest period of a day.
// It reads the members it shares with the sleep row and leaves them unused
// for it.
func mapDailySleep(m *schema.Mapper, o *object, origin schema.Origin) error {
	w, err := newRow(m, "daily_sleep", origin, o)
	if err != nil {
		return err
	}
	raw, _ := o.get("summary_date")
	w.setString(schema.ColID, ID("daily_sleep", idPart(raw), nil))
	w.date("summary_date", "day", 1)
	w.int("score", "score", zeroNull)
	for _, s := range sleepScores {
		w.int(s[0], "contributors_"+s[1], zeroNull)
	}
	for _, key := range append([]string{"summary_date", "score"}, scoreKeys()...) {
		o.unuse(key)
	}
	return nil
}

func scoreKeys() []string {
	var ks []string
	for _, s := range sleepScores {
		ks = append(ks, s[0])
	}
	return ks
}

// activityScores are the v1 activity score members and their contributors.
var activityScores = [][2]string{
	{"score_stay_active", "stay_active"},
	{"score_move_every_hour", "move_every_hour"},
	{"score_meet_daily_targets", "meet_daily_targets"},
	{"score_training_frequency", "training_frequency"},
	{"score_training_volume", "training_volume"},
	{"score_recovery_time", "recovery_time"},
}

func mapActivity(m *schema.Mapper, o *object, origin schema.Origin) error {
	id := recordID(o, "activity", "summary_date")
	w, err := newRow(m, "daily_activity", origin, o)
	if err != nil {
		return err
	}
	w.setString(schema.ColID, id)
	w.date("summary_date", "day", 0)
	tz := timezone(o)
	start := w.time("day_start", "timestamp", tz)
	end := w.time("day_end", "day_end", tz)
	matchTimezone(o, tz, start)
	if !start.ok {
		matchTimezone(o, tz, end)
	}
	w.int("score", "score", zeroNull)
	for _, s := range activityScores {
		w.int(s[0], "contributors_"+s[1], zeroNull)
	}
	w.int("daily_movement", "equivalent_walking_distance", asIs)
	w.int("non_wear", "non_wear_time", minutes)
	w.int("rest", "resting_time", minutes)
	w.int("inactive", "sedentary_time", minutes)
	w.int("low", "low_activity_time", minutes)
	w.int("medium", "medium_activity_time", minutes)
	w.int("high", "high_activity_time", minutes)
	w.int("inactivity_alerts", "inactivity_alerts", asIs)
	w.int("steps", "steps", asIs)
	w.int("cal_total", "total_calories", asIs)
	w.int("cal_active", "active_calories", asIs)
	w.int("met_min_inactive", "sedentary_met_minutes", asIs)
	w.int("met_min_low", "low_activity_met_minutes", asIs)
	w.int("met_min_medium", "medium_activity_met_minutes", asIs)
	w.int("met_min_high", "high_activity_met_minutes", asIs)
	w.int("met_min_medium_plus", "met_min_medium_plus", asIs)
	w.float("average_met", "average_met_minutes", asIs)
	w.int("rest_mode_state", "rest_mode_state", asIs)
	w.int("target_calories", "target_calories", asIs)
	if km, ok := w.float("target_km", "target_km", asIs); ok {
		w.setInt("target_meters", int64(math.Round(km*1000)))
	}
	if km, ok := w.float("to_target_km", "to_target_km", asIs); ok {
		w.setInt("meters_to_target", int64(math.Round(km*1000)))
	}
	w.float("target_miles", "target_miles", asIs)
	w.float("to_target_miles", "to_target_miles", asIs)
	w.int("total", "total", asIs)
	if s, ok, err := codes(m, o, "class_5min", "daily_activity_class_5_min", id, activityClasses, start, 300, origin); err != nil {
		return err
	} else if ok {
		w.setString("class_5_min", s)
	}
	ok, err := series(m, o, "met_1min", "daily_activity_met", "met", id, start, 60, false, origin)
	if err != nil {
		return err
	}
	if ok {
		w.setFloat("met_interval", 60)
		if start.ok {
			w.setInt("met_timestamp", start.us)
			if start.hasOff {
				w.setInt("met_timestamp_utc_offset", int64(start.off))
			}
		}
	}
	w.finish()
	return nil
}

// readinessScores are the v1 readiness score members and their contributors.
var readinessScores = [][2]string{
	{"score_previous_night", "previous_night"},
	{"score_sleep_balance", "sleep_balance"},
	{"score_previous_day", "previous_day_activity"},
	{"score_activity_balance", "activity_balance"},
	{"score_resting_hr", "resting_heart_rate"},
	{"score_hrv_balance", "hrv_balance"},
	{"score_recovery_index", "recovery_index"},
	{"score_temperature", "body_temperature"},
}

func mapReadiness(m *schema.Mapper, o *object, origin schema.Origin) error {
	id := recordID(o, "readiness", "summary_date")
	w, err := newRow(m, "daily_readiness", origin, o)
	if err != nil {
		return err
	}
	w.setString(schema.ColID, id)
	w.date("summary_date", "day", 1)
	w.int("period_id", "period_id", asIs)
	w.int("score", "score", zeroNull)
	for _, s := range readinessScores {
		w.int(s[0], "contributors_"+s[1], zeroNull)
	}
	w.int("rest_mode_state", "rest_mode_state", asIs)
	w.finish()
	return nil
}

func mapBedtime(m *schema.Mapper, o *object, origin schema.Origin) error {
	id := recordID(o, "bedtime", "date")
	w, err := newRow(m, "sleep_time", origin, o)
	if err != nil {
		return err
	}
	w.setString(schema.ColID, id)
	w.date("date", "day", 0)
	w.str("status", "v1_status", false)
	if raw, ok := o.get("bedtime_window"); ok && !isNull(raw) {
		win, err := parseObject(raw)
		if err != nil {
			o.unuse("bedtime_window")
		} else {
			ww := &row{t: w.t, r: w.r, o: win}
			ww.int("start", "optimal_bedtime_start_offset", asIs)
			ww.int("end", "optimal_bedtime_end_offset", asIs)
			if x := win.extra(); x != "" {
				// Keep the whole window: extra holds it under its own name.
				o.unuse("bedtime_window")
			}
		}
	}
	w.finish()
	return nil
}

func mapUserInfo(m *schema.Mapper, o *object, origin schema.Origin) error {
	w, err := newRow(m, "personal_info", origin, o)
	if err != nil {
		return err
	}
	uid := ""
	if raw, ok := o.get("user_id"); ok {
		if s, k := readString(raw); k == vOK {
			uid = s
		}
		o.unuse("user_id")
	}
	id := "v1-userinfo"
	if uid != "" {
		id += "-" + uid
	}
	w.setString(schema.ColID, id)
	// v1 wrote "" for what the token's scopes did not cover.
	emptyIsNull(o, "age", "weight", "height")
	w.int("age", "age", asIs)
	w.float("weight", "weight", asIs)
	if raw, ok := o.get("height"); ok {
		switch cm, k := readFloat(raw); k {
		case vOK:
			w.setFloat("height", cm/100) // centimetres to metres
		case vMisfit:
			o.unuse("height")
		}
	}
	w.str("gender", "biological_sex", true)
	w.str("email", "email", true)
	w.str("user_id", "user_id", true)
	w.finish()
	return nil
}

// emptyIsNull treats the empty string as null for numeric members.
func emptyIsNull(o *object, keys ...string) {
	for i := range o.members {
		for _, k := range keys {
			if o.members[i].key == k && string(o.members[i].raw) == `""` {
				o.members[i].raw = []byte("null")
			}
		}
	}
}

func mapRestful(m *schema.Mapper, o *object, origin schema.Origin) error {
	id := recordID(o, "restful_period", "summary_date")
	w, err := newRow(m, "sleep", origin, o)
	if err != nil {
		return err
	}
	w.setString(schema.ColID, id)
	w.setString("type", "rest")
	w.date("summary_date", "day", 1)
	w.int("period_id", "period", asIs)
	tz := timezone(o)
	start := w.time("bedtime_start", "bedtime_start", tz)
	end := w.time("bedtime_end", "bedtime_end", tz)
	matchTimezone(o, tz, start)
	if !start.ok {
		matchTimezone(o, tz, end)
	}
	w.int("duration", "time_in_bed", asIs)
	w.float("breath_average", "average_breath", zeroNull)
	w.float("hr_average", "average_heart_rate", zeroNull)
	w.finish()
	return nil
}
