package report

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"time"
)

// svg builds the markup of one chart. Every chart is an <svg role="img">
// with a <title> and a <desc>, drawn in the page's CSS classes so that
// the light and dark schemes and print restyle it.
type svg struct {
	b strings.Builder
}

// open starts the chart: its size, id and text alternative.
func (s *svg) open(id string, w, h float64, title, desc string) {
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="%s-t %s-d" class="chart">`,
		n(w), n(h), n(w), n(h), id, id)
	fmt.Fprintf(&s.b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, html.EscapeString(title), id, html.EscapeString(desc))
}

func (s *svg) close() string {
	s.b.WriteString("</svg>")
	return s.b.String()
}

func (s *svg) rect(class string, x, y, w, h float64) {
	fmt.Fprintf(&s.b, `<rect class="%s" x="%s" y="%s" width="%s" height="%s"/>`, class, n(x), n(y), n(w), n(h))
}

func (s *svg) line(class string, x1, y1, x2, y2 float64) {
	fmt.Fprintf(&s.b, `<line class="%s" x1="%s" y1="%s" x2="%s" y2="%s"/>`, class, n(x1), n(y1), n(x2), n(y2))
}

// text writes a label; anchor is start, middle or end.
func (s *svg) text(class string, x, y float64, anchor, t string) {
	fmt.Fprintf(&s.b, `<text class="%s" x="%s" y="%s" text-anchor="%s">%s</text>`, class, n(x), n(y), anchor, html.EscapeString(t))
}

// n writes a coordinate with at most one decimal.
func n(x float64) string {
	return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64)
}

// Calendar geometry: one row per year, one column per day of the year.
const (
	calWidth  = 960.0
	calLeft   = 40.0
	calRight  = 4.0
	calTop    = 16.0
	calRow    = 12.0
	calRowGap = 5.0
)

// dayClass is the CSS class of a calendar cell.
func dayClass(g *Group, i int) string {
	if l := g.Levels[i]; l > 0 {
		return "l" + strconv.Itoa(int(l))
	}
	if g.Events {
		return ""
	}
	switch g.Kinds[i] {
	case NotWorn:
		return "nw"
	case Refused:
		return "rf"
	case Missing:
		return "ms"
	}
	return ""
}

// calendarSVG draws a group's coverage calendar over p.
func calendarSVG(g *Group, p Period, desc string) string {
	y0, y1 := p.First.Time().Year(), p.Last.Time().Year()
	rows := y1 - y0 + 1
	h := calTop + float64(rows)*(calRow+calRowGap)
	pitch := (calWidth - calLeft - calRight) / 366
	var s svg
	s.open("cal-"+g.Key, calWidth, h, g.Name+": coverage by day", desc)
	for m := 1; m <= 12; m++ {
		x := calLeft + float64(time.Date(2001, time.Month(m), 1, 0, 0, 0, 0, time.UTC).YearDay()-1)*pitch
		s.line("grid", x, calTop-3, x, h-calRowGap+1)
		s.text("tick", x+2, calTop-5, "start", time.Month(m).String()[:3])
	}
	for r := range rows {
		year := y0 + r
		y := calTop + float64(r)*(calRow+calRowGap)
		jan1 := dayOf(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC))
		dec31 := dayOf(time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC))
		from, to := max(jan1, p.First), min(dec31, p.Last)
		s.text("tick", calLeft-6, y+calRow-2, "end", strconv.Itoa(year))
		x := func(d Day) float64 { return calLeft + float64(d-jan1)*pitch }
		s.rect("tr", x(from), y, float64(to-from+1)*pitch, calRow)
		for d := from; d <= to; {
			c := dayClass(g, int(d-p.First))
			e := d
			for e+1 <= to && dayClass(g, int(e+1-p.First)) == c {
				e++
			}
			if c != "" {
				s.rect(c, x(d), y, float64(e-d+1)*pitch, calRow)
			}
			d = e + 1
		}
	}
	return s.close()
}

// Trend chart geometry.
const (
	chartW      = 460.0
	chartH      = 200.0
	chartLeft   = 46.0
	chartRight  = 10.0
	chartTop    = 10.0
	chartBottom = 24.0
)

// niceTicks returns about four round ticks covering lo..hi.
func niceTicks(lo, hi float64) []float64 {
	if !(hi > lo) {
		lo, hi = lo-1, hi+1
	}
	raw := (hi - lo) / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Floor(lo/step) * step; v <= math.Ceil(hi/step)*step+step/2; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// timeAxis draws the x axis of a chart over p: a tick and label at every
// 1 January (every other one beyond eight years).
func timeAxis(s *svg, p Period, x func(Day) float64, bottom, right float64) {
	y0, y1 := p.First.Time().Year(), p.Last.Time().Year()
	every := 1
	if y1-y0 > 8 {
		every = 2
	}
	for y := y0; y <= y1+1; y++ {
		d := dayOf(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC))
		if d < p.First || d > p.Last+1 {
			continue
		}
		s.line("axis", x(d), bottom, x(d), bottom+4)
		if (y-y0)%every == 0 && x(d) < right-14 {
			s.text("tick", x(d)+3, bottom+15, "start", strconv.Itoa(y))
		}
	}
}

// lineChart draws a trend: its monthly means as a line over its weekly
// means, across the whole period.
func lineChart(t *Trend, p Period, desc string) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, pt := range t.Weekly {
		lo, hi = math.Min(lo, pt.Mean), math.Max(hi, pt.Mean)
	}
	scale := 1.0
	if t.Format == hoursMinutes {
		scale = 3600 // seconds drawn as hours
	}
	ticks := niceTicks(lo/scale, hi/scale)
	ymin, ymax := ticks[0], ticks[len(ticks)-1]
	days := float64(p.Days())
	x := func(d Day) float64 { return chartLeft + float64(d-p.First)/days*(chartW-chartLeft-chartRight) }
	y := func(v float64) float64 {
		return chartTop + (1-(v/scale-ymin)/(ymax-ymin))*(chartH-chartTop-chartBottom)
	}
	var s svg
	s.open("tr-"+t.Key, chartW, chartH, t.Name+": weekly and monthly means", desc)
	for _, v := range ticks {
		yy := y(v * scale)
		s.line("grid", chartLeft, yy, chartW-chartRight, yy)
		label := strconv.FormatFloat(v, 'f', -1, 64)
		if v >= 10000 {
			label = comma(int64(v))
		}
		s.text("tick", chartLeft-6, yy+4, "end", label)
	}
	bottom := chartH - chartBottom
	s.line("axis", chartLeft, bottom, chartW-chartRight, bottom)
	timeAxis(&s, p, x, bottom, chartW-chartRight)
	path := func(class string, pts []Point, maxGap Day) {
		var b strings.Builder
		var prev Day
		for i, pt := range pts {
			mid := float64(pt.From+pt.To+1) / 2
			xx := chartLeft + (mid-float64(p.First))/days*(chartW-chartLeft-chartRight)
			cmd := "L"
			if i == 0 || pt.From-prev > maxGap {
				cmd = "M"
			}
			fmt.Fprintf(&b, "%s%s %s", cmd, n(xx), n(y(pt.Mean)))
			prev = pt.To
		}
		fmt.Fprintf(&s.b, `<path class="%s" d="%s"/>`, class, b.String())
	}
	path("wk", t.Weekly, 8)
	path("mo", t.Monthly, 32)
	return s.close()
}

// stagesChart draws the monthly sleep stages as stacked bars.
func stagesChart(ms []StageMonth, p Period, desc string) string {
	const w, h = 960.0, 220.0
	top := 0.0
	for _, m := range ms {
		top = math.Max(top, m.Deep+m.Light+m.REM+m.Wake)
	}
	ticks := niceTicks(0, top)
	ymax := ticks[len(ticks)-1]
	days := float64(p.Days())
	plotW := w - chartLeft - chartRight
	x := func(d Day) float64 { return chartLeft + float64(d-p.First)/days*plotW }
	y := func(v float64) float64 { return chartTop + (1-v/ymax)*(h-chartTop-chartBottom) }
	var s svg
	s.open("tr-stages", w, h, "Sleep stages: monthly mean hours a night", desc)
	for _, v := range ticks {
		s.line("grid", chartLeft, y(v), w-chartRight, y(v))
		s.text("tick", chartLeft-6, y(v)+4, "end", strconv.FormatFloat(v, 'f', -1, 64)+" h")
	}
	bottom := h - chartBottom
	s.line("axis", chartLeft, bottom, w-chartRight, bottom)
	for _, m := range ms {
		x0, x1 := x(m.From), x(m.To+1)
		bw := math.Max(1, (x1-x0)*0.78)
		base := 0.0
		for _, part := range []struct {
			class string
			v     float64
		}{{"s-deep", m.Deep}, {"s-rem", m.REM}, {"s-light", m.Light}, {"s-wake", m.Wake}} {
			s.rect(part.class, x0+(x1-x0-bw)/2, y(base+part.v), bw, y(base)-y(base+part.v))
			base += part.v
		}
	}
	timeAxis(&s, p, x, bottom, w-chartRight)
	return s.close()
}
