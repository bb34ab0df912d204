package v1compat

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ouraexport/ouraexport/schema"
)

// ftype is the JSON shape a v1 field must have.
type ftype uint8

const (
	tInt      ftype = iota + 1 // an integer
	tNum                       // a number
	tStr                       // a string
	tDate                      // a string YYYY-MM-DD
	tTime                      // a string date-time with an offset
	tDigits                    // a string of digits of the field's alphabet
	tInts                      // an array of integers
	tNums                      // an array of numbers
	tWindow                    // the bedtime window object {start, end}
	tIntOrStr                  // userinfo's numbers, "" when out of scope
)

type fieldSpec struct {
	typ      ftype
	required bool
	alphabet string // tDigits
}

// specs are the fields of each kind of record that Check knows; others are allowed.
var specs = map[Kind]map[string]fieldSpec{
	Sleep: {
		"summary_date": {typ: tDate, required: true}, "period_id": {typ: tInt}, "is_longest": {typ: tInt}, "timezone": {typ: tInt},
		"bedtime_start": {typ: tTime, required: true}, "bedtime_end": {typ: tTime, required: true},
		"score": {typ: tInt}, "score_total": {typ: tInt}, "score_disturbances": {typ: tInt}, "score_efficiency": {typ: tInt},
		"score_latency": {typ: tInt}, "score_rem": {typ: tInt}, "score_deep": {typ: tInt}, "score_alignment": {typ: tInt},
		"total": {typ: tInt}, "duration": {typ: tInt}, "awake": {typ: tInt}, "light": {typ: tInt}, "rem": {typ: tInt}, "deep": {typ: tInt},
		"onset_latency": {typ: tInt}, "restless": {typ: tInt}, "efficiency": {typ: tInt}, "midpoint_time": {typ: tInt},
		"hr_lowest": {typ: tNum}, "hr_average": {typ: tNum}, "rmssd": {typ: tNum}, "breath_average": {typ: tNum},
		"temperature_delta": {typ: tNum}, "temperature_deviation": {typ: tNum}, "temperature_trend_deviation": {typ: tNum},
		"hypnogram_5min": {typ: tDigits, alphabet: "1234"}, "hr_5min": {typ: tInts}, "rmssd_5min": {typ: tInts},
		"bedtime_start_delta": {typ: tInt}, "bedtime_end_delta": {typ: tInt}, "midpoint_at_delta": {typ: tInt},
	},
	Activity: {
		"summary_date": {typ: tDate, required: true}, "day_start": {typ: tTime, required: true}, "day_end": {typ: tTime}, "timezone": {typ: tInt},
		"score": {typ: tInt}, "score_stay_active": {typ: tInt}, "score_move_every_hour": {typ: tInt}, "score_meet_daily_targets": {typ: tInt},
		"score_training_frequency": {typ: tInt}, "score_training_volume": {typ: tInt}, "score_recovery_time": {typ: tInt},
		"daily_movement": {typ: tInt}, "non_wear": {typ: tInt}, "rest": {typ: tInt}, "inactive": {typ: tInt}, "inactivity_alerts": {typ: tInt},
		"low": {typ: tInt}, "medium": {typ: tInt}, "high": {typ: tInt}, "steps": {typ: tInt}, "cal_total": {typ: tInt}, "cal_active": {typ: tInt},
		"met_min_inactive": {typ: tInt}, "met_min_low": {typ: tInt}, "met_min_medium_plus": {typ: tInt}, "met_min_medium": {typ: tInt},
		"met_min_high": {typ: tInt}, "average_met": {typ: tNum}, "class_5min": {typ: tDigits, alphabet: "012345"}, "met_1min": {typ: tNums},
		"rest_mode_state": {typ: tInt}, "target_calories": {typ: tInt}, "target_km": {typ: tNum}, "target_miles": {typ: tNum},
		"to_target_km": {typ: tNum}, "to_target_miles": {typ: tNum}, "total": {typ: tInt},
	},
	Readiness: {
		"summary_date": {typ: tDate, required: true}, "period_id": {typ: tInt}, "score": {typ: tInt},
		"score_previous_night": {typ: tInt}, "score_sleep_balance": {typ: tInt}, "score_previous_day": {typ: tInt},
		"score_activity_balance": {typ: tInt}, "score_resting_hr": {typ: tInt}, "score_hrv_balance": {typ: tInt},
		"score_recovery_index": {typ: tInt}, "score_temperature": {typ: tInt}, "rest_mode_state": {typ: tInt},
	},
	Bedtime: {
		"date": {typ: tDate, required: true}, "bedtime_window": {typ: tWindow}, "status": {typ: tStr},
	},
	UserInfo: {
		"age": {typ: tIntOrStr}, "weight": {typ: tIntOrStr}, "height": {typ: tIntOrStr}, "gender": {typ: tStr},
		"email": {typ: tStr}, "user_id": {typ: tStr}, "date": {typ: tDate},
	},
	RestfulPeriod: {
		"summary_date": {typ: tDate, required: true}, "period_id": {typ: tInt}, "timezone": {typ: tInt},
		"bedtime_start": {typ: tTime, required: true}, "bedtime_end": {typ: tTime}, "duration": {typ: tInt},
		"breath_average": {typ: tNum}, "hr_average": {typ: tNum},
	},
}

// ErrInvalid is matched by the errors of Check.
var ErrInvalid = errors.New("invalid v1 record")

// Check strictly checks one v1 record of kind k as a server sends it: a
// JSON object in UTF-8 whose known fields have their v1 types (integers
// integral, dates YYYY-MM-DD, date-times with an offset, encoded strings
// of their alphabet), each field once, and the fields that place it in
// time present. Unknown fields and nulls are allowed. The engine uses it to
// reject what a faulty server garbled, so that it is fetched again.
func Check(k Kind, doc []byte) error {
	spec, ok := specs[k]
	if !ok {
		return fmt.Errorf("v1: unknown kind %q", k)
	}
	if !utf8.Valid(doc) {
		return fmt.Errorf("%w: %s record is not valid UTF-8", ErrInvalid, k)
	}
	o, err := parseObject(doc)
	if err != nil {
		return fmt.Errorf("%w: %s record: %v", ErrInvalid, k, err)
	}
	var problems []string
	seen := map[string]bool{}
	for _, m := range o.members {
		if seen[m.key] {
			problems = append(problems, "duplicate field "+m.key)
			continue
		}
		seen[m.key] = true
		f, known := spec[m.key]
		if !known || isNull(m.raw) {
			continue
		}
		if p := checkValue(f, m.raw); p != "" {
			problems = append(problems, m.key+": "+p)
		}
	}
	for name, f := range spec {
		if f.required && (!seen[name] || isNull(mustGet(o, name))) {
			problems = append(problems, "missing "+name)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s record: %s", ErrInvalid, k, strings.Join(problems, "; "))
	}
	return nil
}

func mustGet(o *object, key string) json.RawMessage {
	for _, m := range o.members {
		if m.key == key {
			return m.raw
		}
	}
	return nil
}

// checkValue returns what is wrong with raw for f, or "".
func checkValue(f fieldSpec, raw json.RawMessage) string {
	switch f.typ {
	case tInt:
		if _, k := readInt(raw); k != vOK || raw[0] == '"' {
			return "want an integer, got " + clip(raw)
		}
	case tNum:
		if _, k := readFloat(raw); k != vOK {
			return "want a number, got " + clip(raw)
		}
	case tIntOrStr:
		if string(raw) == `""` {
			return ""
		}
		if _, k := readFloat(raw); k != vOK {
			return "want a number, got " + clip(raw)
		}
	case tStr:
		if _, k := readString(raw); k != vOK {
			return "want a string, got " + clip(raw)
		}
	case tDate:
		s, k := readString(raw)
		if _, err := schema.ParseDate(s); k != vOK || err != nil {
			return "want a date YYYY-MM-DD, got " + clip(raw)
		}
	case tTime:
		s, k := readString(raw)
		if k != vOK {
			return "want a date-time, got " + clip(raw)
		}
		if _, _, hasOff, err := schema.ParseDateTime(s); err != nil || !hasOff {
			return "want a date-time with an offset, got " + clip(raw)
		}
	case tDigits:
		s, k := readString(raw)
		if k != vOK || strings.Trim(s, f.alphabet) != "" {
			return "want a string of the characters " + f.alphabet + ", got " + clip(raw)
		}
	case tInts, tNums:
		items, k := readArray(raw)
		if k != vOK {
			return "want an array of numbers, got " + clip(raw)
		}
		for i, it := range items {
			if f.typ == tInts {
				if _, k := readInt(it); k != vOK || it[0] == '"' {
					return fmt.Sprintf("item %d: want an integer, got %s", i, clip(it))
				}
			} else if _, k := readFloat(it); k != vOK {
				return fmt.Sprintf("item %d: want a number, got %s", i, clip(it))
			}
		}
	case tWindow:
		w, err := parseObject(raw)
		if err != nil {
			return "want an object, got " + clip(raw)
		}
		for _, m := range w.members {
			if (m.key == "start" || m.key == "end") && !isNull(m.raw) {
				if _, k := readInt(m.raw); k != vOK {
					return m.key + ": want an integer, got " + clip(m.raw)
				}
			}
		}
	}
	return ""
}

func clip(raw []byte) string {
	if len(raw) > 40 {
		return string(raw[:40]) + "..."
	}
	return string(raw)
}
