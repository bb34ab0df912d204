package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// comma writes an integer with thousands separators: 1,826.
func comma(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// size writes a number of bytes for people: 85.3 MB (SI units).
func size(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1000_000:
		return strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64) + " kB"
	case n < 1000_000_000:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
	}
	return strconv.FormatFloat(float64(n)/1e9, 'f', 2, 64) + " GB"
}

// formatValue writes a trend's value as the report shows it.
func formatValue(x float64, f valueFormat) string {
	if !finite(x) {
		return "–"
	}
	switch f {
	case whole:
		return comma(int64(math.Round(x)))
	case hoursMinutes:
		m := int64(math.Round(x / 60))
		return fmt.Sprintf("%d h %02d min", m/60, m%60)
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

// longDate writes a day for reading: 4 December 2021.
func longDate(d Day) string { return d.Time().Format("2 January 2006") }

// monthName writes a month: Dec 2021.
func monthName(d Day) string { return d.Time().Format("Jan 2006") }

// span writes a number of days for reading: "5 years", "7 months", "12 days".
func span(days int) string {
	switch {
	case days >= 730:
		return fmt.Sprintf("%.0f years", float64(days)/365.25)
	case days >= 365:
		return "1 year"
	case days >= 60:
		return fmt.Sprintf("%.0f months", float64(days)/30.44)
	case days == 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", days)
}

// plural writes n and a noun: "1 day", "3 days".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return comma(n) + " " + many
}

// exportTime writes the export's time, in UTC as it is stamped.
func exportTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2 January 2006 at 15:04 UTC")
}
