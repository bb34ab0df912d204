package schema

// This file declares every table: each v2 field, the column it becomes, its
// unit, meaning and v1 counterpart, and the columns only v1 or Oura's export
// files fill. The order of tableDefs is the order of Tables.
//
// Field kinds, required and nullable flags follow Oura's OpenAPI document
// (openapi-1.35), except where real responses differ (see relaxed below);
// TestModelsCovered checks them against testdata/oura/models_v2.json.

// Alphabets of the encoded strings: the label of each code digit.
var (
	activityClasses = []string{"non_wear", "rest", "inactive", "low", "medium", "high"}
	sleepPhases     = []string{"", "deep", "light", "rem", "awake"}
	movements       = []string{"", "no_motion", "restless", "tossing_and_turning", "active"}
)

func idField(what string) fdef {
	return fdef{v2: "id", kind: kString, req: true, doc: "Oura's unique id of the " + what + "."}
}

// v1IDField declares the id of a table that v1 records also fill: v1 had
// no ids, so those rows get one made from the record's kind, date and period.
func v1IDField(what, pattern string) fdef {
	f := idField(what)
	f.doc += " Rows from v1 records, which had no id, have one made of the record's kind, its v1 date and period: " + pattern + "."
	return f
}

func dayField(doc, v1 string) fdef {
	return fdef{v2: "day", kind: kDate, req: true, doc: doc, v1: v1}
}

// score declares a nullable integer score or score contributor in [1, 100].
func score(v2, doc, v1 string) fdef {
	return fdef{v2: v2, kind: kInt, null: true, doc: doc + " (1-100; null when Oura computed none).", v1: v1}
}

func seconds(v2 string, req bool, doc, v1 string) fdef {
	return fdef{v2: v2, kind: kInt, req: req, null: !req, unit: "s", doc: doc, v1: v1}
}

// v1only declares a column that has no v2 field: v1 responses or Oura's
// export files fill it.
func v1only(col string, typ Type, unit, doc, v1 string) fdef {
	return fdef{col: col, typ: typ, unit: unit, doc: doc, v1: v1}
}

const v1RestMode = "Rest Mode state as v1 reported it: 0 off, 1 entering Rest Mode, 2 in Rest Mode, 3 entering recovery, 4 recovering; null before Rest Mode existed. v2 reports Rest Mode in rest_mode_period."

func tableDefs() []tdef {
	return []tdef{
		{
			name: "daily_activity", coll: "daily_activity", key: []string{"id"}, part: "day", dated: "day", merge: Merge{Keys: [][]string{{"day"}}},
			doc: "One row per activity day, a 24-hour period that starts at 04:00 local time: activity score and contributors, time in each activity level, energy, steps and targets. Per-minute MET values are in daily_activity_met, the 5-minute activity classes in daily_activity_class_5_min.",
			fields: []fdef{
				v1IDField("activity day", "v1-activity-<summary_date>"),
				dayField("Day the activity period belongs to; it runs from 04:00 local time on this day to 04:00 the next.", "summary_date"),
				{v2: "timestamp", kind: kInstant, req: true, doc: "Start of the activity day (04:00 local time).", v1: "day_start", offV1: "timezone"},
				{col: "day_end", typ: Timestamp, doc: "End of the activity day (03:59:59 local time the next day); only v1 and Oura Cloud exports state it.", v1: "day_end"},
				score("score", "Activity score", "score"),
				{v2: "contributors", kind: kObject, req: true, sub: []fdef{
					score("meet_daily_targets", "Activity score contributor for meeting the daily activity targets over the previous 7 days", "score_meet_daily_targets"),
					score("move_every_hour", "Activity score contributor for avoiding long inactive stretches (inactivity alerts) over the previous 24 hours", "score_move_every_hour"),
					score("recovery_time", "Activity score contributor for taking enough easy days over the previous 7 days", "score_recovery_time"),
					score("stay_active", "Activity score contributor for time spent active rather than sedentary over the previous 24 hours", "score_stay_active"),
					score("training_frequency", "Activity score contributor for how often the user exercised over the previous 7 days", "score_training_frequency"),
					score("training_volume", "Activity score contributor for how much the user exercised over the previous 7 days", "score_training_volume"),
				}},
				{v2: "active_calories", kind: kInt, req: true, unit: "kcal", doc: "Energy burned by activity, in kilocalories.", v1: "cal_active"},
				{v2: "total_calories", kind: kInt, req: true, unit: "kcal", doc: "Total energy burned, basal metabolism included, in kilocalories.", v1: "cal_total"},
				{v2: "target_calories", kind: kInt, req: true, unit: "kcal", doc: "Daily activity target, in active kilocalories.", v1: "target_calories"},
				{v2: "steps", kind: kInt, req: true, doc: "Number of steps taken.", v1: "steps"},
				{v2: "equivalent_walking_distance", kind: kInt, req: true, unit: "m", doc: "Distance, in metres, that walking would take to burn the same energy as the day's activity.", v1: "daily_movement"},
				{v2: "target_meters", kind: kInt, req: true, unit: "m", doc: "Daily activity target as an equivalent walking distance, in metres (v1 gave kilometres, target_km: rows from v1 have it times 1000, rounded).", v1: "target_km"},
				{v2: "meters_to_target", kind: kInt, req: true, unit: "m", doc: "Equivalent walking distance still needed to reach the daily target, in metres (v1 gave kilometres, to_target_km: rows from v1 have it times 1000, rounded).", v1: "to_target_km"},
				seconds("high_activity_time", true, "Time in high-intensity activity, in seconds (v1 gave minutes).", "high"),
				seconds("medium_activity_time", true, "Time in medium-intensity activity, in seconds (v1 gave minutes).", "medium"),
				seconds("low_activity_time", true, "Time in low-intensity activity, in seconds (v1 gave minutes).", "low"),
				seconds("sedentary_time", true, "Time sitting or standing still, in seconds (v1 gave minutes).", "inactive"),
				seconds("resting_time", true, "Time resting or asleep, in seconds (v1 gave minutes).", "rest"),
				seconds("non_wear_time", true, "Time the ring was not worn, in seconds (v1 gave minutes).", "non_wear"),
				{v2: "high_activity_met_minutes", kind: kInt, req: true, unit: "MET-min", doc: "Sum of the METs of every minute classified as high activity.", v1: "met_min_high"},
				{v2: "medium_activity_met_minutes", kind: kInt, req: true, unit: "MET-min", doc: "Sum of the METs of every minute classified as medium activity.", v1: "met_min_medium"},
				{v2: "low_activity_met_minutes", kind: kInt, req: true, unit: "MET-min", doc: "Sum of the METs of every minute classified as low activity.", v1: "met_min_low"},
				{v2: "sedentary_met_minutes", kind: kInt, req: true, unit: "MET-min", doc: "Sum of the METs of every minute classified as sedentary.", v1: "met_min_inactive"},
				v1only("met_min_medium_plus", Int, "MET-min", "MET minutes of medium and high activity together; only v1 states it (in v2 it is medium plus high).", "met_min_medium_plus"),
				{v2: "average_met_minutes", kind: kFloat, req: true, unit: "MET", doc: "Average metabolic equivalent (MET) over the day.", v1: "average_met"},
				{v2: "inactivity_alerts", kind: kInt, req: true, doc: "Number of inactivity alerts (reminders to move after a long inactive stretch).", v1: "inactivity_alerts"},
				{v2: "class_5_min", kind: kCodes, null: true, v1: "class_5min",
					doc: "Activity class of each 5 minutes of the day from 04:00 local time, one character each: 0 non-wear, 1 rest, 2 inactive, 3 low, 4 medium, 5 high activity. One row per character in daily_activity_class_5_min.",
					child: &cdef{name: "daily_activity_class_5_min", labels: activityClasses, start: "timestamp", interval: 300, what: "5-minute period", v1: "class_5min",
						doc: "The activity class of every 5 minutes of an activity day, one row per character of daily_activity.class_5_min, from the start of the activity day (04:00 local time)."}},
				{v2: "met", kind: kSample, req: true,
					child: &cdef{name: "daily_activity_met", value: "met", unit: "MET", v1: "met_1min",
						vdoc: "Metabolic equivalent (MET) of this minute: energy burned relative to sitting at rest.",
						doc:  "Metabolic equivalent (MET) of every minute of an activity day, one row per item of daily_activity.met (normally 1440 a day, from 04:00 local time)."}},
				v1only("rest_mode_state", Int, "", v1RestMode, "rest_mode_state"),
				v1only("target_km", Float, "km", "Daily activity target as a walking distance in kilometres; only v1 and Oura Cloud exports state it (v2: target_meters).", "target_km"),
				v1only("target_miles", Float, "mi", "Daily activity target as a walking distance in miles; only v1 and Oura Cloud exports state it.", "target_miles"),
				v1only("to_target_km", Float, "km", "Walking distance still needed to reach the daily target, in kilometres; only v1 and Oura Cloud exports state it (v2: meters_to_target).", "to_target_km"),
				v1only("to_target_miles", Float, "mi", "Walking distance still needed to reach the daily target, in miles; only v1 and Oura Cloud exports state it.", "to_target_miles"),
				v1only("total", Int, "", "Undocumented v1 activity value named total (believed to be the total active time); kept as given.", "total"),
			},
		},
		{
			// Key is day: responses recorded in 2024 had no id (the spec added it later).
			name: "daily_cardiovascular_age", coll: "daily_cardiovascular_age", key: []string{"day"}, part: "day", dated: "day", merge: Merge{Keys: [][]string{{"day"}}},
			doc: "One row per day with Oura's estimate of the user's cardiovascular (vascular) age. Keyed by day because older responses carry no id.",
			fields: []fdef{
				{v2: "id", kind: kString, doc: "Oura's unique id of the estimate; null in responses from before Oura added it (2024)."},
				dayField("Day the estimate belongs to.", ""),
				{v2: "vascular_age", kind: kInt, null: true, unit: "years", doc: "Estimated vascular age, in years (18-100)."},
				{v2: "pulse_wave_velocity", kind: kFloat, null: true, unit: "m/s", doc: "Pulse wave velocity, in metres per second, derived by Oura from the vascular age estimate (possibly with an offset added)."},
			},
		},
		{
			// Not in openapi-1.35: documents {id, day, phase} behind the
			// reproductive_cycle scope (issue 16; third-party clients read it).
			name: "daily_cycle_phases", coll: "daily_cycle_phases", key: []string{"id"}, part: "day", dated: "day", merge: Merge{Keys: [][]string{{"day"}}},
			doc: "One row per day with the menstrual cycle phase Oura's Cycle Insights estimated for it. Served only to logins granted the reproductive_cycle scope.",
			fields: []fdef{
				idField("cycle phase record"),
				dayField("Day the phase belongs to.", ""),
				{v2: "phase", kind: kEnum, null: true, doc: "Cycle phase Oura estimated for the day (third-party clients see menstrual, follicular, ovulatory and luteal); kept as Oura spells it."},
			},
		},
		{
			name: "daily_readiness", coll: "daily_readiness", key: []string{"id"}, part: "day", dated: "day", merge: Merge{Keys: [][]string{{"day"}}},
			doc: "One row per day: readiness score, its contributors and body temperature deviations.",
			fields: []fdef{
				v1IDField("daily readiness", "v1-readiness-<summary_date>-<period_id>"),
				dayField("Day the readiness belongs to (the day the user woke up; v1's summary_date was the day before).", "summary_date"),
				{v2: "timestamp", kind: kInstant, req: true, doc: "Timestamp Oura gives the readiness record (the start of day)."},
				score("score", "Readiness score", "score"),
				{v2: "contributors", kind: kObject, req: true, sub: []fdef{
					score("activity_balance", "Readiness contributor for the balance of recent activity against the longer-term level", "score_activity_balance"),
					score("body_temperature", "Readiness contributor for body temperature", "score_temperature"),
					score("hrv_balance", "Readiness contributor for recent heart rate variability against the longer-term level", "score_hrv_balance"),
					score("previous_day_activity", "Readiness contributor for the previous day's activity", "score_previous_day"),
					score("previous_night", "Readiness contributor for the previous night's sleep", "score_previous_night"),
					score("recovery_index", "Readiness contributor for how early in the night the resting heart rate settled", "score_recovery_index"),
					score("resting_heart_rate", "Readiness contributor for resting heart rate", "score_resting_hr"),
					score("sleep_balance", "Readiness contributor for recent sleep against the need", "score_sleep_balance"),
					score("sleep_regularity", "Readiness contributor for regular sleep timing", ""),
				}},
				{v2: "temperature_deviation", kind: kFloat, null: true, unit: "°C", doc: "Deviation of body temperature from the user's long-term baseline, in degrees Celsius."},
				{v2: "temperature_trend_deviation", kind: kFloat, null: true, unit: "°C", doc: "Deviation of the body temperature trend (a weighted recent average) from the baseline, in degrees Celsius."},
				v1only("period_id", Int, "", "Index of the sleep period the readiness was computed for, among that day's periods (0 = first); only v1 states it (v1 readiness was per sleep period).", "period_id"),
				v1only("rest_mode_state", Int, "", v1RestMode, "rest_mode_state"),
			},
		},
		{
			name: "daily_resilience", coll: "daily_resilience", key: []string{"id"}, part: "day", dated: "day", merge: Merge{Keys: [][]string{{"day"}}},
			doc: "One row per day with Oura's long-term resilience level and its contributors.",
			fields: []fdef{
				idField("resilience record"),
				dayField("Day the resilience record belongs to.", ""),
				{v2: "level", kind: kEnum, req: true, doc: "Resilience level: limited, adequate, solid, strong or exceptional."},
				{v2: "contributors", kind: kObject, req: true, sub: []fdef{
					{v2: "sleep_recovery", kind: kFloat, req: true, doc: "Resilience contributor for recovery during sleep (0-100)."},
					{v2: "daytime_recovery", kind: kFloat, req: true, doc: "Resilience contributor for recovery during the day (0-100)."},
					{v2: "stress", kind: kFloat, req: true, doc: "Resilience contributor for stress load (0-100)."},
				}},
			},
		},
		{
			name: "daily_sleep", coll: "daily_sleep", key: []string{"id"}, part: "day", dated: "day", merge: Merge{Keys: [][]string{{"day"}}},
			doc: "One row per day: the sleep score and its contributors (the details of each sleep period are in sleep).",
			fields: []fdef{
				v1IDField("daily sleep", "v1-daily_sleep-<summary_date> (from the longest sleep period of the day)"),
				dayField("Day the sleep belongs to (the day the user woke up; v1's summary_date was the day before).", "summary_date"),
				{v2: "timestamp", kind: kInstant, req: true, doc: "Timestamp Oura gives the daily sleep record (the start of day)."},
				score("score", "Sleep score", "score"),
				{v2: "contributors", kind: kObject, req: true, sub: []fdef{
					score("deep_sleep", "Sleep score contributor for deep sleep", "score_deep"),
					score("efficiency", "Sleep score contributor for sleep efficiency (time asleep against time in bed)", "score_efficiency"),
					score("latency", "Sleep score contributor for the time it took to fall asleep", "score_latency"),
					score("rem_sleep", "Sleep score contributor for REM sleep", "score_rem"),
					score("restfulness", "Sleep score contributor for restfulness (few wake-ups, get-ups and restless moments)", "score_disturbances"),
					score("timing", "Sleep score contributor for the timing of sleep against the body clock (midpoint between midnight and 3 a.m. is best)", "score_alignment"),
					score("total_sleep", "Sleep score contributor for total sleep time", "score_total"),
				}},
			},
		},
		{
			name: "daily_spo2", coll: "daily_spo2", key: []string{"id"}, part: "day", dated: "day", merge: Merge{Keys: [][]string{{"day"}}},
			doc: "One row per day with blood oxygen saturation (SpO2) measured during sleep.",
			fields: []fdef{
				idField("daily SpO2 record"),
				dayField("Day the SpO2 values belong to.", ""),
				{v2: "spo2_percentage", kind: kObject, null: true, sub: []fdef{
					{v2: "average", kind: kFloat, req: true, unit: "%", doc: "Average blood oxygen saturation during sleep, in percent."},
				}},
				{v2: "breathing_disturbance_index", kind: kInt, null: true, doc: "Breathing disturbance index (BDI): how often SpO2 dropped noticeably during sleep (0-100)."},
			},
		},
		{
			name: "daily_stress", coll: "daily_stress", key: []string{"id"}, part: "day", dated: "day", merge: Merge{Keys: [][]string{{"day"}}},
			doc: "One row per day with time spent in high stress and in high recovery.",
			fields: []fdef{
				idField("daily stress record"),
				dayField("Day the stress record belongs to.", ""),
				{v2: "stress_high", kind: kInt, null: true, unit: "s", doc: "Time in high stress (the top quartile of the user's data), in seconds."},
				{v2: "recovery_high", kind: kInt, null: true, unit: "s", doc: "Time in high recovery (the bottom quartile of the user's stress data), in seconds."},
				{v2: "day_summary", kind: kEnum, null: true, doc: "Summary of the whole day: restored, normal or stressful."},
			},
		},
		{
			name: "enhanced_tag", coll: "enhanced_tag", key: []string{"id"}, part: "start_day", dated: "start_day", merge: Merge{Keys: [][]string{{"start_time", "tag_type_code"}}},
			doc: "One row per tag the user added in the app (enhanced tags: a tag type, optional duration and comment).",
			fields: []fdef{
				idField("tag"),
				{v2: "tag_type_code", kind: kEnum, null: true, doc: "Code of the tag type; null for a text-only tag, custom for a tag type the user made (see custom_name)."},
				{v2: "start_time", kind: kInstant, req: true, local: true, doc: "When the tagged event happened, or started if it has a duration."},
				{v2: "end_time", kind: kInstant, null: true, local: true, doc: "When the tagged event ended; null if it has no duration."},
				{v2: "start_day", kind: kDate, req: true, doc: "Day of the tag, or of its start if it has a duration."},
				{v2: "end_day", kind: kDate, null: true, doc: "Day the tagged event ended; null if it has no duration."},
				{v2: "comment", kind: kString, null: true, doc: "Free text the user added to the tag."},
				{v2: "custom_name", kind: kString, null: true, doc: "Name of the tag when tag_type_code is custom."},
			},
		},
		{
			name: "heartrate", coll: "heartrate", key: []string{"timestamp", "source"}, part: "timestamp", dated: "timestamp", merge: Merge{Series: "timestamp"},
			doc: "One row per heart rate measurement (every few minutes while awake, more often during sleep, workouts and sessions). Rows have no Oura id: a measurement is identified by its time and source.",
			fields: []fdef{
				{v2: "timestamp", kind: kInstant, req: true, doc: "Instant of the measurement."},
				{v2: "timestamp_unix", kind: kInt, unit: "ms", doc: "Instant of the measurement as Unix time in milliseconds, when the response gives it (newer API versions)."},
				{v2: "bpm", kind: kInt, req: true, unit: "bpm", doc: "Heart rate, in beats per minute."},
				{v2: "source", kind: kEnum, req: true, doc: "What the ring was doing when it measured: awake, rest, sleep, session, workout or live."},
			},
		},
		{
			// In openapi-1.29 only (PublicInterbeatIntervalRow); research
			// applications only since (issue 16).
			name: "interbeat_interval", coll: "interbeat_interval", key: []string{"timestamp"}, part: "timestamp", dated: "timestamp", merge: Merge{Series: "timestamp"},
			doc: "One row per heart beat interval the ring measured (in bursts, mostly during sleep): the time between two beats. Served only to research applications. Rows have no Oura id: a beat is identified by its time.",
			fields: []fdef{
				{v2: "timestamp", kind: kInstant, req: true, doc: "Instant of the beat that ends the interval."},
				{v2: "timestamp_unix", kind: kInt, unit: "ms", doc: "Instant of the beat as Unix time in milliseconds, when the response gives it."},
				{v2: "ibi", kind: kInt, req: true, unit: "ms", doc: "Interbeat interval: time since the previous beat, in milliseconds."},
				{v2: "validity", kind: kInt, req: true, doc: "Oura's validity code of the interval, as given (an integer; its meaning is not documented)."},
			},
		},
		{
			name: "personal_info", coll: "personal_info", key: []string{"id"}, merge: Merge{One: true},
			doc: "The user's profile: one row per export (v2 personal_info, v1 userinfo).",
			fields: []fdef{
				v1IDField("user", "v1-userinfo-<user_id>"),
				{v2: "age", kind: kInt, null: true, unit: "years", doc: "Age in years.", v1: "age"},
				{v2: "weight", kind: kFloat, null: true, unit: "kg", doc: "Body weight in kilograms.", v1: "weight"},
				{v2: "height", kind: kFloat, null: true, unit: "m", doc: "Height in metres (v1 gave centimetres).", v1: "height"},
				{v2: "biological_sex", kind: kEnum, null: true, doc: "Biological sex as the user entered it.", v1: "gender"},
				{v2: "email", kind: kString, null: true, doc: "E-mail address of the account.", v1: "email"},
				v1only("user_id", String, "", "User id as v1 gave it (a different format from the v2 id).", "user_id"),
			},
		},
		{
			name: "rest_mode_period", coll: "rest_mode_period", key: []string{"id"}, part: "start_day", dated: "start_day", merge: Merge{Keys: [][]string{{"start_day"}}},
			doc: "One row per Rest Mode period (time the user told Oura they were ill or recovering). Its episodes are in rest_mode_period_episode.",
			fields: []fdef{
				idField("Rest Mode period"),
				{v2: "start_day", kind: kDate, req: true, doc: "Day Rest Mode started."},
				{v2: "start_time", kind: kInstant, null: true, doc: "When Rest Mode started."},
				{v2: "end_day", kind: kDate, null: true, doc: "Day Rest Mode ended; null while it lasts."},
				{v2: "end_time", kind: kInstant, null: true, doc: "When Rest Mode ended; null while it lasts."},
				{v2: "episodes", kind: kEpisodes, req: true,
					sub: []fdef{
						{v2: "timestamp", kind: kInstant, req: true, doc: "When the episode was logged."},
						{v2: "tags", kind: kStrings, req: true, doc: "Tags the user chose for the episode (symptoms, activities), as a JSON array of strings."},
					},
					child: &cdef{name: "rest_mode_period_episode",
						doc: "One row per episode of a Rest Mode period: the tags the user logged, in the order of rest_mode_period.episodes."}},
			},
		},
		{
			name: "ring_battery_level", coll: "ring_battery_level", key: []string{"timestamp"}, part: "timestamp", dated: "timestamp", merge: Merge{Series: "timestamp"},
			doc: "One row per ring battery reading. Rows have no Oura id: a reading is identified by its time.",
			fields: []fdef{
				{v2: "timestamp", kind: kInstant, req: true, doc: "Instant of the reading."},
				{v2: "timestamp_unix", kind: kInt, unit: "ms", doc: "Instant of the reading as Unix time in milliseconds, when the response gives it (newer API versions)."},
				{v2: "level", kind: kInt, req: true, unit: "%", doc: "Battery level, in percent (0-100)."},
				{v2: "charging", kind: kBool, null: true, doc: "Whether the ring was charging."},
				{v2: "in_charger", kind: kBool, null: true, doc: "Whether the ring was in its charger."},
			},
		},
		{
			name: "ring_configuration", coll: "ring_configuration", key: []string{"id"}, merge: Merge{ByID: true},
			doc: "One row per ring the user has set up: model, design, colour, size and firmware.",
			fields: []fdef{
				idField("ring configuration"),
				{v2: "color", kind: kEnum, null: true, doc: "Colour of the ring (e.g. stealth_black, silver, rose)."},
				{v2: "design", kind: kEnum, null: true, doc: "Design of the ring: heritage, balance, balance_diamond, horizon or ceramic."},
				{v2: "firmware_version", kind: kEnum, null: true, doc: "Firmware version of the ring."},
				{v2: "hardware_type", kind: kEnum, null: true, doc: "Ring generation: gen1, gen2, gen2m, gen3, gen4 or or5."},
				{v2: "set_up_at", kind: kInstant, null: true, doc: "When the ring was set up (Oura gives 1970-01-01 when it does not know)."},
				{v2: "size", kind: kInt, null: true, unit: "US size", doc: "Ring size (US sizes)."},
			},
		},
		{
			name: "session", coll: "session", key: []string{"id"}, part: "day", dated: "day", merge: Merge{Keys: [][]string{{"start_datetime"}}},
			doc: "One row per session (a Moment the user recorded: breathing, meditation, nap, relaxation, rest or body status). Heart rate, heart rate variability and motion samples are in its child tables.",
			fields: []fdef{
				idField("session"),
				dayField("Day the session took place.", ""),
				{v2: "start_datetime", kind: kInstant, req: true, doc: "When the session started."},
				{v2: "end_datetime", kind: kInstant, req: true, doc: "When the session ended."},
				{v2: "type", kind: kEnum, req: true, doc: "Kind of session: breathing, meditation, nap, relaxation, rest or body_status."},
				{v2: "mood", kind: kEnum, null: true, doc: "Mood the user chose afterwards: bad, worse, same, good or great."},
				{v2: "heart_rate", kind: kSample, null: true,
					child: &cdef{name: "session_heart_rate", value: "bpm", unit: "bpm",
						vdoc: "Heart rate, in beats per minute.",
						doc:  "Heart rate samples of a session, one row per item of session.heart_rate."}},
				{v2: "heart_rate_variability", kind: kSample, null: true,
					child: &cdef{name: "session_heart_rate_variability", value: "hrv", unit: "ms",
						vdoc: "Heart rate variability (rMSSD), in milliseconds.",
						doc:  "Heart rate variability samples of a session, one row per item of session.heart_rate_variability."}},
				{v2: "motion_count", kind: kSample, null: true,
					child: &cdef{name: "session_motion_count", value: "motion_count",
						vdoc: "Number of movements the ring counted in this interval.",
						doc:  "Motion samples of a session, one row per item of session.motion_count."}},
			},
		},
		{
			name: "sleep", coll: "sleep", key: []string{"id"}, part: "day", dated: "day", merge: Merge{Keys: [][]string{{"bedtime_start"}, {"day"}}},
			doc: "One row per sleep period (a night's sleep, a nap or a rest the ring detected): timing, sleep stages, heart rate, HRV, breathing and the readiness computed from it. Heart rate and HRV samples, sleep phases and movement are in its child tables.",
			fields: []fdef{
				v1IDField("sleep period", "v1-sleep-<summary_date>-<period_id> (v1-restful_period-... for the restful periods of Oura Cloud downloads)"),
				dayField("Day the sleep period belongs to (the day the user woke up; v1's summary_date was the day before).", "summary_date"),
				{v2: "period", kind: kInt, req: true, doc: "Oura's index of the sleep period.", v1: "period_id"},
				{v2: "type", kind: kEnum, null: true, doc: "Kind of period: long_sleep (over 3 hours), sleep (a nap of 15 minutes to 3 hours), late_nap (ended after 6 p.m., counts to the next day), rest (rejected as sleep) or deleted."},
				{v2: "bedtime_start", kind: kInstant, req: true, doc: "When the user went to bed.", v1: "bedtime_start", offV1: "timezone"},
				{v2: "bedtime_end", kind: kInstant, req: true, doc: "When the user got up.", v1: "bedtime_end", offV1: "timezone"},
				seconds("time_in_bed", true, "Time in bed, from bedtime_start to bedtime_end, in seconds.", "duration"),
				seconds("total_sleep_duration", false, "Total time asleep (light, REM and deep sleep), in seconds.", "total"),
				seconds("awake_time", false, "Time awake in bed, in seconds.", "awake"),
				seconds("light_sleep_duration", false, "Time in light sleep, in seconds.", "light"),
				seconds("rem_sleep_duration", false, "Time in REM sleep, in seconds.", "rem"),
				seconds("deep_sleep_duration", false, "Time in deep sleep, in seconds.", "deep"),
				seconds("latency", false, "Time it took to fall asleep after going to bed, in seconds.", "onset_latency"),
				{v2: "efficiency", kind: kInt, null: true, unit: "%", doc: "Sleep efficiency: time asleep as a percentage of time in bed (1-100).", v1: "efficiency"},
				{v2: "restless_periods", kind: kInt, null: true, doc: "Number of restless periods during sleep (not the same as v1's restless percentage: see restless_percent)."},
				{v2: "average_breath", kind: kFloat, null: true, unit: "breaths/min", doc: "Average breathing rate during sleep, in breaths per minute.", v1: "breath_average"},
				{v2: "average_heart_rate", kind: kFloat, null: true, unit: "bpm", doc: "Average heart rate during sleep, in beats per minute (from 30-second samples; the app shows the average of 5-minute values).", v1: "hr_average"},
				{v2: "lowest_heart_rate", kind: kInt, null: true, unit: "bpm", doc: "Lowest heart rate during sleep, in beats per minute (from 30-second samples; the app shows the lowest 5-minute value).", v1: "hr_lowest"},
				{v2: "average_hrv", kind: kInt, null: true, unit: "ms", doc: "Average heart rate variability (rMSSD) during sleep, in milliseconds.", v1: "rmssd"},
				{v2: "low_battery_alert", kind: kBool, req: true, doc: "Whether the ring raised a low-battery alert during the period."},
				{v2: "readiness_score_delta", kind: kInt, null: true, doc: "Change in the readiness score caused by this sleep period."},
				{v2: "sleep_score_delta", kind: kInt, null: true, doc: "Change in the sleep score caused by this sleep period."},
				{v2: "sleep_algorithm_version", kind: kEnum, null: true, doc: "Version of Oura's sleep algorithm that analysed the period: v1 or v2."},
				{v2: "sleep_analysis_reason", kind: kEnum, null: true, doc: "Why the latest version of this period was created or updated (e.g. foreground_sleep_analysis, bedtime_edit)."},
				{v2: "ring_id", kind: kString, null: true, doc: "Encrypted identifier of the ring that recorded the period."},
				{v2: "readiness", kind: kObject, null: true, sub: []fdef{
					{v2: "contributors", kind: kObject, req: true, sub: []fdef{
						score("activity_balance", "Readiness contributor, from this sleep period, for the balance of recent activity", ""),
						score("body_temperature", "Readiness contributor, from this sleep period, for body temperature", ""),
						score("hrv_balance", "Readiness contributor, from this sleep period, for heart rate variability balance", ""),
						score("previous_day_activity", "Readiness contributor, from this sleep period, for the previous day's activity", ""),
						score("previous_night", "Readiness contributor, from this sleep period, for the previous night's sleep", ""),
						score("recovery_index", "Readiness contributor, from this sleep period, for the recovery index", ""),
						score("resting_heart_rate", "Readiness contributor, from this sleep period, for resting heart rate", ""),
						score("sleep_balance", "Readiness contributor, from this sleep period, for sleep balance", ""),
						score("sleep_regularity", "Readiness contributor, from this sleep period, for sleep regularity", ""),
					}},
					score("score", "Readiness score computed from this sleep period", ""),
					{v2: "temperature_deviation", kind: kFloat, null: true, unit: "°C", doc: "Body temperature deviation from the baseline during this period, in degrees Celsius.", v1: "temperature_deviation"},
					{v2: "temperature_trend_deviation", kind: kFloat, null: true, unit: "°C", doc: "Body temperature trend deviation from the baseline, in degrees Celsius.", v1: "temperature_trend_deviation"},
				}},
				{v2: "heart_rate", kind: kSample, null: true,
					child: &cdef{name: "sleep_heart_rate", value: "bpm", unit: "bpm", v1: "hr_5min",
						vdoc: "Average heart rate of this interval (normally 5 minutes), in beats per minute.",
						doc:  "Heart rate during a sleep period, one row per item of sleep.heart_rate (normally every 5 minutes from bedtime_start)."}},
				{v2: "hrv", kind: kSample, null: true,
					child: &cdef{name: "sleep_hrv", value: "hrv", unit: "ms", v1: "rmssd_5min",
						vdoc: "Average heart rate variability (rMSSD) of this interval (normally 5 minutes), in milliseconds.",
						doc:  "Heart rate variability during a sleep period, one row per item of sleep.hrv (normally every 5 minutes from bedtime_start)."}},
				{v2: "sleep_phase_5_min", kind: kCodes, null: true, v1: "hypnogram_5min",
					doc: "Sleep phase of each 5 minutes from bedtime_start, one character each: 1 deep, 2 light, 3 REM, 4 awake. One row per character in sleep_phase_5_min.",
					child: &cdef{name: "sleep_phase_5_min", labels: sleepPhases, start: "bedtime_start", interval: 300, what: "5-minute period", v1: "hypnogram_5min",
						doc: "The sleep phase of every 5 minutes of a sleep period, one row per character of sleep.sleep_phase_5_min, from bedtime_start."}},
				{v2: "app_sleep_phase_5_min", kind: kCodes, null: true,
					doc: "Sleep phase of each 5 minutes from bedtime_start as the app shows it, one character each: 1 deep, 2 light, 3 REM, 4 awake. One row per character in sleep_app_phase_5_min.",
					child: &cdef{name: "sleep_app_phase_5_min", labels: sleepPhases, start: "bedtime_start", interval: 300, what: "5-minute period",
						doc: "The sleep phase of every 5 minutes of a sleep period as the app shows it, one row per character of sleep.app_sleep_phase_5_min, from bedtime_start."}},
				{v2: "sleep_phase_30_sec", kind: kCodes, null: true,
					doc: "Sleep phase of each 30 seconds from bedtime_start, one character each: 1 deep, 2 light, 3 REM, 4 awake. One row per character in sleep_phase_30_sec.",
					child: &cdef{name: "sleep_phase_30_sec", labels: sleepPhases, start: "bedtime_start", interval: 30, what: "30-second period",
						doc: "The sleep phase of every 30 seconds of a sleep period, one row per character of sleep.sleep_phase_30_sec, from bedtime_start."}},
				{v2: "movement_30_sec", kind: kCodes, null: true,
					doc: "Movement in each 30 seconds from bedtime_start, one character each: 1 no motion, 2 restless, 3 tossing and turning, 4 active. One row per character in sleep_movement_30_sec.",
					child: &cdef{name: "sleep_movement_30_sec", labels: movements, start: "bedtime_start", interval: 30, what: "30-second period",
						doc: "Movement in every 30 seconds of a sleep period, one row per character of sleep.movement_30_sec, from bedtime_start."}},
				v1only("is_longest", Bool, "", "Whether this was the longest sleep period of its day; only v1 states it (in v2, type long_sleep is the closest).", "is_longest"),
				v1only("restless_percent", Int, "%", "Percentage of sleep time spent moving; only v1 states it.", "restless"),
				v1only("midpoint_time", Int, "s", "Time from bedtime_start to the midpoint of sleep (awake time left out), in seconds; only v1 states it.", "midpoint_time"),
				v1only("bedtime_start_delta", Int, "s", "bedtime_start relative to local midnight, in seconds (negative = before midnight); only v1 and Oura Cloud exports state it.", "bedtime_start_delta"),
				v1only("bedtime_end_delta", Int, "s", "bedtime_end relative to local midnight, in seconds; only v1 and Oura Cloud exports state it.", "bedtime_end_delta"),
				v1only("midpoint_at_delta", Int, "s", "Midpoint of sleep relative to local midnight, in seconds; only v1 and Oura Cloud exports state it.", "midpoint_at_delta"),
				v1only("temperature_delta", Float, "°C", "Skin temperature deviation from the long-term average, in degrees Celsius, as v1 computed it (v2: readiness_temperature_deviation).", "temperature_delta"),
				v1only("period_score", Int, "", "Sleep score of this sleep period as v1 gave it, one per period (1-100; null when v1 gave 0, its mark for none). The score of the day, that of its longest period, is daily_sleep.score.", "score"),
				v1only("period_contributors_deep_sleep", Int, "", "Deep sleep contributor of this period's v1 sleep score (1-100; null when v1 gave 0).", "score_deep"),
				v1only("period_contributors_efficiency", Int, "", "Sleep efficiency contributor of this period's v1 sleep score (1-100; null when v1 gave 0).", "score_efficiency"),
				v1only("period_contributors_latency", Int, "", "Sleep latency contributor of this period's v1 sleep score (1-100; null when v1 gave 0).", "score_latency"),
				v1only("period_contributors_rem_sleep", Int, "", "REM sleep contributor of this period's v1 sleep score (1-100; null when v1 gave 0).", "score_rem"),
				v1only("period_contributors_restfulness", Int, "", "Restfulness (disturbances) contributor of this period's v1 sleep score (1-100; null when v1 gave 0).", "score_disturbances"),
				v1only("period_contributors_timing", Int, "", "Timing (circadian alignment) contributor of this period's v1 sleep score (1-100; null when v1 gave 0).", "score_alignment"),
				v1only("period_contributors_total_sleep", Int, "", "Total sleep contributor of this period's v1 sleep score (1-100; null when v1 gave 0).", "score_total"),
			},
		},
		{
			name: "sleep_time", coll: "sleep_time", key: []string{"id"}, part: "day", dated: "day", merge: Merge{Keys: [][]string{{"day"}}},
			doc: "One row per day with Oura's bedtime guidance: the optimal bedtime window and a recommendation.",
			fields: []fdef{
				v1IDField("sleep time record", "v1-bedtime-<date>"),
				dayField("Day the guidance is for.", "date"),
				{v2: "optimal_bedtime", kind: kObject, null: true, sub: []fdef{
					{v2: "day_tz", kind: kInt, req: true, unit: "s", doc: "Offset of the user's time zone from UTC on that day, in seconds east."},
					{v2: "start_offset", kind: kInt, req: true, unit: "s", doc: "Start of the optimal bedtime window, in seconds from local midnight (negative = before midnight).", v1: "bedtime_window.start"},
					{v2: "end_offset", kind: kInt, req: true, unit: "s", doc: "End of the optimal bedtime window, in seconds from local midnight (negative = before midnight).", v1: "bedtime_window.end"},
				}},
				{v2: "recommendation", kind: kEnum, null: true, doc: "Recommended action, e.g. earlier_bedtime, later_bedtime, follow_optimal_bedtime, improve_efficiency."},
				{v2: "status", kind: kEnum, null: true, doc: "Why the recommendation is what it is, e.g. not_enough_nights, bad_sleep_quality, optimal_found."},
				v1only("v1_status", String, "", "Ideal-bedtime status as v1 reported it: NOT_ENOUGH_DATA, LOW_SLEEP_SCORES or IDEAL_BEDTIME_AVAILABLE (v2 uses status).", "status"),
			},
		},
		{
			name: "tag", coll: "tag", key: []string{"id"}, part: "day", dated: "day", merge: Merge{Keys: [][]string{{"timestamp", "text"}}},
			doc: "One row per note with tags the user added in the app (the older tag collection; newer tags are in enhanced_tag).",
			fields: []fdef{
				idField("tag"),
				dayField("Day the note belongs to.", ""),
				{v2: "text", kind: kString, req: true, null: true, doc: "Text of the note."},
				{v2: "timestamp", kind: kInstant, req: true, local: true, doc: "When the note was made."},
				{v2: "tags", kind: kStrings, req: true, doc: "Tags chosen for the note, as a JSON array of strings."},
			},
		},
		{
			name: "vo2_max", coll: "vO2_max", key: []string{"id"}, part: "day", dated: "day", merge: Merge{Keys: [][]string{{"timestamp"}, {"day"}}},
			doc: "One row per VO2 max estimate (cardio capacity).",
			fields: []fdef{
				idField("estimate"),
				dayField("Day the estimate belongs to.", ""),
				{v2: "timestamp", kind: kInstant, req: true, doc: "When the estimate was made."},
				{v2: "vo2_max", kind: kInt, req: true, unit: "ml/kg/min", doc: "Estimated maximal oxygen uptake, in millilitres per kilogram of body weight per minute."},
			},
		},
		{
			name: "workout", coll: "workout", key: []string{"id"}, part: "day", dated: "day", merge: Merge{Keys: [][]string{{"start_datetime"}}},
			doc: "One row per workout, detected by the ring or entered by the user.",
			fields: []fdef{
				idField("workout"),
				{v2: "activity", kind: kEnum, req: true, doc: "Kind of activity, e.g. walking, running, cycling."},
				{v2: "calories", kind: kFloat, null: true, unit: "kcal", doc: "Energy burned during the workout, in kilocalories."},
				dayField("Day the workout took place.", ""),
				{v2: "distance", kind: kFloat, null: true, unit: "m", doc: "Distance covered, in metres."},
				{v2: "start_datetime", kind: kInstant, req: true, doc: "When the workout started."},
				{v2: "end_datetime", kind: kInstant, req: true, doc: "When the workout ended."},
				{v2: "intensity", kind: kEnum, req: true, doc: "Intensity: easy, moderate or hard."},
				{v2: "label", kind: kString, null: true, doc: "Label the user gave the workout."},
				{v2: "source", kind: kEnum, req: true, doc: "How Oura learned of the workout: manual, autodetected, confirmed or workout_heart_rate."},
			},
		},
	}
}
