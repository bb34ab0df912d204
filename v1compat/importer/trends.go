package importer

import (
	"io"
	"strings"

	"github.com/ouraexport/ouraexport/v1compat"
)

// The legacy Oura Cloud "trends" CSV: one row per day, the day's sleep,
// activity and readiness summary in v1's units under Title Case names
// (2021-2024, with Oura's typos "Sleep Timin Score" and "Total Bedtime ",
// a trailing comma and literal None cells), or older names (2020: "Sleep
// Tranquility Score"), or five snake_case columns (2019). Each row becomes
// up to three v1-shaped records: a sleep record for the night that ended on
// the row's date (summary_date the day before, is_longest 1: the row is the
// day's main sleep), an activity record and a readiness record.
//
// The row's date is taken to be the app's date (the wake-up day), as the
// Oura Cloud web pages showed it.

// trendField is the v1 field of a trends column.
type trendField struct {
	kind  v1compat.Kind
	field string
	num   bool // the value is a number (else text)
	int   bool // an integer
}

// trendColumns maps the folded column names of every era to v1 fields.
var trendColumns = map[string]trendField{
	// Sleep.
	"sleepscore":                {v1compat.Sleep, "score", true, true},
	"totalsleepscore":           {v1compat.Sleep, "score_total", true, true},
	"remsleepscore":             {v1compat.Sleep, "score_rem", true, true},
	"deepsleepscore":            {v1compat.Sleep, "score_deep", true, true},
	"sleepefficiencyscore":      {v1compat.Sleep, "score_efficiency", true, true},
	"restfulnessscore":          {v1compat.Sleep, "score_disturbances", true, true},
	"sleeptranquilityscore":     {v1compat.Sleep, "score_disturbances", true, true},
	"sleeplatencyscore":         {v1compat.Sleep, "score_latency", true, true},
	"sleeptiminscore":           {v1compat.Sleep, "score_alignment", true, true},
	"sleeptimingscore":          {v1compat.Sleep, "score_alignment", true, true},
	"totalsleepduration":        {v1compat.Sleep, "total", true, true},
	"totalbedtime":              {v1compat.Sleep, "duration", true, true},
	"awaketime":                 {v1compat.Sleep, "awake", true, true},
	"remsleepduration":          {v1compat.Sleep, "rem", true, true},
	"lightsleepduration":        {v1compat.Sleep, "light", true, true},
	"deepsleepduration":         {v1compat.Sleep, "deep", true, true},
	"restlesssleep":             {v1compat.Sleep, "restless", true, true},
	"sleepefficiency":           {v1compat.Sleep, "efficiency", true, true},
	"sleeplatency":              {v1compat.Sleep, "onset_latency", true, true},
	"bedtimestart":              {v1compat.Sleep, "bedtime_start", false, false},
	"bedtimeend":                {v1compat.Sleep, "bedtime_end", false, false},
	"averagerestingheartrate":   {v1compat.Sleep, "hr_average", true, false},
	"averagerhr":                {v1compat.Sleep, "hr_average", true, false},
	"lowestrestingheartrate":    {v1compat.Sleep, "hr_lowest", true, true},
	"averagehrv":                {v1compat.Sleep, "rmssd", true, true},
	"temperaturedeviationc":     {v1compat.Sleep, "temperature_deviation", true, false},
	"temperaturedeviation":      {v1compat.Sleep, "temperature_deviation", true, false},
	"temperaturetrenddeviation": {v1compat.Sleep, "temperature_trend_deviation", true, false},
	"respiratoryrate":           {v1compat.Sleep, "breath_average", true, false},
	// Activity.
	"activityscore":             {v1compat.Activity, "score", true, true},
	"stayactivescore":           {v1compat.Activity, "score_stay_active", true, true},
	"moveeveryhourscore":        {v1compat.Activity, "score_move_every_hour", true, true},
	"meetdailytargetsscore":     {v1compat.Activity, "score_meet_daily_targets", true, true},
	"trainingfrequencyscore":    {v1compat.Activity, "score_training_frequency", true, true},
	"trainingvolumescore":       {v1compat.Activity, "score_training_volume", true, true},
	"recoverytimescore":         {v1compat.Activity, "score_recovery_time", true, true},
	"activityburn":              {v1compat.Activity, "cal_active", true, true},
	"totalburn":                 {v1compat.Activity, "cal_total", true, true},
	"targetcalories":            {v1compat.Activity, "target_calories", true, true},
	"steps":                     {v1compat.Activity, "steps", true, true},
	"equivalentwalkingdistance": {v1compat.Activity, "daily_movement", true, true},
	"inactivetime":              {v1compat.Activity, "inactive", true, true},
	"resttime":                  {v1compat.Activity, "rest", true, true},
	"lowactivitytime":           {v1compat.Activity, "low", true, true},
	"mediumactivitytime":        {v1compat.Activity, "medium", true, true},
	"highactivitytime":          {v1compat.Activity, "high", true, true},
	"nonweartime":               {v1compat.Activity, "non_wear", true, true},
	"averagemet":                {v1compat.Activity, "average_met", true, false},
	"longperiodsofinactivity":   {v1compat.Activity, "inactivity_alerts", true, true},
	// Readiness.
	"readinessscore":           {v1compat.Readiness, "score", true, true},
	"previousnightscore":       {v1compat.Readiness, "score_previous_night", true, true},
	"sleepbalancescore":        {v1compat.Readiness, "score_sleep_balance", true, true},
	"previousdayactivityscore": {v1compat.Readiness, "score_previous_day", true, true},
	"activitybalancescore":     {v1compat.Readiness, "score_activity_balance", true, true},
	"temperaturescore":         {v1compat.Readiness, "score_temperature", true, true},
	"restingheartratescore":    {v1compat.Readiness, "score_resting_hr", true, true},
	"hrvbalancescore":          {v1compat.Readiness, "score_hrv_balance", true, true},
	"recoveryindexscore":       {v1compat.Readiness, "score_recovery_index", true, true},
}

// isTrendsHeader reports whether a CSV header is a trends CSV's: a date
// column and any of the columns of any era (a spreadsheet re-save may have
// dropped the others, or added its own: unknown columns go to extra).
func isTrendsHeader(header []string) bool {
	date, known := false, false
	for _, h := range header {
		n := normName(h)
		switch {
		case n == "date" || n == "summarydate":
			date = true
		case trendColumns[n].kind != "":
			known = true
		}
	}
	return date && known
}

// trendsKindOf guesses where an unknown trends column belongs, so that it
// is kept in the extra column of that day's record of the same subject.
func trendsKindOf(name string) v1compat.Kind {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "readiness") || strings.Contains(n, "recovery") || strings.Contains(n, "balance"):
		return v1compat.Readiness
	case strings.Contains(n, "sleep") || strings.Contains(n, "bed") || strings.Contains(n, "hrv") || strings.Contains(n, "heart") ||
		strings.Contains(n, "respiratory") || strings.Contains(n, "temperature") || strings.Contains(n, "rem") || strings.Contains(n, "awake"):
		return v1compat.Sleep
	}
	return v1compat.Activity
}

// parseTrends reads a trends CSV.
func parseTrends(f *csvFile, out emitter) error {
	dateCol := -1
	type col struct {
		name string
		tf   trendField
		kind v1compat.Kind // of an unknown column
	}
	cols := make([]col, len(f.header))
	for i, h := range f.header {
		n := normName(h)
		if dateCol < 0 && (n == "date" || n == "summarydate") {
			dateCol = i
			continue
		}
		cols[i] = col{name: h, tf: trendColumns[n]}
		if cols[i].tf.kind == "" && h != "" {
			cols[i].kind = trendsKindOf(h)
		}
	}
	kinds := []v1compat.Kind{v1compat.Sleep, v1compat.Activity, v1compat.Readiness}
	for {
		rec, line, err := f.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if allBlank(rec) {
			continue
		}
		day, ok := parseDay(rec[dateCol])
		if !ok {
			return atLine(line, "column %q: %q is not a date", f.header[dateCol], rec[dateCol])
		}
		docs := map[v1compat.Kind]*jsonObject{}
		doc := func(k v1compat.Kind) *jsonObject {
			if docs[k] == nil {
				docs[k] = newObject()
			}
			return docs[k]
		}
		for i, v := range rec {
			c := cols[i]
			if i == dateCol || blank(v) {
				continue
			}
			switch {
			case c.tf.kind == "":
				if c.name == "" {
					if strings.TrimSpace(v) == "" {
						continue
					}
					c.name = "column " + itoa(i+1)
				}
				doc(c.kind).set([]string{c.name}, quote(v))
			case c.tf.int:
				if n, ok := intText(v); ok {
					doc(c.tf.kind).set([]string{c.tf.field}, n)
				} else if n, ok := numberText(v); ok {
					doc(c.tf.kind).set([]string{c.tf.field}, n) // the mapper keeps a fraction in extra
				} else {
					doc(c.tf.kind).set([]string{c.tf.field}, quote(v))
				}
			case c.tf.num:
				if n, ok := numberText(v); ok {
					doc(c.tf.kind).set([]string{c.tf.field}, n)
				} else {
					doc(c.tf.kind).set([]string{c.tf.field}, quote(v))
				}
			default:
				doc(c.tf.kind).set([]string{c.tf.field}, quote(strings.TrimSpace(v)))
			}
		}
		for _, k := range kinds {
			d := docs[k]
			if d == nil {
				continue
			}
			date := day
			if k != v1compat.Activity {
				date = day.AddDate(0, 0, -1) // v1's summary_date: the day before the wake-up day
			}
			if k == v1compat.Sleep && !d.has("is_longest") {
				d.prepend("is_longest", "1")
			}
			d.prepend("summary_date", quote(dayText(date)))
			if err := out.emit(importV1(k), d.bytes(), line); err != nil {
				return err
			}
		}
	}
}

func allBlank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
