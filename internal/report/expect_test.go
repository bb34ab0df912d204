package report_test

import (
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

// want is what the test counts in the export itself, with DuckDB over the
// Parquet files and from the manifest, independently of the report's code.
type want struct {
	manifest      sinks.Manifest
	since, until  string
	days          int
	rows          map[string]int64  // per table
	first, last   map[string]string // days, per dated table
	firstAt       map[string]string // instants in their offset, per time series
	lastAt        map[string]string
	origins       map[string]int64
	records       int64
	groupDays     map[string]int64 // days with records, per group key
	groupRecords  map[string]int64
	covered       int64    // days some non-event group has data
	notWorn       []string // the days without the ring
	means         map[string]string
	monthly       map[string]map[string]string // trend, month: value
	monthlyTrends []string
}

// groups are the report's groups of collections, as the test knows them.
var groups = map[string][]string{
	"scores":    {"daily_sleep", "daily_readiness", "daily_activity"},
	"sleep":     {"sleep"},
	"activity":  {"daily_activity"},
	"heartrate": {"heartrate"},
	"daily":     {"daily_spo2", "daily_stress", "daily_resilience", "daily_cardiovascular_age", "sleep_time"},
	"battery":   {"ring_battery_level"},
	"events":    {"workout", "session", "tag", "enhanced_tag", "vo2_max", "rest_mode_period"},
}

// trendSQL gives each trend's values per day: (day, value).
var trendSQL = map[string]string{
	"sleep_score":    `SELECT day, score v FROM %s WHERE score IS NOT NULL`,
	"readiness":      `SELECT day, score v FROM %s WHERE score IS NOT NULL`,
	"activity_score": `SELECT day, score v FROM %s WHERE score IS NOT NULL`,
	"total_sleep":    `SELECT day, sum(total_sleep_duration) v FROM %s WHERE type = 'long_sleep' AND total_sleep_duration IS NOT NULL GROUP BY day`,
	"resting_hr":     `SELECT day, min(lowest_heart_rate) v FROM %s WHERE type = 'long_sleep' AND lowest_heart_rate IS NOT NULL GROUP BY day`,
	"hrv":            `SELECT day, avg(average_hrv) v FROM %s WHERE type = 'long_sleep' AND average_hrv IS NOT NULL GROUP BY day`,
	"steps":          `SELECT day, steps v FROM %s WHERE score IS NOT NULL AND steps IS NOT NULL`,
}

var trendTable = map[string]string{"sleep_score": "daily_sleep", "readiness": "daily_readiness", "activity_score": "daily_activity",
	"total_sleep": "sleep", "resting_hr": "sleep", "hrv": "sleep", "steps": "daily_activity"}

// trendOrder is the order of the trends in the monthly table.
var trendOrder = []string{"sleep_score", "readiness", "activity_score", "total_sleep", "resting_hr", "hrv", "steps"}

func expected(t *testing.T, f *fixture) *want {
	t.Helper()
	d, err := sinks.LocalDir(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sinks.ReadManifest(d)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w := &want{manifest: m, since: m.Period.Since, until: m.Period.Until, rows: map[string]int64{}, first: map[string]string{}, last: map[string]string{},
		firstAt: map[string]string{}, lastAt: map[string]string{}, origins: map[string]int64{}, groupDays: map[string]int64{}, groupRecords: map[string]int64{},
		means: map[string]string{}, monthly: map[string]map[string]string{}}
	s, _ := time.Parse(time.DateOnly, w.since)
	u, _ := time.Parse(time.DateOnly, w.until)
	w.days = int(u.Sub(s).Hours()/24) + 1
	pq := func(table string) string {
		return "read_parquet('" + filepath.Join(f.dir, "parquet", table+".parquet") + "')"
	}
	one := func(q string, dest ...any) {
		t.Helper()
		if err := db.QueryRow(q).Scan(dest...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// The local day of the rows of a time series: at the offset of the
	// activity day in force (ASOF), else of the first one.
	localDays := func(table string) string {
		return fmt.Sprintf(`(SELECT CAST(floor((epoch_us(h.timestamp) + coalesce(a.o, (SELECT o FROM (SELECT timestamp_utc_offset o FROM %[1]s ORDER BY timestamp LIMIT 1))) * 60000000) / 86400000000) AS BIGINT) AS dn
			FROM (SELECT timestamp FROM %[2]s) h ASOF LEFT JOIN (SELECT timestamp, timestamp_utc_offset o FROM %[1]s) a ON h.timestamp >= a.timestamp)`, pq("daily_activity"), pq(table))
	}
	dayOf := func(table string) string {
		tb := schema.Lookup(table)
		if tb.Columns[tb.MustIndex(tb.DatedBy)].Type == schema.Timestamp {
			return localDays(table)
		}
		return fmt.Sprintf("(SELECT CAST(epoch(%s) / 86400 AS BIGINT) AS dn FROM %s)", tb.DatedBy, pq(table))
	}
	lo, hi := s.Unix()/86400, u.Unix()/86400
	for _, tb := range schema.Tables() {
		if _, err := os.Stat(filepath.Join(f.dir, "parquet", tb.Name+".parquet")); err != nil {
			continue
		}
		var n int64
		one("SELECT count(*) FROM "+pq(tb.Name), &n)
		w.rows[tb.Name] = n
		if tb.Parent != "" {
			continue
		}
		w.records += n
		rows, err := db.Query("SELECT origin, count(*) FROM " + pq(tb.Name) + " GROUP BY origin")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var o string
			var c int64
			rows.Scan(&o, &c)
			w.origins[o] += c
		}
		rows.Close()
		if tb.DatedBy == "" || n == 0 {
			continue
		}
		var a, b int64
		one("SELECT min(dn), max(dn) FROM "+dayOf(tb.Name), &a, &b)
		w.first[tb.Name], w.last[tb.Name] = day(a), day(b)
		if tb.Columns[tb.MustIndex(tb.DatedBy)].Type == schema.Timestamp {
			for _, end := range []string{"ASC", "DESC"} {
				var us, off int64
				one(fmt.Sprintf("SELECT epoch_us(timestamp), timestamp_utc_offset FROM %s ORDER BY timestamp %s LIMIT 1", pq(tb.Name), end), &us, &off)
				at := time.UnixMicro(us).In(time.FixedZone("", int(off)*60)).Format("2006-01-02 15:04 -07:00")
				if end == "ASC" {
					w.firstAt[tb.Name] = at
				} else {
					w.lastAt[tb.Name] = at
				}
			}
		}
	}
	var union []string
	for key, tables := range groups {
		var parts []string
		for _, tb := range tables {
			parts = append(parts, "SELECT dn FROM "+dayOf(tb))
		}
		q := fmt.Sprintf("SELECT count(DISTINCT dn), count(*) FROM (%s) WHERE dn BETWEEN %d AND %d", strings.Join(parts, " UNION ALL "), lo, hi)
		var days, recs int64
		one(q, &days, &recs)
		w.groupDays[key], w.groupRecords[key] = days, recs
		if key != "events" {
			union = append(union, parts...)
		}
	}
	one(fmt.Sprintf("SELECT count(DISTINCT dn) FROM (%s) WHERE dn BETWEEN %d AND %d", strings.Join(union, " UNION ALL "), lo, hi), &w.covered)

	rows, err := db.Query(fmt.Sprintf(`SELECT CAST(epoch(day) / 86400 AS BIGINT) FROM %s a WHERE non_wear_time >= 72000
		AND NOT EXISTS (SELECT 1 FROM %s s WHERE s.day = a.day) ORDER BY day`, pq("daily_activity"), pq("sleep")))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var dn int64
		rows.Scan(&dn)
		w.notWorn = append(w.notWorn, day(dn))
	}
	rows.Close()

	for _, key := range trendOrder {
		per := fmt.Sprintf(trendSQL[key], pq(trendTable[key]))
		var mean float64
		one(fmt.Sprintf("SELECT avg(v) FROM (%s) WHERE day BETWEEN DATE '%s' AND DATE '%s'", per, w.since, w.until), &mean)
		w.means[key] = trendValue(key, mean)
		w.monthly[key] = map[string]string{}
		rows, err := db.Query(fmt.Sprintf("SELECT strftime(day, '%%b %%Y'), avg(v) FROM (%s) WHERE day BETWEEN DATE '%s' AND DATE '%s' GROUP BY 1", per, w.since, w.until))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var month string
			var v float64
			rows.Scan(&month, &v)
			w.monthly[key][month] = trendValue(key, v)
		}
		rows.Close()
	}
	return w
}

// day writes days since 1970-01-01 as YYYY-MM-DD.
func day(n int64) string { return time.Unix(n*86400, 0).UTC().Format(time.DateOnly) }

// trendValue writes a trend's value as the report is meant to.
func trendValue(key string, x float64) string {
	switch key {
	case "hrv", "steps":
		return commas(int64(math.Round(x)))
	case "total_sleep":
		m := int64(math.Round(x / 60))
		return fmt.Sprintf("%d h %02d min", m/60, m%60)
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

// commas writes 12,345.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, out...), ",")
}

// bytesText writes a file size as the report is meant to: SI units.
func bytesText(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1e6:
		return strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64) + " kB"
	case n < 1e9:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
	}
	return strconv.FormatFloat(float64(n)/1e9, 'f', 2, 64) + " GB"
}

func checkSummary(t *testing.T, p page, w *want) {
	if got, want := p.Stats["stat-days"], commas(w.covered); got != want {
		t.Errorf("days with data: %s, want %s", got, want)
	}
	if got, want := p.Stats["stat-records"], commas(w.records); got != want {
		t.Errorf("records: %s, want %s", got, want)
	}
	if got, want := p.Stats["stat-verify"], "Not verified"; got != want {
		t.Errorf("verification: %s, want %s (the export's hook writes the report before the manifest)", got, want)
	}
	for o, n := range w.origins {
		if got, want := p.Origins[o], commas(n); got != want {
			t.Errorf("records from %s: %s, want %s", o, got, want)
		}
	}
	if len(p.Origins) != len(w.origins) {
		t.Errorf("origins %v, want %v", p.Origins, w.origins)
	}
	if !strings.Contains(p.Notes, "HTTP 403") {
		t.Errorf("the notes %q do not say the API answered 403", p.Notes)
	}
}

func checkCoverage(t *testing.T, p page, w *want) {
	if len(p.Groups) != len(groups) {
		t.Errorf("%d calendars, want %d", len(p.Groups), len(groups))
	}
	for _, g := range p.Groups {
		key := strings.TrimPrefix(g.ID, "group-")
		if got, want := g.DaysWith, commas(w.groupDays[key]); got != want {
			t.Errorf("%s: %s days with records, want %s", key, got, want)
		}
		if got, want := g.Records, commas(w.groupRecords[key]); got != want {
			t.Errorf("%s: %s records, want %s", key, got, want)
		}
		if !strings.Contains(g.Caption, g.DaysWith) || !strings.Contains(g.Caption, commas(int64(w.days))) {
			t.Errorf("%s: caption %q does not show %s of %d days", key, g.Caption, g.DaysWith, w.days)
		}
	}
}

func checkGaps(t *testing.T, p page, w *want, f *fixture) {
	var notWorn []string
	gapDays := map[string]bool{}
	lapsed := false
	nonEvent := []string{"Daily scores", "Sleep", "Activity", "Heart rate", "Other daily metrics", "Ring battery"}
	from := f.lapse.AddDate(0, 0, 1).Format(time.DateOnly)
	for _, g := range p.Gaps { // from, to, days, groups, reason
		a, _ := time.Parse(time.DateOnly, g[0])
		b, _ := time.Parse(time.DateOnly, g[1])
		if n := int(b.Sub(a).Hours()/24) + 1; g[2] != commas(int64(n)) {
			t.Errorf("gap %s to %s: %s days, want %d", g[0], g[1], g[2], n)
		}
		for d := a; !d.After(b); d = d.AddDate(0, 0, 1) {
			gapDays[d.Format(time.DateOnly)] = true
		}
		// "Ring not worn" (the whole row), or "Ring not worn: A, B to C; The
		// night after was not recorded: D" (a spell with the nights it cost).
		for _, part := range strings.Split(g[4], "; ") {
			if part == "Ring not worn" {
				notWorn = append(notWorn, daysOf(t, g[0]+" to "+g[1])...)
			}
			if spans, ok := strings.CutPrefix(part, "Ring not worn: "); ok {
				for _, sp := range strings.Split(spans, ", ") {
					notWorn = append(notWorn, daysOf(t, sp)...)
				}
			}
		}
		if strings.Contains(g[4], "HTTP 403") {
			if g[0] != from || g[1] != w.until || !contains(g[3], nonEvent...) || lapsed {
				t.Errorf("refused range %q, want %s to %s for %v, once", g, from, w.until, nonEvent)
			}
			lapsed = true
		}
	}
	if !lapsed {
		t.Errorf("no gap from %s to %s says the API refused (403)", from, w.until)
	}
	if len(w.notWorn) < 10 {
		t.Fatalf("the sandbox made only %d days without the ring", len(w.notWorn))
	}
	slices.Sort(notWorn)
	if !slices.Equal(notWorn, w.notWorn) {
		t.Errorf("days listed as not worn:\n%v\nwant (non_wear_time >= 20 h, no sleep):\n%v", notWorn, w.notWorn)
	}
	t.Logf("%d gap ranges; %d days without the ring; refused from %s to %s", len(p.Gaps), len(w.notWorn), from, w.until)
	if got, want := p.Stats["stat-gaps"], commas(int64(len(gapDays))); got != want {
		t.Errorf("days with a gap: %s, the table lists %s", got, want)
	}
}

// daysOf returns the days of "A" or "A to B".
func daysOf(t *testing.T, span string) []string {
	a, b, ok := strings.Cut(span, " to ")
	if !ok {
		b = a
	}
	from, err1 := time.Parse(time.DateOnly, a)
	to, err2 := time.Parse(time.DateOnly, b)
	if err1 != nil || err2 != nil {
		t.Errorf("%q is not a day or a range of days", span)
		return nil
	}
	var out []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

func checkTrends(t *testing.T, p page, w *want) {
	for _, key := range trendOrder {
		if got, want := p.Trends["trend-"+key], w.means[key]; got != want {
			t.Errorf("%s: mean %s, want %s", key, got, want)
		}
	}
	if len(p.Heads) != len(trendOrder)+1 {
		t.Fatalf("monthly table heads %q", p.Heads)
	}
	months := 0
	for _, row := range p.Months {
		for i, key := range trendOrder {
			if got, want := row[i+1], w.monthly[key][row[0]]; got != want && !(got == "–" && want == "") {
				t.Errorf("%s %s: %s, want %s", row[0], key, got, want)
			}
		}
		months++
	}
	t.Logf("%d trends, %d months checked", len(trendOrder), months)
	if want := len(w.monthly["sleep_score"]); months < want {
		t.Errorf("%d months in the table, want at least %d", months, want)
	}
}

func checkTables(t *testing.T, p page, w *want, f *fixture) {
	listed := map[string]sinks.File{}
	for _, file := range w.manifest.Files {
		listed[file.Path] = file
	}
	if _, ok := listed["report.html"]; !ok {
		t.Error("MANIFEST.json does not list report.html")
	}
	seen := 0
	for _, tb := range p.Tables {
		seen++
		if got, want := tb.Rows, commas(w.rows[tb.Name]); got != want {
			t.Errorf("%s: %s rows, DuckDB counts %s", tb.Name, got, want)
		}
		if first, ok := w.first[tb.Name]; ok && (tb.First != first || tb.Last != w.last[tb.Name]) {
			t.Errorf("%s: days %s to %s, want %s to %s", tb.Name, tb.First, tb.Last, first, w.last[tb.Name])
		}
		if at, ok := w.firstAt[tb.Name]; ok && (tb.FirstAt != at || tb.LastAt != w.lastAt[tb.Name]) {
			t.Errorf("%s: instants %s to %s, want %s to %s", tb.Name, tb.FirstAt, tb.LastAt, at, w.lastAt[tb.Name])
		}
		if len(tb.Files) == 0 {
			t.Errorf("%s: no file linked", tb.Name)
		}
		for _, fl := range tb.Files { // href, path, size, title
			m, ok := listed[fl[1]]
			if !ok || fl[0] != fl[1] {
				t.Errorf("%s: link %q to %q, not a file of the manifest", tb.Name, fl[0], fl[1])
				continue
			}
			fi, err := os.Stat(filepath.Join(f.dir, filepath.FromSlash(fl[0])))
			if err != nil || fi.Size() != m.Size {
				t.Errorf("%s: %s: %v, size %d, manifest %d", tb.Name, fl[0], err, fi.Size(), m.Size)
			}
			if fl[2] != bytesText(m.Size) || fl[3] != commas(m.Size)+" bytes" {
				t.Errorf("%s: size %q (%q), want %q (%d bytes)", tb.Name, fl[2], fl[3], bytesText(m.Size), m.Size)
			}
			if m.Rows != w.rows[tb.Name] {
				t.Errorf("%s: the manifest lists %d rows, DuckDB counts %d", tb.Name, m.Rows, w.rows[tb.Name])
			}
		}
	}
	if seen != len(w.rows) {
		t.Errorf("%d tables listed, the export has %d", seen, len(w.rows))
	}
}
