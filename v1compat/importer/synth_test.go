package importer_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/v1compat/internal/v1test"
)

// The generators below render the sandbox's truth (its v1 and v2
// documents) into the exact layout of each kind of file people saved from
// Oura, so that importing them can be compared with an API export of the
// same history.

// member is a member of a JSON object, its value as written.
type member struct {
	key string
	raw json.RawMessage
}

// members splits a JSON object into its members, in order.
func members(t testing.TB, doc []byte) []member {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %.80s", doc)
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		out = append(out, member{tok.(string), raw})
	}
	return out
}

func get(ms []member, key string) json.RawMessage {
	for _, m := range ms {
		if m.key == key {
			return m.raw
		}
	}
	return nil
}

// text is a JSON scalar as a CSV cell: strings unquoted, null empty.
func text(raw json.RawMessage, boolCase func(bool) string) string {
	s := string(raw)
	switch {
	case s == "null":
		return ""
	case s == "true" || s == "false":
		return boolCase(s == "true")
	case strings.HasPrefix(s, `"`):
		var v string
		json.Unmarshal(raw, &v)
		return v
	}
	return s
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

func jsBool(b bool) string { return fmt.Sprint(b) }

// docs returns the sandbox's v2 documents of a collection over the history.
func v2Docs(t testing.TB, w *v1test.World, coll string) [][]byte {
	t.Helper()
	from, to := w.Since, w.Until.AddDate(0, 0, 1)
	if coll == "heartrate" || coll == "ring_battery_level" {
		from, to = w.Since.AddDate(0, 0, -1), w.Until.AddDate(0, 0, 2)
	}
	var out [][]byte
	for d, err := range w.Srv.Documents(1, coll, from, to) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		t.Fatalf("the sandbox holds no %s", coll)
	}
	return out
}

// v1Docs returns the sandbox's v1 records of a kind over the history.
func v1Docs(t testing.TB, w *v1test.World, kind string) [][]byte {
	t.Helper()
	var out [][]byte
	for d, err := range w.Srv.V1Documents(1, kind, w.Since.AddDate(0, 0, -1), w.Until.AddDate(0, 0, 1)) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// table is a CSV file being made: a header that grows as rows bring new
// columns, and the rows as maps.
type table struct {
	header []string
	rows   []map[string]string
}

func (tb *table) add(row map[string]string, order []string) {
	for _, k := range order {
		found := false
		for _, h := range tb.header {
			if h == k {
				found = true
				break
			}
		}
		if !found {
			tb.header = append(tb.header, k)
		}
	}
	tb.rows = append(tb.rows, row)
}

func (tb *table) csv(t testing.TB, comma rune, crlf bool) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = comma
	w.UseCRLF = crlf
	w.Write(tb.header)
	for _, r := range tb.rows {
		rec := make([]string, len(tb.header))
		for i, h := range tb.header {
			rec[i] = r[h]
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// webSeries are the sample objects the web downloads write as series cells.
var webSeries = map[string]map[string]string{
	"sleep":          {"heart_rate": "heart_rate_5_min", "hrv": "hrv_5_min"},
	"daily_activity": {"met": "met_1_min"},
}

// flatten adds the members of a v2 object to row, nested objects flattened
// with underscores, as Oura on the Web writes them.
func flatten(t testing.TB, coll string, prefix string, ms []member, row map[string]string, order *[]string) {
	for _, m := range ms {
		name := prefix + m.key
		if alias, ok := webSeries[coll][name]; ok && prefix == "" {
			if string(m.raw) == "null" {
				row[alias] = ""
			} else {
				var cell strings.Builder
				for _, it := range seriesItems(t, m.raw) {
					if it == "null" {
						cell.WriteString("None")
					} else {
						cell.WriteString(it)
					}
					cell.WriteByte(';')
				}
				row[alias] = cell.String()
			}
			*order = append(*order, alias)
			continue
		}
		if len(m.raw) > 0 && m.raw[0] == '{' {
			flatten(t, coll, name+"_", members(t, m.raw), row, order)
			continue
		}
		row[name] = text(m.raw, pyBool)
		*order = append(*order, name)
	}
}

func seriesItems(t testing.TB, raw json.RawMessage) []string {
	var s struct{ Items []json.RawMessage }
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(s.Items))
	for i, it := range s.Items {
		out[i] = string(it)
	}
	return out
}

// webCSV renders a collection as an Oura on the Web CSV download.
func webCSV(t testing.TB, w *v1test.World, coll string, withID bool) []byte {
	tb := &table{}
	for _, d := range v2Docs(t, w, coll) {
		row := map[string]string{}
		var order []string
		ms := members(t, d)
		if !withID {
			ms = without(ms, "id")
		}
		if coll == "heartrate" {
			ms = without(ms, "timestamp_unix")
			ms = append(ms, member{"quality", json.RawMessage(`"good"`)}, member{"restorative", json.RawMessage(`false`)})
		}
		flatten(t, coll, "", ms, row, &order)
		if coll == "sleep" { // columns of older years, kept in extra
			row["segment_state"], row["timezone"] = "valid", "120"
			order = append(order, "segment_state", "timezone")
		}
		tb.add(row, order)
	}
	return tb.csv(t, ',', false)
}

func without(ms []member, key string) []member {
	var out []member
	for _, m := range ms {
		if m.key != key {
			out = append(out, m)
		}
	}
	return out
}

// webBedtimeCSV renders v1 bedtime as the web's bedtime download.
func webBedtimeCSV(t testing.TB, w *v1test.World) []byte {
	tb := &table{}
	for _, d := range v1Docs(t, w, "bedtime") {
		ms := members(t, d)
		win := members(t, get(ms, "bedtime_window"))
		tb.add(map[string]string{"date": text(get(ms, "date"), pyBool), "status": text(get(ms, "status"), pyBool),
			"bedtime_window_start": text(get(win, "start"), pyBool), "bedtime_window_end": text(get(win, "end"), pyBool)},
			[]string{"date", "status", "bedtime_window_start", "bedtime_window_end"})
	}
	return tb.csv(t, ',', false)
}

// webJSON renders collections as the web's JSON download, keyed by
// dataset, records without id.
func webJSON(t testing.TB, w *v1test.World, colls ...string) []byte {
	var b bytes.Buffer
	b.WriteString("{")
	for i, c := range colls {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n  %q: [", c)
		for j, d := range v2Docs(t, w, c) {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n    {")
			for k, m := range without(members(t, d), "id") {
				if k > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, "%q:%s", m.key, m.raw)
			}
			b.WriteString("}")
		}
		b.WriteString("\n  ]")
	}
	b.WriteString("\n}\n")
	return b.Bytes()
}

// hubFiles are the Membership Hub's App Data files and their collections.
var hubFiles = map[string]string{
	"dailyactivity.csv": "daily_activity", "dailyreadiness.csv": "daily_readiness", "dailysleep.csv": "daily_sleep",
	"sleepmodel.csv": "sleep", "dailyspo2.csv": "daily_spo2", "dailystress.csv": "daily_stress",
	"dailycardiovascularage.csv": "daily_cardiovascular_age", "dailyresilience.csv": "daily_resilience",
	"workout.csv": "workout", "enhancedtag.csv": "enhanced_tag", "sleeptime.csv": "sleep_time",
	"heartrate.csv": "heartrate", "ringbatterylevel.csv": "ring_battery_level",
}

// hubCSV renders a collection as a Membership Hub CSV: semicolons, v2
// names, nested values as JSON text, empty for null.
func hubCSV(t testing.TB, w *v1test.World, coll string) []byte {
	tb := &table{}
	for _, d := range v2Docs(t, w, coll) {
		row := map[string]string{}
		var order []string
		for _, m := range members(t, d) {
			if len(m.raw) > 0 && (m.raw[0] == '{' || m.raw[0] == '[') {
				row[m.key] = string(m.raw)
			} else {
				row[m.key] = text(m.raw, jsBool)
			}
			order = append(order, m.key)
		}
		tb.add(row, order)
	}
	return tb.csv(t, ';', true)
}

// hubZip renders the Membership Hub export zip, with a file of a kind
// ouraexport does not read.
func hubZip(t testing.TB, w *v1test.World) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, coll := range hubFiles {
		f, err := zw.Create("App Data/" + name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(hubCSV(t, w, coll))
	}
	f, _ := zw.Create("App Data/temperature.csv")
	f.Write([]byte("timestamp;skin_temperature\r\n2024-01-02T03:04:05+00:00;34.1\r\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cloudJSON renders the legacy Oura Cloud JSON download (v1 records) and
// its separate heart rate file.
func cloudJSON(t testing.TB, w *v1test.World) (main, heart []byte) {
	var b bytes.Buffer
	b.WriteString("{")
	for i, kind := range []string{"activity", "readiness", "sleep"} {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:[", kind)
		for j, d := range v1Docs(t, w, kind) {
			if j > 0 {
				b.WriteString(",")
			}
			b.Write(d)
		}
		b.WriteString("]")
	}
	b.WriteString(`,"restful_periods":[]}`)
	var h bytes.Buffer
	h.WriteString(`{"heart_rate":[`)
	for i, d := range v2Docs(t, w, "heartrate") {
		if i > 0 {
			h.WriteString(",\n")
		}
		h.Write(d)
	}
	h.WriteString("]}")
	return b.Bytes(), h.Bytes()
}

// trendsEra describes one era of the legacy trends CSV.
type trendsEra struct {
	name    string
	columns []trendsCol
	comma   bool // a trailing comma after each line (2021-2024)
	crlf    bool
	us      bool // dates as M/D/YYYY (a spreadsheet re-save)
	none    string
}

type trendsCol struct {
	name  string
	kind  string // v1 kind the value comes from
	field string
}

var (
	trendsSleep = []trendsCol{{"Sleep Score", "sleep", "score"}, {"Total Sleep Score", "sleep", "score_total"},
		{"REM Sleep Score", "sleep", "score_rem"}, {"Deep Sleep Score", "sleep", "score_deep"},
		{"Sleep Efficiency Score", "sleep", "score_efficiency"}, {"Restfulness Score", "sleep", "score_disturbances"},
		{"Sleep Latency Score", "sleep", "score_latency"}, {"Sleep Timin Score", "sleep", "score_alignment"},
		{"Total Sleep Duration", "sleep", "total"}, {"Total Bedtime ", "sleep", "duration"}, {"Awake Time", "sleep", "awake"},
		{"REM Sleep Duration", "sleep", "rem"}, {"Light Sleep Duration", "sleep", "light"}, {"Deep Sleep Duration", "sleep", "deep"},
		{"Restless Sleep", "sleep", "restless"}, {"Sleep Efficiency", "sleep", "efficiency"}, {"Sleep Latency", "sleep", "onset_latency"},
		{"Sleep Timing", "sleep", "midpoint_time"}, {"Bedtime Start", "sleep", "bedtime_start"}, {"Bedtime End", "sleep", "bedtime_end"},
		{"Average Resting Heart Rate", "sleep", "hr_average"}, {"Lowest Resting Heart Rate", "sleep", "hr_lowest"},
		{"Average HRV", "sleep", "rmssd"}, {"Temperature Deviation (°C)", "sleep", "temperature_deviation"},
		{"Temperature Trend Deviation", "sleep", "temperature_trend_deviation"}, {"Respiratory Rate", "sleep", "breath_average"}}
	trendsActivity = []trendsCol{{"Activity Score", "activity", "score"}, {"Stay Active Score", "activity", "score_stay_active"},
		{"Move Every Hour Score", "activity", "score_move_every_hour"}, {"Meet Daily Targets Score", "activity", "score_meet_daily_targets"},
		{"Training Frequency Score", "activity", "score_training_frequency"}, {"Training Volume Score", "activity", "score_training_volume"},
		{"Activity Burn", "activity", "cal_active"}, {"Total Burn", "activity", "cal_total"}, {"Steps", "activity", "steps"},
		{"Equivalent Walking Distance", "activity", "daily_movement"}, {"Inactive Time", "activity", "inactive"},
		{"Rest Time", "activity", "rest"}, {"Low Activity Time", "activity", "low"}, {"Medium Activity Time", "activity", "medium"},
		{"High Activity Time", "activity", "high"}, {"Non-wear Time", "activity", "non_wear"}, {"Average MET", "activity", "average_met"},
		{"Long Periods of Inactivity", "activity", "inactivity_alerts"}}
	trendsReadiness = []trendsCol{{"Readiness Score", "readiness", "score"}, {"Previous Night Score", "readiness", "score_previous_night"},
		{"Sleep Balance Score", "readiness", "score_sleep_balance"}, {"Previous Day Activity Score", "readiness", "score_previous_day"},
		{"Activity Balance Score", "readiness", "score_activity_balance"}, {"Temperature Score", "readiness", "score_temperature"},
		{"Resting Heart Rate Score", "readiness", "score_resting_hr"}, {"HRV Balance Score", "readiness", "score_hrv_balance"},
		{"Recovery Index Score", "readiness", "score_recovery_index"}}
)

func concat(parts ...[]trendsCol) []trendsCol {
	var out []trendsCol
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func rename(cols []trendsCol, from, to string) []trendsCol {
	out := append([]trendsCol(nil), cols...)
	for i := range out {
		if out[i].name == from {
			out[i].name = to
		}
	}
	return out
}

func drop(cols []trendsCol, names ...string) []trendsCol {
	var out []trendsCol
	for _, c := range cols {
		keep := true
		for _, n := range names {
			keep = keep && c.name != n
		}
		if keep {
			out = append(out, c)
		}
	}
	return out
}

var trendsEras = []trendsEra{
	{name: "2021-2024", columns: concat(trendsSleep, trendsActivity, trendsReadiness), comma: true, crlf: true, none: "None"},
	{name: "2020", columns: rename(drop(concat(trendsSleep, trendsActivity, trendsReadiness), "Temperature Trend Deviation", "Sleep Timin Score"),
		"Restfulness Score", "Sleep Tranquility Score")},
	{name: "2019", columns: []trendsCol{{"average_rhr", "sleep", "hr_average"}, {"sleep_score", "sleep", "score"},
		{"activity_score", "activity", "score"}, {"readiness_score", "readiness", "score"}}},
	{name: "spreadsheet", columns: drop(concat(trendsSleep, trendsActivity, trendsReadiness), "Bedtime Start", "Bedtime End", "Sleep Timing", "Steps"),
		crlf: true, us: true},
}

// trendsCSV renders the history as a trends CSV of an era: one row per
// day, from the v1 records (the trends columns are v1's fields renamed).
func trendsCSV(t testing.TB, w *v1test.World, era trendsEra) []byte {
	byDay := map[string]map[string][]member{} // day -> kind -> record
	add := func(kind string, shift int) {
		for _, d := range v1Docs(t, w, kind) {
			ms := members(t, d)
			if kind == "sleep" && string(get(ms, "is_longest")) != "1" {
				continue
			}
			var date string
			json.Unmarshal(get(ms, "summary_date"), &date)
			day, _ := time.Parse(time.DateOnly, date)
			key := day.AddDate(0, 0, shift).Format(time.DateOnly)
			if byDay[key] == nil {
				byDay[key] = map[string][]member{}
			}
			byDay[key][kind] = ms
		}
	}
	add("sleep", 1)
	add("activity", 0)
	add("readiness", 1)
	var b bytes.Buffer
	nl := "\n"
	if era.crlf {
		nl = "\r\n"
	}
	header := []string{"date"}
	for _, c := range era.columns {
		header = append(header, c.name)
	}
	line := func(cells []string) {
		w := csv.NewWriter(&b)
		w.Write(cells)
		w.Flush()
		b.Truncate(b.Len() - 1) // csv.Writer's \n
		if era.comma {
			b.WriteString(",")
		}
		b.WriteString(nl)
	}
	line(header)
	for d := w.Since; !d.After(w.Until); d = d.AddDate(0, 0, 1) {
		recs := byDay[d.Format(time.DateOnly)]
		if recs == nil {
			continue
		}
		date := d.Format(time.DateOnly)
		if era.us {
			date = fmt.Sprintf("%d/%d/%d", d.Month(), d.Day(), d.Year())
		}
		cells := []string{date}
		for _, c := range era.columns {
			v := ""
			if ms := recs[c.kind]; ms != nil {
				v = text(get(ms, c.field), pyBool)
			}
			if v == "" {
				v = era.none
			}
			cells = append(cells, v)
		}
		line(cells)
	}
	return b.Bytes()
}

// writeFile writes b to dir/name and returns its path.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
