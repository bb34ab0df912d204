package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"slices"
	"strings"
)

//go:embed page.html.tmpl
var pageText string

//go:embed style.css
var styleText string

var page = template.Must(template.New("page").Parse(pageText))

// csp is the page's Content-Security-Policy: nothing may be loaded, from
// anywhere; the one style sheet is allowed by its hash, and images only
// as data: URLs (there are none: the charts are inline SVG).
func csp(style string) string {
	sum := sha256.Sum256([]byte(style))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; img-src data:; base-uri 'none'; form-action 'none'"
}

// Render draws r as one self-contained HTML page: inline CSS and SVG, no
// script, nothing fetched.
func Render(r *Report) ([]byte, error) {
	v := newView(r)
	var b bytes.Buffer
	if err := page.Execute(&b, v); err != nil {
		return nil, fmt.Errorf("render the report: %w", err)
	}
	return b.Bytes(), nil
}

// view is the report as the template writes it: every text ready.
type view struct {
	CSS      template.CSS
	CSP      string
	Title    string
	Heading  string
	Lede     string
	Stats    []stat
	Facts    []fact
	Sources  []sourceRow
	Origins  []stat
	Verify   verifyView
	Notes    []string
	Unread   string
	Groups   []groupView
	Gaps     []gapView
	GapsLede string
	Trends   []trendView
	Stages   template.HTML
	Heads    []string
	Months   []monthRow
	Tables   []tableView
	Archives []fileView
	Footer   string
}

type stat struct {
	Label, Value, Note, Key string
}

type fact struct {
	Label, Value string
}

type sourceRow struct {
	Name, URL, Collections string
}

type verifyView struct {
	Class, Head, Body string
	Problems          []string
}

type groupView struct {
	Key, Name, Summary, Shade string
	DaysWith, Days, Records   string
	SVG                       template.HTML
}

type gapView struct {
	From, To, Days, Groups, Reason, Class string
}

type trendView struct {
	Key, Name, Mean, Unit, What, Latest, Days string
	SVG                                       template.HTML
}

type monthRow struct {
	Month string
	Cells []string
}

type tableView struct {
	Name, Rows, First, Last, FirstAt, LastAt string
	Child                                    bool
	Files                                    []fileView
}

type fileView struct {
	Path, Href, Size, Bytes, Format string
}

func newView(r *Report) *view {
	v := &view{CSS: template.CSS(styleText), CSP: csp(styleText), Notes: groupNotes(r.Notes), Unread: r.Unread}
	who := r.Subject.Email
	if who == "" {
		who = r.Subject.ID
	}
	if r.Subject.Account != "" {
		who = r.Subject.Account
	}
	if who == "" {
		who = "an Oura account"
	}
	v.Title = "Oura export report: " + who
	v.Heading = who
	days := r.Period.Days()
	if days > 0 {
		v.Lede = fmt.Sprintf("%s of Oura data, %s to %s.", span(days), longDate(r.Period.First), longDate(r.Period.Last))
	} else {
		v.Lede = "An export without dated records."
	}
	covered := 0
	for i := range days {
		for _, g := range r.Coverage {
			if !g.Events && g.Levels[i] > 0 {
				covered++
				break
			}
		}
	}
	gapDays := map[Day]bool{}
	for _, g := range r.Gaps {
		for d := g.From; d <= g.To; d++ {
			gapDays[d] = true
		}
	}
	v.Stats = []stat{
		{Key: "days", Label: "Days with data", Value: comma(int64(covered)), Note: "of " + plural(int64(days), "day", "days")},
		{Key: "records", Label: "Records", Value: comma(r.Records), Note: "in " + plural(int64(countTop(r.Tables)), "table", "tables")},
		{Key: "gaps", Label: "Days with a gap", Value: comma(int64(len(gapDays))), Note: plural(int64(r.NotWorn), "day", "days") + " the ring was not worn"},
		verifyStat(r.Verify),
	}
	v.Facts = factsOf(r)
	for _, s := range r.Sources {
		v.Sources = append(v.Sources, sourceRow{Name: s.Name, URL: s.URL, Collections: strings.Join(s.Collections, ", ")})
	}
	for _, c := range r.Origins {
		v.Origins = append(v.Origins, stat{Key: c.Name, Label: originName(c.Name), Value: comma(c.N)})
	}
	v.Verify = verifyText(r.Verify)
	for _, g := range r.Coverage {
		v.Groups = append(v.Groups, groupOf(g, r))
	}
	v.Gaps = gapRows(r.Gaps, r.Coverage)
	v.GapsLede = gapsLede(r, len(gapDays))
	trendsOf(v, r)
	for _, t := range r.Tables {
		v.Tables = append(v.Tables, tableRow(t))
	}
	for _, a := range r.Archives {
		v.Archives = append(v.Archives, fileOf(a))
	}
	v.Footer = fmt.Sprintf("Made by ouraexport %s from the files of this export alone (schema version %d); nothing was fetched to draw it, and the page loads nothing.",
		orDash(r.ToolVersion), r.SchemaVersion)
	return v
}

// groupNotes writes the notes on incomplete collections that give the same
// reason as one ("3 collections are incomplete: why (a, b, c)"), in order.
func groupNotes(notes []string) []string {
	var out []string
	at := map[string]int{}
	colls := map[string][]string{}
	for _, n := range notes {
		coll, why, ok := strings.Cut(n, " is incomplete: ")
		if !ok || strings.Contains(coll, " ") {
			out = append(out, n)
			continue
		}
		if _, seen := at[why]; !seen {
			at[why] = len(out)
			out = append(out, "")
		}
		colls[why] = append(colls[why], coll)
	}
	for why, i := range at {
		if cs := colls[why]; len(cs) == 1 {
			out[i] = cs[0] + " is incomplete: " + why
		} else {
			out[i] = fmt.Sprintf("%d collections are incomplete: %s (%s)", len(cs), why, strings.Join(cs, ", "))
		}
	}
	return out
}

// countTop counts the top-level tables.
func countTop(ts []*TableInfo) int {
	n := 0
	for _, t := range ts {
		if t.Parent == "" {
			n++
		}
	}
	return n
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func originName(o string) string {
	switch o {
	case "v2":
		return "Oura API v2"
	case "v1":
		return "Oura API v1"
	case "import":
		return "Imported files"
	}
	return o
}

func factsOf(r *Report) []fact {
	var out []fact
	if r.Subject.Email != "" {
		out = append(out, fact{"E-mail", r.Subject.Email})
	}
	if r.Subject.ID != "" {
		out = append(out, fact{"Oura user id", r.Subject.ID})
	}
	if r.Subject.Account != "" {
		out = append(out, fact{"Participant", r.Subject.Account})
	}
	if r.Period.Days() > 0 {
		out = append(out, fact{"Period", fmt.Sprintf("%s to %s (%s)", r.Period.First, r.Period.Last, plural(int64(r.Period.Days()), "day", "days"))})
	}
	out = append(out, fact{"Exported", exportTime(r.ExportedAt)},
		fact{"Made by", fmt.Sprintf("ouraexport %s, schema version %d", orDash(r.ToolVersion), r.SchemaVersion)})
	if len(r.Read) > 0 {
		out = append(out, fact{"Read from", strings.Join(r.Read, ", ")})
	}
	return out
}

func verifyStat(v Verification) stat {
	switch {
	case !v.Done:
		return stat{Key: "verify", Label: "Verification", Value: "Not verified", Note: "run ouraexport verify"}
	case len(v.Problems) == 0:
		return stat{Key: "verify", Label: "Verification", Value: "Verified", Note: plural(int64(v.Files), "file", "files") + " re-read"}
	}
	return stat{Key: "verify", Label: "Verification", Value: plural(int64(len(v.Problems)), "problem", "problems"), Note: "see below"}
}

func verifyText(v Verification) verifyView {
	switch {
	case !v.Done:
		return verifyView{Class: "note", Head: "Not verified.", Body: v.Note}
	case len(v.Problems) == 0:
		return verifyView{Class: "ok", Head: "Verified.", Body: fmt.Sprintf("Every file the manifest lists was re-hashed and re-read: %s, %s, sizes, SHA-256 digests and row counts as recorded.",
			plural(int64(v.Files), "file", "files"), plural(v.Rows, "row", "rows"))}
	}
	return verifyView{Class: "bad", Head: "Verification found problems.", Body: fmt.Sprintf("%s re-read; %s:",
		plural(int64(v.Files), "file", "files"), plural(int64(len(v.Problems)), "problem", "problems")), Problems: v.Problems}
}

func kindClass(k Kind) string {
	switch k {
	case NotWorn:
		return "nw"
	case Refused:
		return "rf"
	}
	return "ms"
}

func groupOf(g *Group, r *Report) groupView {
	days := r.Period.Days()
	gv := groupView{Key: g.Key, Name: g.Name, Shade: g.Shade, DaysWith: comma(int64(g.DaysWith)), Days: comma(int64(days)), Records: comma(g.Records)}
	var desc string
	if g.Events {
		gv.Summary = fmt.Sprintf("%s on %s of %s days", plural(g.Records, "record", "records"), gv.DaysWith, gv.Days)
		desc = gv.Summary + ". Days without one are no gap."
	} else {
		missing := 0
		for i := range days {
			if g.Levels[i] == 0 {
				missing++
			}
		}
		gv.Summary = fmt.Sprintf("%s of %s days with records", gv.DaysWith, gv.Days)
		desc = fmt.Sprintf("%s. %s without data, listed in the table of gaps. Shade: %s.", gv.Summary, plural(int64(missing), "day", "days"), g.Shade)
	}
	gv.SVG = template.HTML(calendarSVG(g, r.Period, desc))
	return gv
}

// gapRows lists the gaps for reading: a spell without the ring is one
// row with the nights it cost (the ranges that touch or overlap, with
// their days by reason), every other gap a row of its own.
func gapRows(gaps []Gap, groups []*Group) []gapView {
	order := map[string]int{}
	for i, g := range groups {
		order[g.Name] = i
	}
	var out []gapView
	var cur *Gap
	var parts []Gap // the gaps of the current spell without the ring
	flush := func() {
		if cur == nil {
			return
		}
		var names []string
		byReason := map[string][]Gap{}
		var reasons []string
		for _, p := range parts {
			for _, n := range p.Groups {
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
			if _, ok := byReason[p.Reason]; !ok {
				reasons = append(reasons, p.Reason)
			}
			if rs := byReason[p.Reason]; len(rs) == 0 || !(rs[len(rs)-1].From == p.From && rs[len(rs)-1].To == p.To) {
				byReason[p.Reason] = append(rs, p)
			}
		}
		slices.SortFunc(names, func(a, b string) int { return order[a] - order[b] })
		slices.SortStableFunc(reasons, func(a, b string) int { return reasonRank(a) - reasonRank(b) })
		var why []string
		for _, r := range reasons {
			if len(parts) == 1 {
				why = append(why, r)
				break
			}
			var spans []string
			for _, p := range byReason[r] {
				spans = append(spans, spanText(p.From, p.To))
			}
			label := r
			if r == nightAfter {
				label = "no night recorded"
			}
			why = append(why, label+": "+strings.Join(dedupe(spans), ", "))
		}
		out = append(out, gapView{From: cur.From.String(), To: cur.To.String(), Days: comma(int64(cur.Days())),
			Groups: strings.Join(names, ", "), Reason: strings.Join(why, "; "), Class: kindClass(cur.Kind)})
		cur, parts = nil, nil
	}
	for _, g := range gaps {
		if cur != nil && g.Kind == NotWorn && cur.Kind == NotWorn && g.From <= cur.To+1 {
			cur.To = max(cur.To, g.To)
			parts = append(parts, g)
			continue
		}
		flush()
		c := g
		cur, parts = &c, []Gap{g}
	}
	flush()
	return out
}

// reasonRank puts the ring's absence before the nights it cost.
func reasonRank(r string) int {
	if r == nightAfter {
		return 1
	}
	return 0
}

// spanText writes a range of days: 2024-01-02, or 2024-01-02 to 2024-01-04.
func spanText(from, to Day) string {
	if from == to {
		return from.String()
	}
	return from.String() + " to " + to.String()
}

// dedupe drops repeated strings, keeping the order.
func dedupe(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func gapsLede(r *Report, days int) string {
	if len(r.Gaps) == 0 {
		return "No gaps: every group has records on every day of the period."
	}
	return fmt.Sprintf("%s a gap in some group; %s the ring was not worn. Each spell without the ring is one row, with the nights it cost; every other range is listed once with every group it is missing from.",
		plural(int64(days), "day has", "days have"), plural(int64(r.NotWorn), "day", "days"))
}

func trendsOf(v *view, r *Report) {
	for _, t := range r.Trends {
		tv := trendView{Key: t.Key, Name: t.Name, Mean: formatValue(t.Mean, t.Format), Unit: t.Unit, What: t.What, Days: comma(int64(t.Days))}
		if n := len(t.Monthly); n > 0 {
			m := t.Monthly[n-1]
			tv.Latest = fmt.Sprintf("%s: %s", monthName(m.From), formatValue(m.Mean, t.Format))
		}
		desc := fmt.Sprintf("Mean over %s days: %s %s. %d months; the monthly values are in the table below.", tv.Days, tv.Mean, t.Unit, len(t.Monthly))
		tv.SVG = template.HTML(lineChart(t, r.Period, desc))
		v.Trends = append(v.Trends, tv)
		v.Heads = append(v.Heads, headOf(t))
	}
	if len(r.Stages) > 0 {
		v.Stages = template.HTML(stagesChart(r.Stages, r.Period, fmt.Sprintf("Stacked bars, one a month, over %d months: deep, REM, light sleep and awake time, mean hours a night.", len(r.Stages))))
	}
	cells := map[Day][]string{}
	var order []Day
	for ti, t := range r.Trends {
		for _, m := range t.Monthly {
			row, ok := cells[m.From]
			if !ok {
				row = make([]string, len(r.Trends))
				for j := range row {
					row[j] = "–"
				}
				cells[m.From] = row
				order = append(order, m.From)
			}
			row[ti] = formatValue(m.Mean, t.Format)
		}
	}
	slices.Sort(order)
	for _, d := range order {
		v.Months = append(v.Months, monthRow{Month: monthName(d), Cells: cells[d]})
	}
}

func headOf(t *Trend) string {
	if t.Unit != "" {
		return t.Name + " (" + t.Unit + ")"
	}
	return t.Name
}

func tableRow(t *TableInfo) tableView {
	tv := tableView{Name: t.Name, Rows: comma(t.Rows), Child: t.Parent != "", First: "–", Last: "–", FirstAt: t.FirstAt, LastAt: t.LastAt}
	if t.Dated {
		tv.First, tv.Last = t.First.String(), t.Last.String()
	}
	for _, f := range t.Files {
		tv.Files = append(tv.Files, fileOf(f))
	}
	return tv
}

func fileOf(f FileInfo) fileView {
	fv := fileView{Path: f.Path, Href: f.Href, Size: size(f.Size), Bytes: comma(f.Size) + " bytes"}
	switch {
	case strings.HasSuffix(f.Path, ".parquet"):
		fv.Format = "Parquet"
	case strings.HasSuffix(f.Path, ".csv"):
		fv.Format = "CSV"
	case isArchive(f.Path):
		fv.Format = "Archive"
	}
	return fv
}
